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
# # 01 · Self-attention across channels (SA)
#
# **Open in Colab:** this copy of the course names no public GitHub repository, so there is no Colab link. In Colab use *File > Upload notebook* to open this file, then run the setup cell below: it says how to install the course package.
#
# **Measured time on a CPU:** 6 s for the solutions, every cell, `AMINET_PRESET=default` (2-core x86_64 CPU, load average 1.0; written by `aminet course release --execute`). No GPU time has been measured.
#
# **Goals.** After this notebook you can
# 1. write the four steps of AMINet's self-attention (SA, paper eqs. 1-5) from its layers,
# 2. read its C x C attention map and say what one row means,
# 3. explain, and measure, why its cost grows *linearly* with the number of pixels.
#
# The networks here are untrained: we study what the modules compute, not what they learned.

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
import time

import matplotlib.pyplot as plt
import torch
import torch.nn.functional as F

import aminet
from aminet.course import check, device, is_smoke, preset
from aminet.course.explorer import sample_faces
from aminet.modules import SelfAttention

torch.manual_seed(0)
print(
    f"aminet {aminet.__version__} | torch {torch.__version__} | device {device()} | preset {preset()}"
)
print("The module notebooks use small tensors, so they run on the CPU.")

# %% [markdown]
# ## The idea
#
# A Transformer usually lets every *pixel* attend to every other pixel: an (HW x HW) map, whose
# cost grows with the *square* of the number of pixels. At 128 x 128 that is 268 million entries
# per channel group - far too many. AMINet's SA (borrowed from Restormer) turns the question around:
# every **channel** attends to every other channel. A channel is one feature map, seen as a row of HW
# numbers, so the attention map is only C x C:
#
# **The paper** (eqs. 1-5, Fig. 3b):
#
# $$Q = F_{dw3}(F_{conv1}(X)),\quad K = F_{dw3}(F_{conv1}(X)),\quad V = F_{dw3}(F_{conv1}(X)) \qquad \text{(eqs. 1-3)}$$
# $$X_{weighted} = \mathrm{Softmax}\big(\hat Q \hat K / \sqrt{d}\big)\,\hat V \qquad \text{(eq. 4)}$$
# $$X_{sa} = F_{conv1}\big(R(X_{weighted})\big) \qquad \text{(eq. 5)}$$
#
# **Ours** (`aminet.modules.SelfAttention`):
#
# $$Q, K, V = \mathrm{DW}_{3\times3}(\mathrm{Conv}_{1\times1}(X)) \qquad \text{(eqs. 1-3, one } C \to 3C \text{ conv, no biases)}$$
# $$A = \mathrm{softmax}\big(\tau \cdot \hat Q \hat K^\top\big) \in \mathbb{R}^{C\times C},
#   \qquad \hat Q, \hat K = \text{rows of } Q, K \text{ scaled to unit length} \qquad \text{(eq. 4)}$$
# $$\mathrm{SA}(X) = \mathrm{Conv}_{1\times1}\big(R(A\,V)\big) \qquad \text{(eq. 5)}$$
#
# **The difference** is eq. 4's scaling: the paper divides by $\sqrt{d}$; we follow Restormer's
# MDTA (unit-length rows of Q and K times a learned per-head temperature $\tau$), which keeps the
# logits in the same range whatever the image size (measured below; `normalize_qk=False` gives the
# literal eq. 4). The three 1x1 convs of eqs. 1-3 are one C -> 3C conv, and there are no biases, as
# in MDTA. Why each choice: [docs/architecture.md](../docs/architecture.md#the-choices-the-paper-leaves-open).
#
# Entry $A_{ij}$ says how much output channel $i$ borrows from channel $j$, with weights computed
# from *the whole image*. But look at what moves where: every output pixel is a mix of the channels
# **at that same pixel** (after the 3x3 depthwise conv). SA re-weights feature maps globally; it
# does not carry content from one place in the face to another. The experiment near the end of this
# notebook measures how far a change in the input travels.

# %% [markdown]
# ## The module at a glance
# Blue boxes are what the paper states; hatched orange boxes are our choices. Shapes are for one
# image of C = 26 channels at 32 x 32 (AMINet's first stage has C = 26 and one head).

# %%
from aminet.course import diagrams

diagrams.draw_sa(channels=26, size=32, heads=1)

# %% [markdown]
# ## Step 1: a feature map to attend over
# SA works on features, not on RGB. We lift a face to C = 8 channels with a (random) 3x3 conv,
# like the first layer of AMINet.

# %%
SIZE = 32 if is_smoke() else 64
face = sample_faces(1, size=SIZE)[0]
head = torch.nn.Conv2d(3, 8, 3, padding=1)
with torch.no_grad():
    x = head(face["hr"][None])
print("face:", tuple(face["hr"].shape), "from", face["source"], "-> features x:", tuple(x.shape))
assert x.shape == (1, 8, SIZE, SIZE)

fig, axes = plt.subplots(1, 9, figsize=(15, 2))
axes[0].imshow(face["hr"].permute(1, 2, 0))
axes[0].set_title("face")
for c, ax in enumerate(axes[1:]):
    ax.imshow(x[0, c], cmap="gray")
    ax.set_title(f"channel {c}")
for ax in axes:
    ax.axis("off")
plt.show()

# %% [markdown]
# ## Step 2: Q, K and V (eqs. 1-3)
# One 1x1 conv makes 3C channels (the three 1x1 convs of eqs. 1-3 stacked), a 3x3 depthwise conv
# adds a little spatial context, and `chunk` splits them into Q, K, V.

# %%
sa = SelfAttention(8, num_heads=2).eval()
with torch.no_grad():
    q, k, v = sa.qkv_dwconv(sa.qkv(x)).chunk(3, dim=1)
print("q, k, v:", tuple(q.shape), tuple(k.shape), tuple(v.shape))
assert q.shape == k.shape == v.shape == x.shape


# %% [markdown]
# ## Exercise 1: split into heads
# With h heads, each head attends among its own C/h channels. Reshape (N, C, H, W) into
# (N, h, C/h, H*W): every channel becomes one row of H*W pixel values.


# %%
def to_heads(x, num_heads):
    """(N, C, H, W) -> (N, num_heads, C // num_heads, H * W)."""
    ### BEGIN SOLUTION
    n, c, h, w = x.shape
    return x.reshape(n, num_heads, c // num_heads, h * w)
    ### END SOLUTION


# %%
to_heads = check("sa.to_heads", to_heads)

# %%
qh, kh, vh = (to_heads(t, sa.num_heads) for t in (q, k, v))
print("per head:", tuple(qh.shape))
assert qh.shape == (1, 2, 4, SIZE * SIZE)


# %% [markdown]
# ## Exercise 2: the channel-attention map (eq. 4)
# Scale every row of q and k to unit length (`F.normalize` along the pixel axis), take all
# row-by-row dot products `q @ k.transpose(-2, -1)`, multiply by the per-head `temperature`, and
# turn each row into probabilities with a softmax over the *last* axis (the keys).


# %%
def attention_map(q, k, temperature):
    """q, k: (N, heads, d, HW); temperature: (heads, 1, 1). Returns (N, heads, d, d)."""
    ### BEGIN SOLUTION
    q, k = F.normalize(q, dim=-1), F.normalize(k, dim=-1)
    return ((q @ k.transpose(-2, -1)) * temperature).softmax(dim=-1)
    ### END SOLUTION


# %%
attention_map = check("sa.attention_map", attention_map)

# %% [markdown]
# Each head's map is d x d = 4 x 4 here (C x C with a single head). Each row sums to 1: row $i$
# is how channel $i$ spreads its attention over the channels.

# %%
with torch.no_grad():
    attn = attention_map(qh, kh, sa.temperature)
assert attn.shape == (1, 2, 4, 4)
assert torch.allclose(attn.sum(dim=-1), torch.ones(1, 2, 4), atol=1e-5)

fig, axes = plt.subplots(1, 2, figsize=(8, 3.3))
for head_i, ax in enumerate(axes):
    im = ax.imshow(attn[0, head_i], cmap="viridis", vmin=0)
    ax.set_title(f"head {head_i}")
    ax.set_xlabel("key channel")
    ax.set_ylabel("query channel")
    ax.set_xticks(range(attn.shape[-1]))
    ax.set_yticks(range(attn.shape[-1]))
    fig.colorbar(im, ax=ax)
fig.tight_layout()
plt.show()


# %% [markdown]
# ## Exercise 3: the whole SA from its layers (eqs. 1-5)
# Put it together: qkv and depthwise conv, heads, attention map, `attn @ v`, reshape back to
# (N, C, H, W), final 1x1 projection `sa.project`.


# %%
def sa_forward(x, sa):
    """SelfAttention.forward written out with the module's layers."""
    ### BEGIN SOLUTION
    n, c, h, w = x.shape
    q, k, v = sa.qkv_dwconv(sa.qkv(x)).chunk(3, dim=1)
    q, k, v = (to_heads(t, sa.num_heads) for t in (q, k, v))
    out = attention_map(q, k, sa.temperature) @ v
    return sa.project(out.reshape(n, c, h, w))
    ### END SOLUTION


# %%
sa_forward = check("sa.forward", sa_forward)

# %%
with torch.no_grad():
    ours, theirs = sa_forward(x, sa), sa(x)
print("max |ours - aminet's SelfAttention|:", (ours - theirs).abs().max().item())
assert torch.allclose(ours, theirs, atol=1e-5)

# %% [markdown]
# ## Exercise 4: build the whole module
# Now write SA as an `nn.Module` of your own: `__init__` creates the layers, `forward` runs eqs.
# 1-5 with them (your `to_heads` and `attention_map` do the middle). Name the layers as aminet's
# `SelfAttention` does (`qkv`, `qkv_dwconv`, `project`, `temperature`): the check loads aminet's
# weights into your module and compares the outputs *and* the gradients, so a missing bias
# switch, a wrong kernel or a detached branch all show up.


# %%
class SA(torch.nn.Module):
    """Channel self-attention (eqs. 1-5) with ``num_heads`` heads."""

    def __init__(self, channels, num_heads=1):
        super().__init__()
        self.num_heads = num_heads
        ### BEGIN SOLUTION
        self.qkv = torch.nn.Conv2d(channels, 3 * channels, 1, bias=False)
        self.qkv_dwconv = torch.nn.Conv2d(
            3 * channels, 3 * channels, 3, padding=1, groups=3 * channels, bias=False
        )
        self.project = torch.nn.Conv2d(channels, channels, 1, bias=False)
        self.temperature = torch.nn.Parameter(torch.ones(num_heads, 1, 1))
        ### END SOLUTION

    def forward(self, x):
        ### BEGIN SOLUTION
        n, c, h, w = x.shape
        q, k, v = self.qkv_dwconv(self.qkv(x)).chunk(3, dim=1)
        q, k, v = (to_heads(t, self.num_heads) for t in (q, k, v))
        out = attention_map(q, k, self.temperature) @ v
        return self.project(out.reshape(n, c, h, w))
        ### END SOLUTION


# %%
SA = check("sa.module", SA)

# %%
mine = SA(8, num_heads=2)
n_params = sum(p.numel() for p in mine.parameters())
print(f"your SA(8, 2): {n_params} parameters; 4C^2 + 27C + h = {4 * 8**2 + 27 * 8 + 2}")
assert n_params == 4 * 8**2 + 27 * 8 + 2

# %% [markdown]
# ## Why unit-length rows instead of $1/\sqrt{d}$?
# In eq. 4 the dot products run over the HW pixels, so they grow with the image. Divided by
# $\sqrt{d}$ with d = HW the logits still change with the size; with unit-length rows they are
# cosine similarities in [-1, 1] at every size. The printout shows the spread of the logits.

# %%
for side in (16, 32, 64):
    feats = torch.randn(1, 8, side, side) + 1.0
    qq, kk = (to_heads(t, 1) for t in sa.qkv_dwconv(sa.qkv(feats)).chunk(3, dim=1)[:2])
    literal = (qq @ kk.transpose(-2, -1)) / qq.shape[-1] ** 0.5
    cosine = F.normalize(qq, dim=-1) @ F.normalize(kk, dim=-1).transpose(-2, -1)
    print(
        f"{side:3d} px: literal logits std {literal.std().item():7.3f} | cosine logits std {cosine.std().item():.3f}"
    )
    assert cosine.abs().max() <= 1 + 1e-5

# %% [markdown]
# ## Linear cost in the number of pixels, measured
# `q @ k^T` costs d * d * HW multiply-accumulates (MACs) and `attn @ v` the same: twice the pixels,
# twice the work. Pixel attention would cost HW * HW * C. We count SA's MACs with PyTorch's FLOP
# counter (`FlopCounterMode`, as `aminet.complexity.count_macs` does for whole models) and time it
# on this machine.

# %%
from torch.utils.flop_counter import FlopCounterMode

sa32 = SelfAttention(32, num_heads=2).eval()
sides = (16, 32, 64) if is_smoke() else (16, 32, 64, 128)
rows = []
for side in sides:
    inp = torch.randn(1, 32, side, side)
    with torch.no_grad():
        counter = FlopCounterMode(display=False)
        with counter:
            sa32(inp)
        macs = counter.get_total_flops() // 2
        sa32(inp)  # warm-up
        start = time.perf_counter()
        for _ in range(3):
            sa32(inp)
        ms = (time.perf_counter() - start) / 3 * 1e3
    pixel_attention = 2 * (side * side) ** 2 * 32  # QK^T and attn V over pixels
    rows.append((side, macs, ms, pixel_attention))
    print(
        f"{side:3d}x{side:<3d} SA: {macs / 1e6:8.2f} M MACs, {ms:6.2f} ms | pixel attention would need {pixel_attention / 1e6:10.1f} M MACs"
    )

for (_, m1, _, _), (_, m2, _, _) in zip(rows, rows[1:]):
    assert 3.9 < m2 / m1 < 4.1, "4x the pixels should cost 4x the MACs"

# %%
hw = [r[0] ** 2 for r in rows]
plt.figure(figsize=(5, 3.5))
plt.loglog(hw, [r[1] for r in rows], "o-", label="channel SA (measured MACs)")
plt.loglog(hw, [r[3] for r in rows], "s--", label="pixel attention (formula)")
plt.minorticks_off()
plt.xticks(hw, [f"{r[0]}x{r[0]}" for r in rows])
plt.xlabel("image size (pixels HW, log scale)")
plt.ylabel("MACs")
plt.legend()
plt.title("SA grows linearly with HW")
plt.show()

# %% [markdown]
# ## What does SA see? A perturbation measured
# A 3x3 convolution's output at a pixel depends only on the 3x3 input pixels around it. SA's output
# depends on the whole image through the attention map A. How much? We add 1 to a 4x4 patch of the
# input features and measure how much every output pixel changes: near the patch (what the 3x3
# depthwise conv reaches) and far from it (at least 18 pixels from the patch's edge).

# %%
SEE = 64
sa_see = SelfAttention(8, num_heads=1).eval()
with torch.no_grad():
    feats = head(sample_faces(1, size=SEE)[0]["hr"][None])
    bumped = feats.clone()
    bumped[..., 30:34, 30:34] += 1.0  # a 4x4 patch in the middle
    change = (sa_see(bumped) - sa_see(feats)).abs().mean(dim=1)[0]  # (H, W), mean over channels
    attn_change = (sa_see.attention_map(bumped) - sa_see.attention_map(feats)).abs().max()
rows_, cols_ = torch.meshgrid(torch.arange(SEE), torch.arange(SEE), indexing="ij")
distance = torch.maximum((rows_ - 31.5).abs(), (cols_ - 31.5).abs())  # from the patch's centre
local = change[distance <= 3].mean().item()  # the patch and its 1-pixel ring
far = change[distance >= 20].mean().item()
print(f"mean |change| near the patch: {local:.2e}   far from it (>= 18 px away): {far:.2e}")
print(
    f"far / near = {100 * far / local:.2f}%   (largest change of an entry of A: {attn_change:.2e})"
)
print("a 3x3 convolution would give exactly 0 far away; SA gives a small non-zero change there,")
print("all of it through the re-weighted channels (A), none of it moved content.")
assert far < local

fig, axes = plt.subplots(1, 2, figsize=(10, 3.6))
im = axes[0].imshow(torch.log10(change + 1e-12), cmap="magma")
axes[0].set_title("log10 |output change| (4x4 patch in the middle)")
fig.colorbar(im, ax=axes[0])
axes[1].semilogy(change[32].clamp_min(1e-12))
axes[1].axvspan(30, 33, color="orange", alpha=0.3, label="perturbed columns")
axes[1].set_xlabel("column (row 32)")
axes[1].set_ylabel("|output change|")
axes[1].legend()
fig.tight_layout()
plt.show()

# %% [markdown]
# So SA's "global" view is global in *which channels to mix*, not in *where to look*: the change far
# from the patch is the percentage printed above of the change next to it, in an untrained SA. The
# spatial reach of an LGFI comes from RDFE's depthwise convs (up to 7x7, twice), the FRM's
# hourglass, and the U-Net's downsampling (next notebooks).

# %% [markdown]
# ## Summary
# - SA compares **channels**, not pixels: a (C/h x C/h) map per head, rows summing to 1.
# - Unit-length rows and a learned temperature keep the logits size-independent.
# - Its cost is linear in HW (measured above), which is what makes attention affordable at
#   128 x 128.
# - Its weights come from the whole image, but it mixes channels pixel by pixel: a local change
#   barely reaches far pixels (measured above).
#
# Next: **02 · RDFE**, the local branch that runs beside SA.
