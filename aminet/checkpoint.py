"""Checkpoints: plain dicts written atomically and read back safely.

A checkpoint is a dict with ``format == "aminet-checkpoint"``, the model's registry name and the
options it was built with (``model_name``, ``model_kwargs``), its ``state_dict`` under ``"model"``,
and, for training checkpoints, the optimizer, scheduler, AMP scaler, RNG states and step needed to
resume exactly. Why each rule:

- *Atomic writes* (temporary file in the same folder, then ``os.replace``): a run killed while
  saving (Colab disconnects, Ctrl-C, out of disk) leaves the previous checkpoint intact instead of
  a truncated file.
- *``torch.load(weights_only=True)``*: a checkpoint from the internet can run arbitrary code when
  unpickled in full; the restricted loader only rebuilds tensors and plain containers.
- *A checksum of the tensors* (SHA-256 over every tensor's name, dtype, shape and bytes, stored
  under ``"checksum"``): torch's zip container does not notice flipped bytes inside a tensor, so
  a damaged disk or a bad copy would load silently; ``load_checkpoint`` recomputes it and calls
  such a file corrupted. Checkpoints written before the checksum existed still load.
- *The umask's file mode*: the temporary file is created private (``mkstemp`` makes it 0600) and
  given the mode any other new file would get before it replaces the old checkpoint.
- *Clear errors*: a missing, truncated, corrupted or foreign file says which file and what is wrong.
"""

from __future__ import annotations

import hashlib
import pickle
import zipfile
from pathlib import Path

import torch
from torch import nn

from aminet.io import atomic_write

__all__ = [
    "CHECKPOINT_FORMAT",
    "CheckpointError",
    "save_checkpoint",
    "load_checkpoint",
    "load_model",
    "tensor_checksum",
    "remove_stale_temporaries",
]

CHECKPOINT_FORMAT = "aminet-checkpoint"


class CheckpointError(ValueError):
    """A file that is not a readable aminet checkpoint (corrupt, truncated or foreign)."""


def tensor_checksum(state) -> str:
    """SHA-256 over every tensor in a nested dict/list (its key path, dtype, shape and bytes)."""
    digest = hashlib.sha256()

    def visit(value, where: str) -> None:
        if isinstance(value, torch.Tensor):
            t = value.detach().cpu().contiguous()
            digest.update(f"{where}|{t.dtype}|{tuple(t.shape)}|".encode())
            digest.update(t.reshape(-1).view(torch.uint8).numpy().tobytes())
        elif isinstance(value, dict):
            for key in sorted(value, key=repr):
                if where == "" and key == "checksum":
                    continue
                visit(value[key], f"{where}/{key!r}")
        elif isinstance(value, (list, tuple)):
            for i, item in enumerate(value):
                visit(item, f"{where}[{i}]")

    visit(state, "")
    return digest.hexdigest()


def save_checkpoint(state: dict, path: str | Path) -> Path:
    """Write ``state`` to ``path`` atomically; adds the ``format`` tag and the tensors' checksum."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    state = {"format": CHECKPOINT_FORMAT, **state}
    state["checksum"] = {"sha256": tensor_checksum(state)}
    with atomic_write(path, "wb") as f:  # file mode from the umask (aminet.io.umask_mode)
        torch.save(state, f)
    return path


def remove_stale_temporaries(folder: str | Path) -> tuple[int, int]:
    """Delete ``.NAME.XXXX.tmp`` files that a killed :func:`save_checkpoint` left in ``folder``.

    Only call it while no other process writes there (the trainer holds the run folder's lock).
    Returns ``(files removed, bytes freed)``.
    """
    removed, freed = 0, 0
    folder = Path(folder)
    if not folder.is_dir():
        return 0, 0
    for tmp in folder.glob(".*.pt.*.tmp"):
        try:
            size = tmp.stat().st_size
            tmp.unlink()
        except OSError:
            continue
        removed, freed = removed + 1, freed + size
    return removed, freed


def load_checkpoint(path: str | Path, map_location: str | torch.device = "cpu") -> dict:
    """Read an aminet checkpoint with ``torch.load(weights_only=True)``; clear errors otherwise."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"checkpoint {path} does not exist")
    if path.is_dir():
        raise CheckpointError(
            f"checkpoint {path} is a folder; pass a .pt file such as {path / 'best.pt'}"
        )
    if not path.is_file():  # a pipe or a device: torch.load would wait on it forever
        raise CheckpointError(f"checkpoint {path} is not a regular file (a pipe or a device?)")
    if not zipfile.is_zipfile(path):
        # torch.save has written zip archives since torch 1.6 (and aminet always did); anything
        # else (an image, text, a truncated copy) would reach the legacy unpickler and come back
        # as "pickled Python objects" or a bare KeyError, which misnames the problem
        raise CheckpointError(
            f"{path} is not a readable checkpoint: not the zip archive that torch.save writes "
            "(truncated, damaged, or another kind of file). Use a best.pt or last.pt written by "
            "'aminet train'."
        )
    try:
        state = torch.load(path, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as err:
        if "weights only" in str(err).lower() or "weights_only" in str(err).lower():
            # torch's own text goes on to discuss turning the safety off; never pass that on
            raise CheckpointError(
                f"{path} is not a safe aminet checkpoint: it holds pickled Python objects, not only "
                "tensors and plain values, and aminet refuses to unpickle those because loading them "
                "can run arbitrary code. Use a best.pt or last.pt written by 'aminet train'."
            ) from None
        raise CheckpointError(
            f"{path} is not a readable checkpoint (corrupt or truncated)"
        ) from None
    except Exception as err:  # torch raises RuntimeError, EOFError, ... by cause
        reason = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise CheckpointError(
            f"{path} is not a readable checkpoint (corrupt, truncated, or not saved by torch.save "
            f"with plain tensors): {reason[:200]}"
        ) from None
    if not isinstance(state, dict) or state.get("format") != CHECKPOINT_FORMAT:
        found = f"keys {sorted(state)[:6]}" if isinstance(state, dict) else type(state).__name__
        raise CheckpointError(
            f"{path} is not an aminet checkpoint (no format={CHECKPOINT_FORMAT!r} tag; found {found}). "
            "Use a best.pt or last.pt written by 'aminet train'."
        )
    if not isinstance(state.get("model"), dict):
        raise CheckpointError(f"{path} has no model weights (the 'model' entry is missing)")
    stored = state.get("checksum")
    if stored is not None:
        expected = stored.get("sha256") if isinstance(stored, dict) else None
        if expected != tensor_checksum(state):
            raise CheckpointError(
                f"{path} is corrupted: its tensors do not match the checksum stored when it was "
                "written (a damaged disk or an incomplete copy); use another copy or an earlier checkpoint"
            )
    return state


def load_model(path: str | Path, map_location: str | torch.device = "cpu") -> nn.Module:
    """Rebuild the model saved in a checkpoint (from ``model_name`` + ``model_kwargs``), in eval mode."""
    from aminet.registry import create_model

    state = load_checkpoint(path, map_location=map_location)
    name = state.get("model_name")
    if not name:
        raise CheckpointError(f"{path} does not say which model it holds (no 'model_name')")
    kwargs = state.get("model_kwargs") or {}
    if not isinstance(kwargs, dict):
        raise CheckpointError(
            f"{path}: 'model_kwargs' must be a mapping of options, got {kwargs!r}"
        )
    try:
        model = create_model(name, **dict(kwargs))
    except (TypeError, ValueError) as err:
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise CheckpointError(
            f"{path}: cannot build model {name!r} with its stored options {dict(kwargs)}: {first[:200]}"
        ) from None
    try:
        model.load_state_dict(state["model"])
    except RuntimeError as err:
        first = str(err).strip().splitlines()[0]
        raise CheckpointError(
            f"{path}: the weights do not fit model {name!r}: {first[:200]}"
        ) from None
    return model.to(map_location).eval()
