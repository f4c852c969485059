"""AMINet: the U-shaped CNN-Transformer network of the paper (Sec. III-A, Fig. 2).

    F0      = conv3x3(I)                                   (3 -> C)
    encoder: 3 x [LGFI(C_i) -> skip_i, Downsample(C_i -> 2C_i)]    C, 2C, 4C -> F3 at 8C, H/8
    bottleneck: 2 x LGFI(8C)                                -> F4
    decoder: 3 x [Upsample(2C_i -> C_i), EDFF(skip_i, up), LGFI(C_i)]  -> F7 at C, H
    I_SR    = conv3x3(F7) + I                               (C -> 3, global residual)

``I`` is the LR face already upsampled by bicubic to the output size (as in SPARNet and CTCNet), so
the network learns the residual on top of bicubic. Any H and W are accepted: the input is padded
(replicate) to a multiple of 8 and the output cropped back.

Choices the paper leaves open (reasons in docs/architecture.md): base width C = 26, heads 1/2/4/8
from the first stage to the bottleneck (mirrored in the decoder), FRM hourglass depth by resolution
(5/4/3/2 at 128/64/32/16 pixels) with 48 channels, CTCNet-style down/upsampling.

``skaf_options`` (Table V's switches, see ``aminet.modules.skaf``) change LGFI's SKAF only, as the
paper's study of "SKAF ... of LGFI" reads; ``skaf_scope="all"`` applies them to EDFF's SKAF too.

Not in the paper: ``stem_stride=s`` (default 1, the paper's network) puts a PixelUnshuffle(s) before
the head conv and a PixelShuffle(s) after the tail conv, so the whole U-Net runs at 1/s of the
output resolution, about s^2 times cheaper. The x8 input carries only 16x16 pixels of information,
so little is lost at s=4; ``aminet-cpu`` uses it to learn in minutes on a CPU (docs/training.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial

import torch
import torch.nn.functional as F
from torch import nn

from aminet.modules import EDFF, LGFI, Downsample, TransformerBlock, Upsample
from aminet.modules.checks import check_feature
from aminet.paper import paper_params
from aminet.registry import register_model

__all__ = ["AMINet"]


class AMINet(nn.Module):
    def __init__(
        self,
        base_channels: int = 26,
        num_heads: Sequence[int] = (1, 2, 4, 8),
        num_bottleneck: int = 2,
        hourglass_depths: Sequence[int] = (5, 4, 3, 2),
        hourglass_channels: int = 48,
        block: str = "lgfi",
        use_sa: bool = True,
        use_rdfe: bool = True,
        use_skaf: bool = True,
        local_branch: str = "rdfe",
        rdfe_kernel_sizes: Sequence[int] = (3, 5, 7),
        use_au: bool = True,
        use_frm: bool = True,
        ffn_expansion: float = 2.66,
        normalize_qk: bool = True,
        skaf_options: dict | None = None,
        skaf_scope: str = "lgfi",
        in_channels: int = 3,
        stem_stride: int = 1,
    ):
        super().__init__()
        if len(num_heads) != 4 or len(hourglass_depths) != 4:
            raise ValueError(
                "num_heads and hourglass_depths need 4 entries (3 encoder stages and the "
                f"bottleneck), got {tuple(num_heads)} and {tuple(hourglass_depths)}"
            )
        if block not in ("lgfi", "transformer"):
            raise ValueError(f"block must be 'lgfi' or 'transformer', got {block!r}")
        widths = [base_channels * 2**i for i in range(4)]
        for w, h in zip(widths, num_heads):
            if w % h:
                raise ValueError(f"stage width {w} is not divisible by its head count {h}")
        if skaf_scope not in ("lgfi", "all"):
            raise ValueError(f"skaf_scope must be 'lgfi' or 'all', got {skaf_scope!r}")
        self.in_channels = in_channels
        skaf_options = dict(skaf_options or {})
        edff_skaf_options = skaf_options if skaf_scope == "all" else {}

        def make_block(stage: int) -> nn.Module:
            common = dict(
                num_heads=num_heads[stage],
                hourglass_depth=hourglass_depths[stage],
                hourglass_channels=hourglass_channels,
                ffn_expansion=ffn_expansion,
                use_frm=use_frm,
                normalize_qk=normalize_qk,
            )
            if block == "transformer":
                return TransformerBlock(widths[stage], **common)
            return LGFI(
                widths[stage],
                use_sa=use_sa,
                use_rdfe=use_rdfe,
                use_skaf=use_skaf,
                local_branch=local_branch,
                rdfe_kernel_sizes=rdfe_kernel_sizes,
                use_au=use_au,
                skaf_options=skaf_options,
                **common,
            )

        if not isinstance(stem_stride, int) or stem_stride < 1:
            raise ValueError(f"stem_stride must be a positive integer, got {stem_stride!r}")
        self.stem_stride = stem_stride
        packed = in_channels * stem_stride**2  # channels after PixelUnshuffle(stem_stride)
        self.unshuffle = nn.PixelUnshuffle(stem_stride) if stem_stride > 1 else nn.Identity()
        self.head = nn.Conv2d(packed, base_channels, 3, padding=1)
        self.encoders = nn.ModuleList(make_block(i) for i in range(3))
        self.downs = nn.ModuleList(Downsample(widths[i]) for i in range(3))
        self.bottleneck = nn.Sequential(*(make_block(3) for _ in range(num_bottleneck)))
        self.ups = nn.ModuleList(Upsample(widths[i]) for i in (2, 1, 0))
        self.fusions = nn.ModuleList(EDFF(widths[i], **edff_skaf_options) for i in (2, 1, 0))
        self.decoders = nn.ModuleList(make_block(i) for i in (2, 1, 0))
        self.tail = nn.Conv2d(base_channels, packed, 3, padding=1)
        self.shuffle = nn.PixelShuffle(stem_stride) if stem_stride > 1 else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_feature(x, self.in_channels, type(self).__name__)
        h, w = x.shape[-2:]
        multiple = 8 * self.stem_stride
        pad_h, pad_w = (-h) % multiple, (-w) % multiple
        padded = F.pad(x, (0, pad_w, 0, pad_h), mode="replicate") if pad_h or pad_w else x
        feat = self.head(self.unshuffle(padded))
        skips = []
        for encoder, down in zip(self.encoders, self.downs):
            feat = encoder(feat)
            skips.append(feat)
            feat = down(feat)
        feat = self.bottleneck(feat)
        for up, fusion, decoder, skip in zip(
            self.ups, self.fusions, self.decoders, reversed(skips)
        ):
            feat = decoder(fusion(skip, up(feat)))
        out = self.shuffle(self.tail(feat)) + padded
        return out[..., :h, :w]


# ---------------------------------------------------------------------------------------------
# The registry: AMINet, AMINet-S and every ablation variant of Tables I-V, as configuration. The
# parameter counts the paper prints come from aminet.paper.
# ---------------------------------------------------------------------------------------------
# Table V, as the paper builds it: the switches of LGFI's SKAF (EDFF's SKAF stays whole).
_TABLE_V = {
    "aminet-lgfi-skaf-bare": (
        dict(use_conv5=False, use_conv7=False, use_avgpool=False, use_maxpool=False),
        "LGFI's SKAF with neither conv nor pooling (Table V, row 1)",
    ),
    "aminet-lgfi-skaf-no-conv5": (
        dict(use_conv5=False),
        "LGFI's SKAF without the 5x5 conv (Table V, row 2)",
    ),
    "aminet-lgfi-skaf-no-conv7": (
        dict(use_conv7=False),
        "LGFI's SKAF without the 7x7 conv (Table V, row 3)",
    ),
    "aminet-lgfi-skaf-conv7-no-pool": (
        dict(use_conv5=False, use_avgpool=False, use_maxpool=False),
        "LGFI's SKAF: the 7x7 conv alone, no pooling (Table V, row 4)",
    ),
    "aminet-lgfi-skaf-conv7-avgpool": (
        dict(use_conv5=False, use_maxpool=False),
        "LGFI's SKAF: the 7x7 conv and avg-pooling (Table V, row 5)",
    ),
    "aminet-lgfi-skaf-conv7-maxpool": (
        dict(use_conv5=False, use_avgpool=False),
        "LGFI's SKAF: the 7x7 conv and max-pooling (Table V, row 6)",
    ),
}
# The project's first Table V variants, kept so their checkpoints and results still load: the
# switches apply to every SKAF (LGFI's and EDFF's), and the pooling rows keep both convs.
_EVERY_SKAF = {
    "aminet-skaf-bare": (
        dict(use_conv5=False, use_conv7=False, use_avgpool=False, use_maxpool=False),
        "every SKAF with neither conv nor pooling",
    ),
    "aminet-skaf-no-conv5": (dict(use_conv5=False), "every SKAF without the 5x5 conv"),
    "aminet-skaf-no-conv7": (dict(use_conv7=False), "every SKAF without the 7x7 conv"),
    "aminet-skaf-no-pool": (
        dict(use_avgpool=False, use_maxpool=False),
        "every SKAF without avg- and max-pooling, both convs kept",
    ),
    "aminet-skaf-avgpool-only": (
        dict(use_maxpool=False),
        "every SKAF with avg-pooling only, both convs kept",
    ),
    "aminet-skaf-maxpool-only": (
        dict(use_avgpool=False),
        "every SKAF with max-pooling only, both convs kept",
    ),
}

_VARIANTS = [
    # name, description, paper table, options
    ("aminet", "AMINet, the paper's full model (C=26)", "X", {}),
    ("aminet-s", "AMINet-S, the small model (C=20)", "X", {"base_channels": 20}),
    (
        "aminet-cpu",
        "AMINet at 1/4 resolution for the CPU demo (pixel-unshuffle stem, C=16)",
        None,
        {
            "stem_stride": 4,
            "base_channels": 16,
            "hourglass_channels": 16,
            "num_heads": (1, 1, 2, 2),
            "hourglass_depths": (3, 2, 2, 1),
        },
    ),
    (
        "aminet-tiny",
        "narrow AMINet at full resolution (C=8, small hourglasses, 1 head)",
        None,
        {
            "base_channels": 8,
            "hourglass_channels": 8,
            "num_heads": (1, 1, 1, 1),
            "hourglass_depths": (3, 2, 2, 1),
        },
    ),
    ("aminet-no-sa", "LGFI without SA (Table I)", "I", {"use_sa": False}),
    ("aminet-no-rdfe", "LGFI without RDFE (Table I)", "I", {"use_rdfe": False}),
    ("aminet-no-skaf", "LGFI without SKAF: SA and RDFE summed (Table I)", "I", {"use_skaf": False}),
    (
        "aminet-transformer-wide",
        "every LGFI replaced by a serial Restormer block + FRM, FFN expansion 11.25 so the model "
        "has the paper's 11.32M (Table II)",
        "II",
        {"block": "transformer", "ffn_expansion": 11.25},
    ),
    (
        "aminet-transformer",
        "every LGFI replaced by a serial Restormer block + FRM, Restormer's FFN expansion 2.66 "
        "(8.24M; not the paper's similar-parameter comparison)",
        None,
        {"block": "transformer"},
    ),
    (
        "aminet-ffn",
        "RDFE's multiscale part replaced by a gated FFN, FRM kept (Table III)",
        "III",
        {"local_branch": "ffn"},
    ),
    (
        "aminet-rdfe-dw3",
        "RDFE single path, 3x3 depthwise (Table IV)",
        "IV",
        {"rdfe_kernel_sizes": (3,)},
    ),
    (
        "aminet-rdfe-dw5",
        "RDFE single path, 5x5 depthwise (Table IV)",
        "IV",
        {"rdfe_kernel_sizes": (5,)},
    ),
    (
        "aminet-rdfe-dw7",
        "RDFE single path, 7x7 depthwise (Table IV)",
        "IV",
        {"rdfe_kernel_sizes": (7,)},
    ),
    ("aminet-no-au", "RDFE without the attention unit (Table IV)", "IV", {"use_au": False}),
    (
        "aminet-no-frm",
        "RDFE without the feature refinement module (Table IV)",
        "IV",
        {"use_frm": False},
    ),
]
_VARIANTS += [(n, d, "V", {"skaf_options": o}) for n, (o, d) in _TABLE_V.items()]
_VARIANTS += [
    (n, d, None, {"skaf_options": o, "skaf_scope": "all"}) for n, (o, d) in _EVERY_SKAF.items()
]

for _name, _desc, _table, _options in _VARIANTS:
    register_model(
        _name, partial(AMINet), _desc, paper_params=paper_params(_name), table=_table, **_options
    )
