"""Exercise checks: run a student's function against aminet's reference on fixed random inputs.

The pattern every notebook follows (two cells)::

    # %% exercise cell: the student writes the body
    def attention_map(q, k, temperature):
        ### BEGIN SOLUTION
        ...
        ### END SOLUTION

    # %% check cell
    attention_map = check("sa.attention_map", attention_map)

:func:`check` returns the function the rest of the notebook should use:

- correct: prints a one-line confirmation and returns the student's function;
- not attempted (the released notebook's body is ``raise NotImplementedError()``): prints a
  friendly note and returns aminet's reference, so every later cell still runs (and nbval passes);
- wrong: raises ``AssertionError`` saying what differs (type, shape, values and where) and on
  which input, plus a hint.

Every exercise is an :class:`Exercise` in :data:`EXERCISES`: an id ``"<module>.<step>"``, the
reference from :mod:`aminet.course.reference`, and a few input cases built from fixed seeds (the
global RNG is left untouched). When the environment variable ``AMINET_GRADE_LOG`` names a file,
each check appends one JSON line ``{"exercise", "status", "message", "points"}`` to it: this is
how ``aminet course grade`` scores a notebook.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import torch
from torch import nn

from aminet.course import reference as ref

GRADE_LOG_ENV = "AMINET_GRADE_LOG"

# Outputs agree when |got - expected| <= ATOL + RTOL * |expected| everywhere (float32 round-off of
# a re-ordered but equivalent computation stays far below this; every typical mistake is far above).
ATOL = 1e-4
RTOL = 1e-3


@dataclass(frozen=True)
class Case:
    """One fixed input: ``make()`` builds fresh arguments (called once per function under test)."""

    description: str
    make: Callable[[], tuple]


@dataclass(frozen=True)
class Exercise:
    """An exercise: what it asks, its reference answer and the inputs it is checked on.

    ``probe``: for exercises whose answer is an ``nn.Module`` (e.g. "build a depthwise conv"),
    builds an input tensor from the case's arguments; the student's module gets the reference's
    weights and both are run on it.
    ``grad`` / ``outcome``: see below (exercises that train or time something).
    """

    id: str
    title: str
    reference: Callable
    cases: Sequence[Case]
    hint: str = ""
    points: int = 1
    probe: Callable[[tuple], torch.Tensor] | None = None
    notebook: str = field(default="")
    grad: bool = False
    """Run the cases with autograd on (exercises that train: the default is ``torch.no_grad``)."""
    outcome: Callable[[tuple, object], object] | None = None
    """What is compared, from the arguments after the call and the returned value (default: the
    returned value); e.g. the loss *and* the parameters a training step updated."""


# --------------------------------------------------------------------------------------------
# Input cases. Modules are tiny, seeded, in eval mode, with non-trivial parameters (a temperature
# of 1 or a LayerNorm of ones would hide a missing scale), so every typical mistake shows.
# --------------------------------------------------------------------------------------------


def _seeded(seed: int, build: Callable[[], tuple]) -> Callable[[], tuple]:
    def make() -> tuple:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            return build()

    return make


def _randomize(module: nn.Module) -> nn.Module:
    """Give norms and temperatures random values so that leaving them out changes the result."""
    with torch.no_grad():
        for name, p in module.named_parameters():
            if name.endswith("temperature"):
                p.uniform_(0.3, 3.0)
            elif (
                p.ndim == 1
                and ("norm" in name or name.endswith(("weight", "bias")))
                and p.numel() > 1
            ):
                p.add_(0.3 * torch.randn_like(p))
    return module.eval()


def _sa_heads_cases() -> list[Case]:
    return [
        Case("x (2, 8, 5, 6), 2 heads", _seeded(0, lambda: (torch.randn(2, 8, 5, 6), 2))),
        Case("x (1, 12, 4, 4), 3 heads", _seeded(1, lambda: (torch.randn(1, 12, 4, 4), 3))),
        Case("x (1, 4, 3, 7), 1 head", _seeded(2, lambda: (torch.randn(1, 4, 3, 7), 1))),
    ]


def _sa_map_cases() -> list[Case]:
    def build(n, heads, d, hw):
        return lambda: (
            torch.randn(n, heads, d, hw),
            torch.randn(n, heads, d, hw),
            torch.rand(heads, 1, 1) * 2.5 + 0.5,
        )

    return [
        Case("q, k (2, 2, 4, 30), temperature (2, 1, 1)", _seeded(10, build(2, 2, 4, 30))),
        Case("q, k (1, 1, 6, 16), temperature (1, 1, 1)", _seeded(11, build(1, 1, 6, 16))),
    ]


def _module_case(seed: int, description: str, build_module, shape) -> Case:
    def build():
        module = _randomize(build_module())
        return (torch.randn(*shape), module)

    return Case(description, _seeded(seed, build))


def _sa_forward_cases() -> list[Case]:
    from aminet.modules import SelfAttention

    return [
        _module_case(
            20,
            "x (2, 8, 6, 6), SelfAttention(8, num_heads=2)",
            lambda: SelfAttention(8, 2),
            (2, 8, 6, 6),
        ),
        _module_case(
            21,
            "x (1, 6, 5, 7), SelfAttention(6, num_heads=1)",
            lambda: SelfAttention(6, 1),
            (1, 6, 5, 7),
        ),
    ]


def _depthwise_cases() -> list[Case]:
    return [
        Case("channels=6, kernel_size=3", lambda: (6, 3)),
        Case("channels=4, kernel_size=5", lambda: (4, 5)),
        Case("channels=5, kernel_size=7", lambda: (5, 7)),
    ]


def _depthwise_probe(args: tuple) -> torch.Tensor:
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(30)
        return torch.randn(2, args[0], 9, 11)


def _au_cases() -> list[Case]:
    def build(n, c, k, h, w):
        def make():
            hidden = max(k * c // 4, 8)
            squeeze, excite = nn.Conv2d(k * c, hidden, 1), nn.Conv2d(hidden, k * c, 1)
            return (
                torch.randn(n, k * c, h, w) + torch.linspace(-2, 2, k * c).view(1, -1, 1, 1),
                squeeze,
                excite,
                k,
            )

        return make

    return [
        Case("concat (2, 3*4, 5, 5), 3 branches", _seeded(40, build(2, 4, 3, 5, 5))),
        Case("concat (1, 2*6, 4, 6), 2 branches", _seeded(41, build(1, 6, 2, 4, 6))),
    ]


def _rdfe_cases() -> list[Case]:
    from aminet.modules import RDFE

    return [
        _module_case(
            50,
            "x (2, 8, 8, 8), RDFE(8, hourglass_depth=2)",
            lambda: RDFE(8, hourglass_depth=2, hourglass_channels=8),
            (2, 8, 8, 8),
        ),
        _module_case(
            51,
            "x (1, 4, 6, 10), RDFE(4, kernel_sizes=(3, 5))",
            lambda: RDFE(4, (3, 5), hourglass_depth=1, hourglass_channels=4),
            (1, 4, 6, 10),
        ),
    ]


def _pool_cases() -> list[Case]:
    return [
        Case("x3 (2, 8, 5, 6)", _seeded(60, lambda: (torch.randn(2, 8, 5, 6),))),
        Case("x3 (1, 3, 4, 4)", _seeded(61, lambda: (torch.randn(1, 3, 4, 4) * 3,))),
    ]


def _skaf_cases() -> list[Case]:
    from aminet.modules import SKAF

    return [
        _module_case(70, "x (2, 8, 8, 8), SKAF(8)", lambda: SKAF(8), (2, 8, 8, 8)),
        _module_case(71, "x (1, 6, 5, 9), SKAF(6)", lambda: SKAF(6), (1, 6, 5, 9)),
    ]


def _lgfi_cases() -> list[Case]:
    from aminet.modules import LGFI

    return [
        _module_case(
            80,
            "x (2, 8, 8, 8), LGFI(8, num_heads=2)",
            lambda: LGFI(8, num_heads=2, hourglass_depth=2, hourglass_channels=8),
            (2, 8, 8, 8),
        ),
        _module_case(
            81,
            "x (1, 4, 6, 6), LGFI(4)",
            lambda: LGFI(4, hourglass_depth=1, hourglass_channels=4),
            (1, 4, 6, 6),
        ),
    ]


def _transformer_cases() -> list[Case]:
    from aminet.modules import TransformerBlock

    return [
        _module_case(
            90,
            "x (2, 8, 8, 8), TransformerBlock(8, num_heads=2)",
            lambda: TransformerBlock(8, 2, hourglass_depth=2, hourglass_channels=8),
            (2, 8, 8, 8),
        ),
        _module_case(
            91,
            "x (1, 4, 6, 6), TransformerBlock(4, use_frm=False)",
            lambda: TransformerBlock(4, use_frm=False),
            (1, 4, 6, 6),
        ),
    ]


def _edff_module_cases() -> list[Case]:
    from aminet.modules import EDFF

    def build(c, shape):
        def make():
            edff = _randomize(EDFF(c))
            return (torch.randn(*shape), torch.randn(*shape) * 2 + 0.5, edff)

        return make

    return [
        Case("encoder, decoder (2, 8, 8, 8), EDFF(8)", _seeded(100, build(8, (2, 8, 8, 8)))),
        Case("encoder, decoder (1, 6, 5, 7), EDFF(6)", _seeded(101, build(6, (1, 6, 5, 7)))),
    ]


def _combine_cases() -> list[Case]:
    def build(shape):
        n, _, h, w = shape
        return lambda: (
            torch.randn(*shape),
            torch.randn(*shape) + 1,
            torch.rand(n, 1, h, w),
            torch.rand(n, 1, h, w),
        )

    return [
        Case("features (2, 8, 6, 6), maps (2, 1, 6, 6)", _seeded(110, build((2, 8, 6, 6)))),
        Case("features (1, 3, 4, 5), maps (1, 1, 4, 5)", _seeded(111, build((1, 3, 4, 5)))),
    ]


def _shape_cases() -> list[Case]:
    return [
        Case("size=128, base_channels=26", lambda: (128, 26)),
        Case("size=64, base_channels=8", lambda: (64, 8)),
        Case("size=20, base_channels=4 (not a multiple of 8)", lambda: (20, 4)),
    ]


def _tiny_unet():
    from aminet.registry import create_model

    return create_model(
        "aminet",
        base_channels=4,
        hourglass_channels=4,
        num_heads=(1, 1, 1, 1),
        num_bottleneck=1,
        hourglass_depths=(2, 2, 1, 1),
    )


def _unet_cases() -> list[Case]:
    return [
        _module_case(120, "x (1, 3, 16, 16), tiny AMINet", _tiny_unet, (1, 3, 16, 16)),
        _module_case(
            121, "x (2, 3, 12, 20) (padded to 16 x 24), tiny AMINet", _tiny_unet, (2, 3, 12, 20)
        ),
    ]


# 00 data and metrics, 07 training, 08 AMIGAN, 09 benchmarking, 10 ablations ---------------


def _faces(n: int, size: int) -> torch.Tensor:
    """Smooth face-like images in [0, 1] (low-frequency noise plus an edge), so that bicubic
    down- and up-sampling change them by a realistic amount."""
    coarse = torch.rand(n, 3, max(size // 8, 2), max(size // 8, 2))
    img = nn.functional.interpolate(coarse, size=(size, size), mode="bilinear", align_corners=False)
    img = img + 0.25 * torch.randn(n, 3, size, size)  # fine detail the degradation removes
    img[..., : size // 2, :] += 0.2  # a sharp edge
    return img.clamp(0, 1)


def _degrade_cases() -> list[Case]:
    return [
        Case("hr (2, 3, 32, 32), scale 8", _seeded(200, lambda: (_faces(2, 32), 8))),
        Case("hr (1, 3, 24, 40), scale 4", _seeded(201, lambda: (_faces(1, 40)[..., 8:32, :], 4))),
        Case("hr (3, 32, 32) (one image), scale 8", _seeded(202, lambda: (_faces(1, 32)[0], 8))),
        Case(
            "hr (1, 3, 32, 32), black and white blocks (bicubic overshoots)",
            _seeded(
                203,
                lambda: (
                    torch.rand(1, 3, 4, 4)
                    .round()
                    .repeat_interleave(8, -1)
                    .repeat_interleave(8, -2),
                    8,
                ),
            ),
        ),
    ]


def _rgb_cases() -> list[Case]:
    return [
        Case("img (2, 3, 5, 6)", _seeded(210, lambda: (torch.rand(2, 3, 5, 6),))),
        Case(
            "img (1, 3, 4, 4), saturated colours",
            _seeded(211, lambda: (torch.rand(1, 3, 4, 4).round(),)),
        ),
    ]


def _psnr_cases() -> list[Case]:
    def pair(n, size, noise):
        def make():
            hr = _faces(n, size)
            sr = (
                hr + noise * torch.randn_like(hr) * torch.linspace(0.5, 2, n).view(-1, 1, 1, 1)
            ).clamp(0, 1)
            return sr, hr

        return make

    return [
        Case("sr, hr (3, 3, 16, 16), different noise per image", _seeded(220, pair(3, 16, 0.05))),
        Case(
            "sr, hr (1, 3, 8, 12)",
            _seeded(221, lambda: (torch.rand(1, 3, 8, 12), torch.rand(1, 3, 8, 12))),
        ),
    ]


def _with_stale_gradients(model: nn.Module) -> None:
    """Leave gradients from an earlier backward in ``model``: a step that forgets to clear them
    updates the weights differently."""
    with torch.enable_grad():
        sum(p.sum() for p in model.parameters()).backward()


def _train_step_cases() -> list[Case]:
    def build(make_model, shape, lr):
        def make():
            model = make_model()
            _with_stale_gradients(model)
            optimizer = torch.optim.Adam(model.parameters(), lr=lr, betas=(0.9, 0.99))
            inp = torch.rand(*shape)
            return model, optimizer, inp, (inp + 0.1 * torch.randn(*shape)).clamp(0, 1)

        return make

    def conv_net():
        return nn.Sequential(
            nn.Conv2d(3, 4, 3, padding=1), nn.GELU(), nn.Conv2d(4, 3, 3, padding=1)
        )

    class ResidualNet(nn.Module):  # the course's convention: the model adds its input back
        def __init__(self):
            super().__init__()
            self.body = nn.Sequential(nn.Conv2d(3, 6, 3, padding=1), nn.ReLU(), nn.Conv2d(6, 3, 1))

        def forward(self, x):
            return x + self.body(x)

    def residual_net():
        return ResidualNet()

    return [
        Case(
            "a 2-layer conv net, batch (2, 3, 8, 8), Adam lr 1e-2",
            _seeded(230, build(conv_net, (2, 3, 8, 8), 1e-2)),
        ),
        Case(
            "a conv net with a global residual, batch (1, 3, 12, 12), Adam lr 1e-3",
            _seeded(231, build(residual_net, (1, 3, 12, 12), 1e-3)),
        ),
    ]


def _train_step_outcome(args: tuple, loss) -> tuple:
    """The returned loss and every parameter after the step (did the step update, and how?)."""
    model = args[0]
    if isinstance(loss, (int, float)):
        loss = torch.tensor(float(loss))
    elif isinstance(loss, torch.Tensor):
        loss = loss.detach().float().reshape(()) if loss.numel() == 1 else loss
    return (loss, [p.detach().clone() for p in model.parameters()])


def _cosine_cases() -> list[Case]:
    return [
        Case(f"step={s}, total={t}, min_ratio={m}", (lambda s=s, t=t, m=m: (s, t, m)))
        for s, t, m in ((0, 100, 0.01), (50, 100, 0.01), (25, 200, 0.1), (130, 100, 0.05))
    ]


def _as_float64(args: tuple, value):
    """Compare numbers within the tolerance (a float computed in another order differs slightly)."""
    if isinstance(value, torch.Tensor) and value.numel() == 1:
        value = value.item()
    return (
        torch.tensor(float(value), dtype=torch.float64)
        if isinstance(value, (int, float))
        else value
    )


def _logits(n: int, sizes: tuple[int, ...], shift: float) -> list[torch.Tensor]:
    return [torch.randn(n, 1, s, s) * 2 + shift for s in sizes]


def _gan_d_cases() -> list[Case]:
    return [
        Case(
            "2 scales: logits (2, 1, 7, 7) and (2, 1, 3, 3)",
            _seeded(
                240,
                lambda: (
                    _logits(2, (7, 3), 1.0),
                    _logits(2, (7, 3), -0.5),
                ),
            ),
        ),
        Case(
            "1 scale: logits (3, 1, 5, 5)",
            _seeded(241, lambda: (_logits(3, (5,), 0.5), _logits(3, (5,), 0.0))),
        ),
    ]


def _gan_g_cases() -> list[Case]:
    return [
        Case(
            "2 scales: logits (2, 1, 7, 7) and (2, 1, 3, 3)",
            _seeded(250, lambda: (_logits(2, (7, 3), -1.0),)),
        ),
        Case("1 scale: logits (3, 1, 5, 5)", _seeded(251, lambda: (_logits(3, (5,), 0.5),))),
    ]


def _timing_cases() -> list[Case]:
    def build(warmup, repeats, kernel_ms):
        def make():
            gpu = ref.SimulatedGPU(kernel_ms=kernel_ms, first_call_ms=40.0, launch_ms=0.02)
            return gpu.forward, gpu.synchronize, warmup, repeats, gpu.clock

        return make

    return [
        Case("simulated GPU, 5 ms kernels, warmup=2, repeats=4", build(2, 4, 5.0)),
        Case("simulated GPU, 3 ms kernels, warmup=1, repeats=3", build(1, 3, 3.0)),
    ]


def _timing_outcome(args: tuple, times) -> tuple:
    """The timings in ms and how many times ``fn`` ran (warm-up + timed calls)."""
    gpu = args[0].__self__
    if isinstance(times, (list, tuple)) and all(isinstance(t, (int, float)) for t in times):
        times = torch.tensor([float(t) * 1000 for t in times], dtype=torch.float64)
    return (times, gpu.calls)


def _ablation_cases() -> list[Case]:
    return [
        Case(
            "3 seeds each",
            _seeded(260, lambda: (27.0 + 0.1 * torch.randn(3), 27.05 + 0.1 * torch.randn(3))),
        ),
        Case(
            "5 seeds vs 2 seeds",
            _seeded(261, lambda: (24.0 + 0.2 * torch.randn(5), 24.3 + 0.05 * torch.randn(2))),
        ),
    ]


def _exercises() -> list[Exercise]:
    return [
        Exercise(
            "sa.to_heads",
            "Split (N, C, H, W) into heads of channels: (N, heads, C/heads, HW)",
            ref.sa_to_heads,
            _sa_heads_cases(),
            hint="Channel attention treats each channel as a row of HW pixels; a plain reshape keeps "
            "channel c in head c // (C/heads).",
            notebook="01",
        ),
        Exercise(
            "sa.attention_map",
            "Eq. 4: the (C/h x C/h) channel-attention map",
            ref.sa_attention_map,
            _sa_map_cases(),
            hint="L2-normalise q and k along the pixel axis (dim=-1), multiply q k^T by the "
            "temperature, softmax over the last axis (the keys) so every row sums to 1.",
            notebook="01",
        ),
        Exercise(
            "sa.forward",
            "SA from its layers: qkv, depthwise conv, heads, attention, projection",
            ref.sa_forward,
            _sa_forward_cases(),
            hint="q, k, v = sa.qkv_dwconv(sa.qkv(x)).chunk(3, dim=1); attention @ v; reshape back to "
            "(N, C, H, W); finish with sa.project.",
            notebook="01",
        ),
        Exercise(
            "rdfe.depthwise_conv",
            "A depthwise k x k convolution that keeps the image size",
            ref.rdfe_depthwise_conv,
            _depthwise_cases(),
            probe=_depthwise_probe,
            hint="nn.Conv2d(channels, channels, kernel_size, padding=kernel_size // 2, groups=channels).",
            notebook="02",
        ),
        Exercise(
            "rdfe.au_weights",
            "Eq. 7: the attention unit's per-channel branch weights",
            ref.rdfe_au_weights,
            _au_cases(),
            hint="Global average pool, squeeze, ReLU, excite, reshape to (N, k, C, 1, 1), softmax over "
            "the branch axis (dim=1) so the branches compete for each channel.",
            notebook="02",
        ),
        Exercise(
            "rdfe.forward",
            "RDFE from its layers: eqs. 6-10",
            ref.rdfe_forward,
            _rdfe_cases(),
            hint="GELU after each extraction conv, weight branch i by w[:, i], refine, fuse the "
            "concatenation, add the input (eq. 9's residual), then the FRM.",
            notebook="02",
        ),
        Exercise(
            "skaf.channel_pool",
            "Eq. 13's descriptor: average and max along the channels",
            ref.skaf_channel_pool,
            _pool_cases(),
            hint="Pool over dim=1 with keepdim=True; stack [mean, max] in that order.",
            notebook="03",
        ),
        Exercise(
            "skaf.forward",
            "SKAF from its layers: eqs. 11-14",
            ref.skaf_forward,
            _skaf_cases(),
            hint="Concatenate the 5x5 and 7x7 convs' outputs, pool along channels, mix, sigmoid "
            "(not softmax: the two maps are independent), split into (first, second) channel.",
            notebook="03",
        ),
        Exercise(
            "lgfi.forward",
            "LGFI: SA and RDFE in parallel, fused by SKAF, plus the input",
            ref.lgfi_forward,
            _lgfi_cases(),
            hint="y = lgfi.norm(x); g = lgfi.sa(y); l = lgfi.local(y); w_g, w_l = lgfi.skaf(g + l); "
            "return x + g * w_g + l * w_l.",
            notebook="04",
        ),
        Exercise(
            "lgfi.transformer_forward",
            "The serial Transformer block LGFI replaces",
            ref.lgfi_transformer_forward,
            _transformer_cases(),
            hint="Two residual steps, each reading its own LayerNorm: x + attn(norm1(x)), then "
            "x + ffn(norm2(x)); then the FRM if block.frm is not None.",
            notebook="04",
        ),
        Exercise(
            "edff.selection",
            "Eq. 15: SKAF's maps of the reduced encoder/decoder concatenation",
            ref.edff_selection,
            _edff_module_cases(),
            hint="edff.skaf(edff.reduce(torch.cat([encoder, decoder], dim=1))): encoder first.",
            notebook="05",
        ),
        Exercise(
            "edff.combine",
            "Eq. 16: mix encoder and decoder features pixel by pixel",
            ref.edff_combine,
            _combine_cases(),
            hint="encoder * w_enc + decoder * w_dec (each map multiplies its own feature).",
            notebook="05",
        ),
        Exercise(
            "unet.stage_shapes",
            "(C, H, W) at each encoder stage and the bottleneck",
            ref.unet_stage_shapes,
            _shape_cases(),
            hint="Pad the side up to a multiple of 8; stage i has base_channels * 2**i channels and "
            "side // 2**i pixels, for i = 0..3.",
            notebook="06",
        ),
        Exercise(
            "unet.forward",
            "AMINet's forward pass from its parts",
            ref.unet_forward,
            _unet_cases(),
            hint="Replicate-pad to a multiple of 8, keep each encoder output as a skip, decode with "
            "the skips in reverse order (EDFF(skip, up(feat))), add the padded input, crop.",
            notebook="06",
        ),
        Exercise(
            "data.degrade",
            "The x8 degradation: antialiased bicubic down, bicubic up, clamped to [0, 1]",
            ref.data_degrade,
            _degrade_cases(),
            hint="lr = F.interpolate(hr, size=(h // scale, w // scale), mode='bicubic', "
            "align_corners=False, antialias=True).clamp(0, 1); lr_up the same back to (h, w). "
            "Add a batch axis to a single (3, H, W) image and remove it again.",
            notebook="00",
        ),
        Exercise(
            "metrics.rgb_to_y",
            "MATLAB's luma Y = 16 + (65.481 R + 128.553 G + 24.966 B) on RGB in [0, 1]",
            ref.metrics_rgb_to_y,
            _rgb_cases(),
            hint="Weight the channels (dim=1) and keep that axis: (N, 3, H, W) -> (N, 1, H, W); "
            "the weights already include the 255 scale, so do not multiply by 255 again.",
            notebook="00",
        ),
        Exercise(
            "metrics.psnr_y",
            "PSNR on Y (peak 255), one value per image",
            ref.metrics_psnr_y,
            _psnr_cases(),
            hint="Y of both images (0-255 scale), MSE per image over (1, H, W) (not over the whole "
            "batch), then 10 * log10(255**2 / mse).",
            notebook="00",
        ),
        Exercise(
            "train.l1_step",
            "One training step of eq. 17 (L1 loss, Adam)",
            ref.train_l1_step,
            _train_step_cases(),
            hint="loss = F.l1_loss(model(inp), hr); optimizer.zero_grad(); loss.backward(); "
            "optimizer.step(); return loss.detach() (the model already holds old gradients: clear them "
            "before backward, not after).",
            notebook="07",
            grad=True,
            outcome=_train_step_outcome,
        ),
        Exercise(
            "train.cosine_factor",
            "The cosine learning-rate schedule: from 1 down to min_ratio, then flat",
            ref.train_cosine_factor,
            _cosine_cases(),
            hint="progress = min(step / total, 1); return min_ratio + (1 - min_ratio) * 0.5 * "
            "(1 + cos(pi * progress)).",
            notebook="07",
            outcome=_as_float64,
        ),
        Exercise(
            "gan.discriminator_loss",
            "Eq. 20: the discriminator's loss over every scale's patch logits",
            ref.gan_discriminator_loss,
            _gan_d_cases(),
            hint="Per scale: F.binary_cross_entropy_with_logits(real, ones) and (fake, zeros), each a "
            "mean over patches; average each over the scales, then add the real and the fake term.",
            notebook="08",
        ),
        Exercise(
            "gan.generator_loss",
            "Eq. 21: the generator's adversarial loss",
            ref.gan_generator_loss,
            _gan_g_cases(),
            hint="The generator wants D to call its faces real: BCE-with-logits of the fake logits "
            "against ones, mean over patches, averaged over the scales.",
            notebook="08",
        ),
        Exercise(
            "bench.time_calls",
            "Timing with warm-up and synchronisation",
            ref.bench_time_calls,
            _timing_cases(),
            hint="Call fn() `warmup` times untimed; then for each repeat: synchronize(), t0 = clock(), "
            "fn(), synchronize(), append clock() - t0 (seconds).",
            notebook="09",
        ),
        Exercise(
            "ablation.difference",
            "A difference of means and its standard error over seeds",
            ref.ablation_difference,
            _ablation_cases(),
            hint="diff = b.mean() - a.mean(); se = sqrt(a.var() / len(a) + b.var() / len(b)) with the "
            "sample variance (torch's default, unbiased=True).",
            notebook="10",
        ),
    ]


EXERCISES: dict[str, Exercise] = {ex.id: ex for ex in _exercises()}
"""Every exercise, by id, in course order."""


def get_exercise(exercise_id: str) -> Exercise:
    """The exercise ``exercise_id``; a ``KeyError`` listing the known ids if there is none."""
    try:
        return EXERCISES[exercise_id]
    except KeyError:
        raise KeyError(f"unknown exercise {exercise_id!r}; known: {', '.join(EXERCISES)}") from None


def reference(exercise_id: str) -> Callable:
    """aminet's reference answer to ``exercise_id`` (what :func:`check` falls back to)."""
    return get_exercise(exercise_id).reference


# --------------------------------------------------------------------------------------------
# Comparing answers
# --------------------------------------------------------------------------------------------


def _shape(t: torch.Tensor) -> tuple[int, ...]:
    return tuple(t.shape)


def compare(expected, got, where: str = "output", probe: torch.Tensor | None = None) -> None:
    """Raise ``AssertionError`` describing the first difference between ``expected`` and ``got``.

    Handles tensors (type, shape, then values within ATOL/RTOL), tuples/lists (length, then item by
    item), ``nn.Module`` (parameter names and shapes, then outputs on ``probe`` with the expected
    module's weights loaded into the student's) and plain values (equality).
    """
    if isinstance(expected, torch.Tensor):
        _compare_tensors(expected, got, where)
    elif isinstance(expected, nn.Module):
        _compare_modules(expected, got, where, probe)
    elif isinstance(expected, (tuple, list)):
        if not isinstance(got, (tuple, list)):
            raise AssertionError(
                f"{where}: expected a {type(expected).__name__} of {len(expected)} items, got {type(got).__name__}"
            )
        if len(got) != len(expected):
            raise AssertionError(f"{where}: expected {len(expected)} items, got {len(got)}")
        for i, (e, g) in enumerate(zip(expected, got)):
            compare(e, g, f"{where}[{i}]", probe)
    elif got != expected:
        raise AssertionError(f"{where}: expected {expected!r}, got {got!r}")


def _compare_tensors(expected: torch.Tensor, got, where: str) -> None:
    if not isinstance(got, torch.Tensor):
        raise AssertionError(
            f"{where}: expected a torch.Tensor of shape {_shape(expected)}, got {type(got).__name__}"
        )
    if got.shape != expected.shape:
        raise AssertionError(f"{where}: shape {_shape(got)}, expected {_shape(expected)}")
    got = got.detach().to(expected.dtype)
    diff = (got - expected).abs()
    bad = diff > ATOL + RTOL * expected.abs()
    if bad.any():
        idx = tuple(int(i) for i in torch.nonzero(bad)[0])
        raise AssertionError(
            f"{where}: values differ at {int(bad.sum())} of {bad.numel()} positions "
            f"(max |difference| {diff.max().item():.4g}); first at index {idx}: "
            f"got {got[idx].item():.6g}, expected {expected[idx].item():.6g}"
        )


def _compare_modules(expected: nn.Module, got, where: str, probe: torch.Tensor | None) -> None:
    if not isinstance(got, nn.Module):
        raise AssertionError(
            f"{where}: expected an nn.Module ({type(expected).__name__}), got {type(got).__name__}"
        )
    exp_params = {k: _shape(v) for k, v in expected.state_dict().items()}
    got_params = {k: _shape(v) for k, v in got.state_dict().items()}
    for name, shape in exp_params.items():
        if name not in got_params:
            raise AssertionError(f"{where}: has no parameter {name!r} (expected shape {shape})")
        if got_params[name] != shape:
            raise AssertionError(
                f"{where}: parameter {name!r} has shape {got_params[name]}, expected {shape}"
            )
    extra = sorted(set(got_params) - set(exp_params))
    if extra:
        raise AssertionError(f"{where}: unexpected parameters {extra}")
    if probe is not None:
        got.load_state_dict(expected.state_dict())
        _compare_tensors(
            expected(probe), got(probe), f"{where} applied to an input of shape {_shape(probe)}"
        )


# --------------------------------------------------------------------------------------------
# check()
# --------------------------------------------------------------------------------------------


def _log(exercise: Exercise, status: str, message: str) -> None:
    path = os.environ.get(GRADE_LOG_ENV)
    if not path:
        return
    points = exercise.points if status == "passed" else 0
    record = {
        "exercise": exercise.id,
        "status": status,
        "message": message,
        "points": points,
        "max_points": exercise.points,
    }
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(json.dumps(record) + "\n")


def run_cases(exercise: Exercise, student: Callable) -> int:
    """Run ``student`` on every case of ``exercise``; raise AssertionError at the first difference.

    ``NotImplementedError`` from the student propagates (the caller treats it as not attempted);
    any other exception becomes an AssertionError naming the input. Returns the number of cases.
    """
    for i, case in enumerate(exercise.cases, start=1):
        where = f"{exercise.id}, input {i} of {len(exercise.cases)} ({case.description})"
        with torch.enable_grad() if exercise.grad else torch.no_grad():
            ref_args = case.make()
            expected = exercise.reference(*ref_args)
            args = case.make()
            try:
                got = student(*args)
            except (NotImplementedError, AssertionError):
                raise
            except Exception as err:
                raise AssertionError(
                    f"{where}: your function raised {type(err).__name__}: {err}"
                ) from err
            if exercise.outcome is not None:
                expected, got = exercise.outcome(ref_args, expected), exercise.outcome(args, got)
            probe = exercise.probe(args) if exercise.probe is not None else None
            compare(expected, got, where, probe)
    return len(exercise.cases)


def check(exercise_id: str, student: Callable, *, quiet: bool = False) -> Callable:
    """Check ``student`` against exercise ``exercise_id``; return the function to use from now on.

    Returns ``student`` when it matches aminet's reference on every fixed input, and the reference
    when ``student`` raises ``NotImplementedError`` (not attempted yet: a note is printed, nothing
    fails). Raises ``AssertionError`` saying what differs, on which input, with a hint, otherwise.
    """
    exercise = get_exercise(exercise_id)
    try:
        n = run_cases(exercise, student)
    except NotImplementedError:
        message = "not attempted yet"
        _log(exercise, "not_attempted", message)
        if not quiet:
            print(
                f"[{exercise.id}] not attempted yet: using aminet's reference so the rest of the "
                f"notebook runs. Fill in the exercise cell and run it and this cell again."
            )
        return exercise.reference
    except AssertionError as err:
        message = str(err)
        _log(exercise, "failed", message)
        hint = f"\nHint: {exercise.hint}" if exercise.hint else ""
        raise AssertionError(f"{message}{hint}") from None
    _log(exercise, "passed", f"{n} inputs")
    if not quiet:
        print(f"[{exercise.id}] correct: matches aminet's reference on {n} fixed inputs.")
    return student
