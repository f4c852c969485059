"""``benchmark``: every model measured side by side, interleaved, with ratios to the first."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from aminet.bench.machine import machine_info
from aminet.bench.memory import cpu_peak_mb, cuda_peak_mb
from aminet.bench.settings import BenchSettings
from aminet.bench.timing import TrainStep, prepare_runner, summarise_times, timed, warm_up
from aminet.complexity import count_macs, count_macs_conv_linear, count_macs_thop, count_params


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
    threads: int | None = None,
    settings: BenchSettings | None = None,
    **options,
) -> dict:
    """Measure ``models`` side by side (interleaved) and return ``{"rows", "ratios", ...}``.

    ``models``: registered names, or ``(label, module)`` pairs for models built by hand.
    ``options`` are the fields of :class:`BenchSettings` (or pass ``settings=`` directly):
    ``batches`` for throughput (batch 1 is always measured: it gives the latency), ``train_batch``
    for the training step (default: the largest batch), ``dtype``, ``channels_last``, ``compile``,
    ``cuda_graphs``, ``repeats``, ``warmup``, ``size``, ``memory``, ``progress``, ``device``.
    ``threads``: torch CPU threads during the run (restored after). On a machine shared with other
    processes, 1 thread can be many times faster than 2 (OpenMP threads waiting on each other).
    Raises :class:`BenchmarkUnavailable` (a ValueError) with a clear reason when a requested mode
    (CUDA, CUDA graphs, torch.compile, a dtype) cannot run here; nothing is silently replaced.
    """
    if settings is not None and options:
        raise ValueError("pass either settings= or keyword options, not both")
    settings = settings or BenchSettings(**options)
    resolved = _resolve(models)
    previous_threads = torch.get_num_threads()
    if threads is not None:
        if threads < 1:
            raise ValueError(f"threads must be >= 1, got {threads}")
        torch.set_num_threads(threads)
    try:
        return _measure(resolved, settings)
    finally:
        torch.set_num_threads(previous_threads)


def _complexity(name: str, model: nn.Module, size: int) -> dict:
    return {
        "model": name,
        "params": count_params(model),
        "macs": count_macs(model, size),
        "macs_conv_linear": count_macs_conv_linear(model, size),
        "macs_thop": count_macs_thop(model, size),
    }


def _time_inference(runners, s: BenchSettings, bar) -> dict[tuple[str, int], list[float]]:
    times: dict[tuple[str, int], list[float]] = {}
    for batch in s.batches:
        for runner in runners:
            warm_up(runner, batch, s.warmup)
        for _ in range(s.repeats):  # interleaved: A, B, C, A, B, C, ...
            for runner in runners:
                times.setdefault((runner.name, batch), []).append(
                    timed(runner.step(batch), s.device)
                )
                bar.update()
    return times


def _time_training(resolved, s: BenchSettings, bar) -> dict[str, dict]:
    """The trainer's step for every model with trainable parameters (bicubic has none)."""
    batch = s.train_batch or s.batches[-1]
    trainers = [
        TrainStep(
            name,
            model,
            device=s.device,
            dtype=s.dtype,
            channels_last=s.channels_last,
            compile=s.compile,
            batch=batch,
            size=s.size,
        )
        for name, model in resolved
        if count_params(model, trainable_only=True) > 0
    ]
    step_times: dict[str, list[float]] = {t.name: [] for t in trainers}
    for trainer in trainers:
        for _ in range(max(s.warmup, 1)):
            trainer.step()
    for _ in range(s.repeats):
        for trainer in trainers:
            step_times[trainer.name].append(timed(trainer.step, s.device))
            bar.update()
    out = {}
    for name, seconds in step_times.items():
        summary = summarise_times(seconds)
        out[name] = {
            "batch": batch,
            "step_ms": summary,
            "img_s": round(batch / (summary["median"] / 1000), 2),
        }
    return out


def _memory_method(device: str) -> str:
    if device.startswith("cuda"):
        return "torch.cuda.max_memory_allocated minus allocated before the forward pass"
    return (
        "peak resident set growth (VmHWM of /proc/self/status) of a fresh child process that "
        "rebuilds the model and runs the forward passes in increasing batch order (eager, 1 "
        "thread, weights excluded); None for models built by hand (not rebuildable by name)"
    )


def _measure(resolved, s: BenchSettings) -> dict:
    from tqdm.auto import tqdm

    rows = [_complexity(name, model.to(s.device), s.size) for name, model in resolved]
    runners = [prepare_runner(name, model, s.runner_options) for name, model in resolved]

    per_pass = s.repeats * len(runners)
    bar = tqdm(
        total=len(s.batches) * per_pass + (per_pass if s.train else 0),
        desc="bench",
        disable=not s.progress,
        leave=False,
    )
    times = _time_inference(runners, s, bar)
    for row in rows:
        name = row["model"]
        row["latency_ms"] = summarise_times(times[(name, 1)])
        row["time_ms"] = {str(b): summarise_times(times[(name, b)]) for b in s.batches}
        row["throughput"] = {
            str(b): round(b / (row["time_ms"][str(b)]["median"] / 1000), 2) for b in s.batches
        }
    if s.train:
        trained = _time_training(resolved, s, bar)
        for row in rows:
            row["train"] = trained.get(row["model"])
    bar.close()

    if s.memory:
        for row, runner, (_, model) in zip(rows, runners, resolved):
            if s.device.startswith("cuda"):
                row["peak_memory_mb"] = {str(b): cuda_peak_mb(runner, b) for b in s.batches}
            else:
                row["peak_memory_mb"] = cpu_peak_mb(
                    model, s.batches, s.size, s.channels_last, s.dtype
                )

    return {
        "machine": machine_info(s.device),
        "settings": {
            **s.runner_options,
            "batches": list(s.batches),
            "repeats": s.repeats,
            "warmup": s.warmup,
            "train": s.train,
            "interleaved": True,
            "memory_method": _memory_method(s.device) if s.memory else None,
            "macs_note": "macs: torch FLOP counter / 2 at batch 1 (matmuls included); "
            "macs_conv_linear: conv + linear layers only (true cost); "
            "macs_thop: the thop package's convention (the paper's Table X)",
        },
        "rows": rows,
        "ratios": _ratios(rows),
    }
