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
- *Clear errors*: a missing, truncated or foreign file says which file and what is wrong.
"""

from __future__ import annotations

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
]

CHECKPOINT_FORMAT = "aminet-checkpoint"


class CheckpointError(ValueError):
    """A file that is not a readable aminet checkpoint (corrupt, truncated or foreign)."""


def save_checkpoint(state: dict, path: str | Path) -> Path:
    """Write ``state`` to ``path`` atomically; adds the ``format`` tag. Returns the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    state = {"format": CHECKPOINT_FORMAT, **state}
    with atomic_write(path, "wb") as f:
        torch.save(state, f)
    return path


def load_checkpoint(path: str | Path, map_location: str | torch.device = "cpu") -> dict:
    """Read an aminet checkpoint with ``torch.load(weights_only=True)``; clear errors otherwise."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"checkpoint {path} does not exist")
    if path.is_dir():
        raise CheckpointError(
            f"checkpoint {path} is a folder; pass a .pt file such as {path / 'best.pt'}"
        )
    try:
        state = torch.load(path, map_location=map_location, weights_only=True)
    except Exception as err:  # torch raises RuntimeError, UnpicklingError, EOFError, ... by cause
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
    return state


def load_model(path: str | Path, map_location: str | torch.device = "cpu") -> nn.Module:
    """Rebuild the model saved in a checkpoint (from ``model_name`` + ``model_kwargs``), in eval mode."""
    from aminet.registry import create_model

    state = load_checkpoint(path, map_location=map_location)
    name = state.get("model_name")
    if not name:
        raise CheckpointError(f"{path} does not say which model it holds (no 'model_name')")
    model = create_model(name, **dict(state.get("model_kwargs") or {}))
    try:
        model.load_state_dict(state["model"])
    except RuntimeError as err:
        first = str(err).strip().splitlines()[0]
        raise CheckpointError(
            f"{path}: the weights do not fit model {name!r}: {first[:200]}"
        ) from None
    return model.to(map_location).eval()
