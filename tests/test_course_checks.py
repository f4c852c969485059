"""The exercise checks: references match aminet's modules, and typical mistakes are caught.

Every mutation below is a mistake a student plausibly makes (a missing scale or normalisation, a
softmax over the wrong axis, a wrong kernel size, a missing residual, swapped branches...). Each
must make ``check`` raise an AssertionError that names the exercise and the input; the reference
must pass; an unattempted exercise must fall back to the reference.
"""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from aminet.course import check, list_exercises
from aminet.course import reference as ref
from aminet.course.checks import (
    EXERCISES,
    _randomize,
    _tiny_unet,
    compare,
    run_cases,
)
from aminet.course.compare import run_answer
from aminet.modules import EDFF, LGFI, RDFE, SKAF, SelfAttention, TransformerBlock

# ----------------------------------------------------------------------------------------------
# References reproduce the modules exactly (the package is the single source of truth)
# ----------------------------------------------------------------------------------------------


@pytest.fixture
def feature():
    torch.manual_seed(0)
    return torch.randn(2, 8, 6, 7)


@torch.no_grad()
def test_sa_reference_matches_module(feature):
    sa = _randomize(SelfAttention(8, num_heads=2))
    assert torch.allclose(ref.sa_forward(feature, sa), sa(feature), atol=1e-5)
    q, k, _ = (ref.sa_to_heads(t, 2) for t in sa.qkv_dwconv(sa.qkv(feature)).chunk(3, dim=1))
    assert torch.allclose(
        ref.sa_attention_map(q, k, sa.temperature), sa.attention_map(feature), atol=1e-6
    )


@torch.no_grad()
def test_rdfe_reference_matches_module(feature):
    rdfe = _randomize(RDFE(8, hourglass_depth=2, hourglass_channels=8))
    assert torch.allclose(ref.rdfe_forward(feature, rdfe), rdfe(feature), atol=1e-5)
    concat = torch.cat([F.gelu(c(feature)) for c in rdfe.extract], 1)
    weights = ref.rdfe_au_weights(concat, rdfe.au.squeeze, rdfe.au.excite, 3)
    assert torch.allclose(weights, rdfe.au(concat), atol=1e-5)
    assert torch.allclose(weights.sum(1), torch.ones(2, 8, 1, 1), atol=1e-5)


@torch.no_grad()
def test_skaf_lgfi_edff_references_match_modules(feature):
    skaf = _randomize(SKAF(8))
    for a, b in zip(ref.skaf_forward(feature, skaf), skaf(feature)):
        assert torch.allclose(a, b, atol=1e-5)
    lgfi = _randomize(LGFI(8, num_heads=2, hourglass_depth=2, hourglass_channels=8))
    assert torch.allclose(ref.lgfi_forward(feature, lgfi), lgfi(feature), atol=1e-5)
    block = _randomize(TransformerBlock(8, 2, hourglass_depth=2, hourglass_channels=8))
    assert torch.allclose(ref.lgfi_transformer_forward(feature, block), block(feature), atol=1e-5)
    edff = _randomize(EDFF(8))
    dec = torch.randn_like(feature)
    fused = ref.edff_combine(feature, dec, *ref.edff_selection(feature, dec, edff))
    assert torch.allclose(fused, edff(feature, dec), atol=1e-5)


@torch.no_grad()
def test_unet_reference_matches_model_and_shapes():
    model = _tiny_unet().eval()
    x = torch.rand(1, 3, 12, 20)
    assert torch.allclose(ref.unet_forward(x, model), model(x), atol=1e-5)
    seen = []
    hooks = [
        m.register_forward_hook(lambda m, i, o: seen.append(tuple(o.shape[1:])))
        for m in (*model.encoders, model.bottleneck)
    ]
    model(torch.rand(1, 3, 20, 20))
    for h in hooks:
        h.remove()
    assert (
        seen == ref.unet_stage_shapes(20, 4) == [(4, 24, 24), (8, 12, 12), (16, 6, 6), (32, 3, 3)]
    )


def test_depthwise_reference_is_depthwise():
    conv = ref.rdfe_depthwise_conv(6, 5)
    assert conv.weight.shape == (6, 1, 5, 5) and conv.groups == 6
    assert conv(torch.randn(1, 6, 9, 11)).shape == (1, 6, 9, 11)


@pytest.mark.parametrize("exercise_id", list(EXERCISES))
def test_every_reference_passes_its_own_check(exercise_id, capsys):
    exercise = EXERCISES[exercise_id]
    verdict = run_answer(exercise, exercise.reference)
    assert verdict.status == "passed", verdict.message
    assert verdict.library, "the reference is the package's code (or the key), and is seen as such"
    # the notebook's fallback, checked again, is named for what it is and returned unchanged
    assert check(exercise_id, exercise.reference) is exercise.reference
    assert "aminet's own reference" in capsys.readouterr().out
    assert len(exercise.cases) >= 2, "at least two inputs per exercise"
    assert exercise.hint and exercise.solution and exercise.name


def test_exercise_ids_are_unique_and_modules_01_to_06_have_a_build_the_module_exercise():
    ids = list_exercises()
    assert len(ids) == len(set(ids))
    per_notebook = {}
    for ex in EXERCISES.values():
        per_notebook.setdefault(ex.notebook, []).append(ex)
    for notebook in ("01", "02", "03", "04", "05", "06"):
        exercises = per_notebook.get(notebook, [])
        assert len(exercises) >= 2, f"notebook {notebook} needs >= 2 exercises"
        assert any(ex.kind == "module" for ex in exercises), f"notebook {notebook}: no module"


def test_cases_leave_the_global_rng_alone():
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    run_cases(EXERCISES["sa.attention_map"], ref.sa_attention_map)
    assert torch.equal(torch.rand(3), expected)


# ----------------------------------------------------------------------------------------------
# Mutations: typical mistakes must fail with a message saying what differs
# ----------------------------------------------------------------------------------------------


def _heads_transposed(x, num_heads):
    n, c, h, w = x.shape
    return x.reshape(n, num_heads, h * w, c // num_heads).transpose(-1, -2)


def _heads_interleaved(x, num_heads):
    n, c, h, w = x.shape
    return x.reshape(n, c // num_heads, num_heads, h * w).transpose(1, 2)


def _map_no_normalisation(q, k, t):
    return ((q @ k.transpose(-2, -1)) * t).softmax(-1)


def _map_softmax_wrong_axis(q, k, t):
    q, k = F.normalize(q, dim=-1), F.normalize(k, dim=-1)
    return ((q @ k.transpose(-2, -1)) * t).softmax(-2)


def _map_missing_scale(q, k, t):
    q, k = F.normalize(q, dim=-1), F.normalize(k, dim=-1)
    return (q @ k.transpose(-2, -1)).softmax(-1)


def _map_normalised_over_channels(q, k, t):
    q, k = F.normalize(q, dim=-2), F.normalize(k, dim=-2)
    return ((q @ k.transpose(-2, -1)) * t).softmax(-1)


def _sa_without_projection(x, sa):
    n, c, h, w = x.shape
    q, k, v = (ref.sa_to_heads(t, sa.num_heads) for t in sa.qkv_dwconv(sa.qkv(x)).chunk(3, 1))
    return (ref.sa_attention_map(q, k, sa.temperature) @ v).reshape(n, c, h, w)


def _sa_skipping_dwconv(x, sa):
    n, c, h, w = x.shape
    q, k, v = (ref.sa_to_heads(t, sa.num_heads) for t in sa.qkv(x).chunk(3, 1))
    return sa.project((ref.sa_attention_map(q, k, sa.temperature) @ v).reshape(n, c, h, w))


def _dw_wrong_kernel(channels, kernel_size):
    return nn.Conv2d(channels, channels, 3, padding=1, groups=channels)


def _dw_dense(channels, kernel_size):
    return nn.Conv2d(channels, channels, kernel_size, padding=kernel_size // 2)


def _dw_no_padding(channels, kernel_size):
    return nn.Conv2d(channels, channels, kernel_size, groups=channels)


def _au_softmax_over_channels(concat, squeeze, excite, branches):
    n, kc = concat.shape[:2]
    logits = excite(F.relu(squeeze(F.adaptive_avg_pool2d(concat, 1))))
    return logits.reshape(n, branches, kc // branches, 1, 1).softmax(dim=2)


def _au_max_pool(concat, squeeze, excite, branches):
    n, kc = concat.shape[:2]
    logits = excite(F.relu(squeeze(F.adaptive_max_pool2d(concat, 1))))
    return logits.reshape(n, branches, kc // branches, 1, 1).softmax(dim=1)


def _rdfe(x, rdfe, *, residual=True, gelu=True, swap=False):
    act = F.gelu if gelu else (lambda t: t)
    feats = [act(conv(x)) for conv in rdfe.extract]
    w = rdfe.au(torch.cat(feats, 1))
    k = len(feats)
    feats = [
        conv(f * w[:, (k - 1 - i) if swap else i])
        for i, (conv, f) in enumerate(zip(rdfe.refine, feats))
    ]
    out = rdfe.fuse(torch.cat(feats, 1)) + (x if residual else 0)
    return rdfe.frm(out)


def _pool_swapped(x3):
    return torch.cat([x3.amax(1, keepdim=True), x3.mean(1, keepdim=True)], 1)


def _pool_spatial(x3):
    return torch.stack([x3.mean((2, 3)), x3.amax((2, 3))], 1)


def _skaf_swapped(x, skaf):
    a, b = ref.skaf_forward(x, skaf)
    return b, a


def _skaf_softmax(x, skaf):
    x3 = torch.cat([conv(x) for conv in skaf.convs], 1)
    w = skaf.mix(ref.skaf_channel_pool(x3)).softmax(1)
    return w[:, :1], w[:, 1:]


def _lgfi(x, lgfi, *, residual=True, swap=False, serial=False):
    y = lgfi.norm(x)
    g = lgfi.sa(y)
    local = lgfi.local(g) if serial else lgfi.local(y)
    w_g, w_l = lgfi.skaf(g + local)
    if swap:
        w_g, w_l = w_l, w_g
    return (x if residual else 0) + g * w_g + local * w_l


def _transformer_missing_residual(x, block):
    x = x + block.attn(block.norm1(x))
    x = block.ffn(block.norm2(x))
    return block.frm(x) if block.frm is not None else x


def _transformer_one_norm(x, block):
    x = x + block.attn(block.norm1(x))
    x = x + block.ffn(block.norm1(x))
    return block.frm(x) if block.frm is not None else x


def _edff_decoder_first(enc, dec, edff):
    return edff.skaf(edff.reduce(torch.cat([dec, enc], 1)))


def _edff_no_reduce(enc, dec, edff):
    return edff.skaf(torch.cat([enc, dec], 1))


def _combine_swapped(enc, dec, w_enc, w_dec):
    return enc * w_dec + dec * w_enc


def _combine_sum(enc, dec, w_enc, w_dec):
    return enc + dec


def _shapes_unpadded(size, c):
    return [(c * 2**i, size // 2**i, size // 2**i) for i in range(4)]


def _shapes_constant_width(size, c):
    side = size + (-size) % 8
    return [(c, side // 2**i, side // 2**i) for i in range(4)]


def _unet(x, model, *, residual=True, reverse=True, pad_mode="replicate"):
    h, w = x.shape[-2:]
    ph, pw = (-h) % 8, (-w) % 8
    padded = F.pad(x, (0, pw, 0, ph), mode=pad_mode) if ph or pw else x
    feat = model.head(padded)
    skips = []
    for enc, down in zip(model.encoders, model.downs):
        feat = enc(feat)
        skips.append(feat)
        feat = down(feat)
    feat = model.bottleneck(feat)
    for up, fusion, dec, skip in zip(
        model.ups, model.fusions, model.decoders, reversed(skips) if reverse else skips
    ):
        feat = dec(fusion(skip, up(feat)))
    return (model.tail(feat) + (padded if residual else 0))[..., :h, :w]


MUTATIONS = [
    # (exercise, name, mutant, expected fragment of the message)
    ("sa.to_heads", "pixels and channels swapped", _heads_transposed, "values differ"),
    ("sa.to_heads", "heads interleaved", _heads_interleaved, "values differ"),
    ("sa.attention_map", "missing normalisation", _map_no_normalisation, "values differ"),
    ("sa.attention_map", "softmax over the wrong axis", _map_softmax_wrong_axis, "values differ"),
    ("sa.attention_map", "missing scale (temperature)", _map_missing_scale, "values differ"),
    (
        "sa.attention_map",
        "normalised over channels",
        _map_normalised_over_channels,
        "values differ",
    ),
    ("sa.forward", "missing output projection", _sa_without_projection, "values differ"),
    ("sa.forward", "depthwise conv skipped", _sa_skipping_dwconv, "values differ"),
    ("rdfe.depthwise_conv", "wrong kernel size", _dw_wrong_kernel, "has shape"),
    ("rdfe.depthwise_conv", "dense instead of depthwise", _dw_dense, "has shape"),
    ("rdfe.depthwise_conv", "no padding", _dw_no_padding, "shape"),
    ("rdfe.au_weights", "softmax over channels", _au_softmax_over_channels, "values differ"),
    ("rdfe.au_weights", "max instead of average pooling", _au_max_pool, "values differ"),
    ("rdfe.forward", "missing residual", lambda x, m: _rdfe(x, m, residual=False), "values differ"),
    ("rdfe.forward", "missing GELU", lambda x, m: _rdfe(x, m, gelu=False), "values differ"),
    (
        "rdfe.forward",
        "swapped branch weights",
        lambda x, m: _rdfe(x, m, swap=True),
        "values differ",
    ),
    ("skaf.channel_pool", "swapped branches (max first)", _pool_swapped, "values differ"),
    ("skaf.channel_pool", "pooled over space", _pool_spatial, "shape"),
    ("skaf.forward", "swapped branches", _skaf_swapped, "values differ"),
    ("skaf.forward", "softmax instead of sigmoid", _skaf_softmax, "values differ"),
    ("lgfi.forward", "missing residual", lambda x, m: _lgfi(x, m, residual=False), "values differ"),
    ("lgfi.forward", "swapped branches", lambda x, m: _lgfi(x, m, swap=True), "values differ"),
    (
        "lgfi.forward",
        "serial instead of parallel",
        lambda x, m: _lgfi(x, m, serial=True),
        "values differ",
    ),
    (
        "lgfi.transformer_forward",
        "missing residual",
        _transformer_missing_residual,
        "values differ",
    ),
    (
        "lgfi.transformer_forward",
        "one LayerNorm for both steps",
        _transformer_one_norm,
        "values differ",
    ),
    ("edff.selection", "decoder first", _edff_decoder_first, "values differ"),
    ("edff.selection", "missing 1x1 reduction", _edff_no_reduce, "raised"),
    ("edff.combine", "swapped branches", _combine_swapped, "values differ"),
    ("edff.combine", "plain sum", _combine_sum, "values differ"),
    ("unet.stage_shapes", "no padding to a multiple of 8", _shapes_unpadded, "expected"),
    ("unet.stage_shapes", "width not doubled", _shapes_constant_width, "expected"),
    (
        "unet.forward",
        "missing global residual",
        lambda x, m: _unet(x, m, residual=False),
        "values differ",
    ),
    ("unet.forward", "skips in encoder order", lambda x, m: _unet(x, m, reverse=False), "raised"),
    (
        "unet.forward",
        "zero instead of replicate padding",
        lambda x, m: _unet(x, m, pad_mode="constant"),
        "values differ",
    ),
]


# ----------------------------------------------------------------------------------------------
# Not attempted, failures, grading log
# ----------------------------------------------------------------------------------------------


def _not_attempted(*args):
    raise NotImplementedError()


def test_not_attempted_falls_back_to_reference(capsys):
    fn = check("edff.combine", _not_attempted)
    assert fn is EXERCISES["edff.combine"].reference
    assert "not attempted" in capsys.readouterr().out
    a, b = torch.ones(1, 2, 2, 2), torch.zeros(1, 2, 2, 2)
    w = torch.full((1, 1, 2, 2), 0.25)
    assert torch.allclose(fn(a, b, w, w), torch.full((1, 2, 2, 2), 0.25))


def test_correct_answer_is_returned_unchanged(capsys):
    def mine(enc, dec, w_enc, w_dec):
        return w_enc * enc + dec * w_dec

    assert check("edff.combine", mine) is mine
    assert "correct" in capsys.readouterr().out


def test_shape_error_is_reported_with_both_shapes():
    with pytest.raises(AssertionError, match=r"shape \(2, 8, 30\), expected \(2, 2, 4, 30\)"):
        check("sa.to_heads", lambda x, h: x.reshape(x.shape[0], x.shape[1], -1))


def test_exception_in_student_code_becomes_assertion_naming_it():
    def broken(x3):
        return x3.mean(dim=7)

    with pytest.raises(AssertionError, match="raised IndexError"):
        check("skaf.channel_pool", broken)


def test_wrong_return_type_is_reported():
    with pytest.raises(AssertionError, match="expected a torch.Tensor"):
        check("skaf.channel_pool", lambda x3: x3.tolist())


def test_unknown_exercise_lists_known_ids():
    with pytest.raises(KeyError, match="sa.to_heads"):
        check("sa.nope", lambda: None)


def test_compare_modules_reports_parameter_shapes():
    with pytest.raises(
        AssertionError, match=r"'weight' has shape \(4, 4, 3, 3\), expected \(4, 1, 3, 3\)"
    ):
        compare(nn.Conv2d(4, 4, 3, groups=4), nn.Conv2d(4, 4, 3), "conv", torch.randn(1, 4, 5, 5))


# ----------------------------------------------------------------------------------------------
# Build-the-module exercises: the student's own classes, right and wrong
# ----------------------------------------------------------------------------------------------


class _SA(nn.Module):
    def __init__(self, channels, num_heads=1, *, bias=False, temperature=True, detach=False):
        super().__init__()
        self.num_heads, self.detach = num_heads, detach
        self.qkv = nn.Conv2d(channels, 3 * channels, 1, bias=bias)
        self.qkv_dwconv = nn.Conv2d(
            3 * channels, 3 * channels, 3, padding=1, groups=3 * channels, bias=False
        )
        self.project = nn.Conv2d(channels, channels, 1, bias=False)
        if temperature:
            self.temperature = nn.Parameter(torch.ones(num_heads, 1, 1))

    def forward(self, x):
        n, c, h, w = x.shape
        q, k, v = self.qkv_dwconv(self.qkv(x)).chunk(3, dim=1)
        if self.detach:
            q, k = q.detach(), k.detach()
        q, k, v = (ref.sa_to_heads(t, self.num_heads) for t in (q, k, v))
        return self.project((ref.sa_attention_map(q, k, self.temperature) @ v).reshape(n, c, h, w))


class _AU(nn.Module):
    def __init__(self, channels, branches=3, reduction=4, *, floor=True, dim=1):
        super().__init__()
        kc = branches * channels
        hidden = max(kc // reduction, 8) if floor else kc // reduction
        self.branches, self.dim = branches, dim
        self.squeeze, self.excite = nn.Conv2d(kc, hidden, 1), nn.Conv2d(hidden, kc, 1)

    def forward(self, concat):
        n, kc = concat.shape[:2]
        logits = self.excite(F.relu(self.squeeze(F.adaptive_avg_pool2d(concat, 1))))
        return logits.reshape(n, self.branches, kc // self.branches, 1, 1).softmax(dim=self.dim)


class _RDFE(nn.Module):
    """RDFE written from scratch; ``mistake`` bakes in one error a student could make."""

    def __init__(
        self, channels, kernel_sizes=(3, 5, 7), hourglass_depth=4, hourglass_channels=48, **mistake
    ):
        super().__init__()
        from aminet.modules import FRM

        self.mistake = mistake
        dw = lambda k: nn.Conv2d(channels, channels, k, padding=k // 2, groups=channels)  # noqa: E731
        self.extract = nn.ModuleList(dw(k) for k in kernel_sizes)
        self.au = _AU(channels, len(kernel_sizes))
        self.refine = nn.ModuleList(dw(k) for k in kernel_sizes)
        self.fuse = nn.Conv2d(len(kernel_sizes) * channels, channels, 1)
        self.frm = FRM(channels, hourglass_depth, hourglass_channels)

    def forward(self, x):
        act = (lambda t: t) if self.mistake.get("no_gelu") else F.gelu
        feats = [act(conv(x)) for conv in self.extract]
        w = self.au(torch.cat(feats, 1))
        feats = [conv(f * w[:, i]) for i, (conv, f) in enumerate(zip(self.refine, feats))]
        out = self.fuse(torch.cat(feats, 1))
        return self.frm(out if self.mistake.get("no_residual") else out + x)


class _SKAF(nn.Module):
    def __init__(self, channels, *, even_split=False, softmax=False):
        super().__init__()
        second = channels // 2 if even_split else channels - channels // 2
        self.softmax = softmax
        self.convs = nn.ModuleList(
            [
                nn.Conv2d(channels, channels // 2, 5, padding=2),
                nn.Conv2d(channels, second, 7, padding=3),
            ]
        )
        self.mix = nn.Conv2d(2, 2, 7, padding=3)

    def forward(self, x):
        x3 = torch.cat([conv(x) for conv in self.convs], 1)
        logits = self.mix(ref.skaf_channel_pool(x3))
        w = logits.softmax(1) if self.softmax else torch.sigmoid(logits)
        return w[:, :1], w[:, 1:]


class _LGFI(nn.Module):
    def __init__(self, channels, num_heads=1, hourglass_depth=4, hourglass_channels=48, **mistake):
        super().__init__()
        from aminet.modules import LayerNorm2d

        self.mistake = mistake
        self.norm = LayerNorm2d(channels)
        self.sa = SelfAttention(channels, num_heads)
        self.local = RDFE(
            channels, hourglass_depth=hourglass_depth, hourglass_channels=hourglass_channels
        )
        self.skaf = SKAF(channels)

    def forward(self, x):
        y = self.norm(x)
        g = self.sa(y)
        local = self.local(g if self.mistake.get("serial") else y)
        w_g, w_l = self.skaf(g + local)
        if self.mistake.get("inplace"):
            x += g * w_g + local * w_l
            return x
        return x + g * w_g + local * w_l


class _EDFF(nn.Module):
    def __init__(self, channels, *, decoder_first=False, detach=False):
        super().__init__()
        self.decoder_first, self.detach = decoder_first, detach
        self.reduce = nn.Conv2d(2 * channels, channels, 1)
        self.skaf = SKAF(channels)

    def forward(self, encoder, decoder):
        pair = [decoder, encoder] if self.decoder_first else [encoder, decoder]
        w_enc, w_dec = self.skaf(self.reduce(torch.cat(pair, 1)))
        if self.detach:
            w_enc, w_dec = w_enc.detach(), w_dec.detach()
        return encoder * w_enc + decoder * w_dec


class _UNet(nn.Module):
    def __init__(
        self,
        base_channels=4,
        num_heads=(1, 1, 1, 1),
        hourglass_depths=(2, 2, 1, 1),
        hourglass_channels=4,
        num_bottleneck=1,
        *,
        swap_pad=False,
        reverse=True,
    ):
        super().__init__()
        from aminet.modules import Downsample, Upsample

        self.swap_pad, self.reverse = swap_pad, reverse
        widths = [base_channels * 2**i for i in range(4)]

        def block(i):
            return LGFI(widths[i], num_heads[i], hourglass_depths[i], hourglass_channels)

        self.head = nn.Conv2d(3, base_channels, 3, padding=1)
        self.encoders = nn.ModuleList(block(i) for i in range(3))
        self.downs = nn.ModuleList(Downsample(widths[i]) for i in range(3))
        self.bottleneck = nn.Sequential(*(block(3) for _ in range(num_bottleneck)))
        self.ups = nn.ModuleList(Upsample(widths[i]) for i in (2, 1, 0))
        self.fusions = nn.ModuleList(EDFF(widths[i]) for i in (2, 1, 0))
        self.decoders = nn.ModuleList(block(i) for i in (2, 1, 0))
        self.tail = nn.Conv2d(base_channels, 3, 3, padding=1)

    def forward(self, x):
        h, w = x.shape[-2:]
        ph, pw = (-h) % 8, (-w) % 8
        pads = (0, ph, 0, pw) if self.swap_pad else (0, pw, 0, ph)
        padded = F.pad(x, pads, mode="replicate")
        feat = self.head(padded)
        skips = []
        for enc, down in zip(self.encoders, self.downs):
            feat = enc(feat)
            skips.append(feat)
            feat = down(feat)
        feat = self.bottleneck(feat)
        order = reversed(skips) if self.reverse else skips
        for up, fusion, dec, skip in zip(self.ups, self.fusions, self.decoders, order):
            feat = dec(fusion(skip, up(feat)))
        return (self.tail(feat) + padded)[..., :h, :w]


def _variant(cls, **mistake):
    """A class whose constructor takes the exercise's arguments and bakes in one mistake."""
    return type(
        cls.__name__,
        (cls,),
        {"__init__": lambda self, *a, **k: cls.__init__(self, *a, **k, **mistake)},
    )


RIGHT_MODULES = [
    ("sa.module", _SA),
    ("rdfe.attention_unit", _AU),
    ("rdfe.module", _RDFE),
    ("skaf.module", _SKAF),
    ("lgfi.module", _LGFI),
    ("edff.module", _EDFF),
    ("unet.module", _UNet),
]


@pytest.mark.parametrize("exercise_id, cls", RIGHT_MODULES, ids=[e for e, _ in RIGHT_MODULES])
def test_a_students_own_module_passes(exercise_id, cls):
    assert check(exercise_id, cls, quiet=True) is cls


MUTATIONS += [
    ("sa.module", "no temperature", _variant(_SA, temperature=False), "Missing 'temperature'"),
    ("sa.module", "qkv with a bias", _variant(_SA, bias=True), "Unexpected parameters"),
    ("sa.module", "q and k detached", _variant(_SA, detach=True), "gradient"),
    ("rdfe.attention_unit", "hidden without its floor of 8", _variant(_AU, floor=False), "shape"),
    ("rdfe.attention_unit", "softmax over channels", _variant(_AU, dim=2), "values differ"),
    ("rdfe.module", "no GELU after extraction", _variant(_RDFE, no_gelu=True), "values differ"),
    ("rdfe.module", "eq. 9 without + x", _variant(_RDFE, no_residual=True), "values differ"),
    ("skaf.module", "C // 2 for both convs (odd C)", _variant(_SKAF, even_split=True), "shape"),
    ("skaf.module", "softmax instead of sigmoid", _variant(_SKAF, softmax=True), "values differ"),
    ("lgfi.module", "serial instead of parallel", _variant(_LGFI, serial=True), "values differ"),
    ("lgfi.module", "residual written into x", _variant(_LGFI, inplace=True), "in place"),
    ("edff.module", "decoder first", _variant(_EDFF, decoder_first=True), "values differ"),
    ("edff.module", "selection maps detached", _variant(_EDFF, detach=True), "gradient"),
    ("unet.module", "F.pad's height and width swapped", _variant(_UNet, swap_pad=True), "raised"),
    ("unet.module", "skips in encoder order", _variant(_UNet, reverse=False), "raised"),
]


@pytest.mark.parametrize(
    "exercise_id, mutant, fragment",
    [pytest.param(e, m, f, id=f"{e}: {name}") for e, name, m, f in MUTATIONS],
)
def test_mutation_is_caught(exercise_id, mutant, fragment):
    with pytest.raises(AssertionError) as info:
        check(exercise_id, mutant)
    message = str(info.value)
    assert exercise_id in message and "input " in message, message
    assert fragment in message, message
    assert "Hint:" in message


def test_mutation_list_covers_every_module_exercise():
    module_exercises = {
        e.id for e in EXERCISES.values() if e.notebook in ("01", "02", "03", "04", "05", "06")
    }
    assert {e for e, *_ in MUTATIONS} == module_exercises
