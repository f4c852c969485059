"""Pretrained weights (AlexNet for LPIPS, Inception for FID, VGG19 for AMIGAN): find or fetch.

The weights live where torchvision keeps them, ``$TORCH_HOME/hub/checkpoints/``. On Colab, or with
``AMINET_DOWNLOAD=1``, a missing file is downloaded there (with a progress bar, and a timeout of
``AMINET_DOWNLOAD_TIMEOUT`` seconds, default 30, for a network that stops answering). Anywhere else nothing is downloaded (courses run on offline machines and in CI): the caller
raises an error naming the file and the folder. Nothing here touches the network on import.
"""

from __future__ import annotations

import math
import os
import sys
from pathlib import Path

import torch


def downloads_allowed() -> bool:
    from aminet.colab import on_colab  # also true in `!aminet ...` subprocesses on Colab

    return os.environ.get("AMINET_DOWNLOAD") == "1" or on_colab()


DOWNLOAD_TIMEOUT_S = 30.0  # per network operation; AMINET_DOWNLOAD_TIMEOUT overrides it


def _download(url: str, path: Path, timeout: float) -> None:
    """Stream ``url`` into ``path`` through a temporary file, with a tqdm bar and a socket timeout.

    A stalled connection raises after ``timeout`` seconds without data instead of hanging, and a
    failed or interrupted download leaves no partial file where the weights belong.
    """
    import tempfile
    import urllib.request

    from tqdm.auto import tqdm

    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response, os.fdopen(fd, "wb") as f:
            size = response.headers.get("Content-Length") if hasattr(response, "headers") else None
            with tqdm(
                total=int(size) if size and size.isdigit() else None,
                unit="B",
                unit_scale=True,
                desc=f"downloading {path.name}",
            ) as bar:
                while chunk := response.read(1 << 20):
                    f.write(chunk)
                    bar.update(len(chunk))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def download_timeout() -> float:
    """``AMINET_DOWNLOAD_TIMEOUT`` in seconds, or the default; a value that is not one is an error
    (a typo silently replaced by the default would leave the user waiting on the wrong number)."""
    value = os.environ.get("AMINET_DOWNLOAD_TIMEOUT", "").strip()
    if not value:
        return DOWNLOAD_TIMEOUT_S
    try:
        timeout = float(value)
    except ValueError:
        timeout = float("nan")
    if not (math.isfinite(timeout) and timeout > 0):
        raise ValueError(
            f"AMINET_DOWNLOAD_TIMEOUT={value!r}: expected a number of seconds > 0 "
            f"(default {DOWNLOAD_TIMEOUT_S:g}); unset it for the default"
        )
    return timeout


def fetch_pretrained(path: Path, url: str) -> bool:
    """Make sure ``path`` exists, downloading ``url`` when allowed; True when the file is there."""
    if path.is_file():
        return True
    if not downloads_allowed():
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    timeout = download_timeout()
    try:
        _download(url, path, timeout)
    except Exception as err:  # no network, proxy, timeout, disk full: the caller says what to do
        reason = f"no data for {timeout:g} s" if "timed out" in str(err).lower() else ""
        print(
            f"could not download {url}: {reason or f'{type(err).__name__}: {err}'}",
            file=sys.stderr,
        )
        return False
    return path.is_file()


HOW_TO_ALLOW = (
    "or set AMINET_DOWNLOAD=1 on a machine with internet access to fetch it automatically"
)


# --- weights for aminet's own models, torchvision-style: create_model(name, weights=...) ---------


class WeightsError(ValueError):
    """Weights that cannot be used: missing, not downloadable here, corrupt, or for another model."""


def sha256_of(path: str | Path) -> str:
    """The SHA-256 of a file, as 64 hex digits."""
    import hashlib

    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _hash_prefix_from_name(path: Path) -> str | None:
    # torch.hub's convention: NAME-<first hex digits of the sha256>.pt (8 or more digits)
    tail = path.stem.rsplit("-", 1)[-1] if "-" in path.stem else ""
    if len(tail) >= 8 and all(c in "0123456789abcdef" for c in tail.lower()):
        return tail.lower()
    return None


def resolve_weights(source: str | Path, sha256: str | None = None) -> Path:
    """A local file for ``source`` (a path, or an http(s)/file URL fetched once into
    ``$TORCH_HOME/hub/checkpoints/`` when downloads are allowed, like torchvision's weights),
    with its SHA-256 checked against ``sha256`` (full or a prefix) or, failing that, against the
    hash prefix of a torch.hub-style file name (``NAME-<hex>.pt``)."""
    text = str(source)
    if "://" in text:
        name = text.rstrip("/").rsplit("/", 1)[-1].split("?")[0]
        path = Path(torch.hub.get_dir()) / "checkpoints" / name
        if not fetch_pretrained(path, text):
            raise WeightsError(
                f"weights {text} are not in {path} and were not downloaded: put the file "
                f"there, pass a local path, {HOW_TO_ALLOW}"
            )
    else:
        path = Path(text).expanduser()
        if not path.is_file():
            raise WeightsError(f"weights file {path} does not exist")
    expected = (sha256 or _hash_prefix_from_name(path) or "").lower()
    if expected:
        actual = sha256_of(path)
        if not actual.startswith(expected):
            raise WeightsError(
                f"{path}: SHA-256 {actual[: max(len(expected), 12)]}... does not match the "
                f"expected {expected}...: the file is corrupt, incomplete or not the one named; "
                "delete it and fetch it again"
            )
    return path


def read_weights(source: str | Path, sha256: str | None = None) -> dict:
    """``{"model": state_dict, "model_name": ..., "model_kwargs": ...}`` from an aminet checkpoint
    or a bare state dict (then without name and options), read with ``weights_only=True``."""
    path = resolve_weights(source, sha256)
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:
        raise WeightsError(
            f"{path}: not a readable weights file ({type(err).__name__}: {err})"
        ) from None
    if isinstance(state, dict) and isinstance(state.get("model"), dict):
        return {**state, "path": str(path)}
    if (
        isinstance(state, dict)
        and state
        and all(isinstance(v, torch.Tensor) for v in state.values())
    ):
        return {"model": state, "path": str(path)}
    raise WeightsError(f"{path}: neither an aminet checkpoint nor a state dict")
