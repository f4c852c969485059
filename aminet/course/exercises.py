"""The exercise table: every exercise's reference, the inputs it is checked on, and its hint.

An :class:`Exercise` has an id ``"<module>.<step>"``, the notebook (chapter) it belongs to, the
name the notebook gives the student's answer, a reference answer (from :mod:`aminet.course.reference`,
which takes it from the package's own code wherever the package has the step), a few input
:class:`Case` s built from fixed seeds, a hint that points toward the idea, and aminet's solution,
shown only on request (``check(..., reveal=True)``). The comparison engine that runs answers on
these inputs is :mod:`aminet.course.compare`; the notebook-facing entry point is
:func:`aminet.course.checks.check`; ``aminet course grade`` (:mod:`aminet.course.grade`) uses the
same table to decide which exercises a chapter has and what each is worth.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import torch
from torch import nn

from aminet.course import reference as ref
from aminet.course.chapters import CHAPTERS  # noqa: F401  (re-exported: the table knows the chapters)


@dataclass(frozen=True)
class Case:
    """One fixed input: ``build(salt)`` makes fresh arguments (called once per answer under test).

    ``make`` is a seeded builder (``_seeded``: the grader passes a secret ``salt`` that shifts the
    seed, so no answer can be a table of memorised outputs) or a plain zero-argument function
    for inputs that hold no random numbers.
    """

    description: str
    make: Callable

    def build(self, salt: int = 0) -> tuple:
        return self.make(salt) if isinstance(self.make, _Seeded) else self.make()


@dataclass(frozen=True)
class Mistake:
    """A typical wrong answer and what to tell the student whose answer behaves exactly like it."""

    answer: Callable
    explanation: str


@dataclass(frozen=True)
class Exercise:
    """An exercise: what it asks, its reference answer and the inputs it is checked on.

    ``kind``: ``"function"`` (the answer is called with a case's arguments) or ``"module"`` (the
    answer is an ``nn.Module`` class: a case is ``(constructor kwargs, forward inputs)``; the
    reference's weights are loaded into the student's module, then outputs and gradients are
    compared).
    ``probe``: for function answers that return an ``nn.Module`` (e.g. "build a depthwise conv"),
    builds an input from the case's arguments; the student's module gets the reference's weights
    and both are run on it.
    ``differentiable``: compare the gradients of a fixed random loss through the answer with the
    reference's (w.r.t. every float tensor argument and every parameter of a module argument).
    ``mutable``: indices of the arguments the answer is meant to change (a training step changes
    the model); every other argument must come back unmodified.
    ``forbidden``: the package's own implementations of this step (``"module:Qual.name"``): an
    answer that runs them (or the reference) is reported as calling the library.
    """

    id: str
    title: str
    reference: Callable
    cases: Sequence[Case]
    hint: str = ""
    solution: str = ""
    points: int = 1
    probe: Callable | None = None
    notebook: str = field(default="")
    name: str = ""
    """The name the notebook gives the answer (``name = check(id, name)``)."""
    kind: str = "function"
    grad: bool = False
    """Run the call with autograd on (exercises that train: the answer calls ``backward``)."""
    differentiable: bool = True
    mutable: tuple[int, ...] = ()
    outcome: Callable[[tuple, object], object] | None = None
    """What is compared, from the arguments after the call and the returned value (default: the
    returned value); e.g. the loss *and* the parameters a training step updated."""
    forbidden: tuple[str, ...] = ()
    mistakes: tuple[Mistake, ...] = ()

    @property
    def arg_names(self) -> list[str]:
        """The reference's parameter names, to name arguments in messages."""
        if self.kind == "module":
            return ["input"]
        try:
            return list(inspect.signature(self.reference).parameters)
        except (TypeError, ValueError):
            return []


class _Seeded:
    """``build()`` run under ``seed + salt`` in a forked RNG (the global RNG is left untouched)."""

    def __init__(self, seed: int, build: Callable[[], tuple]):
        self.seed, self.build = seed, build

    def __call__(self, salt: int = 0) -> tuple:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(self.seed + salt)
            return self.build()


def _seeded(seed: int, build: Callable[[], tuple]) -> _Seeded:
    return _Seeded(seed, build)


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


def _depthwise_probe(args: tuple, salt: int = 0) -> torch.Tensor:
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(30 + salt)
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
        _module_case(
            122,
            "x (1, 3, 9, 22) (padded by 7 rows and 2 columns), tiny AMINet",
            _tiny_unet,
            (1, 3, 9, 22),
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


class _ResidualNet(nn.Module):
    """The course's convention: the model adds its input back."""

    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(3, 6, 3, padding=1), nn.ReLU(), nn.Conv2d(6, 3, 1))

    def forward(self, x):
        return x + self.body(x)


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

    def residual_net():
        return _ResidualNet()

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


# Build-the-module exercises: a case is (constructor kwargs, forward inputs, the reference's
# randomised weights), so the student's module is run with exactly the reference's weights.


def _build_case(seed: int, description: str, cls_path: str, kwargs: dict, make_inputs) -> Case:
    def build():
        cls = _resolve(cls_path)
        state = _randomize(cls(**kwargs)).state_dict()
        return (dict(kwargs), make_inputs(), state)

    return Case(description, _seeded(seed, build))


def _sa_module_cases() -> list[Case]:
    path = "aminet.modules.sa:SelfAttention"
    return [
        _build_case(
            300,
            "SelfAttention(8, num_heads=2) on x (2, 8, 6, 6)",
            path,
            {"channels": 8, "num_heads": 2},
            lambda: (torch.randn(2, 8, 6, 6),),
        ),
        _build_case(
            301,
            "SelfAttention(6, num_heads=1) on x (1, 6, 5, 7)",
            path,
            {"channels": 6, "num_heads": 1},
            lambda: (torch.randn(1, 6, 5, 7),),
        ),
    ]


def _au_module_cases() -> list[Case]:
    path = "aminet.modules.rdfe:AttentionUnit"

    def concat(n, kc, h, w):
        return lambda: (torch.randn(n, kc, h, w) + torch.linspace(-2, 2, kc).view(1, -1, 1, 1),)

    return [
        _build_case(
            310,
            "AttentionUnit(4, branches=3) on concat (2, 12, 5, 5)",
            path,
            {"channels": 4, "branches": 3},
            concat(2, 12, 5, 5),
        ),
        _build_case(
            311,
            "AttentionUnit(6, branches=2) on concat (1, 12, 4, 6)",
            path,
            {"channels": 6, "branches": 2},
            concat(1, 12, 4, 6),
        ),
        _build_case(
            312,
            "AttentionUnit(16, branches=3) on concat (1, 48, 3, 3) (hidden = 12)",
            path,
            {"channels": 16, "branches": 3},
            concat(1, 48, 3, 3),
        ),
    ]


def _rdfe_module_cases() -> list[Case]:
    path = "aminet.modules.rdfe:RDFE"
    return [
        _build_case(
            315,
            "RDFE(4, hourglass_depth=1, hourglass_channels=4) on x (2, 4, 8, 8)",
            path,
            {"channels": 4, "hourglass_depth": 1, "hourglass_channels": 4},
            lambda: (torch.randn(2, 4, 8, 8),),
        ),
        _build_case(
            316,
            "RDFE(6, kernel_sizes=(3, 5), hourglass_depth=2, hourglass_channels=8) on x "
            "(1, 6, 8, 12)",
            path,
            {"channels": 6, "kernel_sizes": (3, 5), "hourglass_depth": 2, "hourglass_channels": 8},
            lambda: (torch.randn(1, 6, 8, 12),),
        ),
    ]


def _skaf_module_cases() -> list[Case]:
    path = "aminet.modules.skaf:SKAF"
    return [
        _build_case(
            320,
            "SKAF(8) on x (2, 8, 8, 8)",
            path,
            {"channels": 8},
            lambda: (torch.randn(2, 8, 8, 8),),
        ),
        _build_case(
            321,
            "SKAF(7) (odd width: 3 + 4 channels) on x (1, 7, 5, 9)",
            path,
            {"channels": 7},
            lambda: (torch.randn(1, 7, 5, 9),),
        ),
    ]


def _lgfi_module_cases() -> list[Case]:
    path = "aminet.modules.lgfi:LGFI"
    return [
        _build_case(
            330,
            "LGFI(8, num_heads=2, hourglass_depth=2, hourglass_channels=8) on x (2, 8, 8, 8)",
            path,
            {"channels": 8, "num_heads": 2, "hourglass_depth": 2, "hourglass_channels": 8},
            lambda: (torch.randn(2, 8, 8, 8),),
        ),
        _build_case(
            331,
            "LGFI(4, num_heads=1, hourglass_depth=1, hourglass_channels=4) on x (1, 4, 6, 6)",
            path,
            {"channels": 4, "num_heads": 1, "hourglass_depth": 1, "hourglass_channels": 4},
            lambda: (torch.randn(1, 4, 6, 6),),
        ),
    ]


def _edff_module_cases2() -> list[Case]:
    path = "aminet.modules.edff:EDFF"
    return [
        _build_case(
            340,
            "EDFF(8) on encoder, decoder (2, 8, 8, 8)",
            path,
            {"channels": 8},
            lambda: (torch.randn(2, 8, 8, 8), torch.randn(2, 8, 8, 8) * 2 + 0.5),
        ),
        _build_case(
            341,
            "EDFF(6) on encoder, decoder (1, 6, 5, 7)",
            path,
            {"channels": 6},
            lambda: (torch.randn(1, 6, 5, 7), torch.randn(1, 6, 5, 7) * 2 + 0.5),
        ),
    ]


_TINY_AMINET = {
    "base_channels": 4,
    "num_heads": (1, 1, 1, 1),
    "hourglass_depths": (2, 2, 1, 1),
    "hourglass_channels": 4,
    "num_bottleneck": 1,
}


def _unet_module_cases() -> list[Case]:
    path = "aminet.model:AMINet"
    return [
        _build_case(
            350,
            "tiny AMINet (base_channels=4) on x (1, 3, 16, 16)",
            path,
            dict(_TINY_AMINET),
            lambda: (torch.rand(1, 3, 16, 16),),
        ),
        _build_case(
            351,
            "tiny AMINet on x (1, 3, 9, 22) (padded by 7 rows and 2 columns)",
            path,
            dict(_TINY_AMINET, num_bottleneck=2),
            lambda: (torch.rand(1, 3, 9, 22),),
        ),
    ]


def _resolve(path: str):
    """``"package.module:Qual.name"`` -> the object (imported on first use)."""
    import importlib

    module, _, qualname = path.partition(":")
    obj = importlib.import_module(module)
    for part in qualname.split("."):
        obj = getattr(obj, part)
    return obj


# Typical mistakes with a message that explains them (matched on the student's outputs).


def _l1_step_without_zero_grad(model, optimizer, inp, hr):
    loss = nn.functional.l1_loss(model(inp), hr)
    loss.backward()
    optimizer.step()
    return loss.detach()


def _l1_step_zero_grad_after_backward(model, optimizer, inp, hr):
    loss = nn.functional.l1_loss(model(inp), hr)
    loss.backward()
    optimizer.zero_grad()
    optimizer.step()
    return loss.detach()


def _attention_softmax_over_queries(q, k, temperature):
    q, k = nn.functional.normalize(q, dim=-1), nn.functional.normalize(k, dim=-1)
    return ((q @ k.transpose(-2, -1)) * temperature).softmax(dim=-2)


def _skaf_softmax(x, skaf):
    x3 = torch.cat([conv(x) for conv in skaf.convs], dim=1)
    w = skaf.mix(ref.skaf_channel_pool(x3)).softmax(dim=1)
    return w[:, :1], w[:, 1:]


def _sa(*names: str) -> tuple[str, ...]:
    return tuple(f"aminet.modules.sa:SelfAttention.{n}" for n in names)


def _exercises() -> list[Exercise]:
    return [
        # 00 data and metrics ------------------------------------------------------------------
        Exercise(
            "data.degrade",
            "The x8 degradation: antialiased bicubic down, bicubic up, clamped to [0, 1]",
            ref.data_degrade,
            _degrade_cases(),
            hint="Shrinking an image must first blur away what the small image cannot hold "
            "(antialiasing), and bicubic overshoots at edges, so both images must be put back "
            "into [0, 1]. A single (3, H, W) image comes back as one image.",
            solution="lr = F.interpolate(hr, size=(h // scale, w // scale), mode='bicubic', "
            "align_corners=False, antialias=True).clamp(0, 1); lr_up the same back to (h, w). "
            "Add a batch axis to a single (3, H, W) image and remove it again.",
            notebook="00",
            name="degrade_ex",
            differentiable=False,
            forbidden=("aminet.data.degradation:degrade", "aminet.data.degradation:resize_bicubic"),
        ),
        Exercise(
            "metrics.rgb_to_y",
            "MATLAB's luma Y = 16 + (65.481 R + 128.553 G + 24.966 B) on RGB in [0, 1]",
            ref.metrics_rgb_to_y,
            _rgb_cases(),
            hint="Y is a weighted sum over the colour axis (dim=1), kept as one channel; look at "
            "the scale of the weights before multiplying by 255.",
            solution="Weight the channels (dim=1) and keep that axis: (N, 3, H, W) -> (N, 1, H, W); "
            "the weights already include the 255 scale, so do not multiply by 255 again.",
            notebook="00",
            name="rgb_to_y",
            differentiable=False,
            forbidden=("aminet.metrics:rgb_to_y",),
        ),
        Exercise(
            "metrics.psnr_y",
            "PSNR on Y (peak 255), one value per image",
            ref.metrics_psnr_y,
            _psnr_cases(),
            hint="PSNR is a per-image quantity: average the squared error over each image's "
            "pixels only, never over the whole batch, and use Y's 0-255 peak.",
            solution="Y of both images (0-255 scale), MSE per image over (1, H, W), then "
            "10 * log10(255**2 / mse).",
            notebook="00",
            name="psnr_y",
            differentiable=False,
            forbidden=("aminet.metrics:psnr",),
        ),
        # 01 SA --------------------------------------------------------------------------------
        Exercise(
            "sa.to_heads",
            "Split (N, C, H, W) into heads of channels: (N, heads, C/heads, HW)",
            ref.sa_to_heads,
            _sa_heads_cases(),
            hint="Channel attention treats each channel as a row of HW pixels, and head i owns a "
            "contiguous block of C/heads channels: no axis needs to move.",
            solution="n, c, h, w = x.shape; return x.reshape(n, num_heads, c // num_heads, h * w)",
            notebook="01",
            name="to_heads",
            forbidden=_sa("_heads"),
        ),
        Exercise(
            "sa.attention_map",
            "Eq. 4: the (C/h x C/h) channel-attention map",
            ref.sa_attention_map,
            _sa_map_cases(),
            hint="Compare channels by the angle between their pixel rows (unit length along the "
            "pixel axis), scale by the learned temperature, and let each query row's weights sum "
            "to 1 over the keys.",
            solution="q, k = F.normalize(q, dim=-1), F.normalize(k, dim=-1); "
            "return ((q @ k.transpose(-2, -1)) * temperature).softmax(dim=-1)",
            notebook="01",
            name="attention_map",
            forbidden=_sa("_logits", "attention_map"),
            mistakes=(
                Mistake(
                    _attention_softmax_over_queries,
                    "Your columns sum to 1, not your rows: the softmax ran over the queries "
                    "(dim=-2). Each query channel distributes its attention over the keys, the "
                    "last axis.",
                ),
            ),
        ),
        Exercise(
            "sa.forward",
            "SA from its layers: qkv, depthwise conv, heads, attention, projection",
            ref.sa_forward,
            _sa_forward_cases(),
            hint="Eqs. 1-5 in order: one 1x1 conv makes q, k and v together, the depthwise conv "
            "adds spatial context before they are split, attention mixes v's channels, and the "
            "result goes back to (N, C, H, W) before the last 1x1. Gradients must reach q and k "
            "too (do not detach them).",
            solution="q, k, v = sa.qkv_dwconv(sa.qkv(x)).chunk(3, dim=1); heads; "
            "attention_map(q, k, sa.temperature) @ v; reshape to (N, C, H, W); sa.project(...)",
            notebook="01",
            name="sa_forward",
            forbidden=_sa("forward", "_heads", "_logits"),
        ),
        Exercise(
            "sa.module",
            "Build SelfAttention yourself: its layers (__init__) and eqs. 1-5 (forward)",
            _resolve("aminet.modules.sa:SelfAttention"),
            _sa_module_cases(),
            hint="The layers are named as in aminet's SelfAttention (qkv, qkv_dwconv, project, "
            "temperature) so its weights load into yours: one bias-free C -> 3C 1x1 conv, a "
            "bias-free 3x3 depthwise conv on 3C channels, a bias-free C -> C 1x1 projection and "
            "one learnable temperature per head, shaped (heads, 1, 1).",
            solution="qkv = nn.Conv2d(c, 3c, 1, bias=False); qkv_dwconv = nn.Conv2d(3c, 3c, 3, "
            "padding=1, groups=3c, bias=False); project = nn.Conv2d(c, c, 1, bias=False); "
            "temperature = nn.Parameter(torch.ones(num_heads, 1, 1)); forward as sa_forward.",
            notebook="01",
            name="SA",
            kind="module",
            forbidden=_sa("__init__", "forward", "_heads", "_logits"),
        ),
        # 02 RDFE ------------------------------------------------------------------------------
        Exercise(
            "rdfe.depthwise_conv",
            "A depthwise k x k convolution that keeps the image size",
            ref.rdfe_depthwise_conv,
            _depthwise_cases(),
            probe=_depthwise_probe,
            hint="Depthwise means one k x k filter per channel (the channels are split into as "
            "many groups as there are channels); 'same' size needs k // 2 pixels of padding.",
            solution="nn.Conv2d(channels, channels, kernel_size, padding=kernel_size // 2, "
            "groups=channels)",
            notebook="02",
            name="depthwise_conv",
            forbidden=("aminet.modules.rdfe:_depthwise",),
        ),
        Exercise(
            "rdfe.au_weights",
            "Eq. 7: the attention unit's per-channel branch weights",
            ref.rdfe_au_weights,
            _au_cases(),
            hint="Summarise each channel by its average, squeeze and excite it, then let the k "
            "branches compete for each channel: the softmax runs over the branch axis.",
            solution="pooled = F.adaptive_avg_pool2d(concat, 1); logits = excite(relu(squeeze("
            "pooled))); logits.reshape(n, k, C, 1, 1).softmax(dim=1)",
            notebook="02",
            name="au_weights",
            forbidden=(
                "aminet.modules.rdfe:AttentionUnit.forward",
                "aminet.modules.rdfe:AttentionUnit.from_pooled",
            ),
        ),
        Exercise(
            "rdfe.attention_unit",
            "Build the attention unit (AU, eq. 7) as a module",
            _resolve("aminet.modules.rdfe:AttentionUnit"),
            _au_module_cases(),
            hint="Two 1x1 convs named squeeze (kC -> hidden) and excite (hidden -> kC), both with "
            "bias, hidden = max(kC // reduction, 8); forward is your au_weights with them.",
            solution="hidden = max(branches * channels // reduction, 8); self.squeeze = "
            "nn.Conv2d(branches * channels, hidden, 1); self.excite = nn.Conv2d(hidden, branches "
            "* channels, 1); forward: au_weights(concat, self.squeeze, self.excite, branches)",
            notebook="02",
            name="AU",
            kind="module",
            forbidden=(
                "aminet.modules.rdfe:AttentionUnit.__init__",
                "aminet.modules.rdfe:AttentionUnit.forward",
                "aminet.modules.rdfe:AttentionUnit.from_pooled",
            ),
        ),
        Exercise(
            "rdfe.forward",
            "RDFE from its layers: eqs. 6-10",
            ref.rdfe_forward,
            _rdfe_cases(),
            hint="Each branch extracts (with its activation), is weighted by its own AU weights, "
            "refined, and all are fused; eq. 9 adds the block's input back before the FRM.",
            solution="feats = [F.gelu(c(x)) for c in rdfe.extract]; w = rdfe.au(cat(feats)); "
            "feats = [r(f * w[:, i]) ...]; out = rdfe.fuse(cat(feats)) + x; rdfe.frm(out)",
            notebook="02",
            name="rdfe_forward",
            forbidden=(
                "aminet.modules.rdfe:RDFE.forward",
                "aminet.modules.rdfe:RDFE.branch_weights",
            ),
        ),
        Exercise(
            "rdfe.module",
            "Build RDFE as a module: eqs. 6-10 with your own layers",
            _resolve("aminet.modules.rdfe:RDFE"),
            _rdfe_module_cases(),
            hint="Five parts named as aminet's RDFE: extract and refine (nn.ModuleList of "
            "depthwise convs with bias, one per kernel size, padding k // 2, groups=channels), "
            "au (the attention unit over len(kernel_sizes) branches), fuse (1x1 conv kC -> C) "
            "and frm (FRM with the hourglass settings); forward is your rdfe_forward.",
            solution="self.extract = ModuleList(Conv2d(c, c, k, padding=k // 2, groups=c) ...); "
            "self.au = AU(c, len(kernel_sizes)); self.refine = (as extract); self.fuse = "
            "Conv2d(len(kernel_sizes) * c, c, 1); self.frm = FRM(c, hourglass_depth, "
            "hourglass_channels)",
            notebook="02",
            name="RDFEModule",
            kind="module",
            forbidden=(
                "aminet.modules.rdfe:RDFE.__init__",
                "aminet.modules.rdfe:RDFE.forward",
                "aminet.modules.rdfe:RDFE.branch_weights",
            ),
        ),
        # 03 SKAF ------------------------------------------------------------------------------
        Exercise(
            "skaf.channel_pool",
            "Eq. 13's descriptor: average and max along the channels",
            ref.skaf_channel_pool,
            _pool_cases(),
            hint="Pool along the channel axis, keep it (one map per statistic), average first.",
            solution="torch.cat([x3.mean(dim=1, keepdim=True), x3.amax(dim=1, keepdim=True)], 1)",
            notebook="03",
            name="channel_pool",
            forbidden=("aminet.modules.skaf:SKAF.forward",),
        ),
        Exercise(
            "skaf.forward",
            "SKAF from its layers: eqs. 11-14",
            ref.skaf_forward,
            _skaf_cases(),
            hint="Two receptive fields side by side, described per pixel by your channel pool, "
            "mixed into two maps that are independent gates in (0, 1); the first map is for the "
            "first feature.",
            solution="x3 = cat([c(x) for c in skaf.convs], 1); w = sigmoid(skaf.mix("
            "channel_pool(x3))); return w[:, :1], w[:, 1:]",
            notebook="03",
            name="skaf_forward",
            forbidden=("aminet.modules.skaf:SKAF.forward",),
            mistakes=(
                Mistake(
                    _skaf_softmax,
                    "Your two maps sum to 1 at every pixel: a softmax made them compete. SKAF's "
                    "maps are independent gates (eq. 13's sigmoid): both features may be kept, "
                    "or both damped.",
                ),
            ),
        ),
        Exercise(
            "skaf.module",
            "Build SKAF as a module (eqs. 11-14)",
            _resolve("aminet.modules.skaf:SKAF"),
            _skaf_module_cases(),
            hint="Named as aminet's SKAF: convs, a ModuleList of a dense 5x5 conv (C -> C // 2) "
            "and a dense 7x7 conv (C -> C - C // 2), both 'same'-padded with bias, and mix, a "
            "7x7 conv from the 2 pooled maps to 2 maps.",
            solution="self.convs = nn.ModuleList([nn.Conv2d(c, c // 2, 5, padding=2), "
            "nn.Conv2d(c, c - c // 2, 7, padding=3)]); self.mix = nn.Conv2d(2, 2, 7, padding=3); "
            "forward as skaf_forward",
            notebook="03",
            name="SKAFModule",
            kind="module",
            forbidden=("aminet.modules.skaf:SKAF.__init__", "aminet.modules.skaf:SKAF.forward"),
        ),
        # 04 LGFI ------------------------------------------------------------------------------
        Exercise(
            "lgfi.forward",
            "LGFI: SA and RDFE in parallel, fused by SKAF, plus the input",
            ref.lgfi_forward,
            _lgfi_cases(),
            hint="Both branches read the same normalised input (in parallel, not one after the "
            "other); SKAF looks at their sum and gives each branch its own map; the block is "
            "residual. Never write into x: training's backward pass still needs it.",
            solution="y = lgfi.norm(x); g = lgfi.sa(y); l = lgfi.local(y); w_g, w_l = "
            "lgfi.skaf(g + l); return x + g * w_g + l * w_l",
            notebook="04",
            name="lgfi_forward",
            forbidden=(
                "aminet.modules.lgfi:LGFI.forward",
                "aminet.modules.lgfi:LGFI.branches",
                "aminet.modules.lgfi:LGFI.selection",
            ),
        ),
        Exercise(
            "lgfi.transformer_forward",
            "The serial Transformer block LGFI replaces",
            ref.lgfi_transformer_forward,
            _transformer_cases(),
            hint="Two residual steps, each reading its own LayerNorm; the FRM, when the block "
            "has one, comes last.",
            solution="x = x + block.attn(block.norm1(x)); x = x + block.ffn(block.norm2(x)); "
            "return block.frm(x) if block.frm is not None else x",
            notebook="04",
            name="transformer_forward",
            forbidden=("aminet.modules.transformer:TransformerBlock.forward",),
        ),
        Exercise(
            "lgfi.module",
            "Build LGFI as a module from aminet's SA, RDFE and SKAF",
            _resolve("aminet.modules.lgfi:LGFI"),
            _lgfi_module_cases(),
            hint="Four parts named as aminet's LGFI: norm (LayerNorm2d), sa (SelfAttention with "
            "num_heads), local (RDFE with the hourglass settings) and skaf (SKAF); forward is "
            "your lgfi_forward.",
            solution="self.norm = LayerNorm2d(c); self.sa = SelfAttention(c, num_heads); "
            "self.local = RDFE(c, hourglass_depth=hourglass_depth, hourglass_channels="
            "hourglass_channels); self.skaf = SKAF(c)",
            notebook="04",
            name="LGFIModule",
            kind="module",
            forbidden=(
                "aminet.modules.lgfi:LGFI.__init__",
                "aminet.modules.lgfi:LGFI.forward",
                "aminet.modules.lgfi:LGFI.branches",
            ),
        ),
        # 05 EDFF ------------------------------------------------------------------------------
        Exercise(
            "edff.selection",
            "Eq. 15: SKAF's maps of the reduced encoder/decoder concatenation",
            ref.edff_selection,
            _edff_module_cases(),
            hint="SKAF expects C channels: join the two features (encoder first, so the first "
            "map belongs to it) and bring them back to C with EDFF's 1x1 reduction first.",
            solution="edff.skaf(edff.reduce(torch.cat([encoder, decoder], dim=1)))",
            notebook="05",
            name="edff_selection",
            forbidden=("aminet.modules.edff:EDFF.selection", "aminet.modules.edff:EDFF.forward"),
        ),
        Exercise(
            "edff.combine",
            "Eq. 16: mix encoder and decoder features pixel by pixel",
            ref.edff_combine,
            _combine_cases(),
            hint="Each feature is scaled by its own map, pixel by pixel, and the two are added.",
            solution="encoder * w_enc + decoder * w_dec",
            notebook="05",
            name="edff_combine",
            forbidden=("aminet.modules.edff:EDFF.forward",),
        ),
        Exercise(
            "edff.module",
            "Build EDFF as a module (eqs. 15-16)",
            _resolve("aminet.modules.edff:EDFF"),
            _edff_module_cases2(),
            hint="Two parts named as aminet's EDFF: reduce (a 1x1 conv 2C -> C, with bias) and "
            "skaf (SKAF(C)); forward(encoder, decoder) is selection then combination.",
            solution="self.reduce = nn.Conv2d(2 * c, c, 1); self.skaf = SKAF(c); forward: "
            "w_e, w_d = self.skaf(self.reduce(cat([e, d], 1))); return e * w_e + d * w_d",
            notebook="05",
            name="EDFFModule",
            kind="module",
            forbidden=(
                "aminet.modules.edff:EDFF.__init__",
                "aminet.modules.edff:EDFF.forward",
                "aminet.modules.edff:EDFF.selection",
            ),
        ),
        # 06 U-Net -----------------------------------------------------------------------------
        Exercise(
            "unet.stage_shapes",
            "(C, H, W) at each encoder stage and the bottleneck",
            ref.unet_stage_shapes,
            _shape_cases(),
            hint="Three halvings need a side divisible by 8 (the input is padded up first); "
            "every Downsample doubles the width and halves the side.",
            solution="side = size + (-size) % 8; [(base_channels * 2**i, side // 2**i, "
            "side // 2**i) for i in range(4)]",
            notebook="06",
            name="stage_shapes",
            differentiable=False,
        ),
        Exercise(
            "unet.forward",
            "AMINet's forward pass from its parts",
            ref.unet_forward,
            _unet_cases(),
            hint="Pad (replicating the border) up to a multiple of 8 on the bottom and the right "
            "(F.pad's tuple starts with the LAST axis: (left, right, top, bottom)), keep each "
            "encoder output as a skip, decode with the skips in reverse order, add the padded "
            "input, crop back.",
            solution="padded = F.pad(x, (0, pad_w, 0, pad_h), mode='replicate'); feat = "
            "model.head(padded); encoders with skips and downs; bottleneck; for up, fusion, "
            "decoder, skip in zip(..., reversed(skips)): feat = decoder(fusion(skip, up(feat))); "
            "return (model.tail(feat) + padded)[..., :h, :w]",
            notebook="06",
            name="unet_forward",
            forbidden=("aminet.model:AMINet.forward",),
        ),
        Exercise(
            "unet.module",
            "Build AMINet's U-Net as a module",
            _resolve("aminet.model:AMINet"),
            _unet_module_cases(),
            hint="Named as aminet's AMINet: head (3x3 conv 3 -> C), encoders (3 LGFI), downs "
            "(3 Downsample), bottleneck (an nn.Sequential of num_bottleneck LGFI at 8C), ups "
            "(Upsample(4C), (2C), (C)), fusions (EDFF at 4C, 2C, C), decoders (LGFI at 4C, 2C, "
            "C) and tail (3x3 conv C -> 3); stage i uses num_heads[i] and hourglass_depths[i].",
            solution="see aminet/model.py: AMINet.__init__ with block='lgfi' and its forward",
            notebook="06",
            name="MiniAMINet",
            kind="module",
            forbidden=("aminet.model:AMINet.__init__", "aminet.model:AMINet.forward"),
        ),
        # 07 training --------------------------------------------------------------------------
        Exercise(
            "train.cosine_factor",
            "The cosine learning-rate schedule: from 1 down to min_ratio, then flat",
            ref.train_cosine_factor,
            _cosine_cases(),
            hint="Half a cosine period takes the factor from 1 to min_ratio as the progress "
            "step / total goes from 0 to 1; after total steps the progress stays at 1.",
            solution="progress = min(step / total, 1); return min_ratio + (1 - min_ratio) * 0.5 "
            "* (1 + cos(pi * progress))",
            notebook="07",
            name="cosine_factor",
            differentiable=False,
            outcome=_as_float64,
            forbidden=("aminet.training.schedule:ScheduleShape.__call__",),
        ),
        Exercise(
            "train.l1_step",
            "One training step of eq. 17 (L1 loss, Adam)",
            ref.train_l1_step,
            _train_step_cases(),
            hint="Forward, L1 loss, backward, update, in an order that leaves only this step's "
            "gradients in the model when the optimizer reads them; return the loss measured "
            "before the update.",
            solution="loss = F.l1_loss(model(inp), hr); optimizer.zero_grad(); loss.backward(); "
            "optimizer.step(); return loss.detach()",
            notebook="07",
            name="l1_step",
            grad=True,
            differentiable=False,
            mutable=(0, 1),
            outcome=_train_step_outcome,
            mistakes=(
                Mistake(
                    _l1_step_without_zero_grad,
                    "Your step applied this step's gradients PLUS the ones already in the "
                    "model: PyTorch accumulates gradients (backward adds to .grad, so that "
                    "several backward passes can be summed). The model arrives holding the "
                    "gradients of an earlier step; clear what the previous step left with "
                    "optimizer.zero_grad() before loss.backward().",
                ),
                Mistake(
                    _l1_step_zero_grad_after_backward,
                    "Your step changed no weight: zero_grad() ran after backward(), so it erased "
                    "the gradients this step had just computed. PyTorch accumulates gradients, "
                    "so they must be cleared before backward (what the previous step left), not "
                    "between backward and step.",
                ),
            ),
        ),
        # 08 AMIGAN ----------------------------------------------------------------------------
        Exercise(
            "gan.discriminator_loss",
            "Eq. 20: the discriminator's loss over every scale's patch logits",
            ref.gan_discriminator_loss,
            _gan_d_cases(),
            hint="Real patches should be called real (1) and fakes fake (0), each term a mean "
            "over patches of binary cross-entropy on the logits, averaged over the scales. "
            "Gradients must reach the fake logits too: nothing is detached inside the loss.",
            solution="per scale: F.binary_cross_entropy_with_logits(real, ones) and (fake, zeros); "
            "average each over the scales; add the two",
            notebook="08",
            name="discriminator_loss",
            forbidden=("aminet.gan:discriminator_loss",),
        ),
        Exercise(
            "gan.generator_loss",
            "Eq. 21: the generator's adversarial loss",
            ref.gan_generator_loss,
            _gan_g_cases(),
            hint="The generator wants D to call its faces real.",
            solution="mean over scales of F.binary_cross_entropy_with_logits(fake, ones)",
            notebook="08",
            name="generator_loss",
            forbidden=("aminet.gan:generator_adversarial_loss",),
        ),
        # 09 benchmarking ----------------------------------------------------------------------
        Exercise(
            "bench.time_calls",
            "Timing with warm-up and synchronisation",
            ref.bench_time_calls,
            _timing_cases(),
            hint="The first calls pay one-off costs, and a GPU call returns before its work is "
            "done: time only after the warm-up, and wait for the device on both sides of each "
            "timed call.",
            solution="fn() warmup times; then per repeat: synchronize(); t0 = clock(); fn(); "
            "synchronize(); append clock() - t0",
            notebook="09",
            name="time_calls",
            differentiable=False,
            mutable=(0, 1, 4),
            outcome=_timing_outcome,
        ),
        # 10 ablations -------------------------------------------------------------------------
        Exercise(
            "ablation.difference",
            "A difference of means and its standard error over seeds",
            ref.ablation_difference,
            _ablation_cases(),
            hint="The spread of a difference of two independent means adds the two squared "
            "standard errors; a handful of seeds needs the sample variance (n - 1).",
            solution="diff = b.mean() - a.mean(); se = sqrt(a.var() / len(a) + b.var() / len(b))",
            notebook="10",
            name="difference",
            differentiable=False,
        ),
    ]


EXERCISES: dict[str, Exercise] = {ex.id: ex for ex in _exercises()}
"""Every exercise, by id, in course order (chapter by chapter)."""


def get_exercise(exercise_id: str) -> Exercise:
    """The exercise ``exercise_id``; a ``KeyError`` listing the known ids if there is none."""
    try:
        return EXERCISES[exercise_id]
    except KeyError:
        raise KeyError(f"unknown exercise {exercise_id!r}; known: {', '.join(EXERCISES)}") from None


def reference(exercise_id: str) -> Callable:
    """aminet's reference answer to ``exercise_id`` (what :func:`check` falls back to)."""
    return get_exercise(exercise_id).reference


def chapter_exercises(chapter: str) -> list[Exercise]:
    """The exercises of chapter ``"NN"``, in the order the notebook asks them."""
    return [ex for ex in EXERCISES.values() if ex.notebook == chapter]
