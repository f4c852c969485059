"""Where runs live, and whether this is Google Colab.

Colab runs every notebook on its own virtual machine, whose disk disappears when the session ends
or disconnects. Notebook 08 needs notebook 07's checkpoint and notebook 10 resumes its own runs,
so on Colab the runs must live on Google Drive, in one folder that 07, 08 and 10 share:
:func:`runs_dir` mounts Drive (with a prompt that says why) and returns
``/content/drive/MyDrive/aminet-runs``. Elsewhere runs go to ``runs/`` in the working folder
(and, under ``AMINET_PRESET=smoke``, i.e. the tests, to a fresh temporary folder).

Colab detection (:func:`on_colab`) also works in a ``!aminet ...`` shell command, which runs in a
subprocess where ``google.colab`` was never imported: Colab's runtime exports ``COLAB_*``
variables (``COLAB_RELEASE_TAG``, ``COLAB_GPU``) to every process it starts, and :func:`runs_dir`
and the notebooks' install cell also set ``AMINET_COLAB=1``, which child processes inherit.

Environment variables:

- ``AMINET_RUNS``: the runs folder, wherever this runs (overrides everything below);
- ``AMINET_COLAB``: ``1`` forces Colab behaviour, ``0`` disables it;
- ``AMINET_DRIVE``: where Google Drive is mounted on Colab (default ``/content/drive``).
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

__all__ = [
    "COLAB_ENV",
    "DRIVE_ENV",
    "DRIVE_RUNS",
    "RUNS_ENV",
    "drive_mountpoint",
    "mark_colab",
    "on_colab",
    "on_drive",
    "runs_dir",
]

RUNS_ENV = "AMINET_RUNS"
COLAB_ENV = "AMINET_COLAB"
DRIVE_ENV = "AMINET_DRIVE"
DEFAULT_MOUNTPOINT = "/content/drive"
DRIVE_RUNS = "MyDrive/aminet-runs"
"""The shared runs folder, relative to the Drive mountpoint (``/content/drive/MyDrive/aminet-runs``)."""

# Exported by Colab's runtime to the kernel and to every process started from it
COLAB_RUNTIME_VARIABLES = ("COLAB_RELEASE_TAG", "COLAB_GPU", "COLAB_BACKEND_VERSION")

MOUNT_PROMPT = (
    "Colab: mounting your Google Drive at {mountpoint}. Each Colab notebook runs on its own "
    "machine, whose disk is lost when the session ends; notebooks 07, 08 and 10 keep their runs in "
    "{runs} on your Drive, so 08 finds 07's checkpoint and a disconnected run resumes. A window asks "
    "for permission: choose your Google account and allow access."
)


def on_colab() -> bool:
    """True on Google Colab: in the notebook's kernel and in ``!aminet ...`` subprocesses."""
    forced = os.environ.get(COLAB_ENV, "").strip()
    if forced in ("0", "1"):
        return forced == "1"
    if "google.colab" in sys.modules:
        return True
    return any(os.environ.get(name) is not None for name in COLAB_RUNTIME_VARIABLES)


def mark_colab() -> None:
    """Set ``AMINET_COLAB=1`` when on Colab, so that shell commands started from here know it."""
    if on_colab():
        os.environ[COLAB_ENV] = "1"


def drive_mountpoint() -> Path:
    """Where Google Drive is (or will be) mounted: ``AMINET_DRIVE`` or ``/content/drive``."""
    return Path(os.environ.get(DRIVE_ENV) or DEFAULT_MOUNTPOINT)


def on_drive(path: str | Path) -> bool:
    """True when ``path`` lies on the mounted Google Drive."""
    try:
        Path(path).resolve().relative_to(drive_mountpoint().resolve())
    except ValueError:
        return False
    return True


def _mount_drive() -> Path:
    mountpoint = drive_mountpoint()
    runs = mountpoint / DRIVE_RUNS
    if (mountpoint / "MyDrive").is_dir():  # mounted already (by this session or an earlier cell)
        return runs
    print(MOUNT_PROMPT.format(mountpoint=mountpoint, runs=runs), flush=True)
    try:
        from google.colab import drive
    except ImportError as err:  # a subprocess, or a machine that only looks like Colab
        raise RuntimeError(
            f"Google Drive is not mounted at {mountpoint}: run a notebook cell with "
            "`from aminet.colab import runs_dir; runs_dir()` first, or set "
            f"{RUNS_ENV}=/content/runs to keep runs on this machine only"
        ) from err
    try:
        drive.mount(str(mountpoint))
    except Exception as err:  # the user closed the window or refused: say what to do instead
        raise RuntimeError(
            f"Google Drive was not mounted ({err}). Run this cell again and allow access, or set "
            f"os.environ['{RUNS_ENV}'] = '/content/runs' to keep runs on this machine only "
            "(they are lost when the session ends, and notebook 08 will not find 07's checkpoint)"
        ) from err
    if not (mountpoint / "MyDrive").is_dir():
        raise RuntimeError(
            f"Google Drive was mounted at {mountpoint}, but it has no MyDrive folder"
        )
    return runs


def runs_dir() -> Path:
    """The folder for training runs, created if needed, and printed.

    ``AMINET_RUNS`` if set; on Colab the shared folder on Google Drive (mounted on first use);
    under ``AMINET_PRESET=smoke`` elsewhere a fresh temporary folder (tests start from scratch);
    otherwise ``runs/``.
    """
    explicit = os.environ.get(RUNS_ENV, "").strip()
    if explicit:
        path = Path(explicit).expanduser()
    elif on_colab():
        mark_colab()
        path = _mount_drive()
    elif os.environ.get("AMINET_PRESET", "").strip().lower() == "smoke":
        # the tests' preset (aminet.course.is_smoke; read here directly: the course package
        # imports the trainer, which must not import back through weights -> colab)
        path = Path(tempfile.mkdtemp(prefix="aminet-runs-"))
    else:
        path = Path("runs")
    if path.exists() and not path.is_dir():
        origin = f"{RUNS_ENV}={explicit}" if explicit else str(path)
        raise NotADirectoryError(
            f"{origin} is a file, not a folder; the runs folder must be a folder"
        )
    path.mkdir(parents=True, exist_ok=True)
    where = " (on Google Drive: kept across sessions)" if on_drive(path) else ""
    print(f"runs are written to {path.resolve()}{where}", flush=True)
    return path
