"""Down- and upsampling between U-Net stages (the paper names them, but not their layers).

Following CTCNet (the same group's earlier FSR network): downsampling is a stride-2 3x3 convolution
C -> 2C, LeakyReLU(0.2) and a 3x3 convolution; upsampling is a stride-2 transposed convolution
(kernel 6, padding 2, exactly doubling H and W) 2C -> C, LeakyReLU(0.2) and a 3x3 convolution.

Parameters: Downsample(C) = (18C^2 + 2C) + (36C^2 + 2C); Upsample(2C -> C) = (72C^2 + C) + (9C^2 + C).
"""

from __future__ import annotations

from torch import nn


class Downsample(nn.Sequential):
    def __init__(self, channels: int):
        super().__init__(
            nn.Conv2d(channels, 2 * channels, 3, stride=2, padding=1),
            nn.LeakyReLU(0.2),
            nn.Conv2d(2 * channels, 2 * channels, 3, padding=1),
        )


class Upsample(nn.Sequential):
    def __init__(self, channels: int):
        """``channels``: the output width; the input has ``2 * channels``."""
        super().__init__(
            nn.ConvTranspose2d(2 * channels, channels, 6, stride=2, padding=2),
            nn.LeakyReLU(0.2),
            nn.Conv2d(channels, channels, 3, padding=1),
        )
