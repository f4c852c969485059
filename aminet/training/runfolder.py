"""Run folders: what they hold is never replaced by accident, and one run writes there at a time.

A fresh run into a folder that holds a ``last.pt``/``best.pt`` is refused (``resume`` or
``overwrite``); ``run.lock`` keeps a second process out; files a killed save left behind are
removed; a resumed run's log loses the lines of the steps it runs again
(docs/training.md, "What a run folder guarantees").
"""

from __future__ import annotations

import json
import os
from pathlib import Path

__all__ = [
    "RUN_CHECKPOINTS",
    "RUN_FILES",
    "LOCK_NAME",
    "RunFolderError",
    "RunLockedError",
    "run_in_folder",
    "acquire_run_lock",
    "release_run_lock",
    "prepare_run_folder",
    "trim_log",
]

RUN_CHECKPOINTS = ("last.pt", "best.pt")
# everything a run (or the demo around it) writes; --overwrite removes exactly these
RUN_FILES = RUN_CHECKPOINTS + (
    "log.jsonl",
    "config.json",
    "curves.png",
    "report.html",
    "metrics.json",
    "grid.png",
)
LOCK_NAME = "run.lock"


class RunFolderError(ValueError):
    """A fresh run was pointed at a folder that already holds one (``files`` lists what it holds)."""

    def __init__(self, out: Path, files: list[str]):
        self.out, self.files = Path(out), files
        super().__init__(
            f"{out} already holds a run ({', '.join(files)}); continue it with --resume "
            f"{Path(out) / 'last.pt'} or replace it with --overwrite (in Python: resume=... or "
            "overwrite=True), or choose another --out"
        )


class RunLockedError(ValueError):
    """Another live process is writing into the same run folder."""


def run_in_folder(out: str | Path) -> list[str]:
    """The checkpoints in ``out`` (a folder "holds a run" when it has a last.pt or best.pt)."""
    out = Path(out)
    return [name for name in RUN_CHECKPOINTS if (out / name).exists()]


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, owned by someone else
        return True
    except OSError:
        return False
    return True


def acquire_run_lock(out: Path) -> Path:
    """Create ``out/run.lock`` holding this PID and host; fail fast if a live process holds it.

    A lock left by a process that no longer runs (killed with -9, a crashed machine) is stale and
    taken over. A lock from another host cannot be checked and counts as held.
    """
    import socket

    lock = out / LOCK_NAME
    host = socket.gethostname()
    for _ in range(3):
        try:
            fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            try:
                text = lock.read_text().split()
                pid, holder_host = int(text[0]), text[1] if len(text) > 1 else host
            except (OSError, ValueError, IndexError):
                pid, holder_host = None, host  # empty or garbled: its writer died at once
            held = pid is not None and pid != os.getpid()
            if held and holder_host != host:
                raise RunLockedError(
                    f"{out} is in use by PID {pid} on {holder_host} (lock file {lock}); wait for that "
                    "run to end, or delete the lock file if it is sure not to run any more"
                ) from None
            if held and _pid_alive(pid):
                raise RunLockedError(
                    f"{out} is in use by another run (PID {pid}, lock file {lock}); wait for it to "
                    "end or choose another --out"
                ) from None
            print(f"removing a stale lock {lock} (PID {pid} no longer runs)", flush=True)
            lock.unlink(missing_ok=True)
            continue
        with os.fdopen(fd, "w") as f:
            f.write(f"{os.getpid()} {host}\n")
        return lock
    raise RunLockedError(f"{out}: could not take the lock {lock}; another run keeps taking it")


def release_run_lock(lock: Path | None) -> None:
    if lock is None:
        return
    try:
        if lock.read_text().split()[:1] == [str(os.getpid())]:
            lock.unlink()
    except (OSError, IndexError):
        pass


def _looks_like_a_run(out: Path) -> bool:
    """True when ``out/config.json`` is the config.json of a training run (one that saved no checkpoint)."""
    try:
        recorded = json.loads((out / "config.json").read_text())
    except (OSError, ValueError):
        return False
    return isinstance(recorded, dict) and {"model", "batch_size", "schedule", "out"} <= set(
        recorded
    )


def prepare_run_folder(out: Path, *, resume: str | None, overwrite: bool) -> None:
    """Refuse a fresh run over an earlier one, or clear it with ``overwrite``; tidy after kills.

    ``resume`` is the checkpoint a resumed run continues (None for a fresh run)."""
    from aminet.checkpoint import remove_stale_temporaries

    held = run_in_folder(out)
    resuming_here = bool(resume) and Path(resume).resolve().parent == out.resolve()
    if held and not resuming_here and not overwrite:
        raise RunFolderError(out, held)
    # a fresh run writes config.json, log.jsonl, curves.png: never over a user's own files
    foreign = [name for name in RUN_FILES if (out / name).exists()]
    if foreign and not held and not _looks_like_a_run(out) and not overwrite:
        raise ValueError(
            f"--out {out} holds {', '.join(foreign)}, not written by an aminet run, which a run "
            "would replace; choose another --out (or pass --overwrite to replace them)"
        )
    if not resume or overwrite and not resuming_here:
        removed = [name for name in RUN_FILES if (out / name).is_file()]
        for name in removed:
            (out / name).unlink()
        if removed:
            why = "--overwrite" if held else "a fresh run (the earlier one saved no checkpoint)"
            print(f"{why}: removed {', '.join(removed)} from {out}", flush=True)
    count, freed = remove_stale_temporaries(out)
    if count:
        print(
            f"removed {count} temporary file(s) ({freed / 2**20:.1f} MiB) left in {out} by a save "
            "that was killed",
            flush=True,
        )


def trim_log(path: Path, step: int) -> None:
    """On resume, drop log lines after the resumed step (those steps run again) and a torn last line."""
    if not path.is_file():
        return
    kept = []
    for line in path.read_text().splitlines():
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(record, dict) and int(record.get("step", 0)) <= step:
            kept.append(line)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text("".join(k + "\n" for k in kept))
    os.replace(tmp, path)
