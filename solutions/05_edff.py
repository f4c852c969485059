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
# # 05 · Merging encoder and decoder: EDFF
#
# **Open in Colab:** this copy of the course names no public GitHub repository, so there is no Colab link. In Colab use *File > Upload notebook* to open this file, then run the setup cell below: it says how to install the course package.
#
# **Measured time on a CPU:** 4 s for the solutions, every cell, `AMINET_PRESET=default` (2-core x86_64 CPU, load average 1.1; written by `aminet course release --execute`). No GPU time has been measured.
#
# **Goals.** After this notebook you can
# 1. compute EDFF's two selection maps from an encoder and a decoder feature (paper eq. 15),
# 2. fuse the two features pixel by pixel with them (eq. 16),
# 3. compare EDFF with the plain U-Net skip connections (addition, concatenation) in cost and
#    behaviour.
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
import torch.nn.functional as F

import aminet
from aminet.complexity import count_params
from aminet.course import check, device, is_smoke, preset
from aminet.course.explorer import sample_faces
from aminet.modules import EDFF

torch.manual_seed(0)
print(
    f"aminet {aminet.__version__} | torch {torch.__version__} | device {device()} | preset {preset()}"
)
print("The module notebooks use small tensors, so they run on the CPU.")

# %% [markdown]
# ## The idea
#
# In a U-Net the decoder rebuilds the image from coarse features, and skip connections hand it the
# encoder's sharp features of the same size. A plain U-Net adds or concatenates them; every pixel
# gets the same mix. EDFF (Encoder and Decoder Feature Fusion) lets SKAF (notebook 03) choose the mix
# **per pixel**: sharp encoder detail where the face has edges, the decoder's context elsewhere.
#
# **The paper** (eqs. 15-16):
#
# $$X', X'' = F_{skaf}\big(F_{conv1}(H_{cat}(X_E, X_D))\big) \qquad \text{(eq. 15)}$$
# $$X_{ED} = X_E \cdot X' + X_D \cdot X'' \qquad \text{(eq. 16)}$$
#
# **Ours** (`aminet.modules.EDFF`), the same with other names:
#
# $$(w_E, w_D) = \mathrm{SKAF}\big(\mathrm{Conv}_{1\times1}([X_E, X_D])\big) \qquad \text{(eq. 15)}$$
# $$X_{ED} = X_E \cdot w_E + X_D \cdot w_D \qquad \text{(eq. 16)}$$
#
# **The difference:** none in EDFF itself (the 1x1 conv halves 2C to C, as the paper says); the
# SKAF inside carries our SKAF choices (dense 5x5/7x7 convs, the 7x7 mix conv of eq. 13, notebook
# 03). Why each: [docs/architecture.md](../docs/architecture.md#the-choices-the-paper-leaves-open).
#
# The 1x1 convolution halves the 2C concatenated channels back to C, so SKAF runs at the stage's
# width.

# %% [markdown]
# ## The module at a glance
# Shapes for C = 26 at 32 x 32. EDFF itself is drawn as the paper states it; our choices sit inside
# its SKAF (notebook 03).

# %%
from aminet.course import diagrams

diagrams.draw_edff(channels=26, size=32)

# %% [markdown]
# ## Step 1: an encoder feature and a decoder feature
# The encoder feature keeps every pixel. The decoder's feature of the same stage was rebuilt from
# a coarser one; we imitate that by average-pooling to half size and upsampling back (an untrained
# `Upsample` would add a checkerboard that hides the point). Both are C x H x W.

# %%
SIZE = 32 if is_smoke() else 64
C = 8
face = sample_faces(1, size=SIZE)[0]
head = torch.nn.Conv2d(3, C, 3, padding=1)
with torch.no_grad():
    enc = head(face["hr"][None])
    dec = F.interpolate(F.avg_pool2d(enc, 2), scale_factor=2, mode="bilinear", align_corners=False)
print("encoder:", tuple(enc.shape), "| decoder:", tuple(dec.shape))
assert enc.shape == dec.shape == (1, C, SIZE, SIZE)

fig, axes = plt.subplots(1, 3, figsize=(9, 3))
panels = (face["hr"].permute(1, 2, 0), enc[0, 0], dec[0, 0])
for ax, img, title in zip(axes, panels, ("face", "encoder, channel 0", "decoder, channel 0")):
    ax.imshow(img, cmap="gray")
    ax.set_title(title)
    ax.axis("off")
plt.show()

# %% [markdown]
# ## Exercise 1: the selection maps (eq. 15)
# Concatenate **encoder first, then decoder** along the channels, reduce with `edff.reduce` (the 1x1
# conv) and return what `edff.skaf` gives: the pair (w_enc, w_dec), each (N, 1, H, W).


# %%
def edff_selection(encoder, decoder, edff):
    """Eq. 15: (w_enc, w_dec) = SKAF(conv1x1(cat(encoder, decoder)))."""
    ### BEGIN SOLUTION
    return edff.skaf(edff.reduce(torch.cat([encoder, decoder], dim=1)))
    ### END SOLUTION


# %%
edff_selection = check("edff.selection", edff_selection)

# %%
edff = EDFF(C).eval()
with torch.no_grad():
    w_enc, w_dec = edff_selection(enc, dec, edff)
assert w_enc.shape == w_dec.shape == (1, 1, SIZE, SIZE)
assert 0 < w_enc.min() and w_enc.max() < 1

fig, axes = plt.subplots(1, 2, figsize=(7, 3))
for ax, m, title in zip(axes, (w_enc, w_dec), ("w_enc (encoder)", "w_dec (decoder)")):
    im = ax.imshow(m[0, 0], cmap="viridis")
    ax.set_title(title)
    ax.axis("off")
    fig.colorbar(im, ax=ax)
plt.show()

# %% [markdown]
# ## Exercise 2: the fusion (eq. 16)
# Each map multiplies *its own* feature; the two products are added. The maps have one channel,
# so broadcasting applies them to every channel.


# %%
def edff_combine(encoder, decoder, w_enc, w_dec):
    """Eq. 16: encoder * w_enc + decoder * w_dec."""
    ### BEGIN SOLUTION
    return encoder * w_enc + decoder * w_dec
    ### END SOLUTION


# %%
edff_combine = check("edff.combine", edff_combine)

# %%
with torch.no_grad():
    fused = edff_combine(enc, dec, w_enc, w_dec)
    reference = edff(enc, dec)
print("max |ours - aminet's EDFF|:", (fused - reference).abs().max().item())
assert torch.allclose(fused, reference, atol=1e-5)
assert fused.shape == enc.shape

# %% [markdown]
# ## Exercise 3: build EDFF as a module
# Put eqs. 15 and 16 into one `nn.Module`: `reduce` (a 1x1 conv 2C -> C) and `skaf` (`SKAF(C)`),
# named as in aminet's `EDFF`; `forward(encoder, decoder)` returns the fused feature. The check
# loads aminet's weights and compares outputs and the gradients w.r.t. both inputs.

# %%
from aminet.modules import SKAF


# %%
class EDFFModule(torch.nn.Module):
    """EDFF (eqs. 15-16): pixel-wise selection between encoder and decoder features."""

    def __init__(self, channels):
        super().__init__()
        ### BEGIN SOLUTION
        self.reduce = torch.nn.Conv2d(2 * channels, channels, 1)
        self.skaf = SKAF(channels)
        ### END SOLUTION

    def forward(self, encoder, decoder):
        ### BEGIN SOLUTION
        w_enc, w_dec = self.skaf(self.reduce(torch.cat([encoder, decoder], dim=1)))
        return encoder * w_enc + decoder * w_dec
        ### END SOLUTION


# %%
EDFFModule = check("edff.module", EDFFModule)

# %%
mine = EDFFModule(edff.channels)
print("parameters: yours", count_params(mine), "| aminet's", count_params(edff))
assert count_params(mine) == count_params(edff)

# %% [markdown]
# Where does the fused feature follow the encoder? The share of the encoder at each pixel is
# $w_E / (w_E + w_D)$. A plain addition would be 0.5 everywhere.

# %%
share = (w_enc / (w_enc + w_dec))[0, 0]
print(f"encoder share: min {share.min():.3f}, mean {share.mean():.3f}, max {share.max():.3f}")
assert 0 < share.min() and share.max() < 1
plt.figure(figsize=(3.5, 3))
plt.imshow(share, cmap="coolwarm")
plt.title("encoder share per pixel")
plt.colorbar()
plt.axis("off")
plt.show()

# %% [markdown]
# ## What the selection costs
# Plain skips: addition (no parameters) or concatenation followed by a 3x3 conv (2C -> C). EDFF: a
# 1x1 conv (2C -> C) and a SKAF. At AMINet's three decoder widths:

# %%
for width in (26, 52, 104):
    concat_conv = torch.nn.Conv2d(2 * width, width, 3, padding=1)
    print(
        f"C = {width:3d}: addition 0 | concat + 3x3 conv {count_params(concat_conv):8,d}"
        f" | EDFF {count_params(EDFF(width)):8,d}"
    )
assert count_params(EDFF(26)) == (2 * 26 * 26 + 26) + count_params(EDFF(26).skaf)

# %% [markdown]
# ## Summary
# - EDFF reduces cat(encoder, decoder) with a 1x1 conv and asks SKAF for two per-pixel maps.
# - The fused feature mixes the two with those maps: a skip connection that chooses per pixel.
# - The order matters: the first map belongs to the encoder, the second to the decoder.
#
# Next: **06 · the U-Net**, which puts LGFI and EDFF together into AMINet.
