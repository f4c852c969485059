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
# # 10 · Ablations: which parts of AMINet matter?
#
# **Open in Colab:** this copy of the course names no public GitHub repository, so there is no Colab link. In Colab use *File > Upload notebook* to open this file, then run the setup cell below: it says how to install the course package.
#
# **Measured time on a CPU:** 10 s for the solutions, every cell, `AMINET_PRESET=smoke` (2-core x86_64 CPU, load average 1.2; written by `aminet course release --execute`). No GPU time has been measured. The outputs below are from the smoke size (tiny networks, a few steps); at the default preset this notebook trains for minutes (docs/course.md gives measured times).
#
# **Goals.** After this notebook you can
# 1. say what makes an ablation fair (same budget, data, seeds and test faces for every variant),
# 2. run the paper's ablation tables (I-VI) with `aminet.ablation`, small or large,
# 3. read a table with seed spread: is a 0.05 dB gap a finding, or noise?
#
# Under the tests the tables run at the `smoke` preset: a couple of training steps of tiny
# networks, which checks the machinery and measures nothing. On a GPU the default is Table I at a
# third of the paper's width, 1,500 steps per variant and 2 seeds: one question (which part of
# LGFI costs the most PSNR when removed, beyond the seed noise?) in an estimated 15-25 minutes on a
# free Colab T4 (an estimate: not measured on a T4), one session. `FULL_TABLE = True` runs Table I
# at the paper's width and the trainer's `short` length with 3 seeds instead: about a day on a T4
# (also an estimate), so only with a resumable setup (the runs live on Drive and a rerun continues).
# The end of the notebook shows the same from a terminal.

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
from pathlib import Path

import matplotlib.pyplot as plt
import torch
from IPython.display import Markdown, display

import aminet
from aminet.ablation import TABLES, ablation_budget, run_ablation, table_markdown, table_models
from aminet.colab import runs_dir
from aminet.complexity import count_params
from aminet.course import check, device, is_smoke, preset

torch.manual_seed(0)
DEVICE = device()
print(
    f"aminet {aminet.__version__} | torch {torch.__version__} | device {DEVICE} | preset {preset()}"
)

# %% [markdown]
# ## The idea
#
# An ablation removes (or swaps) one part of a network, retrains it *exactly* like the original, and
# measures both on the same test faces. The paper's Tables I-VI do this for every module of
# notebooks 01-05: LGFI without SA, without RDFE, without SKAF (I); LGFI vs a Transformer block
# (II); RDFE vs a feed-forward network (III); RDFE's branches, AU and FRM (IV); SKAF's convolutions
# and poolings (V); EDFF added to SPARNet (VI).
#
# Two trainings of the *same* network with different seeds (initial weights, batch order) already
# differ by some hundredths of a dB. So a difference between two variants means something only
# when it is large compared with that spread. With per-seed scores $a_1..a_{n_a}$ (reference) and
# $b_1..b_{n_b}$ (variant):
#
# $$\Delta = \bar b - \bar a, \qquad
#   \mathrm{SE}(\Delta) = \sqrt{\frac{s_a^2}{n_a} + \frac{s_b^2}{n_b}}, \qquad
#   s^2 = \frac{1}{n-1}\sum_i (x_i - \bar x)^2$$
#
# and, as a rule of thumb, $|\Delta| > 2\,\mathrm{SE}$ is worth reporting. The paper gives one
# number per variant (one training run, no spread), so its gaps of 0.01-0.1 dB cannot be judged
# this way: we can only say whether *our* runs agree.

# %% [markdown]
# ## Step 1: the tables as data
# `aminet.ablation.TABLES` holds the paper's rows as printed (never as results; they come from
# `aminet.paper`, the one place the paper's numbers live), each naming the
# registered model that reproduces it. Here is Table I with our parameter counts at the paper's width.

# %%
table = TABLES["I"]
print(f"Table {table.key}: {table.title} (reference row: {table.reference})")
for row in table.rows:
    ours = count_params(aminet.create_model(row.model)) / 1e6
    print(
        f"  {row.label:16s} {row.model:16s} paper {row.params_m:5.2f}M, PSNR {row.psnr:.2f} | ours {ours:5.2f}M"
    )
assert table_models("I")[-1] == "aminet" and len(TABLES) == 6

# %% [markdown]
# ## Step 2: run a table
# `run_ablation(tables, budget, seeds=...)` trains every variant of the tables with one
# `AblationBudget` (steps, batch, crops, learning rate, training faces, width), evaluates each on the
# same test faces, and writes Markdown and CSV tables beside the paper's numbers. Runs are
# resumable: each (variant, seed) keeps its own folder, and a finished one is never retrained.
#
# Under the tests: Table II (two variants) at the `smoke` preset with 2 seeds. On a CPU: Table I at
# the `short` preset (narrow networks, 30 steps), 3 seeds. On a GPU: Table I at the narrow width,
# 1,500 steps of 16 crops of 64 x 64, 2 seeds (8 runs; estimated 15-25 minutes on a T4, not
# measured). The runs go to `runs_dir()`: on Colab your Drive, so a disconnected table resumes.

# %%
FULL_TABLE = False  # True: Table I, paper width, `short` length, 3 seeds (~a day on a T4)

if is_smoke():
    key, budget, seeds = "II", ablation_budget("smoke"), (0, 1)
elif FULL_TABLE:
    key, budget, seeds = "I", ablation_budget("short", narrow=False), (0, 1, 2)
elif DEVICE.type == "cuda":  # one Colab session: 8 runs of 1,500 steps (estimate: 15-25 min, T4)
    gpu_session = dict(steps=1500, batch_size=16, crop_size=64, train_limit=1000, test_limit=100)
    key, budget, seeds = "I", ablation_budget("short", narrow=True, **gpu_session), (0, 1)
else:
    key, budget, seeds = "I", ablation_budget("short"), (0, 1, 2)
out = runs_dir() / "ablations"
print(budget.describe())
result = run_ablation(
    [key], budget, seeds=seeds, out=out, device=str(DEVICE), progress=not is_smoke()
)
rows = result["tables"][key]
display(Markdown(table_markdown(key, rows, budget, seeds)))
assert [r["model"] for r in rows] == table_models(key)
assert all(len(r["psnr_y_per_seed"]) == len(seeds) for r in rows)
print("files:", sorted(p.name for p in Path(result["dir"]).glob(f"*{key}*")))

# %% [markdown]
# ## Exercise 1: a difference and its standard error
# `difference(a, b)`: `a` and `b` are 1-D tensors of per-seed scores of the reference and of a
# variant. Return `(diff, se)`: the difference of the means (variant minus reference) and its
# standard error from the formula above, with the *sample* variance (divide by n - 1).


# %%
def difference(a, b):
    """Per-seed scores a (reference), b (variant) -> (mean(b) - mean(a), standard error)."""
    # YOUR CODE HERE
    raise NotImplementedError()


# %%
difference = check("ablation.difference", difference)

# %% [markdown]
# ### Reading our table
# Every variant against the reference row, with its standard error. Under the `smoke` preset the
# networks trained for two steps: a gap there says how far each barely-trained network happens to
# start from the target, not which design is better. The standard error is honest about one thing
# only: how much the seed moves the result *at this budget*.

# %%
ref = next(r for r in rows if r["model"] == TABLES[key].reference)
a = torch.tensor(ref["psnr_y_per_seed"], dtype=torch.float64)
verdicts = {}
for r in rows:
    if r is ref:
        continue
    b = torch.tensor(r["psnr_y_per_seed"], dtype=torch.float64)
    diff, se = difference(a, b)
    verdict = "beyond 2 SE" if abs(diff) > 2 * se else "within the seed noise"
    verdicts[r["model"]] = verdict
    paper = r["paper_delta_psnr"]
    print(
        f"{r['label']:14s} ours {diff:+.3f} dB +- {se:.3f} ({verdict}) | paper {paper:+.2f} dB (one run, no spread)"
    )
assert len(verdicts) == len(rows) - 1

fig, ax = plt.subplots(figsize=(6, 0.7 + 0.6 * len(rows)))
for i, r in enumerate(rows):
    ax.plot(r["psnr_y_per_seed"], [i] * len(seeds), "o", color="tab:blue", alpha=0.6)
    ax.errorbar(r["psnr_y"], i, xerr=r["psnr_y_std"] or 0, fmt="D", color="black", capsize=4)
ax.set_yticks(range(len(rows)), [r["label"] for r in rows])
ax.set(
    xlabel="PSNR-Y (dB): dots = seeds, diamond = mean +- std",
    title=f"Table {key}, preset {budget.preset}",
)
plt.show()

# %% [markdown]
# ### How many seeds?
# The standard error shrinks like $1/\sqrt{n}$. If two trainings of one network differ by
# $s = 0.05$ dB (a typical spread for x8 FSR models trained in full), a 0.08 dB gap is beyond 2 SE
# only with about five seeds per variant. The printout shows this for a few seed counts.

# %%
s, gap = 0.05, 0.08
for n in (1, 2, 3, 5, 10):
    se = (2 * s**2 / n) ** 0.5
    print(
        f"{n:2d} seeds per variant: SE {se:.3f} dB -> a {gap} dB gap is {'beyond' if gap > 2 * se else 'within'} 2 SE"
    )
assert 2 * (2 * s**2 / 5) ** 0.5 < gap < 2 * (2 * s**2 / 3) ** 0.5

# %% [markdown]
# ## Open experiment: fewer seeds (graded by hand, 3 points)
# **Change** which seeds enter the comparison (`EXPERIMENT_SEEDS`, positions in the list of seeds
# trained above; at least two, since a standard error needs two), **measure** each variant's
# difference and standard error from only those seeds against all of them, and **explain in two
# sentences** how the verdicts change and what that says about reporting one run per variant.

# %%
EXPERIMENT_SEEDS = [0, 1]  # X: positions into `seeds`, e.g. [1, 2] when three were trained
assert len(EXPERIMENT_SEEDS) >= 2 and max(EXPERIMENT_SEEDS) < len(seeds)
subset = torch.tensor(EXPERIMENT_SEEDS)
for r in rows:
    if r is ref:
        continue
    b = torch.tensor(r["psnr_y_per_seed"], dtype=torch.float64)
    diff_all, se_all = difference(a, b)
    diff_sub, se_sub = difference(a[subset], b[subset])
    print(
        f"{r['label']:14s} all {len(seeds)} seeds: {diff_all:+.3f} +- {se_all:.3f} dB | "
        f"seeds {[seeds[i] for i in EXPERIMENT_SEEDS]}: {diff_sub:+.3f} +- {se_sub:.3f} dB"
    )

# %% [markdown]
# Your answer (two sentences):

# %% [markdown] nbgrader={"grade": true, "grade_id": "10_open_seeds", "locked": false, "points": 3, "schema_version": 3, "solution": true, "task": false}
# YOUR ANSWER HERE

# %% [markdown]
# ## Running the real thing
# The same tables at useful budgets, from a terminal (or with `run_ablation` as above):
#
# ```bash
# aminet ablate --table I --preset smoke                  # seconds: checks the plumbing
# aminet ablate --table I --preset short --width narrow --steps 1500 --batch-size 16 --crop 64 \
#   --train-limit 1000 --test-limit 100 --seeds 2        # the GPU default above (T4: 15-25 min, estimated)
# aminet ablate --table I --preset short --width paper --seeds 3   # FULL_TABLE = True (T4: about a day, estimated)
# aminet ablate --table all --preset short --seeds 2      # narrow networks on a CPU, the paper's width on a GPU
# aminet ablate --table I,IV --preset full --seeds 3      # the paper's width and length: many GPU hours
# ```
#
# Each command writes `runs/ablations/<preset>-<fingerprint>/table_*.md` and `.csv` with the budget
# in the caption. Interrupted? Run the same command again: finished variants are kept, the others
# continue from their `last.pt`. Changing any part of the budget starts a new folder, so results of
# different budgets never mix.
#
# ## Summary
# - Same budget, data, seeds and test faces for every variant, or the table compares nothing.
# - Report the spread over seeds; a gap is a finding when it clearly exceeds
#   $2\sqrt{s_a^2/n_a + s_b^2/n_b}$.
# - The paper's tables are single runs: treat gaps of a few hundredths of a dB with care.
