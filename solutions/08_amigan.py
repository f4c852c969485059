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
# # 08 · AMIGAN: adversarial training for sharper faces
#
# **Open in Colab:** this copy of the course names no public GitHub repository, so there is no Colab link. In Colab use *File > Upload notebook* to open this file, then run the setup cell below: it says how to install the course package.
#
# **Measured time on a CPU:** 12 s for the solutions, every cell, `AMINET_PRESET=smoke` (2-core x86_64 CPU, load average 1.1; written by `aminet course release --execute`). No GPU time has been measured. The outputs below are from the smoke size (tiny networks, a few steps); at the default preset this notebook trains for minutes (docs/course.md gives measured times).
#
# **Goals.** After this notebook you can
# 1. explain why an L1-trained network paints blurry detail, and what a discriminator adds,
# 2. read a PatchGAN's output: one real/fake logit per overlapping patch, at two scales,
# 3. write the discriminator's and the generator's adversarial losses (paper eqs. 20-21),
# 4. fine-tune AMINet into AMIGAN with `aminet.train` (eq. 22) and say what changes in the scores.
#
# It starts from notebook 07's L1 model (`l1/best.pt` in the runs folder: on Colab the shared
# folder on your Google Drive, which this notebook mounts too). On a GPU the AMIGAN run is capped
# at 20 minutes of training; on a free Colab T4 the notebook takes about 25-30 minutes in all
# (an estimate: the 20 minutes are enforced, the rest was not measured on a T4).

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
import json
import math
from pathlib import Path

import matplotlib.pyplot as plt
import torch
import torch.nn.functional as F

import aminet
from aminet.checkpoint import load_model, save_checkpoint
from aminet.colab import on_drive, runs_dir
from aminet.complexity import count_params
from aminet.course import check, device, gpu_options, is_smoke, preset
from aminet.data import build_dataset
from aminet.evaluation import evaluate
from aminet.gan import MultiScaleDiscriminator
from aminet.perceptual import PerceptualWeightsMissing, VGGPerceptualLoss
from aminet.train import preset_config, train

torch.manual_seed(0)
DEVICE = device()
print(
    f"aminet {aminet.__version__} | torch {torch.__version__} | device {DEVICE} | preset {preset()}"
)
RUNS = runs_dir()  # Colab: MyDrive/aminet-runs on Google Drive, shared with notebook 07

# %% [markdown]
# ## The idea
#
# Many sharp faces fit one 16 x 16 face. A network trained with L1 is rewarded for the
# *median* of those faces, which is smooth: its skin, hair and eyelashes come out blurred. AMIGAN
# (Sec. III-D) adds a second network, a **discriminator** D, that learns to tell real faces from
# generated ones, and rewards the generator G (AMINet) for fooling it. Fooling D requires texture
# that looks real, even where it is not *the* texture of the original face.
#
# **The paper** (Sec. III-D): the generator's loss is
#
# $$\mathcal{L} = \lambda_{pix}\,\mathcal{L}_{pix} + \lambda_{pcp}\,\mathcal{L}_{pcp}
#   + \lambda_{adv}\,\mathcal{L}_{adv}, \qquad \lambda = 1,\ 0.01,\ 0.01 \qquad \text{(eq. 22)}$$
#
# with the L1 loss (eq. 18), a VGG19 feature distance (eq. 19, the *perceptual* loss) and
#
# $$\mathcal{L}_{dis} = -\mathbb{E}\big[\log D(I_{HR})\big] - \mathbb{E}\big[\log(1 - D(G(I_{LR})))\big]
#   \qquad \text{(eq. 20, trains D)}$$
# $$\mathcal{L}_{adv} = -\mathbb{E}\big[\log D(G(I_{LR}))\big] \qquad \text{(eq. 21, trains G)}$$
#
# where $D(\cdot)$ is the probability D gives to "real". The two networks take turns: one step of D
# on real and (detached) generated faces, then one step of G through a frozen D. The paper gives
# the learning rates, $10^{-4}$ (G) and $4\times10^{-4}$ (D), and the weights $\lambda$; it does
# **not** describe D, name eq. 19's layers, or say where G starts (only that AMIGAN "is refined by
# minimizing" eq. 22).
#
# **Ours** (`aminet.gan`): D is a 2-scale PatchGAN (next step) that returns, for each scale $s$ of
# $S = 2$, a map of logits $\ell^{s}_{p}$, one per patch $p$, with $D = \sigma(\ell)$. The
# expectations become means over the patches, then the scales, written as binary cross-entropy with
# logits ($-\log\sigma(\ell) = \mathrm{softplus}(-\ell)$, the form that cannot overflow):
#
# $$\mathcal{L}_{dis} = \frac{1}{S}\sum_{s}\operatorname*{mean}_{p}\,\mathrm{softplus}\big(-\ell^{s}_{p}(I_{HR})\big)
#   + \frac{1}{S}\sum_{s}\operatorname*{mean}_{p}\,\mathrm{softplus}\big(\ell^{s}_{p}(G(I_{LR}))\big),
#   \qquad
#   \mathcal{L}_{adv} = \frac{1}{S}\sum_{s}\operatorname*{mean}_{p}\,\mathrm{softplus}\big(-\ell^{s}_{p}(G(I_{LR}))\big)$$
#
# **The differences:** the discriminator and its per-patch, per-scale averaging; eq. 18 averaged
# over the pixels as well as the faces (as in notebook 07); eq. 19 on five pre-activation VGG19
# layers (conv1_2 ... conv5_4, weight 1 each, as SPARNetHD); and G starting from an L1-trained
# AMINet (below), the usual practice for GAN fine-tuning in face SR (SPARNetHD, ESRGAN). All are
# ours; eqs. 20-22 are otherwise used as printed. Why each choice:
# [docs/training.md](../docs/training.md#amigan---gan-sec-iii-d) (the GAN) and
# [docs/architecture.md](../docs/architecture.md#the-choices-the-paper-leaves-open) (the generator).

# %% [markdown]
# ## Step 1: the discriminator
# The paper does not describe its D. `aminet.gan` uses the one of SPARNetHD (the closest face-SR
# relative with a GAN, and the source of AMIGAN's learning rates): a **multi-scale PatchGAN** with
# spectral normalisation. Each scale is a small conv net whose output is not one number but a *map*
# of logits, one per overlapping patch; the second scale sees the face at half size, so its
# patches cover twice as much of the face.

# %%
disc = MultiScaleDiscriminator().eval()
print(f"discriminator: {count_params(disc) / 1e6:.2f} M parameters, {len(disc.scales)} scales")
faces = build_dataset("synthetic", "test", limit=4)
hr = torch.stack([faces[i]["hr"] for i in range(4)])
inp = torch.stack([faces[i]["input"] for i in range(4)])
with torch.no_grad():
    real_logits = disc(hr)
for i, t in enumerate(real_logits):
    print(f"scale {i}: logit map {tuple(t.shape)} -> each logit judges a patch of the face")
assert [t.shape for t in real_logits] == [(4, 1, 14, 14), (4, 1, 6, 6)]

fig, axes = plt.subplots(1, 3, figsize=(9, 3))
axes[0].imshow(hr[0].permute(1, 2, 0))
axes[0].set_title("HR face")
for i, ax in enumerate(axes[1:]):
    im = ax.imshow(torch.sigmoid(real_logits[i][0, 0]), cmap="coolwarm", vmin=0, vmax=1)
    ax.set_title(f"D(x) per patch, scale {i}\n(untrained: about 0.5)")
    fig.colorbar(im, ax=ax)
for ax in axes:
    ax.axis("off")
plt.show()


# %% [markdown]
# ## Exercise 1: the discriminator's loss (eq. 20)
# `real_logits` and `fake_logits` are lists with one logit map per scale. Eq. 20 is a binary
# cross-entropy: real patches should get label 1, generated patches label 0. Use
# `F.binary_cross_entropy_with_logits` (it computes $-\log\sigma(x)$ and $-\log(1-\sigma(x))$ without
# overflowing), average over the patches of a scale, average over the scales, and add the real and
# the fake terms.


# %%
def discriminator_loss(real_logits, fake_logits):
    """Eq. 20 for lists of (N, 1, h, w) logit maps (one per scale). Returns a scalar."""
    ### BEGIN SOLUTION
    real = [F.binary_cross_entropy_with_logits(t, torch.ones_like(t)) for t in real_logits]
    fake = [F.binary_cross_entropy_with_logits(t, torch.zeros_like(t)) for t in fake_logits]
    return torch.stack(real).mean() + torch.stack(fake).mean()
    ### END SOLUTION


# %%
discriminator_loss = check("gan.discriminator_loss", discriminator_loss)


# %% [markdown]
# ## Exercise 2: the generator's adversarial loss (eq. 21)
# The generator wants D to call its faces *real*: the same cross-entropy on the fake logits, but
# against label 1.


# %%
def generator_loss(fake_logits):
    """Eq. 21 for a list of (N, 1, h, w) logit maps. Returns a scalar."""
    ### BEGIN SOLUTION
    return torch.stack(
        [F.binary_cross_entropy_with_logits(t, torch.ones_like(t)) for t in fake_logits]
    ).mean()
    ### END SOLUTION


# %%
generator_loss = check("gan.generator_loss", generator_loss)

# %% [markdown]
# ### Why $-\log D(G)$ and not $+\log(1 - D(G))$?
# The original GAN lets G *maximise* D's loss, i.e. minimise $\log(1 - D(G))$. Early in training D
# easily spots fakes ($D(G) \approx 0$), where that curve is flat: G gets almost no gradient.
# Eq. 21's $-\log D(G)$ is steep exactly there. Both have the same optimum; the plot shows the slopes.

# %%
logit = torch.linspace(-6, 6, 200, requires_grad=True)
d = torch.sigmoid(logit)
saturating, non_saturating = torch.log(1 - d), -torch.log(d)
(g_sat,) = torch.autograd.grad(saturating.sum(), logit, retain_graph=True)
(g_non,) = torch.autograd.grad(non_saturating.sum(), logit)
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 3.2))
ax1.plot(d.detach(), saturating.detach(), label="log(1 - D(G))  (minimax)")
ax1.plot(d.detach(), non_saturating.detach(), label="-log D(G)  (eq. 21)")
ax1.set(xlabel="D(G(x)): how real D thinks the fake is", ylabel="generator loss")
ax1.legend()
ax2.plot(d.detach(), g_sat.abs(), label="minimax")
ax2.plot(d.detach(), g_non.abs(), label="eq. 21")
ax2.set(xlabel="D(G(x))", ylabel="|gradient| w.r.t. the logit", yscale="log")
ax2.legend()
plt.show()
easy_fake = d < 0.05  # D is confident the face is fake: the usual state early in training
print(
    f"where D(G) < 0.05: mean |grad| minimax {g_sat[easy_fake].abs().mean():.3f}, eq. 21 {g_non[easy_fake].abs().mean():.3f}"
)
assert g_non[easy_fake].abs().mean() > 10 * g_sat[easy_fake].abs().mean()
fake_like = [torch.full((1, 1, 3, 3), -3.0)]  # D says "fake" everywhere
assert math.isclose(
    generator_loss(fake_like).item(),
    -math.log(torch.sigmoid(torch.tensor(-3.0)).item()),
    rel_tol=1e-5,
)

# %% [markdown]
# ## Step 2: the perceptual loss (eq. 19) needs pretrained weights
# $\mathcal{L}_{pcp}$ compares VGG19 features of the two faces (conv1_2 ... conv5_4, ImageNet
# weights). Those weights are a 548 MB file that torchvision downloads; `aminet` never downloads at
# run time, so on a machine without the file the loss says which file to put where. Training can
# then run without it (`perceptual="none"`, or `"auto"`: use it when present) and every log says so:
# that is *not* the paper's eq. 22.

# %%
try:
    pcp = VGGPerceptualLoss()
    with torch.no_grad():
        print("perceptual loss (bicubic vs HR):", pcp(inp, hr).item())
except PerceptualWeightsMissing as err:
    pcp = None
    print("VGG19 weights not here:", err)

# %% [markdown]
# ## Step 3: one adversarial step by hand
# Before handing it to the trainer, one round of the game with our losses: a (tiny) generator makes
# faces; D takes a step on real vs generated (detached: D's step must not change G); then G takes a
# step on eq. 22 through D, with D frozen. Crops keep it quick.

# %%
gen = aminet.create_model("aminet-tiny")
disc = MultiScaleDiscriminator()
opt_g = torch.optim.Adam(gen.parameters(), lr=1e-4, betas=(0.9, 0.99))
opt_d = torch.optim.Adam(disc.parameters(), lr=4e-4, betas=(0.9, 0.99))
c = 48 if is_smoke() else 64  # a crop of the face (D needs 48+ pixels)
x, y = inp[:2, :, 32 : 32 + c, 32 : 32 + c], hr[:2, :, 32 : 32 + c, 32 : 32 + c]
d_before = [p.detach().clone() for p in disc.parameters()]
g_before = [p.detach().clone() for p in gen.parameters()]

sr = gen(x)
loss_d = discriminator_loss(disc(y), disc(sr.detach()))  # eq. 20
opt_d.zero_grad()
loss_d.backward()
opt_d.step()

disc.requires_grad_(False)  # G's step must not train D
loss_pix = F.l1_loss(sr, y)
loss_adv = generator_loss(disc(sr))
loss_pcp = pcp(sr, y) if pcp is not None else torch.zeros(())
loss_g = 1.0 * loss_pix + 0.01 * loss_pcp + 0.01 * loss_adv  # eq. 22
opt_g.zero_grad()
loss_g.backward()
opt_g.step()
disc.requires_grad_(True)

print(
    f"L_dis {loss_d.item():.4f} | L_pix {loss_pix.item():.4f} | L_adv {loss_adv.item():.4f} | L {loss_g.item():.4f}"
)
assert any(not torch.equal(a, b) for a, b in zip(d_before, disc.parameters())), "D was updated"
assert any(not torch.equal(a, b) for a, b in zip(g_before, gen.parameters())), "G was updated"
assert math.isclose(loss_d.item(), 2 * math.log(2), rel_tol=0.25), (
    "an untrained D is unsure: about 2 log 2"
)

# %% [markdown]
# ## Open experiment: how loud is the adversary? (graded by hand, 3 points)
# In eq. 22 the adversarial loss is weighted by $\lambda_{adv} = 0.01$. **Change** the weights in
# `LAMBDAS_ADV`, **measure** how large the adversarial term's gradient on G's weights is compared
# with the pixel loss's gradient (the norm of $\lambda_{adv} \nabla L_{adv}$ over the norm of
# $\nabla L_{pix}$, on the crops above, for the generator and discriminator of Step 3), and
# **explain in two sentences** what the paper's 0.01 means for how far AMIGAN moves away from an
# L1 network.

# %%
LAMBDAS_ADV = (0.001, 0.01, 0.1, 1.0)  # X: try others


def gradient_norm(loss):
    grads = torch.autograd.grad(loss, [p for p in gen.parameters() if p.requires_grad])
    return torch.sqrt(sum(g.pow(2).sum() for g in grads)).item()


disc.requires_grad_(False)
sr = gen(x)
pix_norm = gradient_norm(F.l1_loss(sr, y))
adv_norm = gradient_norm(generator_loss(disc(gen(x))))
disc.requires_grad_(True)
for lam in LAMBDAS_ADV:
    print(
        f"lambda_adv {lam:<6g}: |lambda grad L_adv| / |grad L_pix| = {lam * adv_norm / pix_norm:.3f}"
    )
assert pix_norm > 0 and adv_norm > 0

# %% [markdown]
# Your answer (two sentences):

# %% [markdown] nbgrader={"grade": true, "grade_id": "08_open_lambda_adv", "locked": false, "points": 3, "schema_version": 3, "solution": true, "task": false}
# ### BEGIN SOLUTION
# A model answer (check it against the printout; this G and D are untrained, so only the orders of
# magnitude carry over): the ratio grows in proportion to $\lambda_{adv}$, and at the paper's 0.01 the
# adversarial gradient is a small fraction of the pixel gradient, so L1 still decides most of every
# step. AMIGAN therefore stays close to the L1 solution and adds texture where L1 is indifferent,
# which is why its PSNR drops only a little while LPIPS improves; with a weight near 1 the
# adversary would dominate and the output could drift from the face it should reconstruct.
# ### END SOLUTION

# %% [markdown]
# ## Step 4: AMIGAN with the trainer
# `train(config)` with `gan=True` runs exactly that step (plus AMP, clipping, checkpoints, logs),
# starting the generator from an L1 checkpoint (`init_from`; our choice, the paper does not say).
# The generator's learning rate is `config.lr_g` (1e-4); `config.lr` is the L1 rate. Terminal version:
# `aminet train --gan --init runs/l1/best.pt --preset short --minutes 20 --out runs/amigan`.
#
# The starting point: notebook 07's `l1/best.pt` in the runs folder (on Colab: on your Drive).
# Without it, under the tests, an untrained tiny AMINet saved as a checkpoint, so the cell stays
# fast (the scores then mean nothing).

# %%
l1_ckpt = RUNS / "l1" / "best.pt"
if l1_ckpt.exists():
    where = "on Google Drive" if on_drive(l1_ckpt) else "in the runs folder"
    print(f"found notebook 07's checkpoint {where}: {l1_ckpt}")
elif is_smoke():
    l1_ckpt = RUNS / "untrained.pt"
    fast = dict(
        preset_config("smoke").model_kwargs, num_bottleneck=1, hourglass_depths=(1, 1, 1, 1)
    )
    base = aminet.create_model("aminet", **fast)
    save_checkpoint(
        {
            "model_name": base.model_name,
            "model_kwargs": dict(base.model_kwargs),
            "model": base.state_dict(),
            "step": 0,
        },
        l1_ckpt,
    )
else:
    raise FileNotFoundError(
        f"{l1_ckpt} not found: run notebook 07 first (on Colab it saves to the same Drive "
        "folder), or point l1_ckpt to a best.pt"
    )
init = load_model(l1_ckpt)
print("generator starts from", l1_ckpt, "->", init.model_name)

overrides = dict(gan=True, init_from=str(l1_ckpt), perceptual="auto", out=str(RUNS / "amigan"))
overrides.update(model=init.model_name, model_kwargs=dict(init.model_kwargs))
if is_smoke():
    config = preset_config("smoke", steps=3, val_every=0, val_limit=2, **overrides)
elif DEVICE.type == "cuda":  # 20 minutes of training (on a T4, ~25 min with validation: estimate)
    # gpu_options: 20 minutes and amp="auto" unless AMINET_MINUTES / AMINET_AMP say otherwise
    config = preset_config("short", val_every=500, **overrides, **gpu_options(20))
else:
    config = preset_config(
        "smoke",
        steps=100,
        train_limit=1_000,
        val_limit=16,
        val_every=50,
        batch_size=8,
        crop_size=64,
        **overrides,
    )
print(
    "generator lr",
    config.lr_g,
    "| discriminator lr",
    config.lr_d,
    "| lambdas",
    config.lambda_pix,
    config.lambda_pcp,
    config.lambda_adv,
)
last = Path(config.out) / "last.pt"
if last.exists():  # a previous session of this notebook got this far: continue it
    config.resume = str(last)
history = train(config)
# "completed" at the last step or at the end of the time budget (history["ended_by"] says which)
assert history["status"] == "completed", f"the run ended early: {history['status']}"
print("ended by:", history["ended_by"])
assert config.lr_g == 1e-4 and config.lr_d == 4e-4

# %% [markdown]
# ### The losses of a GAN do not go steadily down
# `log.jsonl` keeps every term. D's loss and G's adversarial loss pull against each other: a
# healthy run keeps $\mathcal{L}_{dis}$ near $2\log 2 \approx 1.39$ (D unsure) rather than near 0
# (D wins, G gets no useful signal) while $\mathcal{L}_{pix}$ stays close to the L1 model's.

# %%
records = [json.loads(line) for line in (Path(config.out) / "log.jsonl").read_text().splitlines()]
# one record per step (a resumed run logs again the steps after its last checkpoint: keep the last)
steps = sorted({r["step"]: r for r in records if "loss_d" in r}.values(), key=lambda r: r["step"])
fig, axes = plt.subplots(1, 3, figsize=(12, 3))
for ax, key, title in zip(
    axes, ("loss_pix", "loss_adv", "loss_d"), ("L_pix (eq. 18)", "L_adv (eq. 21)", "L_dis (eq. 20)")
):
    ax.plot([r["step"] for r in steps], [r[key] for r in steps], "o-" if len(steps) < 30 else "-")
    ax.set(xlabel="step", title=title)
axes[2].axhline(2 * math.log(2), color="grey", ls="--", label="2 log 2")
axes[2].legend()
plt.show()
print("perceptual term:", steps[-1].get("perceptual", "on"))
assert len(steps) == history["steps"] and all(math.isfinite(r["loss_d"]) for r in steps)

# %% [markdown]
# ## Step 5: L1 model vs AMIGAN
# A GAN trades PSNR for realism: its texture is plausible, not exact, so PSNR and SSIM usually go
# *down* a little while perceptual scores (LPIPS, FID) improve. LPIPS needs pretrained AlexNet
# weights; without them `evaluate` says so instead of inventing a number.

# %%
gan_model = load_model(Path(config.out) / "last.pt", map_location=DEVICE)
test = build_dataset("synthetic", "test", limit=4 if is_smoke() else 100)
rows = {}
for name, net in (("bicubic", aminet.create_model("bicubic")), ("L1", init), ("AMIGAN", gan_model)):
    rows[name] = evaluate(
        net, test, batch_size=8, device=DEVICE, lpips=True, vif=False, progress=False
    )
print(f"{'':8s} {'PSNR-Y':>7s} {'SSIM-Y':>7s} {'LPIPS':>7s}")
for name, s in rows.items():
    lp = f"{s['lpips']:.4f}" if s["lpips"] is not None else "n/a"
    print(f"{name:8s} {s['psnr_y']:7.2f} {s['ssim_y']:7.4f} {lp:>7s}")
if rows["AMIGAN"]["lpips"] is None:
    print("LPIPS:", rows["AMIGAN"].get("lpips_note"))
if is_smoke():
    print("(smoke preset: untrained generator, 3 steps - the numbers check the pipeline only)")

items = [test[i] for i in range(3)]
x = torch.stack([it["input"] for it in items]).to(DEVICE)
with torch.no_grad():
    outs = [init.to(DEVICE)(x).clamp(0, 1).cpu(), gan_model(x).clamp(0, 1).cpu()]
fig, axes = plt.subplots(3, 4, figsize=(8, 6.3))
for r, it in enumerate(items):
    for ax, img, title in zip(
        axes[r], [it["input"], outs[0][r], outs[1][r], it["hr"]], ["bicubic", "L1", "AMIGAN", "HR"]
    ):
        ax.imshow(img.permute(1, 2, 0))
        ax.set_title(title if r == 0 else "")
        ax.axis("off")
plt.tight_layout()
plt.show()
assert all(math.isfinite(s["psnr_y"]) for s in rows.values())

# %% [markdown]
# ### On photographs
# The same three on the two public-domain face photos (`aminet.data.realfaces`, never trained
# on): a GAN trained on drawings invents drawing-like texture, which a photograph shows at once.

# %%
from aminet.data.realfaces import RealFaces

photos = RealFaces()
for name, net in (("bicubic", aminet.create_model("bicubic")), ("L1", init), ("AMIGAN", gan_model)):
    s = evaluate(net, photos, batch_size=2, device=DEVICE, vif=False, progress=False)
    print(f"{name:8s} PSNR-Y {s['psnr_y']:6.2f}  SSIM-Y {s['ssim_y']:.4f}  ({s['n']} photos)")
x = torch.stack([photos[i]["input"] for i in range(len(photos))]).to(DEVICE)
with torch.no_grad():
    outs = [init.to(DEVICE)(x).clamp(0, 1).cpu(), gan_model(x).clamp(0, 1).cpu()]
fig, axes = plt.subplots(len(photos), 4, figsize=(8, 2.1 * len(photos)), squeeze=False)
for r in range(len(photos)):
    it = photos[r]
    for ax, img, title in zip(
        axes[r],
        [it["input"], outs[0][r], outs[1][r], it["hr"]],
        ["bicubic", "L1", "AMIGAN", "photo"],
    ):
        ax.imshow(img.permute(1, 2, 0))
        ax.set_title(title if r == 0 else "")
        ax.axis("off")
plt.tight_layout()
plt.show()
assert outs[1].shape == (len(photos), 3, 128, 128)

# %% [markdown]
# ## Summary
# - D is a multi-scale PatchGAN: a real/fake logit per patch, at two scales.
# - Eq. 20 trains D (real -> 1, fake -> 0); eq. 21 trains G to make D say 1 (steep where D wins).
# - Eq. 22 keeps L1 dominant ($\lambda_{pix} = 1$) and adds small perceptual and adversarial terms;
#   without VGG19 weights the perceptual term is off, and every output says so.
# - Expect lower PSNR and more realistic texture; judge with LPIPS/FID and your eyes.
#
# Next: **09 · GPU benchmarking**: how fast is AMINet, measured honestly.
