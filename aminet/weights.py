"""Pretrained weights (AlexNet for LPIPS, Inception for FID, VGG19 for AMIGAN): find or fetch.

The weights live where torchvision keeps them, ``$TORCH_HOME/hub/checkpoints/``. On Colab, or with
``AMINET_DOWNLOAD=1``, a missing file is downloaded there with torch.hub, exactly as torchvision
would. Anywhere else nothing is downloaded (courses run on offline machines and in CI): the caller
raises an error naming the file and the folder. Nothing here touches the network on import.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import torch


def downloads_allowed() -> bool:
    from aminet.colab import on_colab  # also true in `!aminet ...` subprocesses on Colab

    return os.environ.get("AMINET_DOWNLOAD") == "1" or on_colab()


def fetch_pretrained(path: Path, url: str) -> bool:
    """Make sure ``path`` exists, downloading ``url`` when allowed; True when the file is there."""
    if path.is_file():
        return True
    if not downloads_allowed():
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        torch.hub.download_url_to_file(url, str(path), progress=True)
    except Exception as err:  # no network, proxy, disk full: the caller's message says what to do
        print(f"could not download {url}: {type(err).__name__}: {err}", file=sys.stderr)
        return False
    return path.is_file()


HOW_TO_ALLOW = (
    "or set AMINET_DOWNLOAD=1 on a machine with internet access to fetch it automatically"
)
