"""EDFF: the Encoder and Decoder Feature Fusion module (paper eqs. 15-16).

    X', X'' = SKAF(conv1x1(cat(X_E, X_D)))         eq. 15
    X_ED    = X_E * X' + X_D * X''                 eq. 16

The 1x1 convolution halves the concatenation back to C channels before SKAF (the paper: "to
reduce the channel counts and reduce the process's computational costs").

Parameters: (2C^2 + C) + SKAF(C).
"""

from __future__ import annotations

import torch
from torch import nn

from aminet.modules.checks import check_feature
from aminet.modules.skaf import SKAF


class EDFF(nn.Module):
    def __init__(self, channels: int, **skaf_options):
        super().__init__()
        self.channels = channels
        self.reduce = nn.Conv2d(2 * channels, channels, 1)
        self.skaf = SKAF(channels, **skaf_options)

    def selection(self, encoder: torch.Tensor, decoder: torch.Tensor):
        """The two SKAF maps of eq. 15 (encoder weight, decoder weight)."""
        check_feature(encoder, self.channels, "EDFF (encoder feature)")
        check_feature(decoder, self.channels, "EDFF (decoder feature)")
        if encoder.shape != decoder.shape:
            raise ValueError(
                f"EDFF expects encoder and decoder features of the same shape, got "
                f"{tuple(encoder.shape)} and {tuple(decoder.shape)}"
            )
        return self.skaf(self.reduce(torch.cat([encoder, decoder], dim=1)))

    def forward(self, encoder: torch.Tensor, decoder: torch.Tensor) -> torch.Tensor:
        w_enc, w_dec = self.selection(encoder, decoder)
        return encoder * w_enc + decoder * w_dec
