"""SPARNet and SPARNet+EDFF: size against the public default and the paper, shapes, residual, errors."""

from __future__ import annotations

import pytest
import torch

from aminet.baselines.sparnet import SPARNet, SPARNetEDFF
from aminet.complexity import count_macs, count_params
from aminet.modules import EDFF
from aminet.registry import create_model, get_model_entry, list_models
from conftest import TINY_SPARNET

TINY = TINY_SPARNET


pytestmark = pytest.mark.usefixtures("one_thread")  # tests/conftest.py


def test_registered_by_name():
    names = list_models()
    assert "sparnet" in names and "sparnet-edff" in names
    assert get_model_entry("sparnet-edff").table == "VI"
    model = create_model("sparnet", **TINY)
    assert isinstance(model, SPARNet) and model.model_name == "sparnet"


def test_sparnet_matches_public_default_params():
    # The public default model has 10.52M parameters; the issue asks for 5%.
    params = count_params(create_model("sparnet"))
    assert abs(params - 10.52e6) / 10.52e6 < 0.05
    assert params == 10_518_867  # the count documented in docs/benchmarks.md


def test_sparnet_macs_near_public_figure():
    # Every layer's cost scales with the pixel count (all sizes stay even), so the 128x128 MACs
    # are exactly 4x those at 64x64; measured at 64 to keep the test fast.
    model = create_model("sparnet").eval()
    macs_128 = 4 * count_macs(model, 64)
    assert abs(macs_128 - 7.1e9) / 7.1e9 < 0.05


def test_hourglass_depth_follows_feature_size():
    model = SPARNet()
    # attention maps at 64, 32, 16 in the encoder, 16 in the body, 32, 64, 128 in the decoder;
    # each hourglass bottoms out at 4x4
    assert [b.attention.depth for b in model.encoders] == [4, 3, 2]
    assert {b.attention.depth for b in model.body} == {2}
    assert len(model.body) == 10
    assert [b.attention.depth for b in model.decoders] == [3, 4, 5]
    assert model.widths == [32, 64, 128, 128]


def test_edff_variant_adds_exactly_four_fusions():
    base, fused = SPARNet(), SPARNetEDFF()
    extra = count_params(fused) - count_params(base)
    assert extra == sum(count_params(EDFF(c)) for c in (128, 128, 64, 32))
    # The paper's Table VI: 10.6M -> 12.1M (+1.5M)
    assert abs(count_params(fused) - 12.1e6) / 12.1e6 < 0.05
    assert abs(extra - 1.5e6) / 1.5e6 < 0.05


@pytest.mark.parametrize("cls", [SPARNet, SPARNetEDFF])
def test_shape_any_size_and_backward(cls):
    model = cls(**TINY)
    x = torch.rand(2, 3, 30, 37)  # padded to a multiple of 2 inside, cropped back
    out = model(x)
    assert out.shape == x.shape
    out.mean().backward()
    assert all(p.grad is not None for p in model.parameters())


def test_global_residual_known_answer():
    model = SPARNet(**TINY).eval()
    conv = model.tail[-1]
    torch.nn.init.zeros_(conv.weight)
    torch.nn.init.zeros_(conv.bias)
    x = torch.rand(1, 3, 32, 32)
    with torch.no_grad():
        assert torch.equal(model(x), x)  # zero residual: the output is the bicubic input
        plain = SPARNet(**TINY, residual=False).eval()
        plain.load_state_dict(model.state_dict())
        assert torch.equal(plain(x), torch.zeros_like(x))


def test_clear_errors():
    with pytest.raises(ValueError, match="at least 64x64"):
        create_model("sparnet")(torch.rand(1, 3, 32, 32))
    with pytest.raises(ValueError, match=r"min_feature_size \* 2\^k"):
        SPARNet(size=100)
    with pytest.raises(ValueError, match=r"\(N, 3, H, W\)"):
        SPARNet(**TINY)(torch.rand(1, 1, 32, 32))
