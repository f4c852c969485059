"""SPARNet: Face Super-Resolution with spatial attention (Chen et al., TIP 2020), the paper's peer.

Written from the SPARNet paper's description ("Learning Spatial Attention for Face Super-Resolution")
and the published layer facts of its public code (module names and sizes), not copied from it:

    encoder   conv3x3(3 -> 32) at 128x128, then 3 residual blocks that halve the resolution:
              32 -> 64 (64x64), 64 -> 128 (32x32), 128 -> 128 (16x16)
    body      10 residual blocks at 128 channels, 16x16
    decoder   3 residual blocks that double the resolution: 128 -> 128, 128 -> 64, 64 -> 32
    output    conv3x3(32 -> 3)

Every residual block is pre-activation (BatchNorm + LeakyReLU(0.2)), two 3x3 convolutions (the
first one strides down or is preceded by nearest x2 upsampling), then a *spatial attention* map
from an hourglass multiplied onto the features, plus a shortcut (identity, or a 3x3 conv when the
shape changes):

    FAU(x) = shortcut(x) + y * sigmoid(HourGlass(y)),   y = conv(conv(act(norm(x))))

The hourglass (64 mid channels, BatchNorm + LeakyReLU after each conv) is recursive: a full-size
branch (conv3x3) and a half-size branch (stride-2 conv3x3, the next level, nearest x2 up + conv3x3),
summed. Its depth follows the feature size so that it bottoms out at 4x4: 4, 3, 2 in the encoder
(128 -> 16 pixels), 2 in the body, 3, 4, 5 in the decoder. Convolutions followed by BatchNorm have no
bias; every conv pads by reflection.

This reproduces the public default model (10.52M parameters, about 7.1G MACs at 128x128):
``count_params(create_model("sparnet"))`` = 10,518,867 and both MAC counters give 7.13G at 128x128
(SPARNet has no matmuls, so they agree), see docs/benchmarks.md. With EDFF: 11,997,995 (12.0M). The AMINet paper's Table X prints 16.6M for SPARNet (its Table VI prints 10.6M),
probably another variant.

One difference from the public code, for this project's convention (every model returns the SR face
and learns the residual on top of bicubic): ``residual=True`` adds the input to the output. It has no
parameters; ``residual=False`` gives the original plain output.

``SPARNetEDFF`` is the AMINet paper's Table VI experiment: EDFF (``aminet.modules.EDFF``) joins
each encoder feature with the decoder feature of the same size and sends the fusion to the next
decoding stage (at 16, 32, 64 and 128 pixels), 10.6M -> 12.1M parameters in the paper.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from aminet.modules import EDFF
from aminet.modules.checks import check_feature

__all__ = ["SPARNet", "SPARNetEDFF", "SpatialAttentionBlock", "SparHourGlass"]


def _act(kind: str, channels: int) -> nn.Module:
    if kind == "leakyrelu":
        return nn.LeakyReLU(0.2)
    if kind == "prelu":
        return nn.PReLU(channels)
    if kind == "relu":
        return nn.ReLU()
    raise ValueError(f"act must be 'leakyrelu', 'prelu' or 'relu', got {kind!r}")


class ConvUnit(nn.Sequential):
    """[nearest x2 up] -> reflection pad -> conv (stride 1 or 2) -> [BatchNorm -> activation]."""

    def __init__(
        self,
        cin: int,
        cout: int,
        scale: str = "none",
        norm: bool = False,
        act: str | None = None,
        kernel_size: int = 3,
    ):
        layers: list[nn.Module] = []
        if scale == "up":
            layers.append(nn.Upsample(scale_factor=2, mode="nearest"))
        layers.append(nn.ReflectionPad2d(kernel_size // 2))
        stride = 2 if scale == "down" else 1
        layers.append(nn.Conv2d(cin, cout, kernel_size, stride=stride, bias=not norm))
        if norm:
            layers.append(nn.BatchNorm2d(cout))
        if act is not None:
            layers.append(_act(act, cout))
        super().__init__(*layers)


class SparHourGlass(nn.Module):
    """SPARNet's recursive hourglass: a sigmoid spatial attention map (N, 1, H, W) of the input."""

    def __init__(self, channels: int, depth: int, mid: int = 64, act: str = "leakyrelu"):
        super().__init__()
        if depth < 1:
            raise ValueError(f"SparHourGlass depth must be >= 1, got {depth}")
        self.channels = channels
        self.depth = depth
        unit = dict(norm=True, act=act)
        self.skips = nn.ModuleList(
            ConvUnit(channels if i == 0 else mid, mid, **unit) for i in range(depth)
        )
        self.downs = nn.ModuleList(
            ConvUnit(channels if i == 0 else mid, mid, scale="down", **unit) for i in range(depth)
        )
        self.bottom = ConvUnit(mid, mid, **unit)
        self.ups = nn.ModuleList(ConvUnit(mid, mid, scale="up", **unit) for _ in range(depth))
        self.exit = ConvUnit(mid, 1)

    def _level(self, x: torch.Tensor, i: int) -> torch.Tensor:
        skip = self.skips[i](x)
        low = self.downs[i](x)
        low = self._level(low, i + 1) if i + 1 < self.depth else self.bottom(low)
        up = self.ups[i](low)
        if up.shape[-2:] != skip.shape[-2:]:  # odd sizes: stride 2 then x2 overshoots by one
            up = F.interpolate(up, size=skip.shape[-2:], mode="nearest")
        return skip + up

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.exit(self._level(x, 0)))


class SpatialAttentionBlock(nn.Module):
    """SPARNet's face attention unit: a pre-activation residual block with hourglass attention."""

    def __init__(
        self,
        cin: int,
        cout: int,
        scale: str = "none",
        hourglass_depth: int = 2,
        hourglass_channels: int = 64,
        act: str = "leakyrelu",
    ):
        super().__init__()
        if scale not in ("none", "down", "up"):
            raise ValueError(f"scale must be 'none', 'down' or 'up', got {scale!r}")
        self.shortcut = (
            nn.Identity() if scale == "none" and cin == cout else ConvUnit(cin, cout, scale=scale)
        )
        self.preact = nn.Sequential(nn.BatchNorm2d(cin), _act(act, cin))
        first, second = {"down": ("none", "down"), "up": ("up", "none")}.get(
            scale, ("none", "none")
        )
        self.conv1 = ConvUnit(cin, cout, scale=first, norm=True, act=act)
        self.conv2 = ConvUnit(cout, cout, scale=second, norm=True)
        self.attention = SparHourGlass(cout, hourglass_depth, hourglass_channels, act)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.conv2(self.conv1(self.preact(x)))
        return self.shortcut(x) + y * self.attention(y)


class SPARNet(nn.Module):
    def __init__(
        self,
        min_channels: int = 32,
        max_channels: int = 128,
        size: int = 128,
        min_feature_size: int = 16,
        num_body_blocks: int = 10,
        hourglass_channels: int = 64,
        bottom_size: int = 4,
        act: str = "leakyrelu",
        residual: bool = True,
        in_channels: int = 3,
    ):
        super().__init__()
        steps = int(math.log2(size // min_feature_size))
        if steps < 1 or min_feature_size * 2**steps != size:
            raise ValueError(
                f"SPARNet needs size = min_feature_size * 2^k (k >= 1), got size={size}, "
                f"min_feature_size={min_feature_size}"
            )
        if min_feature_size < 2 * bottom_size:
            raise ValueError(
                f"min_feature_size ({min_feature_size}) must be at least 2 * bottom_size ({bottom_size})"
            )
        self.in_channels = in_channels
        self.residual = residual
        self.multiple = 2**steps
        self.size = size

        def clip(c: int) -> int:
            return max(min_channels, min(c, max_channels))

        def depth_at(res: int) -> int:  # hourglass depth that bottoms out at bottom_size
            return max(int(math.log2(res // bottom_size)), 1)

        # Widths per resolution, from the full size down: 128 // (steps + 1) clipped, doubling.
        widths = [clip((max_channels // (steps + 1)) * 2**i) for i in range(steps + 1)]
        sizes = [size // 2**i for i in range(steps + 1)]
        block = dict(hourglass_channels=hourglass_channels, act=act)
        self.head = ConvUnit(in_channels, widths[0])
        self.encoders = nn.ModuleList(
            SpatialAttentionBlock(widths[i], widths[i + 1], "down", depth_at(sizes[i + 1]), **block)
            for i in range(steps)
        )
        self.body = nn.Sequential(
            *(
                SpatialAttentionBlock(widths[-1], widths[-1], "none", depth_at(sizes[-1]), **block)
                for _ in range(num_body_blocks)
            )
        )
        self.decoders = nn.ModuleList(
            SpatialAttentionBlock(widths[i + 1], widths[i], "up", depth_at(sizes[i]), **block)
            for i in reversed(range(steps))
        )
        self.tail = ConvUnit(widths[0], in_channels)
        self.widths = widths

    def _pad(self, x: torch.Tensor) -> tuple[torch.Tensor, int, int]:
        check_feature(x, self.in_channels, type(self).__name__)
        h, w = x.shape[-2:]
        if min(h, w) < self.size // 2:
            # The hourglasses are as deep as a size x size input allows; a much smaller input
            # would shrink their bottom below what a 3x3 reflection-padded conv accepts.
            raise ValueError(
                f"{type(self).__name__} was built for {self.size}x{self.size} faces and needs inputs of "
                f"at least {self.size // 2}x{self.size // 2}, got {h}x{w}; build it with size={min(h, w)} "
                "(a power-of-two multiple of min_feature_size) for smaller faces"
            )
        pad_h, pad_w = (-h) % self.multiple, (-w) % self.multiple
        if pad_h or pad_w:
            x = F.pad(x, (0, pad_w, 0, pad_h), mode="replicate")
        return x, h, w

    def _finish(self, feat: torch.Tensor, padded: torch.Tensor, h: int, w: int) -> torch.Tensor:
        out = self.tail(feat)
        if self.residual:
            out = out + padded
        return out[..., :h, :w]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        padded, h, w = self._pad(x)
        feat = self.head(padded)
        for encoder in self.encoders:
            feat = encoder(feat)
        feat = self.body(feat)
        for decoder in self.decoders:
            feat = decoder(feat)
        return self._finish(feat, padded, h, w)


class SPARNetEDFF(SPARNet):
    """SPARNet with EDFF joining the encoder and decoder features of equal size (Table VI).

    Fusions, from the bottom up: the last encoder feature with the body's output (16x16), then each
    decoder block's output with the encoder feature of its size (32, 64, 128 pixels); each fusion
    is what the next stage reads.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # encoder features: head (widths[0]) and each encoder output (widths[1..]); deepest first
        self.fusions = nn.ModuleList(EDFF(c) for c in reversed(self.widths))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        padded, h, w = self._pad(x)
        feat = self.head(padded)
        skips = [feat]
        for encoder in self.encoders:
            feat = encoder(feat)
            skips.append(feat)
        feat = self.fusions[0](skips[-1], self.body(feat))
        for decoder, fusion, skip in zip(self.decoders, self.fusions[1:], reversed(skips[:-1])):
            feat = fusion(skip, decoder(feat))
        return self._finish(feat, padded, h, w)
