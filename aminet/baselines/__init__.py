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

# SPARNet and its EDFF variant (imported here so that registration happens with the package).
from aminet.baselines.sparnet import SPARNet, SPARNetEDFF  # noqa: E402

register_model(
    "sparnet",
    SPARNet,
    "SPARNet (Chen et al. 2020), the public default: 10.52M params, spatial-attention residual blocks",
    paper_params=16.6,
    table="X",
)
register_model(
    "sparnet-edff",
    SPARNetEDFF,
    "SPARNet with AMINet's EDFF joining encoder and decoder (Table VI: 10.6M -> 12.1M)",
    paper_params=12.1,
    table="VI",
)
