"""The clock and what it times: inference runners (eager, compiled, CUDA graphs) and the trainer's
own training step, each a zero-argument callable timed with the device synchronised around it."""

from __future__ import annotations

import contextlib
import copy
import statistics
import time
from collections.abc import Callable

import torch

from aminet.bench.settings import DTYPES, BenchmarkUnavailable
from aminet.optim import make_adam
from aminet.training.steps import PixelStep


def sync(device: str) -> None:
    if device.startswith("cuda"):
        torch.cuda.synchronize(torch.device(device))


def timed(fn: Callable[[], object], device: str) -> float:
    """Seconds of one call, with the device synchronised before and after."""
    sync(device)
    start = time.perf_counter()
    fn()
    sync(device)
    return time.perf_counter() - start


def summarise_times(seconds: list[float]) -> dict:
    ms = sorted(s * 1000 for s in seconds)
    p90 = ms[min(len(ms) - 1, max(0, round(0.9 * len(ms)) - 1))]
    return {
        "median": round(statistics.median(ms), 3),
        "p90": round(p90, 3),
        "min": round(ms[0], 3),
        "n": len(ms),
    }


def autocast(device: str, dtype: str):
    if dtype == "fp32":
        return contextlib.nullcontext()
    kind = "cuda" if device.startswith("cuda") else "cpu"
    return torch.autocast(device_type=kind, dtype=DTYPES[dtype])


def example_input(batch: int, size: int, device: str, channels_last: bool, in_channels: int = 3):
    x = torch.rand(batch, in_channels, size, size, device=device)
    return x.contiguous(memory_format=torch.channels_last) if channels_last else x


class Runner:
    """One model prepared for inference: device, memory format, dtype, compile / CUDA graphs."""

    def __init__(self, name, model, *, device, dtype, channels_last, compile, cuda_graphs, size):
        self.name = name
        self.device = device
        self.dtype = dtype
        self.size = size
        self.channels_last = channels_last
        self.in_channels = getattr(model, "in_channels", 3)
        model = model.to(device).eval()
        if channels_last:
            model = model.to(memory_format=torch.channels_last)
        self.model = model
        self.cuda_graphs = cuda_graphs
        self.forward = model
        self.compiled = compile
        if compile:
            # With CUDA graphs asked for too, let torch.compile capture them ("reduce-overhead").
            mode = "reduce-overhead" if cuda_graphs else None
            self.forward = torch.compile(model, mode=mode, dynamic=False)
        self._graphs: dict[int, Callable[[torch.Tensor], torch.Tensor]] = {}
        self._inputs: dict[int, torch.Tensor] = {}

    def example(self, batch: int) -> torch.Tensor:
        if batch not in self._inputs:
            self._inputs[batch] = example_input(
                batch, self.size, self.device, self.channels_last, self.in_channels
            )
        return self._inputs[batch]

    def _call(self, x: torch.Tensor) -> torch.Tensor:
        with torch.inference_mode(), autocast(self.device, self.dtype):
            return self.forward(x)

    def _capture(self, batch: int) -> Callable[[], torch.Tensor]:
        """Record one forward pass as a CUDA graph; replaying it skips every kernel launch."""
        static_in = self.example(batch)
        stream = torch.cuda.Stream(device=self.device)
        stream.wait_stream(torch.cuda.current_stream(self.device))
        with torch.cuda.stream(stream):
            for _ in range(3):  # warm-up on a side stream, as torch.cuda.graph requires
                self._call(static_in)
        torch.cuda.current_stream(self.device).wait_stream(stream)
        graph = torch.cuda.CUDAGraph()
        with torch.inference_mode(), autocast(self.device, self.dtype), torch.cuda.graph(graph):
            static_out = self.forward(static_in)

        def replay() -> torch.Tensor:
            graph.replay()
            return static_out

        return replay

    def step(self, batch: int) -> Callable[[], torch.Tensor]:
        """A zero-argument callable running one forward pass at ``batch``."""
        if self.cuda_graphs and not self.compiled:  # compiled: "reduce-overhead" owns the graphs
            if batch not in self._graphs:
                self._graphs[batch] = self._capture(batch)
            return self._graphs[batch]
        x = self.example(batch)
        return lambda: self._call(x)


def prepare_runner(name, model, settings) -> Runner:
    try:
        return Runner(name, model, **settings)
    except RuntimeError as err:  # e.g. a dtype or memory format the device lacks
        raise BenchmarkUnavailable(f"{name}: could not prepare the model: {err}") from None


def warm_up(runner: Runner, batch: int, warmup: int) -> None:
    """Run ``warmup`` calls; turn compile / graph failures into one clear message."""
    try:
        fn = runner.step(batch)
        for _ in range(max(warmup, 1)):
            fn()
        sync(runner.device)
    except BenchmarkUnavailable:
        raise
    except Exception as err:  # noqa: BLE001 - torch.compile raises many exception types
        what = "the forward pass"
        if runner.compiled:
            what = "torch.compile"
        elif runner.cuda_graphs:
            what = "CUDA graph capture"
        first_line = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise BenchmarkUnavailable(
            f"{runner.name}: {what} failed on {runner.device} at batch {batch}: "
            f"{type(err).__name__}: {first_line[:300]}"
        ) from None


class TrainStep:
    """A copy of the model trained by the trainer's own step (:class:`aminet.training.PixelStep`):
    forward under autocast, L1 loss in fp32, backward through the AMP scaler, gradient clipping at
    1.0 (``TrainConfig``'s default), fused Adam with the paper's betas. ``step()`` is one such step
    (it reads the loss back, as the trainer does)."""

    def __init__(self, name, model, *, device, dtype, channels_last, compile, batch, size):
        self.name = name
        self.model = copy.deepcopy(model).to(device).train()
        if channels_last:
            self.model = self.model.to(memory_format=torch.channels_last)
        forward = torch.compile(self.model, dynamic=False) if compile else self.model
        in_channels = getattr(model, "in_channels", 3)
        self.x = example_input(batch, size, device, channels_last, in_channels)
        self.target = torch.rand_like(self.x)
        kind = "cuda" if device.startswith("cuda") else "cpu"
        self.pixel_step = PixelStep(
            forward,  # a compiled module holds the same parameters as the model
            make_adam(self.model.parameters(), 2e-4, (0.9, 0.99)),
            torch.amp.GradScaler(kind, enabled=dtype == "fp16" and kind == "cuda"),
            amp_dtype=None if dtype == "fp32" else DTYPES[dtype],
            device=torch.device(device),
            grad_clip=1.0,
        )

    def step(self) -> None:
        self.pixel_step(self.x, self.target)
