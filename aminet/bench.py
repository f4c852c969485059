"""Measure models side by side: parameters, MACs, latency, throughput, peak memory, training speed.

``benchmark(["aminet", "aminet-s", "sparnet"])`` returns one dict with a row per model and the ratios
of every number to the first model. The models are measured *interleaved* (model A, B, C, A, B, C,
...) in one process, so that a noisy or shared machine slows them all alike and the ratios hold even
when the absolute numbers drift.

What each number is:
- ``params``: every parameter (``aminet.complexity.count_params``).
- ``macs``: torch's FLOP counter / 2 at batch 1 (matmuls included), the same counter as
  ``aminet summary``; ``macs_conv_linear``: conv and linear layers only, at their true cost;
  ``macs_thop``: the convention of the ``thop`` package, which the paper's Table X appears to use
  (see ``aminet.complexity``).
- ``latency_ms``: batch 1 forward in inference mode: warm-up calls first, the device synchronised
  before and after every timed call, the median and the 90th percentile over ``repeats`` calls.
- ``throughput``: images per second at each batch size, from the median time of one call.
- ``peak_memory_mb``: memory a forward pass needs on top of the weights. CUDA:
  ``torch.cuda.max_memory_allocated`` minus what was allocated before the call. CPU: the growth of
  the peak resident set size (``VmHWM`` in /proc/self/status) of a fresh child process that
  loads the model and then runs the forward passes in increasing batch order (a child process,
  because the peak RSS of a process never goes down; eager mode, fp32 weights).
- ``train``: with ``train=True``, images per second of a full training step (forward, L1 loss,
  backward, Adam step) at the largest batch size.

``plot_tradeoff(rows, "fig1.png", psnr={...})`` draws a Fig. 1-style bubble plot: the paper's Table
X (params vs PSNR, bubble size = RTX 3090 speed) as the paper's points, and our measured models.
"""

from __future__ import annotations

import contextlib
import copy
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence

import torch
import torch.nn.functional as F
from torch import nn

from aminet.complexity import count_macs, count_macs_conv_linear, count_macs_thop, count_params
from aminet.paper import TABLE_X

__all__ = [
    "PAPER_TABLE_X",
    "BenchmarkUnavailable",
    "benchmark",
    "format_table",
    "machine_info",
    "plot_tradeoff",
]

DTYPES = {"fp32": torch.float32, "bf16": torch.bfloat16, "fp16": torch.float16}

# The paper's Table X (x8 CelebA), from aminet.paper: label -> (PSNR dB, params M, MACs G, RTX 3090 ms).
PAPER_TABLE_X = {r.label: (r.psnr, r.params_m, r.macs_g, r.speed_ms) for r in TABLE_X}


class BenchmarkUnavailable(ValueError):
    """A requested mode (compile, CUDA graphs, a dtype, a device) cannot run on this machine."""


# ---------------------------------------------------------------------------------------------
# Machine and settings
# ---------------------------------------------------------------------------------------------
def _cpu_name() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine_info(device: str = "cpu") -> dict:
    """What the numbers were measured on (always report it with them)."""
    info = {
        "device": device,
        "cpu": _cpu_name(),
        "cpu_count": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "torch": torch.__version__,
        "python": platform.python_version(),
    }
    if device.startswith("cuda") and torch.cuda.is_available():
        info["gpu"] = torch.cuda.get_device_name(torch.device(device))
        info["cuda"] = torch.version.cuda
    try:
        info["load_average_1min"] = round(os.getloadavg()[0], 2)
    except OSError:
        pass
    return info


def _check_settings(device: str, dtype: str, compile: bool, cuda_graphs: bool) -> None:
    if dtype not in DTYPES:
        raise BenchmarkUnavailable(f"dtype must be one of {', '.join(DTYPES)}, got {dtype!r}")
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise BenchmarkUnavailable(
            "device 'cuda' asked for, but torch.cuda.is_available() is False on this machine "
            f"(torch {torch.__version__}); run with --device cpu, or on a machine with a GPU"
        )
    if not (device == "cpu" or device.startswith("cuda")):
        raise BenchmarkUnavailable(f"device must be 'cpu' or 'cuda[:N]', got {device!r}")
    if cuda_graphs and not device.startswith("cuda"):
        raise BenchmarkUnavailable(
            "CUDA graphs exist only on CUDA devices: --cuda-graphs needs --device cuda "
            "(there is no CPU equivalent; drop --cuda-graphs to measure on the CPU)"
        )
    if compile and not hasattr(torch, "compile"):
        raise BenchmarkUnavailable(f"torch.compile is missing from torch {torch.__version__}")


# ---------------------------------------------------------------------------------------------
# Timing
# ---------------------------------------------------------------------------------------------
def _sync(device: str) -> None:
    if device.startswith("cuda"):
        torch.cuda.synchronize(torch.device(device))


def _timed(fn: Callable[[], object], device: str) -> float:
    """Seconds of one call, with the device synchronised before and after."""
    _sync(device)
    start = time.perf_counter()
    fn()
    _sync(device)
    return time.perf_counter() - start


def _summary(seconds: list[float]) -> dict:
    ms = sorted(s * 1000 for s in seconds)
    p90 = ms[min(len(ms) - 1, max(0, round(0.9 * len(ms)) - 1))]
    return {
        "median": round(statistics.median(ms), 3),
        "p90": round(p90, 3),
        "min": round(ms[0], 3),
        "n": len(ms),
    }


def _autocast(device: str, dtype: str):
    if dtype == "fp32":
        return contextlib.nullcontext()
    kind = "cuda" if device.startswith("cuda") else "cpu"
    return torch.autocast(device_type=kind, dtype=DTYPES[dtype])


def _input(batch: int, size: int, device: str, channels_last: bool, in_channels: int = 3):
    x = torch.rand(batch, in_channels, size, size, device=device)
    return x.contiguous(memory_format=torch.channels_last) if channels_last else x


class _Runner:
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
            self._inputs[batch] = _input(
                batch, self.size, self.device, self.channels_last, self.in_channels
            )
        return self._inputs[batch]

    def _call(self, x: torch.Tensor) -> torch.Tensor:
        with torch.inference_mode(), _autocast(self.device, self.dtype):
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
        with torch.inference_mode(), _autocast(self.device, self.dtype), torch.cuda.graph(graph):
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


def _prepare(name, model, settings) -> _Runner:
    try:
        return _Runner(name, model, **settings)
    except RuntimeError as err:  # e.g. a dtype or memory format the device lacks
        raise BenchmarkUnavailable(f"{name}: could not prepare the model: {err}") from None


def _warm_up(runner: _Runner, batch: int, warmup: int) -> None:
    """Run ``warmup`` calls; turn compile / graph failures into one clear message."""
    try:
        fn = runner.step(batch)
        for _ in range(max(warmup, 1)):
            fn()
        _sync(runner.device)
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


# ---------------------------------------------------------------------------------------------
# Memory
# ---------------------------------------------------------------------------------------------
def _cuda_peak_mb(runner: _Runner, batch: int) -> float:
    torch.cuda.synchronize(runner.device)
    torch.cuda.empty_cache()
    torch.cuda.reset_peak_memory_stats(runner.device)
    before = torch.cuda.memory_allocated(runner.device)
    runner.step(batch)()
    torch.cuda.synchronize(runner.device)
    return round((torch.cuda.max_memory_allocated(runner.device) - before) / 2**20, 2)


def _peak_rss_kib() -> int:
    """This process's peak resident set size in KiB.

    Linux: ``VmHWM`` from /proc/self/status, the high-water mark of this process's own memory.
    Not ``ru_maxrss``: it survives ``exec``, so a child started from a big parent would report
    the parent's size. Elsewhere: ``resource.getrusage(RUSAGE_SELF).ru_maxrss``.
    """
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _rss_child_main(spec_json: str) -> None:
    """Child process entry: print the peak RSS growth (MiB) of forward passes as JSON.

    The model is rebuilt from its registry name and options (random weights: memory does not
    depend on their values); batches run in increasing order, so each reading is that batch's peak.
    """
    from aminet.registry import create_model

    spec = json.loads(spec_json)
    torch.set_num_threads(1)  # memory does not depend on threads; leave the cores to the parent
    model = create_model(spec["name"], **spec["kwargs"]).eval()
    if spec["channels_last"]:
        model = model.to(memory_format=torch.channels_last)
    in_channels = getattr(model, "in_channels", 3)
    size, batches = spec["size"], sorted(spec["batches"])
    inputs = {b: _input(b, size, "cpu", spec["channels_last"], in_channels) for b in batches}
    base = _peak_rss_kib()
    result = {}
    for b in batches:
        with torch.inference_mode(), _autocast("cpu", spec["dtype"]):
            model(inputs[b])
        peak = _peak_rss_kib()
        result[str(b)] = round((peak - base) / 1024, 2)
    print(json.dumps(result))


def _cpu_peak_mb(model: nn.Module, batches, size, channels_last, dtype) -> dict | None:
    """Peak RSS growth per batch, measured in a fresh Python process (None: cannot rebuild)."""
    name = getattr(model, "model_name", None)
    if name is None:
        return None  # built by hand: the child process could not rebuild it
    kwargs = getattr(model, "model_kwargs", {})
    spec = json.dumps(
        {
            "name": name,
            "kwargs": {k: list(v) if isinstance(v, tuple) else v for k, v in kwargs.items()},
            "batches": list(batches),
            "size": size,
            "channels_last": channels_last,
            "dtype": dtype,
        }
    )
    code = f"from aminet.bench import _rss_child_main; _rss_child_main({spec!r})"
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=1800
    )
    if proc.returncode != 0:
        tail = proc.stderr.strip().splitlines()[-1:] or ["no message"]
        raise RuntimeError(f"memory measurement of {name} failed in its child process: {tail[0]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------------------------------------
# Training step
# ---------------------------------------------------------------------------------------------
class _Trainer:
    """A copy of the model with Adam and an L1 loss; ``step()`` is one full training step."""

    def __init__(self, name, model, *, device, dtype, channels_last, compile, batch, size):
        self.name = name
        self.model = copy.deepcopy(model).to(device).train()
        if channels_last:
            self.model = self.model.to(memory_format=torch.channels_last)
        self.forward = torch.compile(self.model, dynamic=False) if compile else self.model
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=2e-4, betas=(0.9, 0.99))
        in_channels = getattr(model, "in_channels", 3)
        self.x = _input(batch, size, device, channels_last, in_channels)
        self.target = torch.rand_like(self.x)
        self.device = device
        self.dtype = dtype
        use_scaler = dtype == "fp16" and device.startswith("cuda")
        self.scaler = torch.amp.GradScaler("cuda") if use_scaler else None

    def step(self) -> None:
        self.optimizer.zero_grad(set_to_none=True)
        with _autocast(self.device, self.dtype):
            loss = F.l1_loss(self.forward(self.x).float(), self.target)
        if self.scaler is not None:
            self.scaler.scale(loss).backward()
            self.scaler.step(self.optimizer)
            self.scaler.update()
        else:
            loss.backward()
            self.optimizer.step()


# ---------------------------------------------------------------------------------------------
# The benchmark
# ---------------------------------------------------------------------------------------------
def _resolve(models) -> list[tuple[str, nn.Module]]:
    from aminet.registry import create_model

    resolved = []
    for item in models:
        if isinstance(item, str):
            resolved.append((item, create_model(item)))
        elif isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], nn.Module):
            resolved.append((str(item[0]), item[1]))
        else:
            raise ValueError(
                f"models must be registered names or (label, nn.Module) pairs, got {item!r}"
            )
    if not resolved:
        raise ValueError("benchmark needs at least one model")
    names = [n for n, _ in resolved]
    if len(set(names)) != len(names):
        raise ValueError(f"model labels must be unique, got {names}")
    return resolved


def _ratios(rows: list[dict]) -> dict:
    """Every comparable number of each row divided by the first row's (None where undefined)."""

    def ratio(a, b):
        return round(a / b, 3) if a is not None and b else None

    first = rows[0]
    out = {}
    for row in rows:
        r = {
            "params": ratio(row["params"], first["params"]),
            "macs": ratio(row["macs"], first["macs"]),
            "latency": ratio(row["latency_ms"]["median"], first["latency_ms"]["median"]),
        }
        for b, v in row["throughput"].items():
            r[f"throughput_b{b}"] = ratio(v, first["throughput"].get(b))
        if row.get("train") and first.get("train"):
            r["train_img_s"] = ratio(row["train"]["img_s"], first["train"]["img_s"])
        out[row["model"]] = r
    return out


def benchmark(
    models: Sequence[str | tuple[str, nn.Module]],
    *,
    device: str = "cpu",
    batches: Sequence[int] = (1,),
    dtype: str = "fp32",
    channels_last: bool = False,
    compile: bool = False,
    cuda_graphs: bool = False,
    train: bool = False,
    train_batch: int | None = None,
    repeats: int = 10,
    warmup: int = 2,
    size: int = 128,
    memory: bool = True,
    threads: int | None = None,
    progress: bool = False,
) -> dict:
    """Measure ``models`` side by side (interleaved) and return ``{"rows", "ratios", ...}``.

    ``models``: registered names, or ``(label, module)`` pairs for models built by hand.
    ``batches``: batch sizes for throughput; batch 1 is always measured (it gives the latency).
    ``train_batch``: batch of the training step (default: the largest of ``batches``).
    ``threads``: torch CPU threads during the run (restored after). On a machine shared with other
    processes, 1 thread can be many times faster than 2 (OpenMP threads waiting on each other).
    Raises :class:`BenchmarkUnavailable` (a ValueError) with a clear reason when a requested mode
    (CUDA, CUDA graphs, torch.compile, a dtype) cannot run here; nothing is silently replaced.
    """
    _check_settings(device, dtype, compile, cuda_graphs)
    if repeats < 1 or warmup < 0:
        raise ValueError(f"repeats must be >= 1 and warmup >= 0, got {repeats} and {warmup}")
    if size < 8:
        raise ValueError(f"size must be at least 8 pixels, got {size}")
    batches = sorted({1, *(int(b) for b in batches)})
    if batches[0] < 1:
        raise ValueError(f"batch sizes must be positive, got {batches}")
    resolved = _resolve(models)
    previous_threads = torch.get_num_threads()
    if threads is not None:
        if threads < 1:
            raise ValueError(f"threads must be >= 1, got {threads}")
        torch.set_num_threads(threads)
    try:
        return _measure(
            resolved,
            device,
            batches,
            dtype,
            channels_last,
            compile,
            cuda_graphs,
            train,
            train_batch,
            repeats,
            warmup,
            size,
            memory,
            progress,
        )
    finally:
        torch.set_num_threads(previous_threads)


def _measure(
    resolved,
    device,
    batches,
    dtype,
    channels_last,
    compile,
    cuda_graphs,
    train,
    train_batch,
    repeats,
    warmup,
    size,
    memory,
    progress,
) -> dict:
    from tqdm.auto import tqdm

    rows = []
    for name, model in resolved:
        model = model.to(device)
        rows.append(
            {
                "model": name,
                "params": count_params(model),
                "macs": count_macs(model, size),
                "macs_conv_linear": count_macs_conv_linear(model, size),
                "macs_thop": count_macs_thop(model, size),
            }
        )
    settings = dict(
        device=device,
        dtype=dtype,
        channels_last=channels_last,
        compile=compile,
        cuda_graphs=cuda_graphs,
        size=size,
    )
    runners = [_prepare(name, model, settings) for name, model in resolved]

    total = len(batches) * repeats * len(runners) + (repeats * len(runners) if train else 0)
    bar = tqdm(total=total, desc="bench", disable=not progress, leave=False)
    times: dict[tuple[str, int], list[float]] = {}
    for batch in batches:
        for runner in runners:
            _warm_up(runner, batch, warmup)
        for _ in range(repeats):  # interleaved: A, B, C, A, B, C, ...
            for runner in runners:
                times.setdefault((runner.name, batch), []).append(
                    _timed(runner.step(batch), device)
                )
                bar.update()

    for row in rows:
        name = row["model"]
        row["latency_ms"] = _summary(times[(name, 1)])
        row["time_ms"] = {str(b): _summary(times[(name, b)]) for b in batches}
        row["throughput"] = {
            str(b): round(b / (row["time_ms"][str(b)]["median"] / 1000), 2) for b in batches
        }

    if train:
        tb = train_batch or batches[-1]
        trainers = []
        for name, model in resolved:
            if count_params(model, trainable_only=True) == 0:
                continue  # nothing to train (bicubic)
            trainers.append(
                _Trainer(
                    name,
                    model,
                    device=device,
                    dtype=dtype,
                    channels_last=channels_last,
                    compile=compile,
                    batch=tb,
                    size=size,
                )
            )
        step_times: dict[str, list[float]] = {t.name: [] for t in trainers}
        for trainer in trainers:
            for _ in range(max(warmup, 1)):
                trainer.step()
        for _ in range(repeats):
            for trainer in trainers:
                step_times[trainer.name].append(_timed(trainer.step, device))
                bar.update()
        for row in rows:
            if row["model"] in step_times:
                s = _summary(step_times[row["model"]])
                row["train"] = {
                    "batch": tb,
                    "step_ms": s,
                    "img_s": round(tb / (s["median"] / 1000), 2),
                }
            else:
                row["train"] = None
        del trainers
    bar.close()

    if memory:
        for row, runner, (_, model) in zip(rows, runners, resolved):
            if device.startswith("cuda"):
                row["peak_memory_mb"] = {str(b): _cuda_peak_mb(runner, b) for b in batches}
            else:
                row["peak_memory_mb"] = _cpu_peak_mb(model, batches, size, channels_last, dtype)

    memory_method = (
        "torch.cuda.max_memory_allocated minus allocated before the forward pass"
        if device.startswith("cuda")
        else "peak resident set growth (VmHWM of /proc/self/status) of a fresh child process that rebuilds "
        "the model and runs the forward passes in increasing batch order (eager, 1 thread, weights "
        "excluded); None for models built by hand (not rebuildable by name)"
    )
    return {
        "machine": machine_info(device),
        "settings": {
            **settings,
            "batches": batches,
            "repeats": repeats,
            "warmup": warmup,
            "train": train,
            "interleaved": True,
            "memory_method": memory_method if memory else None,
            "macs_note": "macs: torch FLOP counter / 2 at batch 1 (matmuls included); "
            "macs_conv_linear: conv + linear layers only (true cost); "
            "macs_thop: the thop package's convention (the paper's Table X)",
        },
        "rows": rows,
        "ratios": _ratios(rows),
    }


# ---------------------------------------------------------------------------------------------
# Reporting
# ---------------------------------------------------------------------------------------------
def format_table(result: dict) -> str:
    """A plain-text table of a ``benchmark`` result, ratios to the first model in brackets."""
    rows, ratios = result["rows"], result["ratios"]
    batches = result["settings"]["batches"]
    head = ["model", "params", "MACs", "MACs(conv)", "MACs(thop)", "b1 median ms", "b1 p90 ms"]
    head += [f"img/s b{b}" for b in batches if b != 1]
    if any(r.get("train") for r in rows):
        head.append("train img/s")
    if any("peak_memory_mb" in r for r in rows):
        head.append(f"mem MiB b{batches[-1]}")
    lines = [head]
    for row in rows:
        rt = ratios[row["model"]]

        def with_ratio(text, value):
            return f"{text} (x{value:.2f})" if value is not None else text

        cells = [
            row["model"],
            with_ratio(f"{row['params'] / 1e6:.2f}M", rt["params"]),
            with_ratio(f"{row['macs'] / 1e9:.2f}G", rt["macs"]),
            f"{row['macs_conv_linear'] / 1e9:.2f}G",
            f"{row['macs_thop'] / 1e9:.2f}G" if "macs_thop" in row else "n/a",
            with_ratio(f"{row['latency_ms']['median']:.1f}", rt["latency"]),
            f"{row['latency_ms']['p90']:.1f}",
        ]
        cells += [
            with_ratio(f"{row['throughput'][str(b)]:.1f}", rt.get(f"throughput_b{b}"))
            for b in batches
            if b != 1
        ]
        if "train img/s" in head:
            tr = row.get("train")
            cells.append(with_ratio(f"{tr['img_s']:.1f}", rt.get("train_img_s")) if tr else "n/a")
        if any("peak_memory_mb" in r for r in rows):
            cells.append(str(row.get("peak_memory_mb", {}).get(str(batches[-1]), "n/a")))
        lines.append(cells)
    widths = [max(len(str(line[i])) for line in lines) for i in range(len(head))]
    text = "\n".join("  ".join(str(c).ljust(w) for c, w in zip(line, widths)) for line in lines)
    m, s = result["machine"], result["settings"]
    where = m.get("gpu") or f"{m['cpu']} ({m['cpu_count']} cores, {m['torch_threads']} threads)"
    flags = [s["dtype"]] + [k for k in ("channels_last", "compile", "cuda_graphs") if s[k]]
    return (
        f"{text}\n\nmeasured on {s['device']}: {where}, torch {m['torch']}, {'+'.join(flags)}, "
        f"{s['size']}x{s['size']} input, {s['repeats']} interleaved repeats after {s['warmup']} "
        f"warm-up calls; ratios (xN) to {rows[0]['model']}"
    )


def plot_tradeoff(
    rows: Sequence[dict],
    out_png: str | os.PathLike,
    psnr: dict[str, float] | None = None,
    *,
    psnr_source: str = "our training runs",
    machine: str | None = None,
    paper: dict = PAPER_TABLE_X,
):
    """A Fig. 1-style bubble plot; returns the matplotlib Figure (also saved to ``out_png``).

    Left panel: params (M) vs PSNR (dB). The paper's Table X points are grey circles labelled
    "paper", bubble area = the paper's RTX 3090 time. Our models (``rows`` from ``benchmark``) are
    drawn as coloured diamonds at their measured params and at ``psnr[model]`` when given (labelled
    with ``psnr_source``); without a PSNR they cannot be placed on this panel.
    Right panel: what we measured for every row: params (M) vs batch-1 latency (ms), bubble area
    = MACs, colour = throughput, the machine in the title.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    psnr = dict(psnr or {})
    fig, (left, right) = plt.subplots(1, 2, figsize=(13, 5.2))

    names = list(paper)
    left.scatter(
        [paper[n][1] for n in names],
        [paper[n][0] for n in names],
        s=[paper[n][3] * 12 for n in names],
        facecolors="none",
        edgecolors="0.45",
        linewidths=1.2,
        label="paper, Table X (area = RTX 3090 ms)",
    )
    for n in names:
        left.annotate(
            f"{n} (paper)",
            (paper[n][1], paper[n][0]),
            fontsize=7,
            color="0.35",
            xytext=(4, 4),
            textcoords="offset points",
        )
    ours = [r for r in rows if r["model"] in psnr]
    if ours:
        left.scatter(
            [r["params"] / 1e6 for r in ours],
            [psnr[r["model"]] for r in ours],
            s=[max(r["latency_ms"]["median"], 1) for r in ours],
            marker="D",
            c="tab:red",
            label=f"ours: measured params, PSNR from {psnr_source}",
        )
        for r in ours:
            left.annotate(
                f"{r['model']} (ours)",
                (r["params"] / 1e6, psnr[r["model"]]),
                fontsize=8,
                color="tab:red",
                xytext=(4, -10),
                textcoords="offset points",
            )
    missing = [r["model"] for r in rows if r["model"] not in psnr]
    if missing:
        left.text(
            0.02,
            0.97,
            "not yet trained here (no PSNR): " + ", ".join(missing),
            transform=left.transAxes,
            fontsize=7,
            color="tab:red",
        )
    left.set_xlabel("parameters (M)")
    left.set_ylabel("PSNR (dB), x8 CelebA")
    left.set_title("Fig. 1 style: params vs PSNR (paper's points in grey)")
    left.legend(fontsize=7, loc="upper right", markerscale=0.4)
    left.margins(0.12)

    lat = [r["latency_ms"]["median"] for r in rows]
    macs = [r["macs"] / 1e9 for r in rows]
    thr = [max(r["throughput"].values()) for r in rows]
    sc = right.scatter(
        [r["params"] / 1e6 for r in rows],
        lat,
        s=[max(m, 0.05) * 60 for m in macs],
        c=thr,
        cmap="viridis",
        marker="D",
        edgecolors="k",
    )
    for r, y in zip(rows, lat):
        right.annotate(
            f"{r['model']} ({r['macs'] / 1e9:.1f}G MACs)",
            (r["params"] / 1e6, y),
            fontsize=8,
            xytext=(6, 4),
            textcoords="offset points",
        )
    fig.colorbar(sc, ax=right, label="best measured throughput (img/s)")
    right.margins(0.3)
    right.set_xlabel("parameters (M)")
    right.set_ylabel("batch-1 latency (ms), measured")
    right.set_title(f"ours, measured on {machine or 'this machine'}", fontsize=9)
    fig.tight_layout()
    fig.savefig(out_png, dpi=120)
    plt.close(fig)
    return fig
