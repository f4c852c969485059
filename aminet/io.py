"""Atomic file writes: a reader sees the old file or the complete new one, never half of one.

The file is written to a temporary name in the same folder, flushed and ``fsync``-ed, then moved
over the target with ``os.replace`` (atomic on POSIX and Windows within one file system). If
anything fails on the way, the temporary file is removed and the target is untouched. Checkpoints
(``aminet.checkpoint``), ablation results (``aminet.ablation``) and prepared faces
(``aminet.data.prepare``) are written this way, so a run killed mid-write never leaves a truncated
file that looks finished.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

__all__ = ["atomic_write", "umask_mode", "write_json_atomic", "write_text_atomic"]


def umask_mode() -> int:
    """The mode a new file gets here (0o666 minus the umask); os.umask can only be read by setting it.

    ``tempfile.mkstemp`` creates its file 0600 whatever the umask; the finished file gets this mode
    instead, as if it had been opened with ``open(path, "w")``."""
    mask = os.umask(0o022)
    os.umask(mask)
    return 0o666 & ~mask


@contextlib.contextmanager
def atomic_write(path: str | Path, mode: str = "wb") -> Iterator[IO]:
    """``with atomic_write(path) as f: f.write(...)``: ``path`` appears only once ``f`` is complete.

    ``mode`` is ``"wb"`` (bytes) or ``"w"`` (text, UTF-8). The parent folder is created if needed.
    """
    if mode not in ("wb", "w"):
        raise ValueError(f"atomic_write mode must be 'wb' or 'w', got {mode!r}")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, mode, **({"encoding": "utf-8"} if mode == "w" else {})) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, umask_mode())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_text_atomic(path: str | Path, text: str) -> Path:
    with atomic_write(path, "w") as f:
        f.write(text)
    return Path(path)


def write_json_atomic(path: str | Path, payload, indent: int = 2) -> Path:
    with atomic_write(path, "w") as f:
        json.dump(payload, f, indent=indent)
    return Path(path)
