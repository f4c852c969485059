"""Pretrained weights (AlexNet for LPIPS, Inception for FID, VGG19 for AMIGAN): find or fetch.

The weights live where torchvision keeps them, ``$TORCH_HOME/hub/checkpoints/``. On Colab, or with
``AMINET_DOWNLOAD=1``, a missing file is downloaded there (with a progress bar, and a timeout of
``AMINET_DOWNLOAD_TIMEOUT`` seconds, default 30, for a network that stops answering). Anywhere else nothing is downloaded (courses run on offline machines and in CI): the caller
raises an error naming the file and the folder. Nothing here touches the network on import.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path


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
    value = os.environ.get("AMINET_DOWNLOAD_TIMEOUT", "")
    try:
        timeout = float(value) if value else DOWNLOAD_TIMEOUT_S
    except ValueError:
        timeout = DOWNLOAD_TIMEOUT_S
    return timeout if timeout > 0 else DOWNLOAD_TIMEOUT_S


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
