"""The AMINet U-Net and the model registry."""

import json
import subprocess
import sys

import param_formulas as pf
import pytest
import torch

import aminet
from aminet.cli import main
from aminet.complexity import count_macs, count_macs_conv_linear, count_macs_thop, count_params
from aminet.model import AMINet
from conftest import TINY


def is_aminet_family(name):
    builder = aminet.get_model_entry(name).builder
    return getattr(builder, "func", builder) is AMINet


def test_full_model_at_128_returns_same_size_and_paper_sized():
    model = aminet.create_model("aminet").eval()
    x = torch.rand(1, 3, 128, 128)
    with torch.no_grad():
        y = model(x)
    assert y.shape == x.shape
    assert abs(count_params(model) / 12.62e6 - 1) < 0.03  # the paper's 12.62M, +-3%


def test_param_count_equals_closed_form():
    assert count_params(aminet.create_model("aminet")) == pf.aminet()
    assert count_params(aminet.create_model("aminet", **TINY)) == pf.aminet(8, (1, 1, 1, 1), mid=8)


@pytest.mark.parametrize(
    "name,paper,band",
    [
        ("aminet-s", 8.2, 0.05),
        ("aminet-no-sa", 12.3, 0.12),
        ("aminet-no-rdfe", 7.2, 0.12),
        ("aminet-no-skaf", 8.21, 0.12),
        ("aminet-transformer-wide", 11.32, 0.001),
    ],
)
def test_variants_calibrated_to_paper(name, paper, band):
    params = count_params(aminet.create_model(name))
    assert abs(params / (paper * 1e6) - 1) < band, f"{name}: {params / 1e6:.2f}M vs paper {paper}M"


def test_table_v_switches_change_lgfi_skaf_only_unless_scope_all():
    def conv_counts(model):
        lgfi = [len(m.skaf.convs) for m in (*model.encoders, *model.bottleneck, *model.decoders)]
        return set(lgfi), {len(f.skaf.convs) for f in model.fusions}

    faithful = aminet.create_model("aminet-lgfi-skaf-conv7-no-pool", **TINY)
    assert conv_counts(faithful) == ({1}, {2})  # EDFF's SKAF stays whole
    assert faithful.encoders[0].skaf.convs[0].kernel_size == (7, 7)
    every = aminet.create_model("aminet-lgfi-skaf-no-conv5", skaf_scope="all", **TINY)
    assert conv_counts(every) == ({1}, {1})
    assert conv_counts(aminet.create_model("aminet-skaf-no-conv5", **TINY)) == ({1}, {1})  # kept
    x = torch.rand(1, 3, 16, 16)
    for name in aminet.list_models("V"):
        assert aminet.create_model(name, **TINY)(x).shape == x.shape
    with pytest.raises(ValueError, match="skaf_scope"):
        AMINet(skaf_scope="edff")


@pytest.mark.parametrize("size", [(100, 76), (33, 47), (8, 8), (64, 128)])
def test_any_size_is_padded_and_cropped_back(size):
    model = aminet.create_model("aminet", **TINY).eval()
    x = torch.rand(2, 3, *size)
    with torch.no_grad():
        assert model(x).shape == x.shape


def test_global_residual_to_the_input():
    """With the tail conv zeroed, AMINet returns its (bicubic-upsampled) input exactly."""
    model = aminet.create_model("aminet", **TINY).eval()
    with torch.no_grad():
        model.tail.weight.zero_()
        model.tail.bias.zero_()
        x = torch.rand(1, 3, 40, 24)
        torch.testing.assert_close(model(x), x)


def test_aminet_cpu_is_the_unet_at_quarter_resolution():
    """``stem_stride=4`` packs 4x4 pixels into channels: same output size, the U-Net at 1/4."""
    model = aminet.create_model("aminet-cpu").eval()
    assert model.stem_stride == 4 and model.model_name == "aminet-cpu"
    assert count_params(model) == pf.aminet(16, (1, 1, 2, 2), (3, 2, 2, 1), mid=16, stem=4)
    seen = []
    model.encoders[0].register_forward_hook(lambda m, i, o: seen.append(o.shape))
    with torch.no_grad():
        y = model(torch.rand(2, 3, 128, 128))
    assert y.shape == (2, 3, 128, 128) and seen == [(2, 16, 32, 32)]


@pytest.mark.parametrize("size", [(37, 45), (128, 96), (8, 8)])
def test_stem_stride_keeps_any_size_and_the_global_residual(size):
    model = aminet.create_model("aminet", stem_stride=4, **TINY).eval()
    x = torch.rand(1, 3, *size)
    with torch.no_grad():
        assert model(x).shape == x.shape
        model.tail.weight.zero_()  # the conv before the PixelShuffle
        model.tail.bias.zero_()
        torch.testing.assert_close(model(x), x)


@pytest.mark.parametrize("bad", [0, -2, 2.0])
def test_bad_stem_stride(bad):
    with pytest.raises(ValueError, match="stem_stride must be a positive integer"):
        AMINet(stem_stride=bad, **TINY)


def test_gradients_reach_every_parameter():
    model = aminet.create_model("aminet", **TINY)
    model(torch.rand(2, 3, 32, 32)).abs().mean().backward()
    missing = [
        n for n, p in model.named_parameters() if p.grad is None or not p.grad.abs().sum() > 0
    ]
    assert not missing, f"no gradient for {missing}"


def test_same_seed_same_model_and_output():
    x = torch.rand(1, 3, 32, 32)
    outs = []
    for _ in range(2):
        torch.manual_seed(123)
        model = aminet.create_model("aminet", **TINY).eval()
        with torch.no_grad():
            outs.append(model(x))
    torch.testing.assert_close(outs[0], outs[1], rtol=0, atol=0)


def test_state_dict_round_trip(tmp_path):
    model = aminet.create_model("aminet", **TINY).eval()
    path = tmp_path / "weights.pt"
    torch.save(model.state_dict(), path)
    torch.manual_seed(99)
    clone = aminet.create_model("aminet", **TINY).eval()
    clone.load_state_dict(torch.load(path, weights_only=True))
    x = torch.rand(1, 3, 24, 24)
    with torch.no_grad():
        torch.testing.assert_close(model(x), clone(x), rtol=0, atol=0)


def test_create_model_records_name_and_overrides():
    model = aminet.create_model("aminet-no-sa", **TINY)
    assert model.model_name == "aminet-no-sa" and model.model_kwargs == TINY


def test_registry_names_and_tables():
    names = aminet.list_models()
    for expected in [
        "aminet", "aminet-s", "aminet-no-sa", "aminet-no-rdfe", "aminet-no-skaf",
        "aminet-transformer", "aminet-transformer-wide", "aminet-ffn", "aminet-rdfe-dw3", "aminet-rdfe-dw5",
        "aminet-rdfe-dw7", "aminet-no-au", "aminet-no-frm", "bicubic",
    ]:  # fmt: skip
        assert expected in names
    assert set(aminet.list_models("I")) == {"aminet-no-sa", "aminet-no-rdfe", "aminet-no-skaf"}
    assert len(aminet.list_models("V")) >= 4
    with pytest.raises(ValueError, match="unknown model 'nope'.*aminet-s"):
        aminet.create_model("nope")


@pytest.mark.parametrize("name", aminet.list_models())
def test_every_registered_model_runs_forward_and_backward(name):
    if is_aminet_family(name):
        model, size = aminet.create_model(name, **TINY), 32
    else:  # baselines at their default size; SPARNet needs faces of at least 64x64
        model, size = aminet.create_model(name), 64
    x = torch.rand(2, 3, size, size, requires_grad=True)
    y = model(x)
    assert y.shape == x.shape and torch.isfinite(y).all()
    y.mean().backward()
    assert x.grad is not None


def test_variants_differ_in_structure():
    params = {
        n: count_params(aminet.create_model(n, **TINY))
        for n in aminet.list_models()
        if is_aminet_family(n)
    }
    assert params["aminet-no-sa"] < params["aminet"]
    assert params["aminet-no-au"] < params["aminet"]
    assert params["aminet-rdfe-dw3"] < params["aminet-rdfe-dw7"] < params["aminet"]
    assert params["aminet-skaf-no-conv5"] < params["aminet"]
    assert (
        params["aminet-s"] == params["aminet"]
    )  # TINY overrides the width that makes AMINet-S smaller


def test_bad_model_arguments():
    with pytest.raises(ValueError, match="4 entries"):
        AMINet(num_heads=(1, 2))
    with pytest.raises(ValueError, match="divisible"):
        AMINet(base_channels=10, num_heads=(3, 1, 1, 1))
    with pytest.raises(ValueError, match=r"\(N, 3, H, W\)"):
        aminet.create_model("aminet", **TINY)(torch.rand(1, 1, 16, 16))


def test_macs_counters():
    model = aminet.create_model("aminet", **TINY)
    macs = count_macs(model, 32)
    conv_only = count_macs_conv_linear(model, 32)
    assert 0 < conv_only < macs  # the FLOP counter also sees the attention matmuls
    assert count_macs(model, 64) == pytest.approx(4 * macs, rel=0.02)  # linear in pixels
    conv = torch.nn.Conv2d(3, 6, 3, padding=1)
    assert count_macs(conv, 10) == 10 * 10 * 6 * 3 * 9  # known answer for one convolution
    assert count_macs_conv_linear(conv, 10) == 10 * 10 * 6 * 3 * 9


def run_cli(*args):
    return subprocess.run(
        [sys.executable, "-m", "aminet", *args], capture_output=True, text=True, timeout=300
    )


def test_summary_json_cli(capsys):
    assert main(["summary", "--model", "aminet", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["model"] == "aminet" and report["input_size"] == [1, 3, 128, 128]
    assert report["params"] == pf.aminet()
    assert 5e9 < report["macs"] < 20e9 and report["macs_conv_linear"] < report["macs"]
    assert report["macs_thop"] == count_macs_thop(aminet.create_model("aminet"), 128)


def test_summary_table_and_list_cli(capsys):
    assert main(["summary", "--model", "aminet-s", "--size", "32"]) == 0
    out = capsys.readouterr().out
    assert "Total params" in out and "aminet-s" in out and "thop convention" in out
    assert main(["list", "--table", "I"]) == 0
    listing = capsys.readouterr().out
    assert listing.split()[0] == "aminet-no-sa" and "aminet-no-skaf" in listing
    assert main(["summary", "--size", "4"]) == 2
    assert "--size must be from 8 to 4096 pixels" in capsys.readouterr().err


def test_cli_bad_model_is_one_line_error():
    out = run_cli("summary", "--model", "resnet")
    assert out.returncode == 2
    assert "'resnet': unknown model" in out.stderr and "Traceback" not in out.stderr
