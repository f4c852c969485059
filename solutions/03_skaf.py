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
# # 03 · Choosing per pixel: SKAF
#
# **Open in Colab:** this copy of the course names no public GitHub repository, so there is no Colab link. In Colab use *File > Upload notebook* to open this file, then run the setup cell below: it says how to install the course package.
#
# **Measured time on a CPU:** 4 s for the solutions, every cell, `AMINET_PRESET=default` (2-core x86_64 CPU, load average 1.1; written by `aminet course release --execute`). No GPU time has been measured.
#
# **Goals.** After this notebook you can
# 1. compute SKAF's channel-pooled descriptor (average and max along the channels),
# 2. write SKAF's forward pass (paper eqs. 11-14) and show its two selection maps as heat maps,
# 3. say why the maps use a sigmoid, not a softmax, and what each part costs.
#
# The modules are untrained: the maps show the mechanism, not learned choices.

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

import aminet
from aminet.complexity import count_params
from aminet.course import check, device, is_smoke, preset
from aminet.course.explorer import sample_faces
from aminet.modules import RDFE, SKAF, SelfAttention

torch.manual_seed(0)
print(
    f"aminet {aminet.__version__} | torch {torch.__version__} | device {device()} | preset {preset()}"
)
print("The module notebooks use small tensors, so they run on the CPU.")

# %% [markdown]
# ## The idea
#
# LGFI has two opinions about every pixel: SA's global feature $g$ and RDFE's local feature $l$.
# Rather than adding them blindly, SKAF (Selective Kernel Attention Fusion) computes, **for every
# pixel**, how much of each to keep. It looks at the mix $X = g + l$ through two receptive fields,
# summarises the channels by their average and maximum, and turns that into two maps:
#
# **The paper** (eqs. 11-14):
#
# $$X_1', X_2' = F_{conv5}(X),\ F_{conv7}(X) \qquad \text{(eq. 11)}$$
# $$X_3 = H_{cat}(X_1', X_2') \qquad \text{(eq. 12)}$$
# $$X_3 = H_{sig}\big(H_{cat}(H_{avep}(X_3),\ H_{maxp}(X_3))\big) \qquad \text{(eq. 13)}$$
# $$X', X'' = H_{cs}(X_3) \qquad \text{(eq. 14)}$$
#
# **Ours** (`aminet.modules.SKAF`):
#
# $$X_3 = [\mathrm{Conv}_{5\times5}(X),\ \mathrm{Conv}_{7\times7}(X)] \qquad \text{(eqs. 11-12; dense, } C \to C/2 \text{ each)}$$
# $$W = \sigma\big(\mathrm{Conv}_{7\times7}([\mathrm{avg}_c X_3,\ \max_c X_3])\big) \in (0,1)^{2\times H\times W} \qquad \text{(eq. 13)}$$
# $$w_g, w_l = W_{[0]}, W_{[1]}, \qquad \text{fused} = g \cdot w_g + l \cdot w_l \qquad \text{(eq. 14)}$$
#
# **The differences, ours:** the **7x7 convolution** (2 -> 2 channels) between the pooling and the
# sigmoid in eq. 13 is not in the paper; without it one map would always be the channel mean and
# the other the channel max (LSKNet, which the paper cites, has it). The 5x5 and 7x7 convs being
# **dense** and C -> C/2 each is also our reading (the paper does not say; its Table I only fits
# dense kernels, see the parameter count at the end). In LGFI, X is the sum g + l of the two
# branches (ours too). Why each: [docs/architecture.md](../docs/architecture.md#the-choices-the-paper-leaves-open).
#
# Each map is one number per pixel, shared by all channels: a *spatial* selection.

# %% [markdown]
# ## The module at a glance
# Blue: as the paper states it. Hatched orange: our choices. Shapes for C = 26 at 32 x 32.

# %%
from aminet.course import diagrams

diagrams.draw_skaf(channels=26, size=32)

# %% [markdown]
# ## Step 1: a global and a local feature of the same face

# %%
SIZE = 32 if is_smoke() else 64
C = 8
face = sample_faces(1, size=SIZE)[0]
head = torch.nn.Conv2d(3, C, 3, padding=1)
sa = SelfAttention(C, num_heads=2).eval()
rdfe = RDFE(C, hourglass_depth=3, hourglass_channels=8).eval()
with torch.no_grad():
    x = head(face["hr"][None])
    g, loc = sa(x), rdfe(x)
print("global g:", tuple(g.shape), "| local l:", tuple(loc.shape))
assert g.shape == loc.shape == x.shape

fig, axes = plt.subplots(1, 3, figsize=(9, 3))
for ax, img, title in zip(
    axes,
    (face["hr"].permute(1, 2, 0), g[0].abs().mean(0), loc[0].abs().mean(0)),
    ("face", "|g| (SA)", "|l| (RDFE)"),
):
    ax.imshow(img, cmap="magma")
    ax.set_title(title)
    ax.axis("off")
plt.show()


# %% [markdown]
# ## Exercise 1: pool along the channels
# Eq. 13 summarises X3 (N, C, H, W) at every pixel by the mean and the max over its channels.
# Return them stacked as (N, 2, H, W), **mean first**.


# %%
def channel_pool(x3):
    """(N, C, H, W) -> (N, 2, H, W): [mean over channels, max over channels]."""
    ### BEGIN SOLUTION
    return torch.cat([x3.mean(dim=1, keepdim=True), x3.amax(dim=1, keepdim=True)], dim=1)
    ### END SOLUTION


# %%
channel_pool = check("skaf.channel_pool", channel_pool)

# %%
skaf = SKAF(C).eval()
with torch.no_grad():
    x3 = torch.cat([conv(g + loc) for conv in skaf.convs], dim=1)
    pooled = channel_pool(x3)
print("X3:", tuple(x3.shape), "-> pooled:", tuple(pooled.shape))
assert pooled.shape == (1, 2, SIZE, SIZE)
assert (pooled[:, 1] >= pooled[:, 0]).all(), "the max is never below the mean"

fig, axes = plt.subplots(1, 2, figsize=(6, 3))
for ax, i, title in zip(axes, (0, 1), ("average over channels", "max over channels")):
    ax.imshow(pooled[0, i], cmap="magma")
    ax.set_title(title)
    ax.axis("off")
plt.show()


# %% [markdown]
# ## Exercise 2: SKAF from its layers (eqs. 11-14)
# Concatenate the outputs of `skaf.convs` (the 5x5 and the 7x7), pool along the channels, apply
# `skaf.mix` and a **sigmoid**, and return the two channels as two (N, 1, H, W) maps
# (`weights[:, :1]`, `weights[:, 1:]`).


# %%
def skaf_forward(x, skaf):
    """SKAF.forward written out: returns (w_global, w_local), each (N, 1, H, W) in (0, 1)."""
    ### BEGIN SOLUTION
    x3 = torch.cat([conv(x) for conv in skaf.convs], dim=1)
    weights = torch.sigmoid(skaf.mix(channel_pool(x3)))
    return weights[:, :1], weights[:, 1:]
    ### END SOLUTION


# %%
skaf_forward = check("skaf.forward", skaf_forward)

# %%
with torch.no_grad():
    w_g, w_l = skaf_forward(g + loc, skaf)
    ref_g, ref_l = skaf(g + loc)
assert torch.allclose(w_g, ref_g, atol=1e-6) and torch.allclose(w_l, ref_l, atol=1e-6)
assert w_g.shape == w_l.shape == (1, 1, SIZE, SIZE)
assert 0 < w_g.min() and w_g.max() < 1

fig, axes = plt.subplots(1, 3, figsize=(10, 3))
axes[0].imshow(face["hr"].permute(1, 2, 0))
axes[0].set_title("face")
for ax, m, title in zip(axes[1:], (w_g, w_l), ("w_g: keep of SA", "w_l: keep of RDFE")):
    im = ax.imshow(m[0, 0], cmap="viridis")
    ax.set_title(title)
    fig.colorbar(im, ax=ax)
for ax in axes:
    ax.axis("off")
plt.show()

# %% [markdown]
# ## Exercise 3: build SKAF as a module
# Write the whole SKAF: `__init__` creates `convs` (an `nn.ModuleList` of a dense 5x5 conv
# C -> C // 2 and a dense 7x7 conv C -> C - C // 2, each padded to keep the size) and `mix` (a 7x7
# conv from the 2 pooled maps to 2 maps); `forward(x)` returns the two maps (your `channel_pool`
# does the middle). Odd widths split unevenly: the check uses C = 7 too.


# %%
class SKAFModule(torch.nn.Module):
    """SKAF (eqs. 11-14): two selection maps in (0, 1)."""

    def __init__(self, channels):
        super().__init__()
        ### BEGIN SOLUTION
        self.convs = torch.nn.ModuleList(
            [
                torch.nn.Conv2d(channels, channels // 2, 5, padding=2),
                torch.nn.Conv2d(channels, channels - channels // 2, 7, padding=3),
            ]
        )
        self.mix = torch.nn.Conv2d(2, 2, 7, padding=3)
        ### END SOLUTION

    def forward(self, x):
        ### BEGIN SOLUTION
        x3 = torch.cat([conv(x) for conv in self.convs], dim=1)
        weights = torch.sigmoid(self.mix(channel_pool(x3)))
        return weights[:, :1], weights[:, 1:]
        ### END SOLUTION


# %%
SKAFModule = check("skaf.module", SKAFModule)

# %%
print("parameters: yours", count_params(SKAFModule(8)), "| aminet's SKAF(8)", count_params(SKAF(8)))
assert count_params(SKAFModule(8)) == count_params(SKAF(8))

# %% [markdown]
# ## Sigmoid, not softmax
# The two maps are independent: a pixel may keep much of both features, or little of either. A
# softmax would force $w_g + w_l = 1$. The sum below varies from pixel to pixel.

# %%
total = (w_g + w_l)[0, 0]
print(
    f"w_g + w_l ranges over [{total.min():.3f}, {total.max():.3f}] (a softmax would give exactly 1)"
)
assert not torch.allclose(total, torch.ones_like(total), atol=1e-3)

with torch.no_grad():
    fused = g * w_g + loc * w_l
assert fused.shape == g.shape

# %% [markdown]
# ## What each part costs (Table V's switches)
# `SKAF` takes switches for the ablations of the paper's Table V. The dense 5x5 and 7x7 convs hold
# nearly all the parameters; the pooling and the mixing conv are almost free.

# %%
width = 26
variants = {
    "full SKAF": {},
    "no 5x5 conv": {"use_conv5": False},
    "no 7x7 conv": {"use_conv7": False},
    "no pooling": {"use_avgpool": False, "use_maxpool": False},
    "avg-pool only": {"use_maxpool": False},
}
counts = {name: count_params(SKAF(width, **opts)) for name, opts in variants.items()}
for name, n in counts.items():
    print(f"{name:14s} {n:7,d} parameters at C = {width}")
assert counts["no 5x5 conv"] < counts["full SKAF"] and counts["no 7x7 conv"] < counts["no 5x5 conv"]

# %% [markdown]
# ## How much of AMINet is SKAF's two dense convs?
# Computed on the real 12.54M-parameter AMINet: every SKAF (8 inside the LGFIs, 3 inside the EDFFs)
# and, of those, the 5x5 and 7x7 convolutions.

# %%
full = aminet.create_model("aminet")
total = count_params(full)
skafs = [m for m in full.modules() if isinstance(m, SKAF)]
in_skaf = sum(count_params(m) for m in skafs)
in_dense = sum(count_params(m.convs) for m in skafs)
print(f"AMINet: {total / 1e6:.2f}M parameters, {len(skafs)} SKAF modules")
print(f"all SKAFs: {in_skaf / 1e6:.2f}M ({100 * in_skaf / total:.1f}%)")
print(
    f"their dense 5x5 + 7x7 convs: {in_dense / 1e6:.2f}M ({100 * in_dense / total:.1f}% of AMINet)"
)
print(f"the rest of the SKAFs (the 7x7 mix convs): {in_skaf - in_dense:,d} parameters")
assert in_dense <= in_skaf < total
del full

# %% [markdown]
# So a module whose output is two numbers per pixel holds a large share of the network, almost all
# of it in the two dense convs. Depthwise 5x5 and 7x7 kernels would cost a tiny fraction of that,
# but then removing SKAF could not save the ~4.4M parameters the paper's Table I reports. That is
# why we read them as dense; it is a reading, not something the paper states.

# %% [markdown]
# ## Summary
# - SKAF pools X3 along the channels (mean and max) and turns that into two per-pixel maps.
# - The maps are sigmoids: each feature gets its own keep-rate at each pixel.
# - LGFI (notebook 04) uses SKAF between SA and RDFE; EDFF (notebook 05) between encoder and decoder.
