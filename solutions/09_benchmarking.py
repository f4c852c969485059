# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     notebook_metadata_filter: -jupytext.text_representation.jupytext_version
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 09 · Benchmarking on a GPU, honestly
#
# **Open in Colab:** this copy of the course names no public GitHub repository, so there is no Colab link. In Colab use *File > Upload notebook* to open this file, then run the setup cell below: it says how to install the course package.
#
# **Measured time on a CPU:** 12 s for the solutions, every cell, `AMINET_PRESET=default` (2-core x86_64 CPU, load average 1.3; written by `aminet course release --execute`). No GPU time has been measured.
#
# **Goals.** After this notebook you can
# 1. explain why timing a GPU with a plain stopwatch gives wrong numbers (asynchrony, warm-up),
# 2. write a correct timing loop and use it on AMINet,
# 3. measure models side by side with `aminet.bench` (parameters, MACs, latency, throughput,
#    memory, training speed) and say which machine the numbers come from,
# 4. put the measurements beside the paper's Table X without comparing apples with oranges.
#
# **Which machine?** This notebook measures the device it runs on and prints it. On a machine
# without a GPU it runs the *same code*, small, on the CPU, and every number it prints is a CPU
# number. For GPU numbers open it in Colab with a GPU runtime: on a free T4 the whole notebook
# should take well under 15 minutes (an estimate, not measured on a T4: the benchmark cell times
# three models at batches 1 and 16 and one training step each, with 30 repeats).

# %% [markdown]
# ## Setup
# On Colab the next cell installs the course package; elsewhere it does nothing
# (install locally with `pip install -e .`).

# %%
# Colab setup, written by `aminet course release`
import sys

REPO_URL = None  # none: released without a git remote
REPO_REF = "v0.1.0"  # the tag or commit these notebooks were released for
NO_REPO = (
    "These notebooks name no public repository (they were released from a copy "
    "without a git remote), so there is nothing to pip install from. On your "
    "computer, in the course folder, run: pip wheel --no-deps -w dist . ; then upload"
    " dist/aminet-0.1.0-py3-none-any.whl with Colab's Files panel (the folder icon on"
    " the left) into /content and run this cell again. (Instructors: publish the "
    "repository and run 'aminet course release --repo-url URL'.)"
)
if "google.colab" in sys.modules:  # Colab only
    import glob
    import importlib.util
    import os
    import subprocess

    os.environ["AMINET_COLAB"] = "1"  # `!aminet ...` runs in a subprocess: tell it
    wheels = sorted(glob.glob("/content/aminet-*.whl"))
    if importlib.util.find_spec("aminet") is None:
        if not wheels and REPO_URL is None:
            raise SystemExit(NO_REPO)
        target = wheels[-1] if wheels else f"git+{REPO_URL}@{REPO_REF}"
        command = [sys.executable, "-m", "pip", "install", "-q", target]
        installed = subprocess.run(command).returncode == 0
        if not installed and wheels:
            raise SystemExit(
                f"pip could not install the uploaded wheel {target}. Build it again on your "
                "computer (`pip wheel --no-deps -w dist .` in the course folder), upload the new "
                "dist/aminet-*.whl into /content, delete the old one, and run this cell again."
            )
        if not installed:
            raise SystemExit(
                f"pip could not install {target}. Check that this session has internet access "
                f"and that {REPO_URL} opens in a browser and has the tag or commit {REPO_REF}; "
                "or upload an aminet wheel into /content and run this cell again."
            )

# %%
import statistics
import time

import matplotlib.pyplot as plt
import torch

import aminet
from aminet.bench import PAPER_TABLE_X, benchmark, format_table, machine_info
from aminet.course import check, device, is_smoke, preset
from aminet.course.reference import SimulatedGPU

torch.manual_seed(0)
DEVICE = device()
ON_GPU = DEVICE.type == "cuda"
print(
    f"aminet {aminet.__version__} | torch {torch.__version__} | device {DEVICE} | preset {preset()}"
)
if ON_GPU:
    print("GPU:", torch.cuda.get_device_name(DEVICE))
else:
    print(
        "No CUDA GPU here: the benchmarks below run on the CPU, small, and report CPU numbers only."
    )
BENCH_DEVICE = "cuda" if ON_GPU else "cpu"  # aminet.bench measures CUDA or the CPU

# %% [markdown]
# ## The idea: a GPU works behind your back
#
# When Python calls a layer on a GPU, PyTorch *queues* the work (a kernel launch, some
# microseconds) and returns at once; the GPU runs the queue on its own. A stopwatch around
# `model(x)` therefore measures the *launch*, not the computation, unless we wait for the GPU first
# (`torch.cuda.synchronize()`). And the first calls are slow for reasons that have nothing to do
# with the model's speed (memory allocation, cuDNN choosing algorithms, `torch.compile`). So:
#
# $$t_i = \big[\text{sync};\ t_0;\ f(x);\ \text{sync};\ t_1\big] \quad i = 1..R
#   \text{ after } W \text{ untimed warm-up calls}, \qquad
#   \text{latency} = \mathrm{median}_i\, t_i, \qquad \text{throughput} = \frac{B}{\text{latency}_B}$$
#
# The median (not the mean) ignores the odd slow call caused by something else on the machine.
#
# To *see* the problem without a GPU we use `SimulatedGPU` from the course package: a pretend
# device with a virtual clock, whose `forward()` returns after 0.02 ms and queues 5 ms of work
# (the first call queues 40 ms more). Its numbers are made up by construction; they only show what
# each timing mistake does.

# %%
gpu = SimulatedGPU(kernel_ms=5.0, first_call_ms=40.0, launch_ms=0.02)
naive = []
for _ in range(5):  # the stopwatch way: no warm-up, no sync
    t0 = gpu.clock()
    gpu.forward()
    naive.append((gpu.clock() - t0) * 1000)
gpu.synchronize()
print("naive timings (simulated ms):", [round(t, 3) for t in naive], "- the launches, not the work")
assert max(naive) < 0.1

# %% [markdown]
# ## Exercise 1: a correct timing loop
# Write `time_calls(fn, synchronize, warmup, repeats, clock)`: call `fn()` `warmup` times
# without timing; then, `repeats` times, synchronise, read `clock()`, call `fn()`, synchronise,
# read the clock again; return the list of durations in **seconds**. (`clock` is
# `time.perf_counter` on a real machine; the check passes the simulated GPU's clock.)


# %%
def time_calls(fn, synchronize, warmup, repeats, clock=time.perf_counter):
    """Durations (s) of `repeats` calls of fn, after `warmup` untimed calls, device synchronised."""
    ### BEGIN SOLUTION
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        synchronize()
        start = clock()
        fn()
        synchronize()
        times.append(clock() - start)
    return times
    ### END SOLUTION


# %%
time_calls = check("bench.time_calls", time_calls)

# %% [markdown]
# The three ways of timing the simulated GPU side by side:

# %%
results = {}
for label, warmup, sync in (
    ("no sync", 0, False),
    ("sync, no warm-up", 0, True),
    ("sync + warm-up", 2, True),
):
    sim = SimulatedGPU(kernel_ms=5.0, first_call_ms=40.0, launch_ms=0.02)
    times = time_calls(
        sim.forward, sim.synchronize if sync else (lambda: None), warmup, 5, sim.clock
    )
    results[label] = [t * 1000 for t in times]
    print(f"{label:17s}: " + " ".join(f"{t:6.2f}" for t in results[label]) + " ms (simulated)")
fig, ax = plt.subplots(figsize=(6, 3))
for label, ms in results.items():
    ax.plot(range(1, 6), ms, "o-", label=label)
ax.axhline(5.0, color="grey", ls="--", lw=0.8, label="true kernel time")
ax.set(
    xlabel="timed call",
    ylabel="simulated ms",
    yscale="log",
    title="SimulatedGPU: what each mistake reports",
)
ax.legend()
plt.show()
assert abs(statistics.median(results["sync + warm-up"]) - 5.0) < 1e-9
assert results["sync, no warm-up"][0] > 40 and max(results["no sync"]) < 0.1

# %% [markdown]
# ## Step 2: timing AMINet on this machine
# The same function on a real model. On a GPU we synchronise with `torch.cuda.synchronize`; on
# the CPU the work is done when the call returns, so there is nothing to wait for. On a CPU the
# model is `aminet-tiny`; under the tests, an even smaller AMINet on 16 x 16 inputs, to keep the
# cell short.

# %%
SMOKE_NET = dict(
    base_channels=4, hourglass_channels=4, num_bottleneck=1, hourglass_depths=(1, 1, 1, 1)
)
if ON_GPU:
    name, size, sync = "aminet", 128, torch.cuda.synchronize
else:
    name, size, sync = "aminet-tiny", (16 if is_smoke() else 128), (lambda: None)
model = aminet.create_model(name, **(SMOKE_NET if is_smoke() else {})).to(DEVICE).eval()
x = torch.rand(1, 3, size, size, device=DEVICE)


def forward():
    with torch.inference_mode():
        model(x)


cold = time_calls(forward, sync, warmup=0, repeats=1)[0] * 1000
warm = [t * 1000 for t in time_calls(forward, sync, warmup=2, repeats=3 if is_smoke() else 20)]
print(
    f"{name} at {size}x{size}, batch 1, on {DEVICE}: first call {cold:.1f} ms, then median {statistics.median(warm):.1f} ms (min {min(warm):.1f}, max {max(warm):.1f})"
)
assert all(t > 0 for t in warm)

# %% [markdown]
# ## Open experiment: batch size and throughput (graded by hand, 3 points)
# **Change** the batch sizes in `BATCHES`, **measure** the median latency of one call and the
# throughput (images per second) of the same model with your `time_calls`, and **explain in two
# sentences** why throughput and latency tell different stories, and which one the paper's
# "inference time" should be.

# %%
BATCHES = (1, 2, 4) if is_smoke() else (1, 4, 8)  # X: try others
throughput = {}
for b in BATCHES:
    xb = torch.rand(b, 3, size, size, device=DEVICE)

    def forward_batch(xb=xb):
        with torch.inference_mode():
            model(xb)

    median_s = statistics.median(time_calls(forward_batch, sync, warmup=1, repeats=3))
    throughput[b] = b / median_s
    print(
        f"batch {b:3d}: median {median_s * 1000:8.1f} ms per call, {throughput[b]:8.1f} images/s ({DEVICE})"
    )
assert all(v > 0 for v in throughput.values())

# %% [markdown]
# Your answer (two sentences):

# %% [markdown] nbgrader={"grade": true, "grade_id": "09_open_batch_size", "locked": false, "points": 3, "schema_version": 3, "solution": true, "task": false}
# ### BEGIN SOLUTION
# A model answer (check it against the printout; on a CPU the gain from batching is small, on a GPU
# it is large): latency per call grows with the batch, while throughput (images per second) grows
# as long as the device has idle units to fill and then flattens. Latency at batch 1 answers "how
# long does one face take", which is what a per-image inference time such as the paper's Table X
# should report (with the GPU, batch and resolution stated); throughput answers a different
# question, how many faces per second a server can process.
# ### END SOLUTION

# %% [markdown]
# ## Step 3: side by side with `aminet.bench`
# `aminet.bench.benchmark` does all of that for several models at once, and more: parameters,
# MACs (torch's FLOP counter / 2, a conv/linear-only count, and the convention of the `thop` tool
# the field uses),
# median and 90th-percentile latency, throughput at larger batches, peak memory, training speed.
# It measures the models **interleaved** (A, B, C, A, B, C, ...) so that anything else slowing the
# machine slows all of them alike, and reports every number with the ratio to the first model.
# On a GPU it also offers `dtype="bf16"`, `channels_last`, `compile` and `cuda_graphs`; each refuses
# with a clear reason where it cannot run (CUDA graphs on a CPU, for instance).
#
# Terminal version: `aminet bench --models aminet,aminet-s,sparnet --device cuda --batch 1,16 --train`.

# %%
if is_smoke():  # seconds on any machine: two tiny models, small faces, few repeats
    models = [
        ("aminet-tiny (smaller)", aminet.create_model("aminet-tiny", **SMOKE_NET)),
        ("... without SA", aminet.create_model("aminet-tiny", use_sa=False, **SMOKE_NET)),
    ]
    settings = dict(size=16, repeats=3, warmup=1, memory=False)
elif ON_GPU:
    models = ["aminet", "aminet-s", "sparnet"]
    settings = dict(size=128, batches=(1, 16), repeats=30, warmup=5, train=True, train_batch=16)
else:
    models = ["aminet", "aminet-s", "sparnet"]
    settings = dict(size=128, repeats=5, warmup=1, memory=False)
result = benchmark(models, device=BENCH_DEVICE, **settings)
info = result["machine"]
print(
    "measured on:",
    info.get("gpu", info["cpu"]),
    f"| {info['device']} | torch {info['torch']} | threads {info['torch_threads']}",
)
print(format_table(result))
rows = result["rows"]
assert len(rows) == len(models) and all(r["latency_ms"]["median"] > 0 for r in rows)
assert rows[1]["params"] < rows[0]["params"] or not is_smoke()

# %% [markdown]
# ## Step 4: beside the paper's Table X
# The paper reports parameters, MACs and the time per face **on an RTX 3090**. Parameters can be
# compared anywhere; MACs too, once we know which counter (the paper's match `thop`'s); times
# only on the same GPU, with the same timing rules. Below: the paper's numbers as printed in the
# paper, and ours as measured here. Our time column is labelled with the device it was measured
# on, and left empty for models we did not run.

# %%
from aminet.paper import TABLE_X  # every number the paper prints, in one place

ours = {r["model"]: r for r in rows}
print(
    f"{'model':10s} | {'paper: params':>13s} {'MACs':>6s} {'ms (RTX 3090)':>13s} | {'ours: params':>12s} {'MACs':>6s} {'MACs thop':>9s} {'ms (' + BENCH_DEVICE + ')':>10s}"
)
for paper_row in (r for r in TABLE_X if r.model in ("aminet", "aminet-s", "sparnet")):
    row = ours.get(paper_row.model)
    if row is None:
        row = {"params": aminet.complexity.count_params(aminet.create_model(paper_row.model))}
    measured_ms = f"{row['latency_ms']['median']:.1f}" if "latency_ms" in row else "-"
    macs = f"{row['macs'] / 1e9:.1f}G" if "macs" in row else "-"
    macs_thop = f"{row['macs_thop'] / 1e9:.1f}G" if "macs_thop" in row else "-"
    print(
        f"{paper_row.label:10s} | {paper_row.params_m:12.2f}M {paper_row.macs_g:5.1f}G {paper_row.speed_ms:13d} | {row['params'] / 1e6:11.2f}M {macs:>6s} {macs_thop:>9s} {measured_ms:>10s}"
    )
assert PAPER_TABLE_X["AMINet"][1] == 12.62
if not ON_GPU:
    print(
        "\nOur times above are CPU times: they cannot be compared with the paper's RTX 3090 column."
    )

# %%
fig, ax = plt.subplots(figsize=(5.5, 3.5))
for r in rows:
    ax.scatter(r["params"] / 1e6, r["latency_ms"]["median"], s=60)
    ax.annotate(r["model"], (r["params"] / 1e6, r["latency_ms"]["median"]), fontsize=8)
ax.set(
    xlabel="parameters (M)",
    ylabel=f"batch-1 latency (ms, {BENCH_DEVICE})",
    title=f"measured on {info.get('gpu', info['cpu'])[:40]}",
)
plt.show()

# %% [markdown]
# ## Summary
# - GPUs run asynchronously: synchronise before reading the clock, warm up first, report the
#   median (and a high percentile).
# - Measure competitors interleaved in one process, on one machine, and name the machine.
# - Parameters and MACs travel between papers (say which MAC counter); times do not.
# - Without a GPU the code still runs, on the CPU, and says so; no GPU number is ever made up.
#
# Next: **10 · Ablations**: which parts of AMINet matter, with seed spread.
