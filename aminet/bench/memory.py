"""Peak memory of a forward pass: CUDA's allocator statistics, or on a CPU the peak resident set
growth of a fresh child process (a process's peak RSS never goes down, so each measurement needs
its own)."""

from __future__ import annotations

import json
import resource
import subprocess
import sys

import torch
from torch import nn

from aminet.bench.timing import Runner, autocast, example_input


def cuda_peak_mb(runner: Runner, batch: int) -> float:
    torch.cuda.synchronize(runner.device)
    torch.cuda.empty_cache()
    torch.cuda.reset_peak_memory_stats(runner.device)
    before = torch.cuda.memory_allocated(runner.device)
    runner.step(batch)()
    torch.cuda.synchronize(runner.device)
    return round((torch.cuda.max_memory_allocated(runner.device) - before) / 2**20, 2)


def peak_rss_kib() -> int:
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


def rss_child_main(spec_json: str) -> None:
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
    inputs = {b: example_input(b, size, "cpu", spec["channels_last"], in_channels) for b in batches}
    base = peak_rss_kib()
    result = {}
    for b in batches:
        with torch.inference_mode(), autocast("cpu", spec["dtype"]):
            model(inputs[b])
        peak = peak_rss_kib()
        result[str(b)] = round((peak - base) / 1024, 2)
    print(json.dumps(result))


def cpu_peak_mb(model: nn.Module, batches, size, channels_last, dtype) -> dict | None:
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
    code = f"from aminet.bench.memory import rss_child_main; rss_child_main({spec!r})"
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=1800
    )
    if proc.returncode != 0:
        tail = proc.stderr.strip().splitlines()[-1:] or ["no message"]
        raise RuntimeError(f"memory measurement of {name} failed in its child process: {tail[0]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])
