"""SKAF: the Selective Kernel Attention Fusion module (paper eqs. 11-14).

    X1', X2' = conv5x5(X), conv7x7(X)                                      eq. 11
    X3       = cat(X1', X2')                                              eq. 12
    X3       = sigmoid(mix(cat(avgpool_c(X3), maxpool_c(X3))))            eq. 13
    X', X''  = split_c(X3)                                                eq. 14

SKAF returns the two selection maps X' and X'' (each (N, 1, H, W), values in (0, 1)); the caller
multiplies them onto the two features it fuses: global (SA) and local (RDFE) features in LGFI,
encoder and decoder features in EDFF (eq. 16).

Choices the paper leaves open:
- The 5x5 and 7x7 convolutions are dense (not depthwise), each C -> C/2, so their concatenation has
  C channels. The paper's Table I (removing SKAF saves ~4.4M parameters) only fits dense kernels.
- The avg/max pooling runs along the channel direction (the paper says so), giving two spatial maps.
- ``mix`` is a 7x7 convolution from the pooled maps to the two selection maps, as in LSKNet, which
  the paper cites as inspiration; without it, eq. 13 would tie X' to the mean and X'' to the max.
- Switches for Table V: ``use_conv5``/``use_conv7`` (a switched-off conv is removed and the other
  keeps its C/2 width, so the ablation removes parameters rather than moving them; with both off
  X3 = X), ``use_avgpool``/``use_maxpool`` (with both off, ``mix`` reads all channels of X3
  instead of the pooled descriptor: C with both convs or none, C/2 with one conv, as in the paper's
  Table V row 4, the 7x7 conv alone without pooling). AMINet applies the switches to LGFI's SKAF
  only (the Table V study is "SKAF ... of LGFI"); EDFF's SKAF stays whole unless
  ``AMINet(skaf_scope="all")``.

Parameters (both convs and both poolings): (25 C C1 + C1) + (49 C C2 + C2) + (7*7*2*2 + 2),
with C1 = C // 2 and C2 = C - C1.
"""

from __future__ import annotations

import torch
from torch import nn

from aminet.modules.checks import check_feature


class SKAF(nn.Module):
    def __init__(
        self,
        channels: int,
        use_conv5: bool = True,
        use_conv7: bool = True,
        use_avgpool: bool = True,
        use_maxpool: bool = True,
        mix_kernel: int = 7,
    ):
        super().__init__()
        self.channels = channels
        self.use_avgpool = use_avgpool
        self.use_maxpool = use_maxpool
        convs = [(5, use_conv5), (7, use_conv7)]
        widths = [channels // 2, channels - channels // 2]
        self.convs = nn.ModuleList(
            nn.Conv2d(channels, w, k, padding=k // 2) for (k, on), w in zip(convs, widths) if on
        )
        x3_channels = sum(c.out_channels for c in self.convs) or channels  # eq. 12's X3
        pooled = int(use_avgpool) + int(use_maxpool)
        self.mix = nn.Conv2d(pooled or x3_channels, 2, mix_kernel, padding=mix_kernel // 2)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        check_feature(x, self.channels, "SKAF")
        # eq. 11; the concatenation of the parts is X3 (eq. 12)
        parts = [conv(x) for conv in self.convs] or [x]
        if not (self.use_avgpool or self.use_maxpool):
            weights = torch.sigmoid(self.mix(torch.cat(parts, dim=1)))  # eq. 13 without pooling
            return weights[:, :1], weights[:, 1:]
        # Pooling along the channels of cat(parts) == combining each part's pooled map, so the
        # full-size concatenation is never built (docs/benchmarks.md, "speed changes").
        descriptors = []
        if self.use_avgpool:
            total = sum(p.shape[1] for p in parts)
            descriptors.append(sum(p.sum(dim=1, keepdim=True) for p in parts) / total)
        if self.use_maxpool:
            maxima = [p.amax(dim=1, keepdim=True) for p in parts]
            descriptors.append(maxima[0] if len(maxima) == 1 else torch.maximum(*maxima))
        weights = torch.sigmoid(self.mix(torch.cat(descriptors, 1)))  # eq. 13
        return weights[:, :1], weights[:, 1:]  # eq. 14

    def extra_repr(self) -> str:
        kernels = [c.kernel_size[0] for c in self.convs]
        return f"channels={self.channels}, kernels={kernels}, avgpool={self.use_avgpool}, maxpool={self.use_maxpool}"
