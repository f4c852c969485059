"""Input validation shared by the modules: a wrong shape is a ValueError naming what is expected."""

from __future__ import annotations

import torch


def check_feature(x: torch.Tensor, channels: int, module: str) -> None:
    """Raise ``ValueError`` unless ``x`` is a float tensor shaped (N, channels, H, W)."""
    if not isinstance(x, torch.Tensor):
        raise ValueError(
            f"{module} expects a torch.Tensor of shape (N, {channels}, H, W), got {type(x).__name__}"
        )
    if x.ndim != 4 or x.shape[1] != channels:
        raise ValueError(
            f"{module} expects input of shape (N, {channels}, H, W), got {tuple(x.shape)}"
        )
