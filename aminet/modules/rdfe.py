"""RDFE: the Residual Depth Feature Extraction module (paper eqs. 6-10, Fig. 3a).

    f1, f2, f3    = GELU(dw3(X)), GELU(dw5(X)), GELU(dw7(X))              eq. 6
    a1, a2, a3    = AU(cat(f1, f2, f3))                                   eq. 7 (paper: one f')
    f_i'          = dw_k_i(f_i * a_i)      (refined by a depthwise conv of the same size)  eq. 8
    f''           = conv1x1(cat(f1', f2', f3')) + X                       eq. 9
    RDFE(X)       = FRM(f'')                                              eq. 10

Departure from the paper (eq. 8): the paper writes one AU output f' = F_au(cat(f1, f2, f3)) that
multiplies all three branches (f_i' = f_i(X) * f'). Here the AU gives *each branch its own weight*
a_i (per channel, a softmax across the branches, SKNet-style), so the AU selects between kernel sizes,
which is what the paper's text says it does ("adaptively select the appropriate convolutional kernel
size", "dynamically balance the contributions of multiscale features"); one shared weight would
scale the three branches alike and could not select. ``use_au=False`` (Table IV) removes it.

Choices the paper leaves open:
- AU is SKNet-style (the paper cites SKNet for its selective kernels): global average pooling of the
  concatenated branches, a 1x1 squeeze to ``max(kC / reduction, 8)`` channels, ReLU, a 1x1 excite
  back to kC, and a softmax across the k branches, so the branches compete per channel. With a
  single branch (Table IV's single-path rows) a softmax over one branch is identically 1, so the
  single-path variants have no AU.
- "we apply depthwise convolutions with kernel sizes of 3x3, 5x5, and 7x7" after the weighting: each
  branch is refined by a depthwise convolution of its own kernel size.
- Eq. 9's "1x1 convolution of the concatenation": one 1x1 convolution kC -> C over the concatenated
  branches, which equals a separate 1x1 per branch followed by a sum.
- GELU after the first depthwise convolutions (Restormer's GDFN non-linearity).

Parameters (C channels, k branches with kernel sizes K_i, r = max(kC // reduction, 8)):
    2 * sum_i (K_i^2 C + C)                       (extraction and refinement depthwise convs)
  + (kC r + r) + (r kC + kC)                      (AU, when k > 1 and use_au)
  + (kC^2 + C)                                    (eq. 9 fusion)
  + FRM(C)                                        (when use_frm; see ``aminet.modules.frm``)
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from aminet.modules.checks import check_feature
from aminet.modules.frm import FRM


def _depthwise(channels: int, kernel_size: int) -> nn.Conv2d:
    return nn.Conv2d(channels, channels, kernel_size, padding=kernel_size // 2, groups=channels)


class AttentionUnit(nn.Module):
    """AU (eq. 7): per-channel softmax weights over k branches, from their pooled concatenation."""

    def __init__(self, channels: int, branches: int = 3, reduction: int = 4):
        super().__init__()
        hidden = max(branches * channels // reduction, 8)
        self.channels = channels
        self.branches = branches
        self.squeeze = nn.Conv2d(branches * channels, hidden, 1)
        self.excite = nn.Conv2d(hidden, branches * channels, 1)

    def forward(self, concat: torch.Tensor) -> torch.Tensor:
        """``concat``: (N, kC, H, W). Returns weights (N, k, C, 1, 1) summing to 1 over k."""
        check_feature(concat, self.branches * self.channels, "AttentionUnit")
        return self.from_pooled(F.adaptive_avg_pool2d(concat, 1))

    def from_pooled(self, pooled: torch.Tensor) -> torch.Tensor:
        """The weights from the pooled concatenation (N, kC, 1, 1): the same as ``forward``, but
        the caller can pool each branch on its own and skip building the full-size concatenation."""
        logits = self.excite(F.relu(self.squeeze(pooled)))
        return logits.reshape(pooled.shape[0], self.branches, self.channels, 1, 1).softmax(dim=1)


class RDFE(nn.Module):
    def __init__(
        self,
        channels: int,
        kernel_sizes: Sequence[int] = (3, 5, 7),
        use_au: bool = True,
        use_frm: bool = True,
        hourglass_depth: int = 4,
        hourglass_channels: int = 48,
        au_reduction: int = 4,
    ):
        super().__init__()
        if not kernel_sizes or any(k % 2 == 0 or k < 1 for k in kernel_sizes):
            raise ValueError(f"RDFE kernel_sizes must be odd positive integers, got {kernel_sizes}")
        self.channels = channels
        self.kernel_sizes = tuple(kernel_sizes)
        k = len(self.kernel_sizes)
        self.extract = nn.ModuleList(_depthwise(channels, s) for s in self.kernel_sizes)
        self.au = AttentionUnit(channels, k, au_reduction) if use_au and k > 1 else None
        self.refine = nn.ModuleList(_depthwise(channels, s) for s in self.kernel_sizes)
        self.fuse = nn.Conv2d(k * channels, channels, 1)
        self.frm = FRM(channels, hourglass_depth, hourglass_channels) if use_frm else None

    def branch_weights(self, x: torch.Tensor) -> torch.Tensor | None:
        """The AU's weights (N, k, C, 1, 1) for input ``x``; None when the AU is off."""
        check_feature(x, self.channels, "RDFE")
        if self.au is None:
            return None
        return self.au(torch.cat([F.gelu(conv(x)) for conv in self.extract], dim=1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_feature(x, self.channels, "RDFE")
        feats = [F.gelu(conv(x)) for conv in self.extract]  # eq. 6
        if self.au is not None:
            # eq. 7; pooling each branch equals pooling their concatenation, without the copy
            weights = self.au.from_pooled(
                torch.cat([F.adaptive_avg_pool2d(f, 1) for f in feats], 1)
            )
            feats = [f * weights[:, i] for i, f in enumerate(feats)]  # eq. 8
        feats = [conv(f) for conv, f in zip(self.refine, feats)]
        out = self.fuse(torch.cat(feats, dim=1)) + x  # eq. 9
        return self.frm(out) if self.frm is not None else out  # eq. 10

    def extra_repr(self) -> str:
        return f"channels={self.channels}, kernel_sizes={self.kernel_sizes}"
