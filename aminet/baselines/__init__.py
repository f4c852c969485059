"""Baselines registered beside the AMINet models (same input/output convention).

Every model in this project takes the bicubic-upsampled LR face (N, 3, H, W) in [0, 1] and returns
the super-resolved face of the same size. ``bicubic`` is therefore the identity: its output is the
bicubic upsampling itself, the field's standard lower bound.
"""

from __future__ import annotations

import torch
from torch import nn

from aminet.registry import register_model


class Bicubic(nn.Module):
    """The bicubic baseline: returns its (already bicubic-upsampled) input unchanged."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.ndim != 4 or x.shape[1] != 3:
            raise ValueError(f"Bicubic expects (N, 3, H, W), got {tuple(x.shape)}")
        return x


register_model("bicubic", Bicubic, "bicubic upsampling (no learned parameters)")
