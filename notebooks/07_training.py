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
# # 07 · Training and evaluation
#
# **Open in Colab:** this copy of the course names no public GitHub repository, so there is no Colab link. In Colab use *File > Upload notebook* to open this file, then run the setup cell below: it says how to install the course package.
#
# **Measured time on a CPU:** 14 s for the solutions, every cell, `AMINET_PRESET=smoke` (2-core x86_64 CPU, load average 1.1; written by `aminet course release --execute`). No GPU time has been measured. The outputs below are from the smoke size (tiny networks, a few steps); at the default preset this notebook trains for minutes (docs/course.md gives measured times).
#
# **Goals.** After this notebook you can
# 1. write the learning-rate schedule and one training step of AMINet (the L1 loss of eq. 17,
#    Adam), and see it learn,
# 2. run `aminet.train` and read its loss curve, validation PSNR and sample grid,
# 3. evaluate a checkpoint against the bicubic baseline,
# 4. survive a disconnect: resume from `last.pt` and continue *exactly* where the run stopped
#    (on Colab, with the checkpoints on Google Drive).
#
# How long it trains depends on the device: a few seconds under the tests (`AMINET_PRESET=smoke`,
# which learns next to nothing), a few hundred steps of `aminet demo`'s model and recipe on a CPU,
# and on a GPU a run capped at 20 minutes of training by its time budget. On a free Colab
# T4 the whole notebook takes about 25-30 minutes: the 20 minutes are enforced by the trainer, the
# rest (install, validation, evaluation) is an estimate, not a measurement. It fits one session.

# %% [markdown]
# ## Setup
# On Colab the next cell installs the course package; elsewhere it does nothing
# (install locally with `pip install -e .`). On Colab, pick a GPU first
# (*Runtime > Change runtime type*): the device printed below must say `cuda`.

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
import json
import math
from pathlib import Path

import matplotlib.pyplot as plt
import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader

import aminet
from aminet.checkpoint import load_checkpoint, load_model
from aminet.colab import runs_dir
from aminet.course import check, device, gpu_options, is_smoke, preset
from aminet.data import build_dataset
from aminet.evaluation import evaluate
from aminet.train import preset_config, train

torch.manual_seed(0)
DEVICE = device()
print(
    f"aminet {aminet.__version__} | torch {torch.__version__} | device {DEVICE} | preset {preset()}"
)

# %% [markdown]
# ### Where the checkpoints go (Colab: Google Drive)
# A Colab session can disconnect at any time and takes its disk with it, and every Colab notebook
# runs on its own machine: notebook 08 cannot see this one's disk. So on Colab `runs_dir()` mounts
# your Google Drive (a window asks for permission) and keeps the runs in `MyDrive/aminet-runs`,
# the folder notebooks 08 and 10 read too. After a disconnect, run the notebook again: the
# training cell continues from the last checkpoint. Elsewhere the runs go to `runs/` (under the
# tests, to a fresh temporary folder); `AMINET_RUNS=/some/folder` chooses another place.

# %%
RUNS = runs_dir()

# %% [markdown]
# ## The idea
#
# AMINet is trained like most restoration networks: show it bicubic faces, compare its output with
# the true face pixel by pixel, nudge every weight to shrink the difference. The paper's loss is
# the mean absolute error (L1) over the N faces of a batch:
#
# **The paper** (eq. 17):
#
# $$\mathcal{L}(\Theta) = \frac{1}{N}\sum_{i=1}^{N} \big\lVert F_{AMINet}(I^{i}_{LR}, \Theta) - I^{i}_{HR}
#   \big\rVert_1 \qquad \text{(eq. 17)}$$
#
# **Ours** (`aminet.train`, `pixel_loss="l1"`, the default):
#
# $$\mathcal{L}_{pix} = \frac{1}{N}\sum_{i=1}^{N} \frac{1}{3HW}\big\lVert f_\theta(I^{(i)}_{in}) - I^{(i)}_{HR}
#   \big\rVert_1, \qquad I_{in} = \mathrm{Bicubic}_{\uparrow 8}(I_{LR})$$
#
# **The differences:** the norm is also averaged over the 3HW values of each face (`F.l1_loss`: the
# same minimum, the gradient scaled by a constant, which Adam ignores), and the network reads the
# bicubic enlargement of $I_{LR}$ and adds it back (our reading of Fig. 2's residual, as SPARNet).
# The CPU recipe below departs further (a warmup, a larger learning rate; the CPU demo of
# docs/training.md can also train on the squared error): those are ours, for short runs. Why:
# [docs/training.md](../docs/training.md#paper-settings-and-our-choices) and
# [docs/architecture.md](../docs/architecture.md#the-choices-the-paper-leaves-open).
#
# L1 rather than L2: L2 punishes big errors quadratically, so a network trained with it hedges
# between possible details and blurs them; L1 tolerates a few large errors and keeps edges sharper
# (and trains to a higher PSNR in practice, although PSNR is an L2 measure). The optimiser is Adam
# ($\beta_1 = 0.9$, $\beta_2 = 0.99$, learning rate $2\times10^{-4}$, Sec. IV-B). The paper does
# not give a schedule; `aminet.train` decays the learning rate along a half cosine (our choice),
# from its start down to a floor (1 % of the start), so every run, long or short, ends with small
# careful steps:
#
# $$\eta(t) = \eta_0 \Big[r + (1 - r)\,\tfrac{1}{2}\big(1 + \cos(\pi \min(t/T, 1))\big)\Big]$$
#
# ## Exercise 1: the cosine schedule
# Write `cosine_factor(step, total, min_ratio)`: the factor in brackets above for step $t$ of a
# $T$-step run with floor $r$ (after the last step it stays at the floor).


# %%
def cosine_factor(step, total, min_ratio):
    """The learning-rate factor at `step` of a `total`-step cosine schedule with floor `min_ratio`."""
    # YOUR CODE HERE
    raise NotImplementedError()


# %%
cosine_factor = check("train.cosine_factor", cosine_factor)

# %%
from aminet.train import ScheduleShape

shape = ScheduleShape("cosine", total=10_000, warmup=0, min_ratio=0.01)  # what the trainer uses
steps = range(0, 12_001, 100)
plt.figure(figsize=(5, 2.8))
plt.plot(steps, [2e-4 * cosine_factor(s, 10_000, 0.01) for s in steps], label="yours")
plt.plot(steps[::10], [2e-4 * shape(s) for s in steps[::10]], "o", ms=4, label="aminet.train")
plt.xlabel("step")
plt.ylabel("learning rate")
plt.title("cosine schedule of a 10,000-step run")
plt.legend()
plt.show()
assert all(math.isclose(cosine_factor(s, 10_000, 0.01), shape(s), abs_tol=1e-9) for s in steps)
assert math.isclose(cosine_factor(0, 10_000, 0.01), 1.0) and math.isclose(shape(10_000), 0.01)

# %% [markdown]
# ## Step 1: a batch
# Training pairs come from `aminet.data` (notebook 00). A `DataLoader` with `num_workers=0` stacks
# them into batches: worker processes help only on long runs and hang in some notebook setups.
# The trainer can also cut random crops (aligned to the 8-pixel grid) so small machines train on
# smaller images; the network is convolutional, so it still runs on whole faces afterwards.

# %%
faces = build_dataset("synthetic", "train", limit=8)
loader = DataLoader(faces, batch_size=4, shuffle=True, num_workers=0)
batch = next(iter(loader))
inp, hr = batch["input"], batch["hr"]
print("input", tuple(inp.shape), "| hr", tuple(hr.shape), "| names", batch["name"][:2], "...")
assert inp.shape == hr.shape == (4, 3, 128, 128)

crop = 32 if is_smoke() else 64
inp_c, hr_c = inp[..., 40 : 40 + crop, 32 : 32 + crop], hr[..., 40 : 40 + crop, 32 : 32 + crop]
fig, axes = plt.subplots(1, 4, figsize=(9, 2.6))
for ax, img, title in zip(
    axes, [inp[0], hr[0], inp_c[0], hr_c[0]], ["input", "HR", "input crop", "HR crop"]
):
    ax.imshow(img.permute(1, 2, 0), interpolation="nearest")
    ax.set_title(title)
    ax.axis("off")
plt.show()

# %% [markdown]
# ## Exercise 2: one training step (eq. 17)
# Write `l1_step(model, optimizer, inp, hr)`: run the model, take the L1 loss against `hr`, clear
# the gradients left by the previous step, backpropagate, update the weights, and return the loss
# (detached, or as a float). The order matters: PyTorch *adds* new gradients to old ones.


# %%
def l1_step(model, optimizer, inp, hr):
    """One optimisation step of eq. 17; returns the loss before the update."""
    # YOUR CODE HERE
    raise NotImplementedError()


# %%
l1_step = check("train.l1_step", l1_step)

# %% [markdown]
# A step that works makes the loss fall. The quickest test of a training loop (and the first thing
# to try when a real run will not learn) is to *overfit one batch*: a few steps on the same crops
# must drive the loss down. We use `aminet-tiny`, a narrow AMINet built for CPUs.

# %%
SMOKE_NET = dict(num_bottleneck=1, hourglass_depths=(1, 1, 1, 1))  # under the tests: even smaller
tiny = aminet.create_model("aminet-tiny", **(SMOKE_NET if is_smoke() else {})).to(DEVICE)
opt = torch.optim.Adam(tiny.parameters(), lr=1e-3, betas=(0.9, 0.99))
x, y = inp_c.to(DEVICE), hr_c.to(DEVICE)
losses = [float(l1_step(tiny, opt, x, y)) for _ in range(3 if is_smoke() else 30)]
print("L1 on one batch:", " ".join(f"{v:.4f}" for v in losses))
assert all(math.isfinite(v) for v in losses)
assert min(losses[1:]) < losses[0], "the loss must fall when the model sees the same batch again"

# %% [markdown]
# ## Open experiment A: the learning rate (graded by hand, 3 points)
# **Change** the learning rates in `EXPERIMENT_LRS`, **measure** the L1 loss on the same batch after
# a few steps of a freshly initialised `aminet-tiny` (same seed for every run, so only the learning
# rate differs), and **explain in two sentences** what you see and what it means for choosing the
# learning rate of a real run. The plot shows the loss curves.

# %%
EXPERIMENT_LRS = (1e-4, 1e-3, 1e-2)  # X: try others, e.g. 3e-3 or 3e-2
EXPERIMENT_STEPS = 3 if is_smoke() else 20
curves = {}
for lr in EXPERIMENT_LRS:
    torch.manual_seed(0)  # the same initial weights for every learning rate
    net = aminet.create_model("aminet-tiny", **(SMOKE_NET if is_smoke() else {})).to(DEVICE)
    net_opt = torch.optim.Adam(net.parameters(), lr=lr, betas=(0.9, 0.99))
    curves[lr] = [float(l1_step(net, net_opt, x, y)) for _ in range(EXPERIMENT_STEPS)]
    print(
        f"lr {lr:.0e}: L1 {curves[lr][0]:.4f} -> {curves[lr][-1]:.4f} after {EXPERIMENT_STEPS} steps"
    )
fig, ax = plt.subplots(figsize=(5, 3.2))
for lr, curve in curves.items():
    ax.plot(curve, label=f"lr {lr:.0e}")
ax.set(
    xlabel="step (same batch)",
    ylabel="L1 loss",
    yscale="log",
    title="one batch, three learning rates",
)
ax.legend()
plt.show()
assert all(math.isfinite(v) for curve in curves.values() for v in curve)

# %% [markdown]
# Your answer (two sentences: what changed, and why):

# %% [markdown] nbgrader={"grade": true, "grade_id": "07_open_learning_rate", "locked": false, "points": 3, "schema_version": 3, "solution": true, "task": false}
# YOUR ANSWER HERE

# %% [markdown]
# ## Step 2: the trainer
# `aminet.train.train(config)` wraps that step with everything a long run needs: the schedule,
# validation PSNR/SSIM every `val_every` steps, `best.pt` (best validation PSNR-Y) and `last.pt`
# (everything needed to resume), `log.jsonl`, `curves.png`, a progress bar with the speed, AMP on
# GPUs, and a guard that stops a diverging run. Its presets:
#
# | preset | model | length | for |
# |---|---|---|---|
# | `smoke` | tiny AMINet, 32 x 32 crops | 6 steps | tests: checks the pipeline, learns nothing |
# | `short` | AMINet | 20,000 steps (or `minutes=`) | a GPU session |
# | `full` | AMINet | 200,000 steps | reproducing the paper |
#
# The same run from a terminal: `aminet train --preset short --minutes 20 --out runs/aminet`.
# A run with a time budget ends when the budget is spent: that is a normal end, with a final
# validation and `best.pt`, just like reaching the last step. Both report the status `completed`;
# `history["ended_by"]` says which (`time budget` or `steps`). Only an interrupt or a diverging
# loss ends a run otherwise (`interrupted`, `diverged`), and those stop the notebook.
# Below, the size is chosen by the device. On a CPU it is `aminet-cpu`, the U-Net run at 1/4
# resolution behind a PixelUnshuffle stem, with a short run's recipe: lr 2e-3, the tail zeroed so
# that step 0 is exactly bicubic, and a 100-step warmup. Without the warmup, Adam's first updates
# to the zeroed tail are so large that the features collapse and the model stays at bicubic.

# %%
if is_smoke():
    fast = dict(preset_config("smoke").model_kwargs, **SMOKE_NET)
    config = preset_config("smoke", model_kwargs=fast, val_limit=2, out=str(RUNS / "l1"))
elif DEVICE.type == "cuda":  # 20 minutes of training (on a T4, ~25 min with validation: estimate)
    # gpu_options: 20 minutes and amp="auto" unless AMINET_MINUTES / AMINET_AMP say otherwise
    config = preset_config("short", val_every=500, out=str(RUNS / "l1"), **gpu_options(20))
else:  # CPU or Apple GPU: AMINet at 1/4 resolution (the demo's model), a few hundred steps
    config = preset_config(
        "smoke",
        model="aminet-cpu",
        model_kwargs={},
        steps=300,
        train_limit=2_400,
        val_limit=16,
        val_every=100,
        batch_size=8,
        crop_size=None,
        lr=2e-3,
        warmup_steps=100,
        zero_init_tail=True,
        out=str(RUNS / "l1"),
    )
last = Path(config.out) / "last.pt"
if last.exists():  # a previous session of this notebook got this far: continue it
    config.resume = str(last)
print(
    {
        k: v
        for k, v in config.to_dict().items()
        if k in ("model", "steps", "minutes", "batch_size", "crop_size", "resume")
    }
)

history = train(config)
print(
    f"status: {history['status']}, {history['steps']} steps, {history['images_per_second']} images/s on {history['device']}"
)
# "completed" at the last step or at the end of the time budget (history["ended_by"] says which)
assert history["status"] == "completed", f"the run ended early: {history['status']}"
print("ended by:", history["ended_by"])
assert len(history["loss"]) == history["steps"] and all(math.isfinite(v) for v in history["loss"])
for name in ("best.pt", "last.pt", "log.jsonl", "curves.png", "config.json"):
    assert (Path(config.out) / name).is_file(), name

# %% [markdown]
# ### Reading the curves
# Left: the training loss at every step (noisy: each batch differs) and its running mean. Right:
# PSNR-Y on the validation faces. A healthy run has a falling mean loss and a rising PSNR; a loss
# that falls while PSNR stalls means overfitting (or a validation set that is too small to tell).

# %%
fig, (ax_loss, ax_psnr) = plt.subplots(1, 2, figsize=(10, 3.4))
ax_loss.plot(history["step"], history["loss"], "o-" if len(history["loss"]) < 30 else "-", lw=1)
ax_loss.set(xlabel="step", ylabel="L1 loss", title="training loss", yscale="log")
ax_psnr.plot(history["val_step"], history["val_psnr_y"], "o-")
ax_psnr.set(xlabel="step", ylabel="PSNR-Y (dB)", title="validation PSNR-Y")
plt.show()
log = [json.loads(line) for line in (Path(config.out) / "log.jsonl").read_text().splitlines()]
print("last log lines:", log[-2:])
assert len(history["val_step"]) >= 1 and history["val_step"][-1] == history["steps"]

# %% [markdown]
# ## Step 3: evaluate the checkpoint, look at the faces
# `load_model` rebuilds the network from the checkpoint alone (its registry name and options are
# stored with the weights) and loads it with `torch.load(weights_only=True)`, which cannot run code
# hidden in a file. We score it and the bicubic baseline on the same test faces.

# %%
model = load_model(Path(config.out) / "best.pt", map_location=DEVICE)
ckpt = load_checkpoint(Path(config.out) / "best.pt")
print(
    "checkpoint:",
    ckpt["model_name"],
    "| step",
    ckpt["step"],
    "| best val PSNR-Y",
    round(ckpt["best_psnr_y"], 3),
)

n_test = 4 if is_smoke() else 100
test = build_dataset("synthetic", "test", limit=n_test)
ours = evaluate(model, test, batch_size=8, device=DEVICE, vif=False, progress=False)
base = evaluate(aminet.create_model("bicubic"), test, batch_size=8, vif=False, progress=False)
print(f"{'':10s} {'PSNR-Y':>8s} {'SSIM-Y':>8s}   ({n_test} SynthFaces test faces)")
for name, s in (("bicubic", base), (ckpt["model_name"], ours)):
    print(f"{name:10s} {s['psnr_y']:8.2f} {s['ssim_y']:8.4f}")
if is_smoke():
    print(
        "(smoke preset: 6 steps of a tiny model - no better than bicubic yet, and that is expected)"
    )
assert ours["n"] == base["n"] == n_test and math.isfinite(ours["psnr_y"])

# %%
items = [test[i] for i in range(4)]
with torch.no_grad():
    sr = model(torch.stack([it["input"] for it in items]).to(DEVICE)).clamp(0, 1).cpu()
fig, axes = plt.subplots(len(items), 4, figsize=(8, 2.1 * len(items)))
for row, (it, out) in enumerate(zip(items, sr)):
    for ax, img, title in zip(
        axes[row], [it["lr"], it["input"], out, it["hr"]], ["LR 16x16", "bicubic", "model", "HR"]
    ):
        ax.imshow(img.permute(1, 2, 0), interpolation="nearest")
        ax.set_title(title if row == 0 else "")
        ax.axis("off")
plt.tight_layout()
plt.show()
assert sr.shape == (4, 3, 128, 128)

# %% [markdown]
# ### The same model on photographs
# Everything so far was SynthFaces, drawings. The real test is a photograph the model never saw:
# the two public-domain faces that matplotlib and scikit-image ship (Grace Hopper, the astronaut
# Eileen Collins), cropped in the training framing from stored landmarks
# (`aminet.data.realfaces`). A model trained only on drawings gains less here, and may paint
# drawing-like detail (hard outlines, cartoon eyes): look at the faces.

# %%
from aminet.data.realfaces import RealFaces

photos = RealFaces()
ours_real = evaluate(model, photos, batch_size=2, device=DEVICE, vif=False, progress=False)
base_real = evaluate(
    aminet.create_model("bicubic"), photos, batch_size=2, vif=False, progress=False
)
print(f"{'':10s} {'PSNR-Y':>8s} {'SSIM-Y':>8s}   ({len(photos)} real face photos)")
for name, s in (("bicubic", base_real), (ckpt["model_name"], ours_real)):
    print(f"{name:10s} {s['psnr_y']:8.2f} {s['ssim_y']:8.4f}")
print(
    f"gain over bicubic: SynthFaces {ours['psnr_y'] - base['psnr_y']:+.2f} dB, "
    f"photos {ours_real['psnr_y'] - base_real['psnr_y']:+.2f} dB"
)
with torch.no_grad():
    sr_real = model(torch.stack([photos[i]["input"] for i in range(len(photos))]).to(DEVICE))
sr_real = sr_real.clamp(0, 1).cpu()
fig, axes = plt.subplots(len(photos), 3, figsize=(6.3, 2.2 * len(photos)), squeeze=False)
for row in range(len(photos)):
    it = photos[row]
    for ax, img, title in zip(
        axes[row], [it["input"], sr_real[row], it["hr"]], ["bicubic", "model", "photo"]
    ):
        ax.imshow(img.permute(1, 2, 0))
        ax.set_title(title if row == 0 else "")
        ax.axis("off")
plt.tight_layout()
plt.show()
assert ours_real["n"] == len(photos) and math.isfinite(ours_real["psnr_y"])

# %% [markdown]
# ### Training on CelebA (Colab)
# To train on real faces, fetch and prepare CelebA as in notebook 00, step 5 (Kaggle via
# `kagglehub` with your API token in Colab's *Secrets* as `KAGGLE_USERNAME` / `KAGGLE_KEY`; the
# Hugging Face mirror as the fallback), then train with `data="celeba:DIR"`. Set
# `TRAIN_ON_CELEBA = True` on a Colab GPU; elsewhere this cell does nothing. Time on a T4: the
# training is capped at 30 minutes by its budget; the download (1.4 GB) and the preparation come
# on top and have not been measured on Colab, so this cell is best run in a session of its own
# (after the steps above, it would not fit the same free session). The run lives on Drive: if
# the session disconnects, run the cell again and it continues where it stopped, to the end of
# its original 30 minutes.

# %%
TRAIN_ON_CELEBA = False  # Colab + GPU: download (1.4 GB), prepare and train on CelebA
CELEBA_DIR = Path("/content/celeba_128")

if TRAIN_ON_CELEBA and "google.colab" in sys.modules and not is_smoke():
    import os
    import subprocess

    from aminet.data.prepare import download_celeba, prepare_celeba

    try:
        from google.colab import userdata

        for key in ("KAGGLE_USERNAME", "KAGGLE_KEY"):
            os.environ.setdefault(key, userdata.get(key))
    except Exception as err:
        print("no Kaggle secrets (", err, "): the fallback may be used")
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "kagglehub", "datasets"], check=True
    )
    if not (CELEBA_DIR / "test").is_dir():
        summary = prepare_celeba(download_celeba("/content/celeba_raw"), CELEBA_DIR)
        print(
            f"bicubic PSNR-Y on the test split: {summary['bicubic_psnr_y_test']:.2f} dB (paper: 23.61)"
        )
    celeba_config = preset_config(
        "short", data=f"celeba:{CELEBA_DIR}", minutes=30, out=str(RUNS / "celeba")
    )
    if (Path(celeba_config.out) / "last.pt").exists():
        celeba_config.resume = str(Path(celeba_config.out) / "last.pt")
    celeba_history = train(celeba_config)
    celeba_model = load_model(Path(celeba_config.out) / "best.pt", map_location=DEVICE)
    real = evaluate(celeba_model, photos, batch_size=2, device=DEVICE, vif=False, progress=False)
    print(
        f"CelebA-trained model on the photos: {real['psnr_y']:.2f} dB (bicubic {base_real['psnr_y']:.2f})"
    )
else:
    print("not training on CelebA (set TRAIN_ON_CELEBA = True on a Colab GPU)")

# %% [markdown]
# ## Step 4: resume after a disconnect
# A killed run (Colab disconnect, Ctrl-C, a full disk) loses at most the steps since its last
# `last.pt`. That file holds the model *and* the optimizer's moments, the schedule, the AMP scaler,
# every random-number generator and the step, and the data order is a function of the step alone.
# So a resumed run does not merely continue: it takes exactly the steps the uninterrupted run took.
#
# We prove it. Run B stops half-way (`stop_at_step`, as if the session died), then a second
# `train` call with `resume=` finishes it. Its losses must match the uninterrupted run's.

# %%
# a very small model and no validation: this experiment is about the training state, on any device
fast = dict(preset_config("smoke").model_kwargs, **SMOKE_NET)
demo = dict(model_kwargs=fast, steps=4, val_every=0, val_limit=0, progress=False)
small = preset_config("smoke", out=str(RUNS / "resume_a"), **demo)
run_a = train(small)
half = small.steps // 2
small_b = preset_config("smoke", out=str(RUNS / "resume_b"), **demo)
run_b1 = train(small_b, stop_at_step=half)
print(f"run B stopped: {run_b1['status']} at step {run_b1['steps']}")
small_b.resume = str(Path(small_b.out) / "last.pt")
run_b2 = train(small_b)

plt.figure(figsize=(5, 3))
plt.plot(run_a["step"], run_a["loss"], "o-", label="uninterrupted")
plt.plot(run_b2["step"], run_b2["loss"], "x--", ms=10, label=f"stopped at {half}, resumed")
plt.axvline(half, color="grey", lw=0.8)
plt.xlabel("step")
plt.ylabel("L1 loss")
plt.legend()
plt.show()
print("uninterrupted:", [round(v, 5) for v in run_a["loss"]])
print("resumed      :", [round(v, 5) for v in run_b2["loss"]])
assert run_b1["status"] == "interrupted" and run_b1["steps"] == half
assert run_b2["status"] == "completed" and run_b2["steps"] == run_a["steps"]
assert torch.allclose(
    torch.tensor(run_a["loss"]), torch.tensor(run_b2["loss"]), rtol=1e-4, atol=1e-6
)

# %% [markdown]
# ## Summary
# - One step: forward, L1 (eq. 17), `zero_grad`, `backward`, `step`. Overfitting one batch is the
#   first test of any training loop.
# - `train(preset_config(...))` adds the schedule, validation, checkpoints, logs and curves; pick
#   `smoke`, `short` or `full`, or `aminet train --preset ...` in a terminal.
# - Evaluate `best.pt` beside bicubic on the same faces; look at the faces, not only the numbers,
#   and on photographs too: drawings alone do not teach a model photographs.
# - `last.pt` + `resume` continues a run exactly; on Colab `runs_dir()` keeps it on Drive, where
#   notebook 08 finds `l1/best.pt`.
#
# Next: **08 · AMIGAN**, the same generator trained with a discriminator for sharper faces.
