"""Mixed precision holds: every module and the whole models stay finite and close to fp32.

Students train on a Colab T4, where ``amp="auto"`` means fp16 autocast (65,504 is its largest
value), and on A100/H100, where it means bf16. These tests run on the CPU: bf16 through CPU
autocast, fp16 through ``.half()`` (CPU kernels exist for every op used; a mode that is not
supported is skipped with the op's own error as the reason). Inputs are 128x128 (the size where
self-attention's logits used to overflow) with unit-variance and with biased, large-magnitude
features (mean 3), the kind a trained network carries.

Tolerances (relative L2 error against the same module in fp32), stated once here:
bf16 (8-bit mantissa, ~4e-3 per rounding) 3e-2; fp16 (11-bit mantissa) 5e-3.
"""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from speed_reference import sa_forward_before

import aminet
from aminet.device import autocast_dtype, native_bf16
from aminet.modules import (
    EDFF,
    FRM,
    LGFI,
    RDFE,
    SKAF,
    GatedFFN,
    LayerNorm2d,
    SelfAttention,
    TransformerBlock,
)
from aminet.modules.frm import HourGlass
from conftest import TINY

SIZE = 128
TOLERANCE = {torch.bfloat16: 3e-2, torch.float16: 5e-3}
INPUTS = {"unit": (0.0, 1.0), "biased": (3.0, 1.0)}  # (mean, std) of the features


@pytest.fixture(autouse=True)
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def _features(channels: int, kind: str, size: int = SIZE, batch: int = 1) -> torch.Tensor:
    mean, std = INPUTS[kind]
    return torch.randn(batch, channels, size, size) * std + mean


def _outputs(module, x, dtype):
    """fp32 reference and low-precision output(s) of ``module(x)`` as tuples of tensors."""
    module = module.eval()
    with torch.no_grad():
        ref = module(x)
        if dtype == torch.bfloat16:
            with torch.autocast("cpu", dtype=torch.bfloat16):
                low = module(x)
        else:
            half = module.half()
            try:
                low = half(x.half())
            except RuntimeError as err:  # an op without a CPU half kernel: say which
                pytest.skip(f"fp16 on this CPU: {err}".splitlines()[0])
            finally:
                module.float()
    as_tuple = lambda t: t if isinstance(t, tuple) else (t,)  # noqa: E731
    return as_tuple(ref), as_tuple(low)


def _relative_error(low: torch.Tensor, ref: torch.Tensor) -> float:
    return ((low.float() - ref).norm() / ref.norm().clamp_min(1e-12)).item()


def _assert_close(module, x, dtype, what: str):
    refs, lows = _outputs(module, x, dtype)
    for ref, low in zip(refs, lows):
        if dtype == torch.float16:  # .half(): every op runs in fp16 (autocast may end in fp32)
            assert low.dtype == dtype, f"{what}: output is {low.dtype}, expected {dtype}"
        assert torch.isfinite(low).all(), f"{what}: non-finite output under {dtype}"
        err = _relative_error(low, ref)
        assert err < TOLERANCE[dtype], f"{what}: relative error {err:.2e} under {dtype}"


DTYPES = pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float16], ids=["bf16", "fp16"])
KINDS = pytest.mark.parametrize("kind", list(INPUTS))


@DTYPES
@KINDS
def test_full_size_self_attention_at_128(dtype, kind):
    # AMINet's first stage: C = 26 at 128 x 128, one head (16,384 pixels per logit)
    _assert_close(SelfAttention(26, 1), _features(26, kind), dtype, "SelfAttention(26)")


@DTYPES
@pytest.mark.parametrize("normalize_qk", [True, False], ids=["normalized", "literal-eq4"])
def test_self_attention_both_scalings_and_heads(dtype, normalize_qk):
    sa = SelfAttention(16, num_heads=2, normalize_qk=normalize_qk)
    _assert_close(sa, _features(16, "biased"), dtype, f"SelfAttention(normalize_qk={normalize_qk})")


def test_the_old_product_order_overflows_fp16():
    """The failure this guards against: q @ k^T before dividing by the norms passes 65,504."""
    sa = SelfAttention(26, 1).eval().half()
    x = _features(26, "biased").half()
    with torch.no_grad():
        q, k, _ = sa._heads(x)
        raw = q @ k.transpose(-2, -1)  # the fp32 fast path's order, run in fp16
        norms = q.norm(dim=-1, keepdim=True) * k.norm(dim=-1, keepdim=True).transpose(-2, -1)
        old_attn = (raw * (sa.temperature / norms)).softmax(dim=-1)
        new_attn = sa.attention_map(x)
        first_version = sa_forward_before(sa, x)  # normalised first: finite, as the fix
        new = sa(x)
    assert not torch.isfinite(raw).all(), "the raw logits should overflow fp16 at 128x128, mean 3"
    assert torch.isnan(old_attn).any()
    assert torch.isfinite(new_attn).all() and torch.isfinite(new).all()
    torch.testing.assert_close(new.float(), first_version.float(), rtol=0, atol=5e-3)


def test_low_precision_path_equals_fp32_path_in_fp32():
    """The scaled-before-product path (used in fp16/bf16) is the same function as the fp32 one."""
    for normalize_qk in (True, False):
        sa = SelfAttention(16, 2, normalize_qk=normalize_qk).eval().double()
        with torch.no_grad():
            if normalize_qk:
                sa.temperature.copy_(torch.tensor([[[0.7]], [[1.9]]]))
            q, k, _ = sa._heads(_features(16, "biased", size=32).double())
            fast = sa._logits(q, k)
            if normalize_qk:
                qn, kn = F.normalize(q, dim=-1), F.normalize(k, dim=-1)
                slow = (qn @ kn.transpose(-2, -1)) * sa.temperature
            else:
                slow = (q @ k.transpose(-2, -1)) / math.sqrt(q.shape[-1])
            torch.testing.assert_close(fast, slow, rtol=1e-10, atol=1e-12)
            # the branch taken in fp16 / bf16 computes the same logits, up to bf16 rounding
            sa.float()
            low = sa._logits(q.bfloat16(), k.bfloat16()).double()
            scale = slow.abs().max()
            assert (low - slow).abs().max() < 2e-2 * scale, normalize_qk


MODULES = {
    "LayerNorm2d": lambda: LayerNorm2d(8),
    "GatedFFN": lambda: GatedFFN(8),
    "RDFE": lambda: RDFE(8, hourglass_depth=2, hourglass_channels=8),
    "SKAF": lambda: SKAF(8),
    "LGFI": lambda: LGFI(8, num_heads=1, hourglass_depth=2, hourglass_channels=8),
    "EDFF": lambda: EDFF(8),
    "FRM": lambda: FRM(8, hourglass_depth=2, hourglass_channels=8),
    "HourGlass": lambda: HourGlass(8, depth=2, mid=8),
    "TransformerBlock": lambda: TransformerBlock(8, 1, hourglass_depth=2, hourglass_channels=8),
}


@DTYPES
@KINDS
@pytest.mark.parametrize("name", list(MODULES))
def test_every_module_at_128(name, kind, dtype):
    module = MODULES[name]()
    x = _features(8, kind)
    if name == "EDFF":  # EDFF fuses an encoder and a decoder feature
        module = _Pair(module, _features(8, kind))
    _assert_close(module, x, dtype, name)


class _Pair(torch.nn.Module):
    """Feeds a second, fixed input to a two-input module (EDFF)."""

    def __init__(self, module, other):
        super().__init__()
        self.module = module
        self.register_buffer("other", other)

    def forward(self, x):
        return self.module(x, self.other.to(x.dtype))


NARROW_SPARNET = dict(min_channels=8, max_channels=16, hourglass_channels=8)
MODEL_CASES = [
    # the whole architectures (every module, every stage) at 128 x 128. AMINet-S runs at its own
    # width (C = 20) in bf16; in fp16 the CPU's half kernels are slow (about 70 s for one AMINet-S
    # forward on the sandbox), so fp16 and the other models use narrow widths
    ("aminet", dict(TINY), torch.bfloat16),
    ("aminet", dict(TINY), torch.float16),
    ("aminet-s", {}, torch.bfloat16),
    (
        "aminet-s",
        dict(base_channels=10, hourglass_channels=8, num_heads=(1, 1, 1, 1)),
        torch.float16,
    ),
    ("sparnet", NARROW_SPARNET, torch.bfloat16),
    ("sparnet", NARROW_SPARNET, torch.float16),
]


@pytest.mark.parametrize(
    "name, kwargs, dtype",
    MODEL_CASES,
    ids=[
        f"{n}-{'bf16' if d == torch.bfloat16 else 'fp16'}{'-narrow' if k else ''}"
        for n, k, d in MODEL_CASES
    ],
)
def test_whole_models_at_128(name, kwargs, dtype):
    model = aminet.create_model(name, **kwargs).eval()
    x = torch.rand(1, 3, SIZE, SIZE)
    refs, lows = _outputs(model, x, dtype)
    ref, low = refs[0], lows[0]
    assert torch.isfinite(low).all(), f"{name}: non-finite output under {dtype}"
    # compare what the network adds to its input (the output includes the bicubic face)
    err = _relative_error(low.float() - x, ref - x)
    assert err < TOLERANCE[dtype], f"{name}: relative error of the residual {err:.2e}"


def test_fp16_training_step_with_grad_scaler():
    """One AMP step as the trainer takes it on a T4: fp16 autocast, GradScaler, finite update."""
    from aminet.train import _pixel_step

    model = aminet.create_model("aminet", **TINY)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    try:
        scaler = torch.amp.GradScaler("cpu", init_scale=2.0**16)
        with torch.autocast("cpu", dtype=torch.float16):
            torch.ones(2, 2) @ torch.ones(2, 2)
    except (RuntimeError, AssertionError, ValueError) as err:
        pytest.skip(f"CPU fp16 autocast / GradScaler unsupported by this torch: {err}")
    before = [p.detach().clone() for p in model.parameters()]
    inp, hr = torch.rand(2, 3, 64, 64), torch.rand(2, 3, 64, 64)
    device = torch.device("cpu")
    step = _pixel_step(model, optimizer, scaler, inp, hr, torch.float16, device, grad_clip=1.0)
    loss = step["loss"]
    assert math.isfinite(loss) and 0 < loss < 1
    changed = sum(not torch.equal(a, p) for a, p in zip(before, model.parameters()))
    assert changed > 0, "the scaled step must update the weights"
    assert all(torch.isfinite(p).all() for p in model.parameters())
    assert scaler.get_scale() > 0


# -- the AMP choice: bf16 only where the GPU runs it natively ------------------------------------


def _fake_gpu(monkeypatch, capability, emulated_bf16=True, has_kwarg=True):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "get_device_capability", lambda device=None: capability)
    if has_kwarg:

        def is_bf16_supported(including_emulation=True):
            return capability >= (8, 0) or (including_emulation and emulated_bf16)

    else:

        def is_bf16_supported():
            return True  # old torch: True through emulation on a T4 too

    monkeypatch.setattr(torch.cuda, "is_bf16_supported", is_bf16_supported)


@pytest.mark.parametrize("has_kwarg", [True, False], ids=["torch>=2.4", "older-torch"])
@pytest.mark.parametrize(
    "capability, expected",
    [
        ((7, 5), torch.float16),
        ((7, 0), torch.float16),
        ((8, 0), torch.bfloat16),
        ((9, 0), torch.bfloat16),
    ],
    ids=["T4-sm75", "V100-sm70", "A100-sm80", "H100-sm90"],
)
def test_auto_amp_picks_bf16_only_natively(monkeypatch, capability, expected, has_kwarg):
    _fake_gpu(monkeypatch, capability, has_kwarg=has_kwarg)
    assert native_bf16("cuda") is (expected == torch.bfloat16)
    assert autocast_dtype("auto", torch.device("cuda")) == expected


def test_amp_choices_elsewhere(monkeypatch):
    _fake_gpu(monkeypatch, (7, 5))
    assert autocast_dtype("auto", "cpu") is None
    assert autocast_dtype("none", "cuda") is None
    assert autocast_dtype("bf16", "cuda") == torch.bfloat16  # asked for: taken as asked
    assert autocast_dtype("fp16", "cuda") == torch.float16
    with pytest.raises(ValueError, match="auto, bf16, fp16, none"):
        autocast_dtype("half", "cuda")


def test_trainer_uses_the_device_choice(monkeypatch):
    from aminet.train import _amp_dtype

    _fake_gpu(monkeypatch, (7, 5))
    assert _amp_dtype("auto", torch.device("cuda")) == torch.float16
    _fake_gpu(monkeypatch, (8, 6))
    assert _amp_dtype("auto", torch.device("cuda")) == torch.bfloat16


def test_divergence_message_names_cause_and_option():
    from aminet.train import _divergence_hint

    fp16 = _divergence_hint(torch.float16, float("nan"))
    assert "fp16 overflow" in fp16 and "--amp none" in fp16 and 'amp="none"' in fp16
    assert "--amp bf16" in fp16
    assert "--amp none" in _divergence_hint(None, 12.0)
