"""The speed changes keep the maths: fast modules == the code as first written (allclose).

``tests/speed_reference.py`` (test-only code, not shipped in the package) holds the first
implementations; both versions share one set of weights.
Outputs *and* gradients are compared, so training is unchanged too.
"""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from speed_reference import (
    rdfe_forward_before,
    sa_forward_before,
    skaf_forward_before,
    use_reference,
)

from aminet.modules import RDFE, SKAF, AttentionUnit, SelfAttention
from aminet.registry import create_model

TOL = dict(rtol=1e-5, atol=1e-5)


pytestmark = pytest.mark.usefixtures("one_thread")  # tests/conftest.py


def _same_output_and_grads(module, before, x):
    """Run the fast and the reference forward on copies of ``x``; compare outputs and gradients."""
    x1, x2 = x.clone().requires_grad_(), x.clone().requires_grad_()
    fast, slow = module(x1), before(module, x2)
    fast = fast if isinstance(fast, tuple) else (fast,)
    slow = slow if isinstance(slow, tuple) else (slow,)
    for a, b in zip(fast, slow):
        torch.testing.assert_close(a, b, **TOL)
    fast_grads = torch.autograd.grad(
        sum(o.square().sum() for o in fast), [x1, *module.parameters()]
    )
    slow_grads = torch.autograd.grad(
        sum(o.square().sum() for o in slow), [x2, *module.parameters()]
    )
    for a, b in zip(fast_grads, slow_grads):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("heads,normalize_qk", [(1, True), (4, True), (2, False)])
def test_sa_matches_first_version(heads, normalize_qk):
    torch.manual_seed(0)
    sa = SelfAttention(16, heads, normalize_qk)
    if normalize_qk:
        with torch.no_grad():
            sa.temperature.uniform_(0.5, 3.0)  # per-head temperatures must be applied per head
    _same_output_and_grads(sa, sa_forward_before, torch.randn(2, 16, 9, 13))


def test_sa_zero_query_is_safe():
    # F.normalize clamps the norm at 1e-12; the folded version must do the same (no NaN).
    sa = SelfAttention(8, 2)
    with torch.no_grad():
        sa.qkv.weight[:8].zero_()  # q == 0 everywhere
    x = torch.randn(1, 8, 6, 6)
    out = sa(x)
    assert torch.isfinite(out).all()
    torch.testing.assert_close(out, sa_forward_before(sa, x), **TOL)


def test_attention_map_unchanged():
    torch.manual_seed(1)
    sa = SelfAttention(12, 3)
    x = torch.randn(2, 12, 7, 5)
    attn = sa.attention_map(x)
    assert attn.shape == (2, 3, 4, 4)
    torch.testing.assert_close(attn.sum(-1), torch.ones(2, 3, 4))
    q, k, _ = sa._heads(x)
    expected = (F.normalize(q, dim=-1) @ F.normalize(k, dim=-1).transpose(-2, -1)) * sa.temperature
    torch.testing.assert_close(attn, expected.softmax(-1), **TOL)


@pytest.mark.parametrize(
    "kwargs", [{}, {"use_au": False}, {"kernel_sizes": (5,)}, {"use_frm": False}]
)
def test_rdfe_matches_first_version(kwargs):
    torch.manual_seed(0)
    rdfe = RDFE(8, hourglass_depth=2, hourglass_channels=8, **kwargs).eval()
    _same_output_and_grads(rdfe, rdfe_forward_before, torch.randn(2, 8, 12, 10))


def test_attention_unit_from_pooled_equals_forward():
    au = AttentionUnit(8, 3)
    concat = torch.randn(2, 24, 5, 7)
    torch.testing.assert_close(au(concat), au.from_pooled(concat.mean((2, 3), keepdim=True)), **TOL)


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"use_conv5": False},
        {"use_conv7": False},
        {"use_conv5": False, "use_conv7": False},
        {"use_avgpool": False},
        {"use_maxpool": False},
        {"use_avgpool": False, "use_maxpool": False},
    ],
)
def test_skaf_matches_first_version(options):
    torch.manual_seed(0)
    skaf = SKAF(10, **options)  # odd split: 5 + 5 channels, and 10 with no conv
    _same_output_and_grads(skaf, skaf_forward_before, torch.randn(2, 10, 9, 11))


def test_whole_model_matches_and_reference_switch_is_reversible():
    torch.manual_seed(0)
    model = create_model(
        "aminet", base_channels=8, hourglass_channels=8, num_heads=(1, 2, 2, 4)
    ).eval()
    x = torch.rand(1, 3, 16, 16)
    with torch.no_grad():
        fast = model(x)
        switched = use_reference(model)
        slow = model(x)
        # 3 encoder + 2 bottleneck + 3 decoder LGFIs: 8 SA, 8 RDFE, 8 + 3 (EDFF) SKAF
        assert switched == 27
        for module in model.modules():
            module.__dict__.pop("forward", None)
        again = model(x)
    torch.testing.assert_close(fast, slow, **TOL)
    assert torch.equal(fast, again)
