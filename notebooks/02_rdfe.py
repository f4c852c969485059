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
# # 02 · Local detail at three scales: RDFE
#
# **Open in Colab:** this copy of the course names no public GitHub repository, so there is no Colab link. In Colab use *File > Upload notebook* to open this file, then run the setup cell below: it says how to install the course package.
#
# **Measured time on a CPU:** 6 s for the solutions, every cell, `AMINET_PRESET=default` (2-core x86_64 CPU, load average 1.1; written by `aminet course release --execute`). No GPU time has been measured.
#
# **Goals.** After this notebook you can
# 1. build the depthwise convolutions RDFE uses and say what they cost,
# 2. compute the attention unit's (AU) branch weights and read them per channel,
# 3. write RDFE's forward pass (paper eqs. 6-10) and see the FRM's hourglass attention map.
#
# The modules are untrained: the pictures show what they compute, not what they learned.

# %% [markdown]
# ## Setup
# On Colab the next cell installs the course package; elsewhere it does nothing.

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
import matplotlib.pyplot as plt
import torch
import torch.nn.functional as F

import aminet
from aminet.complexity import count_params
from aminet.course import check, device, is_smoke, preset
from aminet.course.explorer import sample_faces
from aminet.modules import RDFE

torch.manual_seed(0)
print(
    f"aminet {aminet.__version__} | torch {torch.__version__} | device {device()} | preset {preset()}"
)
print("The module notebooks use small tensors, so they run on the CPU.")

# %% [markdown]
# ## The idea
#
# SA (notebook 01) sees the whole image but mixes channels only. Faces also need *local* detail:
# the edge of an eyelid, the corner of a mouth. RDFE (Residual Depth Feature Extraction) looks at
# each channel through three windows at once, 3x3, 5x5 and 7x7, and lets an attention unit decide,
# channel by channel, which window matters:
#
# **The paper** (eqs. 6-10, Fig. 3a):
#
# $$f_1, f_2, f_3 = F_{dw3}(X),\ F_{dw5}(X),\ F_{dw7}(X) \qquad \text{(eq. 6)}$$
# $$f' = F_{au}\big(H_{cat}(f_1, f_2, f_3)\big) \qquad \text{(eq. 7)}$$
# $$f_i' = f_i(X) \cdot f' \qquad \text{(eq. 8)}$$
# $$f'' = H_{cat}\big(F_{conv1}(f_1', f_2', f_3')\big) + X, \qquad f''' = F_{frm}(f'') \qquad \text{(eqs. 9-10)}$$
#
# **Ours** (`aminet.modules.RDFE`):
#
# $$f_1, f_2, f_3 = \mathrm{GELU}(\mathrm{DW}_3 X),\ \mathrm{GELU}(\mathrm{DW}_5 X),\ \mathrm{GELU}(\mathrm{DW}_7 X) \qquad \text{(eq. 6)}$$
# $$a = \mathrm{AU}([f_1, f_2, f_3]),\quad \textstyle\sum_i a_{i,c} = 1 \text{ for every channel } c \qquad \text{(eq. 7)}$$
# $$f_i' = \mathrm{DW}_{k_i}(f_i \cdot a_i) \qquad \text{(eq. 8)}$$
# $$f'' = \mathrm{Conv}_{1\times1}([f_1', f_2', f_3']) + X, \qquad \mathrm{RDFE}(X) = \mathrm{FRM}(f'') \qquad \text{(eqs. 9-10)}$$
#
# **The differences, all ours:** the **GELU** after the first depthwise convs (eq. 6 has none;
# Restormer's GDFN non-linearity); the **second depthwise convs** $\mathrm{DW}_{k_i}$ after the
# weighting (eq. 8 has none; the paper's text says "we apply depthwise convolutions with kernel
# sizes of 3x3, 5x5, and 7x7", which we read as a refinement after the weighting); the AU's
# insides (SKNet-style: pooling, squeeze, excite, a softmax so the branches compete per channel);
# eq. 9's conv as one 1x1 on the concatenation (equal to one per branch summed); and the FRM's
# layers (SPARNet's block). Why each: [docs/architecture.md](../docs/architecture.md#the-choices-the-paper-leaves-open).
#
# "DW" is a *depthwise* convolution: every channel gets its own small filter and channels never mix,
# which is what keeps three large kernels cheap.

# %% [markdown]
# ## The module at a glance
# Blue: as the paper states it. Hatched orange: our choices (the GELU, the second depthwise convs,
# the AU's and the FRM's insides). Shapes for C = 26 at 32 x 32.

# %%
from aminet.course import diagrams

diagrams.draw_rdfe(channels=26, size=32)

# %% [markdown]
# ## Step 1: features of a face
# As in notebook 01, a random 3x3 conv lifts a face to C = 8 channels.

# %%
SIZE = 32 if is_smoke() else 64
C = 8
face = sample_faces(1, size=SIZE)[0]
head = torch.nn.Conv2d(3, C, 3, padding=1)
with torch.no_grad():
    x = head(face["hr"][None])
print("features:", tuple(x.shape), "from a", face["source"], "face")
assert x.shape == (1, C, SIZE, SIZE)


# %% [markdown]
# ## Exercise 1: a depthwise convolution
# Build an `nn.Conv2d` that gives each of the `channels` channels its own k x k filter
# (`groups=channels`) and keeps H and W unchanged (padding k // 2).


# %%
def depthwise_conv(channels, kernel_size):
    """A depthwise kernel_size x kernel_size convolution with 'same' padding."""
    # YOUR CODE HERE
    raise NotImplementedError()


# %%
depthwise_conv = check("rdfe.depthwise_conv", depthwise_conv)

# %% [markdown]
# What does "depthwise" save? A dense k x k conv on C channels has k*k*C*C weights; a depthwise one
# k*k*C. And how far does each branch see? Feed an impulse (one bright pixel) and look at where the
# output is non-zero: a k x k square, the branch's receptive field.

# %%
impulse = torch.zeros(1, C, 15, 15)
impulse[:, :, 7, 7] = 1.0
fig, axes = plt.subplots(1, 3, figsize=(9, 3))
for ax, k in zip(axes, (3, 5, 7)):
    conv = depthwise_conv(C, k)
    dense = torch.nn.Conv2d(C, C, k, padding=k // 2)
    with torch.no_grad():
        response = conv(impulse) - conv.bias.view(1, -1, 1, 1)
    footprint = (response[0, 0].abs() > 0).sum(dim=0).max().item()
    print(
        f"{k}x{k}: depthwise {count_params(conv):5d} params vs dense {count_params(dense):5d}; sees {footprint} pixels across"
    )
    assert footprint == k
    assert count_params(conv) == k * k * C + C
    ax.imshow(response[0, 0], cmap="coolwarm")
    ax.set_title(f"{k}x{k} impulse response")
    ax.axis("off")
plt.show()

# %% [markdown]
# ## Step 2: the three branches (eq. 6)
# We take the branches of a real `RDFE` module (small FRM hourglass for speed) so that our code and
# the library share the same weights.

# %%
rdfe = RDFE(C, hourglass_depth=3, hourglass_channels=8).eval()
with torch.no_grad():
    feats = [F.gelu(conv(x)) for conv in rdfe.extract]
for k, f in zip(rdfe.kernel_sizes, feats):
    print(f"branch {k}x{k}:", tuple(f.shape))
    assert f.shape == x.shape

fig, axes = plt.subplots(1, 3, figsize=(9, 3))
for ax, k, f in zip(axes, rdfe.kernel_sizes, feats):
    ax.imshow(f[0, 0], cmap="magma")
    ax.set_title(f"channel 0 after the {k}x{k} branch")
    ax.axis("off")
plt.show()


# %% [markdown]
# ## Exercise 2: the attention unit's weights (eq. 7)
# Average-pool the concatenated branches (N, kC, H, W) to one number per channel, squeeze (1x1
# conv), ReLU, excite (1x1 conv) back to kC numbers, reshape to (N, k, C, 1, 1) and take a softmax
# over the branch axis (dim=1): for every channel the k branches share a weight of 1.


# %%
def au_weights(concat, squeeze, excite, branches):
    """concat: (N, k*C, H, W) -> weights (N, k, C, 1, 1), summing to 1 over the k branches."""
    # YOUR CODE HERE
    raise NotImplementedError()


# %%
au_weights = check("rdfe.au_weights", au_weights)

# %%
with torch.no_grad():
    weights = au_weights(torch.cat(feats, dim=1), rdfe.au.squeeze, rdfe.au.excite, 3)
assert weights.shape == (1, 3, C, 1, 1)
assert torch.allclose(weights.sum(dim=1), torch.ones(1, C, 1, 1), atol=1e-5)

w = weights[0, :, :, 0, 0]  # (branches, channels)
bottom = torch.zeros(C)
plt.figure(figsize=(6, 3))
for i, k in enumerate(rdfe.kernel_sizes):
    plt.bar(range(C), w[i], bottom=bottom, label=f"{k}x{k}")
    bottom += w[i]
plt.xlabel("channel")
plt.ylabel("AU weight")
plt.title("AU: each channel splits its weight over the 3 branches")
plt.legend(loc="upper left", bbox_to_anchor=(1, 1))
plt.show()


# %% [markdown]
# Untrained, the weights hover near 1/3. Training moves them: a channel that tracks fine texture
# will lean on the 3x3 branch, one that tracks the face's outline on the 7x7.

# %% [markdown]
# ## Exercise 2b: the attention unit as a module
# Wrap your `au_weights` into the module RDFE uses. `__init__` makes the two 1x1 convs, named as
# in aminet's `AttentionUnit`: `squeeze` (kC -> hidden) and `excite` (hidden -> kC), both with a
# bias, where hidden = max(kC // reduction, 8); `forward(concat)` returns the weights. The check
# loads aminet's weights into yours and compares outputs and gradients.


# %%
class AU(torch.nn.Module):
    """AU (eq. 7): per-channel softmax weights over ``branches`` branches."""

    def __init__(self, channels, branches=3, reduction=4):
        super().__init__()
        self.channels, self.branches = channels, branches
        # YOUR CODE HERE
        raise NotImplementedError()

    def forward(self, concat):
        # YOUR CODE HERE
        raise NotImplementedError()


# %%
AU = check("rdfe.attention_unit", AU)

# %%
au = AU(C, branches=3)
print("AU parameters:", count_params(au), "| in aminet's RDFE:", count_params(rdfe.au))
assert count_params(au) == count_params(rdfe.au)
with torch.no_grad():
    w = au(torch.cat(feats, dim=1))
assert w.shape == (1, 3, C, 1, 1) and torch.allclose(w.sum(dim=1), torch.ones(1, C, 1, 1))

# %% [markdown]
# ## Exercise 3: RDFE from its layers (eqs. 6-10)
# Use `rdfe.extract` (with GELU), `rdfe.au` (it computes your exercise-2 weights), multiply branch
# `i` by `w[:, i]`, `rdfe.refine`, `rdfe.fuse` on the concatenation, **add the input** (eq. 9), and
# finish with `rdfe.frm`.


# %%
def rdfe_forward(x, rdfe):
    """RDFE.forward written out with the module's layers."""
    # YOUR CODE HERE
    raise NotImplementedError()


# %%
rdfe_forward = check("rdfe.forward", rdfe_forward)

# %%
with torch.no_grad():
    ours, theirs = rdfe_forward(x, rdfe), rdfe(x)
print("max |ours - aminet's RDFE|:", (ours - theirs).abs().max().item())
assert torch.allclose(ours, theirs, atol=1e-5)

# %% [markdown]
# ## Exercise 3b: RDFE as a module
# Now the whole block, layers included. `__init__` creates, named as in aminet's `RDFE` so its
# weights load into yours: `extract` and `refine`, each an `nn.ModuleList` with one depthwise
# conv per kernel size (with bias, `padding=k // 2` to keep the size, `groups=channels`); `au`,
# your `AU` over `len(kernel_sizes)` branches; `fuse`, a 1x1 conv from `len(kernel_sizes) *
# channels` to `channels`; and `frm`, aminet's `FRM(channels, hourglass_depth,
# hourglass_channels)` (its inside is Step 3). `forward` is your `rdfe_forward`, written with
# `self`. The check loads aminet's weights into yours and compares outputs and gradients, with
# two branches as well as three.

# %%
from aminet.modules import FRM


# %%
class RDFEModule(torch.nn.Module):
    """RDFE (eqs. 6-10): depthwise branches weighted by the AU, refined, fused, plus x, then FRM."""

    def __init__(self, channels, kernel_sizes=(3, 5, 7), hourglass_depth=4, hourglass_channels=48):
        super().__init__()

        # YOUR CODE HERE
        raise NotImplementedError()

    def forward(self, x):
        # YOUR CODE HERE
        raise NotImplementedError()


# %%
RDFEModule = check("rdfe.module", RDFEModule)

# %%
mine = RDFEModule(C, hourglass_depth=3, hourglass_channels=8).eval()  # FRM has BatchNorm
mine.load_state_dict(rdfe.state_dict())
with torch.no_grad():
    gap = (mine(x) - rdfe(x)).abs().max().item()
print(
    "parameters: yours",
    count_params(mine),
    "| aminet's",
    count_params(rdfe),
    f"| max gap {gap:.1e}",
)
assert count_params(mine) == count_params(rdfe) and gap < 1e-5

# %% [markdown]
# ## Step 3: the FRM and its hourglass map (eq. 10)
# The Feature Refinement Module refines with two 3x3 convs, then an **hourglass** (a small
# encoder-decoder) produces one map in (0, 1) that says *where* the refinement is kept:
# $\mathrm{FRM}(f) = f + y \cdot \sigma(\mathrm{HG}(y))$ with $y$ = the refined features.

# %%
with torch.no_grad():
    feats = [F.gelu(conv(x)) for conv in rdfe.extract]
    w = rdfe.au(torch.cat(feats, dim=1))
    f2 = (
        rdfe.fuse(
            torch.cat([conv(f * w[:, i]) for i, (conv, f) in enumerate(zip(rdfe.refine, feats))], 1)
        )
        + x
    )
    y = rdfe.frm.body(f2)
    hourglass_map = rdfe.frm.hourglass(y)
print(
    "hourglass map:",
    tuple(hourglass_map.shape),
    f"values in [{hourglass_map.min():.3f}, {hourglass_map.max():.3f}]",
)
assert hourglass_map.shape == (1, 1, SIZE, SIZE)
assert 0 < hourglass_map.min() and hourglass_map.max() < 1

fig, axes = plt.subplots(1, 2, figsize=(6, 3))
axes[0].imshow(face["hr"].permute(1, 2, 0))
axes[0].set_title("input face")
im = axes[1].imshow(hourglass_map[0, 0], cmap="viridis")
axes[1].set_title("FRM hourglass map")
fig.colorbar(im, ax=axes[1])
for ax in axes:
    ax.axis("off")
plt.show()

# %% [markdown]
# ## Where the parameters are
# RDFE's multiscale part is cheap; the FRM (dense 3x3 convs and the hourglass) holds most of the
# weights. At AMINet's first-stage width (C = 26, hourglass of 48 channels) the split is:

# %%
full = RDFE(26, hourglass_depth=5, hourglass_channels=48)
parts = {
    "extract (3 depthwise)": full.extract,
    "AU": full.au,
    "refine (3 depthwise)": full.refine,
    "fuse (1x1)": full.fuse,
    "FRM": full.frm,
}
for name, part in parts.items():
    print(f"{name:22s} {count_params(part):8,d}")
print(f"{'RDFE total':22s} {count_params(full):8,d}")
assert sum(count_params(p) for p in parts.values()) == count_params(full)

# %% [markdown]
# ## Summary
# - Depthwise convs give RDFE three receptive fields (3, 5, 7 pixels) for k*k*C weights each.
# - The AU splits each channel's attention over the branches (softmax over branches, not channels).
# - A residual (eq. 9) keeps the input; the FRM's hourglass map decides where refinement is kept.
#
# Next: **03 · SKAF**, which decides per pixel between SA's global and RDFE's local features.
