"""FRM: the feature refinement module that ends RDFE (paper eq. 10).

The paper: "normalization and multiple 3x3 convolutional layers to refine the local facial context.
Afterward, the hourglass block further integrates multiscale information". The body follows
SPARNet's residual block with spatial attention, which the description matches:

    y = conv3x3(act(norm(conv3x3(act(norm(x))))))
    FRM(x) = x + y * sigmoid(HourGlass(y))

Choices the paper leaves open: BatchNorm + PReLU (SPARNet's pre-activation), two 3x3 convolutions,
an hourglass of ``mid`` = 48 channels (SPARNet uses 64; 48 is what calibrates AMINet to the
parameter counts of the paper's Table I, see docs/architecture.md) whose depth is chosen by the
stage's resolution so its bottom is about 4x4 at a 128x128 input (depth log2(res / 4): 5, 4, 3, 2
from 128 down to 16 pixels), and a single-channel spatial attention map.

Departures from SPARNet's hourglass (``aminet.baselines.sparnet.SparHourGlass``), ours, not the
paper's (it describes no hourglass layers): no BatchNorm inside the hourglass (each conv has a bias
and a LeakyReLU 0.2 only; the FRM body keeps its BatchNorm), an extra entry conv C -> mid before the
first level (SPARNet's first level reads the C channels directly, twice), zero padding instead of
reflection, and nearest upsampling to the skip's exact size followed by the conv (SPARNet: x2
upsampling inside the conv unit). The entry conv lets every level, the skips included, run at
``mid`` channels whatever the stage width C is.

Parameters (C channels, m = mid channels, depth d):
    FRM       = 2C (BN) + C (PReLU) + (9C^2 + C) + 2C (BN) + C (PReLU) + (9C^2 + C) + HourGlass
    HourGlass = (9Cm + m) + d * 3 * (9m^2 + m) + (9m^2 + m) + (9m + 1)
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from aminet.modules.checks import check_feature


def _conv3x3(cin: int, cout: int, stride: int = 1) -> nn.Conv2d:
    return nn.Conv2d(cin, cout, 3, stride=stride, padding=1)


class HourGlass(nn.Module):
    """A recursive hourglass producing a one-channel sigmoid attention map of the input's size.

    Not SPARNet's exactly (see the module docstring): no BatchNorm, and an entry conv C -> mid.

    Each level keeps a full-resolution branch (3x3 conv) and a half-resolution branch (stride-2 conv,
    the next level, nearest upsampling back to the exact input size, 3x3 conv), and sums them. The
    upsampling uses the skip branch's size, so any H and W work (odd sizes included).
    """

    def __init__(self, channels: int, depth: int, mid: int = 48):
        super().__init__()
        if depth < 1:
            raise ValueError(f"HourGlass depth must be >= 1, got {depth}")
        self.channels = channels
        self.depth = depth
        self.enter = _conv3x3(channels, mid)
        self.skips = nn.ModuleList(_conv3x3(mid, mid) for _ in range(depth))
        self.downs = nn.ModuleList(_conv3x3(mid, mid, stride=2) for _ in range(depth))
        self.ups = nn.ModuleList(_conv3x3(mid, mid) for _ in range(depth))
        self.bottom = _conv3x3(mid, mid)
        self.exit = _conv3x3(mid, 1)

    def _level(self, x: torch.Tensor, i: int) -> torch.Tensor:
        skip = F.leaky_relu(self.skips[i](x), 0.2)
        low = F.leaky_relu(self.downs[i](x), 0.2)
        if i + 1 < self.depth:
            low = self._level(low, i + 1)
        else:
            low = F.leaky_relu(self.bottom(low), 0.2)
        low = F.interpolate(low, size=skip.shape[-2:], mode="nearest")
        return skip + F.leaky_relu(self.ups[i](low), 0.2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_feature(x, self.channels, "HourGlass")
        x = F.leaky_relu(self.enter(x), 0.2)
        return torch.sigmoid(self.exit(self._level(x, 0)))


class FRM(nn.Module):
    def __init__(self, channels: int, hourglass_depth: int = 4, hourglass_channels: int = 48):
        super().__init__()
        self.channels = channels
        self.body = nn.Sequential(
            nn.BatchNorm2d(channels),
            nn.PReLU(channels),
            _conv3x3(channels, channels),
            nn.BatchNorm2d(channels),
            nn.PReLU(channels),
            _conv3x3(channels, channels),
        )
        self.hourglass = HourGlass(channels, hourglass_depth, hourglass_channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_feature(x, self.channels, "FRM")
        y = self.body(x)
        return x + y * self.hourglass(y)
