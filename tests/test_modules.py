"""The paper's modules: shapes at several widths/sizes, parameter formulas, semantics, bad input."""

import param_formulas as pf
import pytest
import torch

from aminet.modules import EDFF, FRM, LGFI, RDFE, SKAF, AttentionUnit, HourGlass, SelfAttention


def n_params(m):
    return sum(p.numel() for p in m.parameters())


@pytest.mark.parametrize(
    "c,heads,h,w", [(8, 1, 16, 16), (16, 2, 12, 20), (24, 4, 7, 9), (32, 8, 5, 5)]
)
def test_self_attention_shape_and_params(c, heads, h, w):
    sa = SelfAttention(c, heads)
    x = torch.randn(2, c, h, w)
    assert sa(x).shape == x.shape
    assert n_params(sa) == pf.sa(c, heads)
    assert n_params(SelfAttention(c, heads, normalize_qk=False)) == pf.sa(c, heads, False)


def test_self_attention_map_is_channel_by_channel_and_row_stochastic():
    sa = SelfAttention(16, 4)
    attn = sa.attention_map(torch.randn(3, 16, 10, 6))
    assert attn.shape == (3, 4, 4, 4)  # (N, heads, C/h, C/h): independent of H*W
    torch.testing.assert_close(attn.sum(-1), torch.ones(3, 4, 4))
    assert (attn >= 0).all()


def test_self_attention_matches_explicit_formula():
    """Eq. 4 with Restormer's normalisation, written out by hand for one head."""
    sa = SelfAttention(6, 1)
    with torch.no_grad():
        sa.temperature.fill_(2.5)
    x = torch.randn(1, 6, 4, 5)
    q, k, v = sa.qkv_dwconv(sa.qkv(x)).chunk(3, dim=1)
    q, k, v = (t.reshape(6, 20) for t in (q, k, v))
    q = q / q.norm(dim=1, keepdim=True)
    k = k / k.norm(dim=1, keepdim=True)
    attn = torch.softmax(q @ k.T * 2.5, dim=1)
    expected = sa.project((attn @ v).reshape(1, 6, 4, 5))
    torch.testing.assert_close(sa(x), expected)


def test_self_attention_is_global():
    """Changing one pixel changes the output everywhere (unlike a convolution's local footprint)."""
    sa = SelfAttention(8, 2)
    x = torch.randn(1, 8, 16, 16)
    y = x.clone()
    y[..., 0, 0] += 5.0
    diff = (sa(x) - sa(y)).abs()
    assert diff[..., 15, 15].sum() > 0  # far corner, beyond any 3x3 receptive field


def test_attention_unit_softmax_over_branches():
    au = AttentionUnit(8, branches=3)
    w = au(torch.randn(2, 24, 5, 5))
    assert w.shape == (2, 3, 8, 1, 1)
    torch.testing.assert_close(w.sum(1), torch.ones(2, 8, 1, 1))
    assert n_params(au) == pf.attention_unit(8, 3)


@pytest.mark.parametrize(
    "c,depth,h,w", [(8, 2, 16, 16), (16, 3, 13, 22), (12, 5, 32, 32), (8, 4, 5, 3)]
)
def test_rdfe_frm_hourglass_shapes_and_params(c, depth, h, w):
    x = torch.randn(2, c, h, w)
    hg = HourGlass(c, depth, mid=16)
    att = hg(x)
    assert att.shape == (2, 1, h, w) and (att > 0).all() and (att < 1).all()
    assert n_params(hg) == pf.hourglass(c, depth, 16)
    assert FRM(c, depth, 16)(x).shape == x.shape
    assert n_params(FRM(c, depth, 16)) == pf.frm(c, depth, 16)
    rdfe = RDFE(c, hourglass_depth=depth, hourglass_channels=16)
    assert rdfe(x).shape == x.shape
    assert n_params(rdfe) == pf.rdfe(c, depth=depth, mid=16)


@pytest.mark.parametrize(
    "options",
    [dict(kernel_sizes=(3,)), dict(kernel_sizes=(7,)), dict(use_au=False), dict(use_frm=False)],
)
def test_rdfe_variants_params(options):
    rdfe = RDFE(16, hourglass_depth=3, hourglass_channels=16, **options)
    x = torch.randn(1, 16, 12, 12)
    assert rdfe(x).shape == x.shape
    expected = pf.rdfe(
        16,
        kernels=options.get("kernel_sizes", (3, 5, 7)),
        depth=3,
        mid=16,
        use_au=options.get("use_au", True),
        use_frm=options.get("use_frm", True),
    )
    assert n_params(rdfe) == expected
    if len(options.get("kernel_sizes", (3, 5, 7))) == 1:
        assert rdfe.au is None  # a softmax over one branch is constant: no AU


def test_rdfe_without_frm_is_residual_around_branches():
    """Eq. 9: zeroing the fusion conv leaves exactly the input."""
    rdfe = RDFE(8, use_frm=False)
    with torch.no_grad():
        rdfe.fuse.weight.zero_()
        rdfe.fuse.bias.zero_()
    x = torch.randn(2, 8, 9, 9)
    torch.testing.assert_close(rdfe(x), x)


@pytest.mark.parametrize("c,h,w", [(8, 16, 16), (17, 9, 14), (64, 4, 4)])
def test_skaf_returns_two_sigmoid_maps(c, h, w):
    skaf = SKAF(c)
    a, b = skaf(torch.randn(2, c, h, w))
    assert a.shape == b.shape == (2, 1, h, w)
    assert ((a > 0) & (a < 1)).all() and ((b > 0) & (b < 1)).all()
    assert n_params(skaf) == pf.skaf(c)


@pytest.mark.parametrize(
    "switches",
    [
        dict(use_conv5=False),
        dict(use_conv7=False),
        dict(use_avgpool=False),
        dict(use_maxpool=False),
        dict(use_avgpool=False, use_maxpool=False),
        dict(use_conv5=False, use_conv7=False, use_avgpool=False, use_maxpool=False),
        # Table V rows 4-6: the 7x7 conv alone, without pooling, with avg-, with max-pooling
        dict(use_conv5=False, use_avgpool=False, use_maxpool=False),
        dict(use_conv5=False, use_maxpool=False),
        dict(use_conv5=False, use_avgpool=False),
        dict(use_conv7=False, use_avgpool=False, use_maxpool=False),
    ],
)
def test_skaf_switches(switches):
    skaf = SKAF(17, **switches)  # odd: the 5x5 conv gets 8 channels, the 7x7 conv 9
    x = torch.randn(1, 17, 8, 8, requires_grad=True)
    a, b = skaf(x)
    assert a.shape == b.shape == (1, 1, 8, 8)
    (a + b).sum().backward()
    assert x.grad.abs().sum() > 0
    names = {
        "use_conv5": "conv5",
        "use_conv7": "conv7",
        "use_avgpool": "avgpool",
        "use_maxpool": "maxpool",
    }
    assert n_params(skaf) == pf.skaf(17, **{names[k]: v for k, v in switches.items()})


def test_skaf_pools_along_channels():
    """With the mix conv fixed to pass the max-pooled map, the second weight is sigmoid(max_c)."""
    skaf = SKAF(4, use_conv5=False, use_conv7=False, mix_kernel=1)
    with torch.no_grad():
        skaf.mix.weight.zero_()
        skaf.mix.bias.zero_()
        skaf.mix.weight[0, 0] = 1.0  # map 0 <- channel mean
        skaf.mix.weight[1, 1] = 1.0  # map 1 <- channel max
    x = torch.randn(2, 4, 6, 6)
    a, b = skaf(x)
    torch.testing.assert_close(a, torch.sigmoid(x.mean(1, keepdim=True)))
    torch.testing.assert_close(b, torch.sigmoid(x.amax(1, keepdim=True)))


def test_edff_fuses_with_skaf_weights():
    edff = EDFF(8)
    e, d = torch.randn(2, 8, 10, 10), torch.randn(2, 8, 10, 10)
    w_e, w_d = edff.selection(e, d)
    torch.testing.assert_close(edff(e, d), e * w_e + d * w_d)  # eq. 16
    assert n_params(edff) == pf.edff(8)


def test_edff_swapped_inputs_differ():
    edff = EDFF(8)
    e, d = torch.randn(1, 8, 6, 6), torch.randn(1, 8, 6, 6)
    assert not torch.allclose(edff(e, d), edff(d, e))


@pytest.mark.parametrize(
    "c,heads,depth,h,w", [(8, 1, 2, 8, 8), (16, 2, 3, 15, 11), (32, 4, 4, 16, 16)]
)
def test_lgfi_shape_params_and_fusion(c, heads, depth, h, w):
    lgfi = LGFI(c, heads, hourglass_depth=depth, hourglass_channels=16)
    x = torch.randn(2, c, h, w)
    assert lgfi(x).shape == x.shape
    assert n_params(lgfi) == pf.lgfi(c, heads, depth, 16)
    g, local = lgfi.branches(x)
    w_g, w_l = lgfi.selection(x)
    torch.testing.assert_close(lgfi(x), x + g * w_g + local * w_l)


def test_lgfi_ablation_switches():
    x = torch.randn(1, 8, 8, 8)
    no_skaf = LGFI(8, use_skaf=False, hourglass_channels=8)
    g, local = no_skaf.branches(x)
    torch.testing.assert_close(no_skaf(x), x + g + local)
    no_sa = LGFI(8, use_sa=False, hourglass_channels=8)
    g, _ = no_sa.branches(x)
    torch.testing.assert_close(g, no_sa.norm(x))  # the global branch is the identity
    assert no_sa.sa is None and LGFI(8, use_rdfe=False).local is None


@pytest.mark.parametrize(
    "module,bad,match",
    [
        (SelfAttention(8, 2), torch.randn(1, 4, 8, 8), r"\(N, 8, H, W\)"),
        (SelfAttention(8, 2), torch.randn(8, 8, 8), r"\(N, 8, H, W\)"),
        (RDFE(8), torch.randn(1, 3, 8, 8), r"\(N, 8, H, W\)"),
        (SKAF(8), torch.randn(1, 8, 8), r"\(N, 8, H, W\)"),
        (LGFI(8), torch.randn(2, 16, 4, 4), r"\(N, 8, H, W\)"),
    ],
)
def test_modules_reject_wrong_shapes(module, bad, match):
    with pytest.raises(ValueError, match=match):
        module(bad)


def test_edff_rejects_mismatched_features():
    with pytest.raises(ValueError, match="same shape"):
        EDFF(8)(torch.randn(1, 8, 8, 8), torch.randn(1, 8, 4, 4))
    with pytest.raises(ValueError, match="encoder"):
        EDFF(8)(torch.randn(1, 4, 8, 8), torch.randn(1, 8, 8, 8))


def test_bad_constructor_arguments():
    with pytest.raises(ValueError, match="divisible"):
        SelfAttention(10, 3)
    with pytest.raises(ValueError, match="odd"):
        RDFE(8, kernel_sizes=(4,))
    with pytest.raises(ValueError, match="local_branch"):
        LGFI(8, local_branch="mlp")
