"""The course's block diagrams: figures with the right tensor shapes, our choices marked, fast."""

from __future__ import annotations

import time

import pytest
import torch
from matplotlib.figure import Figure
from matplotlib.text import Text

from aminet.course import diagrams
from aminet.model import AMINet
from aminet.modules import EDFF, RDFE, SKAF, SelfAttention


def _texts(fig: Figure) -> str:
    return "\n".join(t.get_text() for t in fig.findobj(Text))


def _hatched(fig: Figure) -> int:
    return sum(1 for p in fig.axes[0].patches if p.get_hatch())


ALL = [
    diagrams.draw_unet,
    diagrams.draw_sa,
    diagrams.draw_rdfe,
    diagrams.draw_skaf,
    diagrams.draw_lgfi,
    diagrams.draw_edff,
]


@pytest.mark.parametrize("draw", ALL, ids=lambda f: f.__name__)
def test_every_diagram_is_a_fast_figure_with_a_legend_and_marked_choices(draw):
    start = time.perf_counter()
    fig = draw()
    png = fig._repr_png_()  # what Jupyter shows (and GitHub keeps) when the figure ends a cell
    elapsed = time.perf_counter() - start
    assert isinstance(fig, Figure)
    assert png.startswith(b"\x89PNG")
    text = _texts(fig)
    assert diagrams.PAPER_LABEL in text and diagrams.OURS_LABEL in text
    if draw is diagrams.draw_edff:  # EDFF is as the paper states it; only SKAF inside is not
        assert _hatched(fig) == 0 and "our SKAF choices" in text
    else:
        assert _hatched(fig) >= 1, "our choices are drawn hatched"
    assert "(26, 32, 32)" in text or "(26, 128, 128)" in text
    assert elapsed < 10, f"{draw.__name__} took {elapsed:.1f} s to draw and render"


def test_unet_shapes_are_the_real_networks_stage_outputs():
    model = AMINet(base_channels=8, hourglass_depths=(3, 2, 1, 1)).eval()
    seen = {}
    names = {
        "head": model.head,
        "enc1": model.encoders[0],
        "down1": model.downs[0],
        "enc2": model.encoders[1],
        "down2": model.downs[1],
        "enc3": model.encoders[2],
        "down3": model.downs[2],
        "bottleneck": model.bottleneck,
        "up3": model.ups[0],
        "edff3": model.fusions[0],
        "dec3": model.decoders[0],
        "up2": model.ups[1],
        "edff2": model.fusions[1],
        "dec2": model.decoders[1],
        "up1": model.ups[2],
        "edff1": model.fusions[2],
        "dec1": model.decoders[2],
        "tail": model.tail,
    }
    for key, module in names.items():
        module.register_forward_hook(lambda m, i, o, key=key: seen.__setitem__(key, o.shape[1:]))
    with torch.no_grad():
        out = model(torch.rand(1, 3, 32, 32))
    expected = diagrams.unet_shapes(32, 8)
    for key, shape in seen.items():
        assert tuple(shape) == expected[key], key
    assert tuple(out.shape[1:]) == expected["output"]
    text = _texts(diagrams.draw_unet(32, 8))
    for key in ("enc2", "down3", "bottleneck", "edff1"):
        assert diagrams.shape_text(*expected[key]) in text


def test_unet_diagram_marks_the_bicubic_input_and_sampling_as_ours():
    fig = diagrams.draw_unet()
    text = _texts(fig)
    assert "(208, 16, 16)" in text and "(3, 16, 16)" in text  # bottleneck, LR input
    # bicubic input + 3 downsamples + 3 upsamples are our choices
    assert _hatched(fig) == 7


def test_module_diagrams_print_the_modules_real_shapes():
    x = torch.rand(1, 26, 16, 16)
    with torch.no_grad():
        sa = SelfAttention(26, num_heads=2)
        attn = sa.attention_map(x)
        skaf = SKAF(26)
        w1, _ = skaf(x)
        conv5 = skaf.convs[0](x)
        rdfe = RDFE(26, hourglass_depth=2)
        edff = EDFF(26)
        fused = edff(x, x)
    sa_text = _texts(diagrams.draw_sa(26, 16, heads=2))
    assert diagrams.shape_text(*attn.shape[1:]) in sa_text  # (2, 13, 13): channels x channels
    assert diagrams.shape_text(2, 13, 256) in sa_text
    skaf_text = _texts(diagrams.draw_skaf(26, 16))
    assert diagrams.shape_text(*w1.shape[1:]) in skaf_text
    assert diagrams.shape_text(*conv5.shape[1:]) in skaf_text
    rdfe_text = _texts(diagrams.draw_rdfe(26, 16))
    assert diagrams.shape_text(*rdfe(x).shape[1:]) in rdfe_text
    assert "(78, 16, 16)" in rdfe_text and "(3, 26, 1, 1)" in rdfe_text
    assert diagrams.shape_text(*fused.shape[1:]) in _texts(diagrams.draw_edff(26, 16))
    assert "(52, 16, 16)" in _texts(diagrams.draw_edff(26, 16))


def test_eq_choices_are_named_where_the_paper_differs():
    assert "GELU" in _texts(diagrams.draw_rdfe())
    assert "dw 3x3 again" in _texts(diagrams.draw_rdfe())
    assert "conv 7x7, 2 -> 2" in _texts(diagrams.draw_skaf())
    lgfi = _texts(diagrams.draw_lgfi())
    assert "LayerNorm" in lgfi and "residual" in lgfi
