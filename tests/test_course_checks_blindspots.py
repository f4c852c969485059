"""The checks see more than outputs: gradients, inputs changed in place, uneven padding, library calls.

For every exercise, generic mutants of aminet's own answer (its output detached, an input written
in place, the answer key called) must fail with a message saying so; then realistic mistakes
(a .detach() in SA, `x +=` in LGFI, F.pad's order swapped, the discriminator's fake logits
detached) and equivalent answer types (Python floats) are checked one by one. Hints point toward
the idea; the solution appears only with ``reveal=True``.
"""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from aminet.course import check
from aminet.course import reference as ref
from aminet.course.checks import EXERCISES, reference

ALL = list(EXERCISES)
FUNCTIONS = [e for e in ALL if EXERCISES[e].kind == "function"]
DIFFERENTIABLE = [e for e in ALL if EXERCISES[e].differentiable]


def _detach_all(value):
    if isinstance(value, torch.Tensor):
        return value.detach()
    if isinstance(value, (tuple, list)):
        return type(value)(_detach_all(v) for v in value)
    return value


def _first_float_tensor(args):
    for a in args:
        if isinstance(a, torch.Tensor) and a.is_floating_point():
            return a
        if isinstance(a, (list, tuple)) and a and isinstance(a[0], torch.Tensor):
            return a[0]
    return None


def _library_answer(exercise_id):
    ex = EXERCISES[exercise_id]
    if ex.kind == "module":
        return type("Mine", (ex.reference,), {})  # "my" module is aminet's, renamed
    return lambda *args: reference(exercise_id)(*args)  # calls the answer key


@pytest.mark.parametrize("exercise_id", ALL)
def test_an_answer_that_calls_the_library_or_the_key_fails(exercise_id):
    with pytest.raises(AssertionError, match="aminet's own implementation") as info:
        check(exercise_id, _library_answer(exercise_id), quiet=True)
    assert "write it yourself" in str(info.value)


@pytest.mark.parametrize("exercise_id", DIFFERENTIABLE)
def test_a_detached_answer_fails_on_its_gradients(exercise_id):
    ex = EXERCISES[exercise_id]
    if ex.kind == "module":

        def forward(self, *inputs):
            return _detach_all(ex.reference.forward(self, *inputs))

        answer = type("Mine", (ex.reference,), {"forward": forward})
    else:

        def answer(*args):
            out = ex.reference(*args)
            return out if isinstance(out, torch.nn.Module) else _detach_all(out)

        if exercise_id == "rdfe.depthwise_conv":  # a module answer: freeze its weights instead

            def answer(*args):
                conv = ex.reference(*args)
                conv.weight.requires_grad_(False)
                return conv

    with pytest.raises(AssertionError, match="gradient") as info:
        check(exercise_id, answer, quiet=True)
    assert "input 1 of" in str(info.value)


IN_PLACE = [
    e
    for e in ALL
    if EXERCISES[e].kind == "module"
    or (
        EXERCISES[e].kind == "function"
        and _first_float_tensor(EXERCISES[e].cases[0].build()) is not None
        and 0 not in EXERCISES[e].mutable
    )
]


@pytest.mark.parametrize("exercise_id", IN_PLACE)
def test_an_answer_that_writes_into_its_input_fails(exercise_id):
    ex = EXERCISES[exercise_id]
    if ex.kind == "module":

        def forward(self, x, *rest):
            out = ex.reference.forward(self, x, *rest)
            x.mul_(0.5)  # e.g. a residual written into x
            return out

        answer = type("Mine", (ex.reference,), {"forward": forward})
    else:

        def answer(*args):
            out = ex.reference(*args)
            if isinstance(out, torch.Tensor):
                out = out.clone()  # not a view of the input it is about to change
            with torch.no_grad():
                _first_float_tensor(args).mul_(0.5)
            return out

    with pytest.raises(AssertionError, match="in place"):
        check(exercise_id, answer, quiet=True)


# ----------------------------------------------------------------------------------------------
# Realistic mistakes
# ----------------------------------------------------------------------------------------------


def _sa_qk_detached(x, sa):
    n, c, h, w = x.shape
    q, k, v = sa.qkv_dwconv(sa.qkv(x)).chunk(3, dim=1)
    q, k, v = (ref.sa_to_heads(t, sa.num_heads) for t in (q.detach(), k.detach(), v))
    return sa.project((ref.sa_attention_map(q, k, sa.temperature) @ v).reshape(n, c, h, w))


def _lgfi_residual_in_place(x, lgfi):
    y = lgfi.norm(x)
    g, local = lgfi.sa(y), lgfi.local(y)
    w_g, w_l = lgfi.skaf(g + local)
    x += g * w_g + local * w_l
    return x


def _unet_pad_swapped(x, model):
    h, w = x.shape[-2:]
    ph, pw = (-h) % 8, (-w) % 8
    padded = F.pad(x, (0, ph, 0, pw), mode="replicate")
    feat = model.head(padded)
    skips = []
    for enc, down in zip(model.encoders, model.downs):
        feat = enc(feat)
        skips.append(feat)
        feat = down(feat)
    feat = model.bottleneck(feat)
    for up, fusion, dec, skip in zip(model.ups, model.fusions, model.decoders, reversed(skips)):
        feat = dec(fusion(skip, up(feat)))
    return (model.tail(feat) + padded)[..., :h, :w]


def _bce(logits, target):
    return torch.stack(
        [F.binary_cross_entropy_with_logits(t, torch.full_like(t, target)) for t in logits]
    ).mean()


REALISTIC = [
    ("sa.forward", "q and k detached", _sa_qk_detached, "gradient"),
    ("lgfi.forward", "residual written into x", _lgfi_residual_in_place, "in place"),
    ("unet.forward", "F.pad's height and width swapped", _unet_pad_swapped, "input 3 of 3"),
    (
        "gan.discriminator_loss",
        "fake logits detached inside the loss",
        lambda r, f: _bce(r, 1) + _bce([t.detach() for t in f], 0),
        "no gradient reaches 'fake_logits[0]'",
    ),
    (
        "rdfe.au_weights",
        "pooled descriptor detached",
        lambda c, s, e, k: (
            e(F.relu(s(F.adaptive_avg_pool2d(c, 1).detach())))
            .reshape(c.shape[0], k, c.shape[1] // k, 1, 1)
            .softmax(1)
        ),
        "no gradient reaches 'concat'",
    ),
]


@pytest.mark.parametrize(
    "exercise_id, mutant, fragment",
    [pytest.param(e, m, f, id=f"{e}: {n}") for e, n, m, f in REALISTIC],
)
def test_realistic_blind_spot_is_caught(exercise_id, mutant, fragment):
    with pytest.raises(AssertionError) as info:
        check(exercise_id, mutant, quiet=True)
    assert fragment in str(info.value), str(info.value)


def test_the_unet_input_pads_height_and_width_differently():
    pads = set()
    for case in EXERCISES["unet.forward"].cases:
        h, w = case.build()[0].shape[-2:]
        pads.add(((-h) % 8, (-w) % 8))
    assert any(ph != pw for ph, pw in pads), pads


@pytest.mark.parametrize(
    "exercise_id, answer",
    [
        (
            "ablation.difference",
            lambda a, b: (
                float(b.mean() - a.mean()),
                math.sqrt(float(a.var() / len(a) + b.var() / len(b))),
            ),
        ),
        (
            "unet.stage_shapes",
            lambda s, c: [[c * 2**i, (s + (-s) % 8) >> i, (s + (-s) % 8) >> i] for i in range(4)],
        ),
        (
            "train.cosine_factor",
            lambda s, t, m: torch.tensor(
                m + (1 - m) * 0.5 * (1 + math.cos(math.pi * min(s / t, 1)))
            ),
        ),
        (
            "metrics.psnr_y",
            lambda sr, hr: (
                10
                * torch.log10(
                    255**2
                    / (ref.metrics_rgb_to_y(sr.double()) - ref.metrics_rgb_to_y(hr.double()))
                    .pow(2)
                    .flatten(1)
                    .mean(1)
                )
            ),
        ),
    ],
    ids=["floats for a difference", "lists for tuples", "a tensor for a float", "float64"],
)
def test_equivalent_answer_types_pass(exercise_id, answer):
    assert check(exercise_id, answer, quiet=True) is answer


# ----------------------------------------------------------------------------------------------
# Messages that teach
# ----------------------------------------------------------------------------------------------


def _step(order):
    def l1_step(model, optimizer, inp, hr):
        loss = F.l1_loss(model(inp), hr)
        if order == "before":
            optimizer.zero_grad()
        loss.backward()
        if order == "after":
            optimizer.zero_grad()
        optimizer.step()
        return loss.detach()

    return l1_step


def test_l1_step_gradient_order_is_explained():
    with pytest.raises(AssertionError) as info:
        check("train.l1_step", _step("never"), quiet=True)
    message = str(info.value)
    assert "PyTorch accumulates gradients" in message
    assert "clear what the previous step left" in message
    with pytest.raises(AssertionError, match="erased the gradients"):
        check("train.l1_step", _step("after"), quiet=True)
    assert check("train.l1_step", _step("before"), quiet=True) is not None


@pytest.mark.parametrize("exercise_id", ALL)
def test_hints_do_not_give_the_solution_away(exercise_id):
    ex = EXERCISES[exercise_id]
    assert ex.hint and ex.solution and ex.hint != ex.solution
    assert ex.solution not in ex.hint


def test_the_solution_is_shown_only_on_request(monkeypatch):
    ex = EXERCISES["edff.combine"]

    def wrong(e, d, w_e, w_d):
        return e * w_d + d * w_e

    with pytest.raises(AssertionError) as info:
        check("edff.combine", wrong, quiet=True)
    assert ex.solution not in str(info.value) and "reveal=True" in str(info.value)
    with pytest.raises(AssertionError) as info:
        check("edff.combine", wrong, quiet=True, reveal=True)
    assert ex.solution in str(info.value)
    monkeypatch.setenv("AMINET_REVEAL_SOLUTIONS", "1")  # the instructor's choice
    with pytest.raises(AssertionError) as info:
        check("edff.combine", wrong, quiet=True)
    assert ex.solution in str(info.value)


def test_a_later_exercise_names_the_earlier_answer_that_breaks_it():
    namespace = {"torch": torch}
    exec(
        "def to_heads(x, num_heads):\n"
        "    n, c, h, w = x.shape\n"
        "    return x.reshape(n, c // num_heads, num_heads, h * w).transpose(1, 2)\n"
        "def sa_forward(x, sa):\n"
        "    n, c, h, w = x.shape\n"
        "    q, k, v = sa.qkv_dwconv(sa.qkv(x)).chunk(3, dim=1)\n"
        "    q, k, v = (to_heads(t, sa.num_heads) for t in (q, k, v))\n"
        "    return sa.project((attention_map(q, k, sa.temperature) @ v).reshape(n, c, h, w))\n",
        namespace,
    )
    namespace["attention_map"] = ref.sa_attention_map
    with pytest.raises(AssertionError) as info:
        check("sa.forward", namespace["sa_forward"], quiet=True)
    message = str(info.value)
    assert "Your answer itself is right" in message and "to_heads (sa.to_heads)" in message
    assert namespace["to_heads"] is not ref.sa_to_heads, "the student's names are restored"


def _library(path):
    from aminet.course.exercises import _resolve

    return _resolve(path)


DIRECT_LIBRARY_CALLS = [
    ("sa.forward", lambda x, sa: sa(x)),
    ("rdfe.forward", lambda x, rdfe: rdfe(x)),
    ("skaf.forward", lambda x, skaf: skaf(x)),
    ("lgfi.forward", lambda x, lgfi: lgfi(x)),
    ("lgfi.transformer_forward", lambda x, block: block.forward(x)),
    ("edff.selection", lambda e, d, edff: edff.selection(e, d)),
    ("unet.forward", lambda x, model: model(x)),
    (
        "rdfe.au_weights",
        lambda c, s, e, k: _library("aminet.modules.rdfe:AttentionUnit").from_pooled(
            type(
                "AU", (), {"squeeze": s, "excite": e, "branches": k, "channels": c.shape[1] // k}
            )(),
            F.adaptive_avg_pool2d(c, 1),
        ),
    ),
    ("data.degrade", lambda hr, scale: _library("aminet.data.degradation:degrade")(hr, scale)),
    ("metrics.rgb_to_y", lambda img: _library("aminet.metrics:rgb_to_y")(img)),
    ("metrics.psnr_y", lambda sr, hr: _library("aminet.metrics:psnr")(sr, hr)),
    ("gan.discriminator_loss", lambda r, f: _library("aminet.gan:discriminator_loss")(r, f)),
    ("gan.generator_loss", lambda f: _library("aminet.gan:generator_adversarial_loss")(f)),
    (
        "train.cosine_factor",
        lambda s, t, m: _library("aminet.training.schedule:ScheduleShape")("cosine", t, 0, m)(s),
    ),
]


@pytest.mark.parametrize(
    "exercise_id, answer", DIRECT_LIBRARY_CALLS, ids=[e for e, _ in DIRECT_LIBRARY_CALLS]
)
def test_an_answer_that_calls_aminets_module_is_reported(exercise_id, answer):
    with pytest.raises(AssertionError, match="aminet's own implementation"):
        check(exercise_id, answer, quiet=True)
