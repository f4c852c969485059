"""The three MAC counters: known answers, and the thop convention checked against thop itself."""

from __future__ import annotations

import pytest
import torch
from torch import nn

import aminet
from aminet.complexity import count_macs, count_macs_conv_linear, count_macs_thop


def test_thop_convention_known_answers():
    # A stride-2 transposed conv 8 -> 4, 2x2 kernel, on 5x5: true cost 5*5*4*8*4 (input pixels),
    # thop's convention counts output pixels x input channels x kernel: 10*10*4 * 8 * 4, 4x as much.
    tconv = nn.ConvTranspose2d(8, 4, 2, stride=2)
    tconv.in_channels = 8
    assert count_macs_conv_linear(tconv, 5) == 5 * 5 * 4 * 8 * 4
    assert count_macs_thop(tconv, 5) == 10 * 10 * 4 * 8 * 4
    # BatchNorm (affine): 4 per element; PReLU 1 per element; LeakyReLU free.
    body = nn.Sequential(nn.BatchNorm2d(3), nn.PReLU(3), nn.LeakyReLU(0.2))
    assert count_macs_thop(body, 6) == 4 * 3 * 36 + 3 * 36

    # Subclasses of a counted type are not counted (thop matches exact types), nor functionals.
    class MyConv(nn.Conv2d):
        pass

    assert count_macs_thop(MyConv(3, 3, 3, padding=1), 8) == 0
    assert count_macs_conv_linear(MyConv(3, 3, 3, padding=1), 8) == 8 * 8 * 3 * 3 * 9
    # The counters leave the train/eval mode as they found it.
    model = nn.Sequential(nn.Conv2d(3, 3, 1), nn.BatchNorm2d(3)).train()
    count_macs_thop(model, 4)
    assert model.training


def test_thop_convention_on_aminet_skips_the_attention():
    model = aminet.create_model("aminet-tiny")
    thop_style = count_macs_thop(model, 32)
    # thop adds element-wise norm/PReLU costs but skips matmuls and functional ops, and counts the
    # transposed convs at 4x: it is neither of the other two.
    assert thop_style not in (count_macs(model, 32), count_macs_conv_linear(model, 32))
    assert count_macs_thop(model, 64) == pytest.approx(4 * thop_style, rel=0.02)


toy = nn.Sequential(
    nn.Conv2d(3, 8, 3, padding=1, groups=1),
    nn.BatchNorm2d(8),
    nn.PReLU(8),
    nn.Conv2d(8, 8, 3, padding=1, groups=8, bias=False),
    nn.ConvTranspose2d(8, 4, 2, stride=2),
    nn.Upsample(scale_factor=2, mode="bilinear"),
    nn.AvgPool2d(2),
    nn.AdaptiveAvgPool2d(3),
    nn.Flatten(),
    nn.LayerNorm(36),
    nn.Linear(36, 5),
    nn.Softmax(dim=1),
)


@pytest.mark.parametrize("name", ["toy", "aminet-tiny", "aminet-cpu", "sparnet", "sparnet-edff"])
def test_count_macs_thop_equals_the_thop_package(name):
    thop = pytest.importorskip("thop", reason="thop is a dev dependency (pip install -e '.[dev]')")
    model = toy if name == "toy" else aminet.create_model(name)
    size = {"toy": 12, "sparnet": 64, "sparnet-edff": 64}.get(name, 32)
    x = torch.rand(1, 3, size, size)
    expected, _ = thop.profile(model, inputs=(x,), verbose=False)
    assert count_macs_thop(model, size) == int(expected)


def test_docs_architecture_tables_are_the_scripts_output():
    """docs/architecture.md pastes scripts/architecture_numbers.py; the parameter columns and the
    breakdown must still be what the code builds (MACs need forward passes: rerun the script)."""
    import re
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    sys.path.insert(0, str(root / "scripts"))
    try:
        import architecture_numbers
    finally:
        sys.path.remove(str(root / "scripts"))
    from aminet.complexity import count_params

    doc = (root / "docs" / "architecture.md").read_text()
    assert architecture_numbers.parameter_breakdown() in doc
    rows = re.findall(r"^\| `([a-z0-9-]+)` \| [^|]* \| [^|]* \| ([0-9.]+)M \|", doc, re.M)
    assert len(rows) >= 20
    for name, params in rows:
        assert f"{count_params(aminet.create_model(name)) / 1e6:.2f}" == params, name
