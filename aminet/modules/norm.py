"""Layer normalisation over the channel axis of (N, C, H, W) feature maps (Restormer's LayerNorm).

Transformer blocks normalise each pixel's feature vector; ``nn.LayerNorm`` wants channels last, so
this applies ``F.layer_norm`` on a channels-last view. Parameters: 2C (weight and bias).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class LayerNorm2d(nn.Module):
    def __init__(self, channels: int, eps: float = 1e-5):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(channels))
        self.bias = nn.Parameter(torch.zeros(channels))
        self.eps = eps

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.permute(0, 2, 3, 1)
        x = F.layer_norm(x, x.shape[-1:], self.weight, self.bias, self.eps)
        return x.permute(0, 3, 1, 2)
