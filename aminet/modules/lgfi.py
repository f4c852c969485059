"""LGFI: the Local and Global Feature Interaction module (paper Sec. III-B, Figs. 2 and 6).

SA (global) and RDFE (local) read the same normalised input in parallel; SKAF selects how much of
each to keep at every pixel; a residual connection closes the block:

    y          = LayerNorm(x)
    g, l       = SA(y), RDFE(y)
    w_g, w_l   = SKAF(g + l)
    LGFI(x)    = x + g * w_g + l * w_l

Choices the paper leaves open: one channel LayerNorm shared by both branches (as in Restormer's
pre-norm blocks); SKAF reads the *sum* of the two branches (its input "obtained by the SA and the
RDFE" has C channels in eq. 11); the residual around the whole module.

Ablation switches (Table I): ``use_sa=False`` / ``use_rdfe=False`` replace that branch with the
identity (the normalised input), so SKAF still selects between two features; ``use_skaf=False``
fuses by a plain sum ``x + g + l``. ``local_branch="ffn"`` (Table III) swaps RDFE's multiscale
extraction (eqs. 6-9) for a gated FFN and keeps the FRM (eq. 10).

Parameters: 2C (LayerNorm) + SA(C) + RDFE(C) + SKAF(C), each as stated in its own module.
"""

from __future__ import annotations

import torch
from torch import nn

from aminet.modules.checks import check_feature
from aminet.modules.frm import FRM
from aminet.modules.norm import LayerNorm2d
from aminet.modules.rdfe import RDFE
from aminet.modules.sa import SelfAttention
from aminet.modules.skaf import SKAF
from aminet.modules.transformer import GatedFFN


class LGFI(nn.Module):
    def __init__(
        self,
        channels: int,
        num_heads: int = 1,
        hourglass_depth: int = 4,
        hourglass_channels: int = 48,
        use_sa: bool = True,
        use_rdfe: bool = True,
        use_skaf: bool = True,
        local_branch: str = "rdfe",
        rdfe_kernel_sizes=(3, 5, 7),
        use_au: bool = True,
        use_frm: bool = True,
        ffn_expansion: float = 2.66,
        normalize_qk: bool = True,
        skaf_options: dict | None = None,
    ):
        super().__init__()
        if local_branch not in ("rdfe", "ffn"):
            raise ValueError(f"LGFI local_branch must be 'rdfe' or 'ffn', got {local_branch!r}")
        self.channels = channels
        self.norm = LayerNorm2d(channels)
        self.sa = SelfAttention(channels, num_heads, normalize_qk) if use_sa else None
        if not use_rdfe:
            self.local = None
        elif local_branch == "rdfe":
            self.local = RDFE(
                channels,
                rdfe_kernel_sizes,
                use_au=use_au,
                use_frm=use_frm,
                hourglass_depth=hourglass_depth,
                hourglass_channels=hourglass_channels,
            )
        else:
            ffn = GatedFFN(channels, ffn_expansion)
            frm = FRM(channels, hourglass_depth, hourglass_channels) if use_frm else nn.Identity()
            self.local = nn.Sequential(ffn, frm)
        self.skaf = SKAF(channels, **(skaf_options or {})) if use_skaf else None

    def branches(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The global (SA) and local (RDFE) features of the normalised input."""
        check_feature(x, self.channels, "LGFI")
        y = self.norm(x)
        g = self.sa(y) if self.sa is not None else y
        local = self.local(y) if self.local is not None else y
        return g, local

    def selection(self, x: torch.Tensor):
        """SKAF's two maps (global weight, local weight); None without SKAF."""
        g, local = self.branches(x)
        return self.skaf(g + local) if self.skaf is not None else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        g, local = self.branches(x)
        if self.skaf is None:
            return x + g + local
        w_g, w_l = self.skaf(g + local)
        return x + g * w_g + local * w_l
