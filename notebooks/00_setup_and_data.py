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
# # 00 · Setup and data: the x8 face super-resolution task
#
# **Open in Colab:** this copy of the course names no public GitHub repository, so there is no Colab link. In Colab use *File > Upload notebook* to open this file, then run the setup cell below: it says how to install the course package.
#
# **Measured time on a CPU:** 9 s for the solutions, every cell, `AMINET_PRESET=default` (2-core x86_64 CPU, load average 1.0; written by `aminet course release --execute`). No GPU time has been measured.
#
# **Goals.** After this notebook you can
# 1. state the task AMINet solves: a 16 x 16 face in, a 128 x 128 face out (x8),
# 2. write the degradation that makes the training pairs, and say why it must be *antialiased*,
# 3. load the built-in SynthFaces and a real face folder (CelebA, Helen, your own) through one API,
# 4. compute PSNR on the Y channel the way the field does, and score the bicubic baseline.
#
# Everything here runs on a CPU in a few seconds; nothing is downloaded.

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
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import torch
import torch.nn.functional as F
from PIL import Image

import aminet
from aminet.course import check, device, is_smoke, preset
from aminet.data import SynthFaces, build_dataset, degrade
from aminet.evaluation import evaluate
from aminet.metrics import psnr, ssim

torch.manual_seed(0)
print(
    f"aminet {aminet.__version__} | torch {torch.__version__} | device {device()} | preset {preset()}"
)
N_TEST = 16 if is_smoke() else 200  # test faces scored below (smoke: tiny, for the tests)


def show(images, titles, size=2.2):
    """Draw (3, H, W) images in [0, 1] side by side, without smoothing (pixels stay pixels)."""
    fig, axes = plt.subplots(1, len(images), figsize=(size * len(images), size + 0.4))
    for ax, img, title in zip(axes, images, titles):
        ax.imshow(img.permute(1, 2, 0).clamp(0, 1), interpolation="nearest")
        ax.set_title(title, fontsize=9)
        ax.axis("off")
    plt.show()


# %% [markdown]
# ## The task
#
# A surveillance camera sees a face 16 pixels wide. Face super-resolution (FSR) asks for the
# 128 x 128 face it came from: **x8** in each direction, so 63 of every 64 output pixels are not
# in the input. The network cannot *recover* them; it must *infer* them from what faces look like.
#
# The field (SPARNet, CTCNet, AMINet) builds training pairs from high-resolution (HR) faces:
#
# $$I_{LR} = \mathrm{Bicubic}_{\downarrow 8}(I_{HR}) \in [0,1]^{3\times16\times16}, \qquad
#   I_{in} = \mathrm{Bicubic}_{\uparrow 8}(I_{LR}) \in [0,1]^{3\times128\times128}, \qquad
#   I_{SR} = f_\theta(I_{in}) \approx I_{HR}$$
#
# **The paper** (Sec. IV-A) says only that the HR faces (center-cropped, 128 x 128) "are then
# downsampled to 16x16 pixels using bicubic interpolation". **Ours** (the formula above): the
# *antialiased* bicubic of PIL's `resize(BICUBIC)`, which SPARNet and CTCNet use for their pairs,
# and the network reads the bicubic enlargement $I_{in}$ rather than $I_{LR}$ itself.
# **The difference** matters: plain (aliased) bicubic gives other numbers (measured below).
# Why: [docs/data.md](../docs/data.md#the-degradation-x8-128---16---128) and
# [docs/architecture.md](../docs/architecture.md#the-choices-the-paper-leaves-open).
#
# Every model in `aminet` takes $I_{in}$ (already 128 x 128) and returns $I_{SR}$ of the same
# size, so a model only has to learn the *difference* between a blurry face and a sharp one.
# The *bicubic baseline* is $I_{SR} = I_{in}$: the score every model must beat.

# %% [markdown]
# ## Step 1: SynthFaces, the built-in data
# CelebA cannot be downloaded here (nor, often, in a classroom), so the course ships
# **SynthFaces**: procedural 128 x 128 faces drawn on the fly (18,000 train / 200 val / 1,000
# test, the paper's CelebA counts). Face `i` of a split is the same picture on every machine. Its
# fine detail (hair strands, eyelashes, iris stripes, skin texture) is exactly what x8 destroys.

# %%
train = SynthFaces("train")
print({split: len(SynthFaces(split)) for split in ("train", "val", "test")})
item = train[0]
print({k: (tuple(v.shape), v.dtype) if torch.is_tensor(v) else v for k, v in item.items()})
assert item["hr"].shape == (3, 128, 128) and item["lr"].shape == (3, 16, 16)
assert item["input"].shape == item["hr"].shape
assert 0 <= item["hr"].min() and item["hr"].max() <= 1
assert torch.equal(SynthFaces("train")[0]["hr"], item["hr"]), "the same index is the same face"

faces = [train[i]["hr"] for i in range(6)]
show(faces, [f"train #{i}" for i in range(6)])

# %% [markdown]
# ## Exercise 1: the degradation
# Write `degrade(hr, scale)`: shrink `hr` by `scale` with **antialiased** bicubic
# (`F.interpolate(..., mode="bicubic", align_corners=False, antialias=True)`), clamp to [0, 1]
# (bicubic overshoots at sharp edges), then enlarge the result back to the original size the same
# way and clamp again. Return `(lr, lr_up)`. It must work on a batch (N, 3, H, W) and on a single
# image (3, H, W) (add a batch axis with `[None]`, remove it with `[0]`).


# %%
def degrade_ex(hr, scale):
    """(N, 3, H, W) or (3, H, W) in [0, 1] -> (lr, lr_up), lr of size H/scale x W/scale."""
    # YOUR CODE HERE
    raise NotImplementedError()


# %%
degrade_ex = check("data.degrade", degrade_ex)

# %% [markdown]
# Your function against the package's `aminet.data.degrade` on a SynthFaces face (drawn, not
# photographed), and what the network
# sees: the 16 x 16 face (drawn with big pixels), its bicubic enlargement, and the truth.

# %%
hr = train[1]["hr"]
lr, lr_up = degrade_ex(hr, 8)
lr_pkg, lr_up_pkg = degrade(hr, 8)
assert lr.shape == (3, 16, 16) and lr_up.shape == (3, 128, 128)
assert torch.allclose(lr, lr_pkg, atol=1e-6) and torch.allclose(lr_up, lr_up_pkg, atol=1e-6)
show([lr, lr_up, hr], ["LR 16x16 (network never sees it)", "input = bicubic x8", "HR (target)"], 3)

# %% [markdown]
# ### Why antialiased?
# Shrinking by 8 without a low-pass filter keeps one pixel in 8 and *aliases*: fine stripes turn
# into false coarse patterns. PIL and MATLAB (which made the field's LR faces) filter first; plain
# `F.interpolate(mode="bicubic")` and OpenCV's `INTER_CUBIC` do not. Training and testing on the
# wrong one silently changes the benchmark, as the numbers below show.

# %%
stripes = torch.linspace(0, 40 * torch.pi, 128).sin().mul(0.5).add(0.5)
pattern = stripes.view(1, 1, 128).expand(3, 128, 128)
aliased = F.interpolate(pattern[None], size=16, mode="bicubic", align_corners=False)[0]
filtered = degrade_ex(pattern, 8)[0]
show([pattern, aliased.clamp(0, 1), filtered], ["20 stripes", "no antialias", "antialiased"])
print(
    f"std of the LR stripes: aliased {aliased.std():.3f} (false pattern), filtered {filtered.std():.3f}"
)
assert filtered.std() < aliased.std(), "the filter removes detail the 16 px grid cannot hold"

batch = torch.stack([train[i]["hr"] for i in range(8)])
up_no_aa = F.interpolate(
    F.interpolate(batch, size=16, mode="bicubic", align_corners=False).clamp(0, 1),
    size=128,
    mode="bicubic",
    align_corners=False,
).clamp(0, 1)
p_aa, p_no = psnr(degrade_ex(batch, 8)[1], batch).mean(), psnr(up_no_aa, batch).mean()
print(
    f"bicubic baseline PSNR-Y on 8 faces: antialiased {p_aa:.2f} dB, not antialiased {p_no:.2f} dB"
)
assert p_aa > p_no

# %% [markdown]
# ## Step 2: real datasets, through the same API
# `build_dataset(spec, split)` gives the same items for every source:
#
# | spec | what | where the files go |
# |---|---|---|
# | `synthetic` | SynthFaces (built in) | nothing to download |
# | `celeba:DIR` | CelebA, the paper's 18,000 train / 1,000 test faces | `DIR/img_align_celeba/` + `DIR/list_eval_partition.txt`, or Kaggle's copy as downloaded (step 5) |
# | `folder:DIR` | any HR faces (Helen, SCface, yours) | `DIR/<split>/*.png`, or images directly in `DIR` |
# | `lr:DIR` | LR faces to upscale (no ground truth) | images in `DIR` |
#
# Faces that are not 128 x 128 are centre-cropped and shrunk (never enlarged: a blown-up
# "ground truth" would be a lie). Here we write four SynthFaces to a folder and read them back as
# a real dataset would be read. Without CelebA, asking for it gives a message saying what to put
# where.

# %%
folder = Path(tempfile.mkdtemp()) / "my_faces"
(folder / "test").mkdir(parents=True)
for i in range(4):
    Image.fromarray(SynthFaces("test").image(i)).save(folder / "test" / f"face_{i}.png")
real = build_dataset(f"folder:{folder}", "test")
print(len(real), "faces from", folder, "->", real[0]["name"], tuple(real[0]["input"].shape))
assert len(real) == 4 and real[0]["hr"].shape == (3, 128, 128)
assert torch.allclose(real[0]["hr"], SynthFaces("test")[0]["hr"], atol=1 / 255)

no_celeba = Path(tempfile.mkdtemp())  # an empty folder where CelebA should be
try:
    build_dataset(f"celeba:{no_celeba}", "test")
except FileNotFoundError as err:
    print("without CelebA:", err)

# %% [markdown]
# ## Step 3: measuring quality on the Y channel
# PSNR (peak signal-to-noise ratio) compares two images through their mean squared error:
#
# $$\mathrm{PSNR} = 10 \log_{10} \frac{255^2}{\mathrm{MSE}(Y_{SR}, Y_{HR})} \;\text{dB}, \qquad
#   Y = 16 + 65.481\,R + 128.553\,G + 24.966\,B \quad (R, G, B \in [0, 1])$$
#
# The field measures it on **Y**, the luma of MATLAB's `rgb2ycbcr` (on a 0-255 scale, from 16 to
# 235), because the eye judges sharpness by brightness. The same pair scores *lower* on RGB (Step 4
# measures by how much for bicubic on SynthFaces; the gap depends on the images), so a table must say
# which one it shows. +1 dB means the MSE fell by 21 %.
#
# ## Exercise 2: MATLAB's luma
# `rgb_to_y(img)`: (N, 3, H, W) RGB in [0, 1] -> (N, 1, H, W) Y with the formula above.


# %%
def rgb_to_y(img):
    """(N, 3, H, W) RGB in [0, 1] -> (N, 1, H, W) luma Y in [16, 235]."""
    # YOUR CODE HERE
    raise NotImplementedError()


# %%
rgb_to_y = check("metrics.rgb_to_y", rgb_to_y)

# %%
y = rgb_to_y(batch)
print(f"Y of 8 faces: shape {tuple(y.shape)}, range {y.min():.1f} .. {y.max():.1f}")
assert y.shape == (8, 1, 128, 128) and 16 - 1e-3 <= y.min() and y.max() <= 235 + 1e-3
show([batch[0], y[0].expand(3, -1, -1).sub(16).div(219)], ["RGB", "Y (what PSNR-Y sees)"])


# %% [markdown]
# ## Exercise 3: PSNR on Y, one value per image
# `psnr_y(sr, hr)`: the Y of both images, the MSE of **each image** (mean over its pixels, not over
# the whole batch), then $10 \log_{10}(255^2 / \mathrm{MSE})$. Returns a tensor of N values.


# %%
def psnr_y(sr, hr):
    """(N, 3, H, W) pairs in [0, 1] -> (N,) PSNR in dB on the Y channel (peak 255)."""
    # YOUR CODE HERE
    raise NotImplementedError()


# %%
psnr_y = check("metrics.psnr_y", psnr_y)

# %%
lr_up_batch = degrade_ex(batch, 8)[1]
ours, package = psnr_y(lr_up_batch, batch), psnr(lr_up_batch, batch)
print("your PSNR-Y :", [f"{v:.2f}" for v in ours.tolist()])
print("aminet.psnr :", [f"{v:.2f}" for v in package.tolist()])
assert torch.allclose(ours.float(), package, atol=0.01)

# %% [markdown]
# ## Step 4: the bicubic baseline
# `aminet.evaluation.evaluate(model, dataset)` runs a model over a dataset and averages PSNR and
# SSIM on Y and on RGB, and VIF-p (per image, then the mean and standard deviation). The
# registered model `bicubic` returns its input: it is the baseline.

# %%
bicubic = aminet.create_model("bicubic")
test = build_dataset("synthetic", "test", limit=N_TEST)
scores = evaluate(bicubic, test, batch_size=8, progress=False)
print(f"bicubic on {scores['n']} SynthFaces test faces:")
for key in ("psnr_y", "ssim_y", "psnr_rgb", "ssim_rgb", "vif"):
    print(f"  {key:9s} {scores[key]:7.4f} +- {scores[key + '_std']:.4f}")
print("the paper's bicubic on CelebA: PSNR-Y 23.61, SSIM 0.6779 (Table VII)")
assert scores["n"] == N_TEST
assert scores["psnr_rgb"] < scores["psnr_y"], "RGB PSNR is lower than Y PSNR on the same pairs"
assert 15 < scores["psnr_y"] < 40 and 0 < scores["ssim_y"] < 1

# %%
gap = scores["psnr_y"] - scores["psnr_rgb"]
print(f"on these {scores['n']} bicubic pairs, PSNR on RGB is {gap:.2f} dB lower than PSNR-Y")

# %% [markdown]
# SynthFaces are smoother than photographs, so bicubic scores higher on them than on CelebA: compare
# numbers only on the same data. One number hides a spread: some faces are much harder than others.

# %%
pairs = [test[i] for i in range(len(test))]
inputs, targets = torch.stack([p["input"] for p in pairs]), torch.stack([p["hr"] for p in pairs])
per_face = psnr(inputs, targets)
ssim_face = ssim(inputs, targets)
assert abs(per_face.mean().item() - scores["psnr_y"]) < 0.05, "evaluate() averages per-face PSNR"
hardest, easiest = per_face.argmin().item(), per_face.argmax().item()

fig, ax = plt.subplots(figsize=(5, 3))
ax.hist(per_face.numpy(), bins=12)
ax.set(xlabel="bicubic PSNR-Y per face (dB)", ylabel="faces", title=f"{len(test)} test faces")
plt.show()
show(
    [targets[hardest], inputs[hardest], targets[easiest], inputs[easiest]],
    [
        "hardest: HR",
        f"bicubic {per_face[hardest]:.1f} dB",
        "easiest: HR",
        f"bicubic {per_face[easiest]:.1f} dB",
    ],
)

# %% [markdown]
# ## Step 5: a photograph beside SynthFaces
# A SynthFace is a drawing, not a photograph. Two public-domain face photos ship with packages
# already installed: Grace Hopper (U.S. Navy; matplotlib) and the astronaut Eileen Collins (NASA;
# scikit-image). `aminet.data.realfaces` crops them in the training framing: five landmarks
# (eyes, nose, mouth corners) stored in the package, a similarity transform onto CelebA's aligned
# template, 128 x 128. They are for measuring only, never for training.
#
# What differs, measured: bicubic's PSNR-Y, and how much of each image's energy lies at
# frequencies a 16 x 16 image cannot hold (above its Nyquist limit, 8 cycles per image width).

# %%
from aminet.data.realfaces import RealFaces

photos = RealFaces()  # both photos when scikit-image is installed, else Grace Hopper alone
synth = SynthFaces("test", size=len(photos))


def high_frequency_share(img):
    """Fraction of the Y channel's spectral energy (mean removed) above 8 cycles per image."""
    y = rgb_to_y(img[None])[0, 0]
    power = torch.fft.fftshift(torch.fft.fft2(y - y.mean())).abs().pow(2)
    n = y.shape[-1]
    f = torch.arange(n) - n // 2
    radius = (f[None, :] ** 2 + f[:, None] ** 2).sqrt()
    return (power[radius > 8].sum() / power.sum()).item()


rows = []
for dataset, kind in ((photos, "photo"), (synth, "SynthFace")):
    for i in range(len(dataset)):
        it = dataset[i]
        rows.append(
            (
                kind,
                it["name"],
                psnr(it["input"][None], it["hr"][None]).item(),
                high_frequency_share(it["hr"]),
            )
        )
print(f"{'':10s} {'face':22s} {'bicubic PSNR-Y':>15s} {'energy above 8 c/img':>21s}")
for kind, name, p, hf in rows:
    print(f"{kind:10s} {name:22s} {p:12.2f} dB {hf:20.1%}")
photo_psnr = sum(r[2] for r in rows if r[0] == "photo") / len(photos)
synth_psnr = sum(r[2] for r in rows if r[0] == "SynthFace") / len(synth)
print(f"mean bicubic PSNR-Y: photos {photo_psnr:.2f} dB, SynthFaces {synth_psnr:.2f} dB")
show(
    [photos[0]["hr"], photos[0]["input"], synth[0]["hr"], synth[0]["input"]],
    ["photo (HR)", "photo: bicubic x8", "SynthFace (HR)", "SynthFace: bicubic x8"],
)
assert photo_psnr < synth_psnr, "photographs lose more to x8 than the drawings"

# %% [markdown]
# Photographs carry film grain, skin texture and busy backgrounds that bicubic cannot restore and
# that SynthFaces draw only partly: a model trained on SynthFaces alone must be judged on
# photographs too (`aminet demo` reports both), and trained on real faces (CelebA, below) for real
# use.
#
# ### CelebA on Colab
# The paper trains on CelebA (18,000 train / 1,000 test faces of 128 x 128). On Colab the
# reliable route is Kaggle's copy (`jessicali9530/celeba-dataset`, 1.4 GB), through `kagglehub`:
#
# 1. sign in at kaggle.com, open *Settings -> API -> Create New Token*: it downloads `kaggle.json`
#    holding your user name and key;
# 2. in Colab, open the key icon (*Secrets*) and add `KAGGLE_USERNAME` and `KAGGLE_KEY` with those
#    two values, and let this notebook read them (or upload `kaggle.json` to `~/.kaggle/`);
# 3. set `GET_CELEBA = True` below and run the cell.
#
# If Kaggle fails (no token, quota), the cell falls back to the Hugging Face mirror
# `flwrlabs/celeba` (no account needed) and exports the needed images to a folder.
# `torchvision.datasets.CelebA(download=True)` is not used: its Google Drive download often fails
# (quota, "too many users"). The cell then crops the faces the paper's way
# (`aminet prepare-celeba`, the aligned protocol; docs/data.md compares it with SPARNet's) and
# prints bicubic's PSNR-Y on the prepared test split beside the paper's 23.61 dB. Offline, in the
# tests, or with `GET_CELEBA = False` it does nothing.

# %%
GET_CELEBA = False  # Colab: set True to download (1.4 GB) and prepare CelebA, about 10 minutes
CELEBA_DIR = Path("/content/celeba_128")

if GET_CELEBA and "google.colab" in sys.modules and not is_smoke():
    import os
    import subprocess

    from aminet.data.prepare import download_celeba, prepare_celeba

    try:  # Colab secrets -> the environment variables kagglehub reads
        from google.colab import userdata

        for key in ("KAGGLE_USERNAME", "KAGGLE_KEY"):
            os.environ.setdefault(key, userdata.get(key))
    except Exception as err:
        print("no Kaggle secrets (", err, "): kagglehub may ask, or the fallback is used")
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "kagglehub", "datasets"], check=True
    )
    raw = download_celeba("/content/celeba_raw")
    if not (CELEBA_DIR / "test").is_dir():
        summary = prepare_celeba(raw, CELEBA_DIR)
        print(
            f"bicubic PSNR-Y on the prepared test split: {summary['bicubic_psnr_y_test']:.2f} dB "
            "(the paper: 23.61 dB)"
        )
    celeba_test = build_dataset(f"celeba:{CELEBA_DIR}", "test")
    print(len(celeba_test), "CelebA test faces ready: use --data celeba:" + str(CELEBA_DIR))
else:
    print("CelebA not fetched (set GET_CELEBA = True on Colab); the course runs on SynthFaces")

# %% [markdown]
# ## Summary
# - The task: 16 x 16 -> 128 x 128. Models take the bicubic enlargement and return a face of the
#   same size.
# - The degradation is antialiased bicubic (PIL/MATLAB); plain bicubic changes every number.
# - `build_dataset("synthetic" | "celeba:DIR" | "folder:DIR", split)` gives the same items.
# - PSNR and SSIM on Y (MATLAB's luma, peak 255), per image, then averaged; always say Y or RGB.
# - Photographs are harder than SynthFaces for bicubic (and for models trained on drawings):
#   measure on both. CelebA on Colab: Kaggle through kagglehub, then `prepare_celeba`.
# - Bicubic is the floor. Next: **01 · SA**, the first building block of AMINet.
