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
# # 06 · The whole network: AMINet's U-Net
#
# **Open in Colab:** this copy of the course names no public GitHub repository, so there is no Colab link. In Colab use *File > Upload notebook* to open this file, then run the setup cell below: it says how to install the course package.
#
# **Measured time on a CPU:** 9 s for the solutions, every cell, `AMINET_PRESET=default` (2-core x86_64 CPU, load average 1.1; written by `aminet course release --execute`). No GPU time has been measured.
#
# **Goals.** After this notebook you can
# 1. predict the feature shapes at every stage of AMINet for any input size,
# 2. write AMINet's forward pass from its parts (encoder, bottleneck, decoder with EDFF, global
#    residual),
# 3. read a torchinfo summary and compare parameters and MACs with the paper's Table X,
#    for AMINet, AMINet-S and the ablation variants.
#
# The networks are untrained here; notebook 07 trains them.

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
from torchinfo import summary

import aminet
from aminet.complexity import count_macs, count_params
from aminet.course import check, device, is_smoke, preset
from aminet.course.explorer import explore, sample_faces

torch.manual_seed(0)
DEVICE = device()
print(
    f"aminet {aminet.__version__} | torch {torch.__version__} | device {DEVICE} | preset {preset()}"
)

# %% [markdown]
# ## The idea
#
# AMINet is a U-Net whose blocks are LGFI (notebook 04) and whose skip connections are EDFF
# (notebook 05). With C the base width and I the bicubic-upsampled LR face:
#
# $$F_0 = \mathrm{Conv}_{3\times3}(I) \in \mathbb{R}^{C\times H\times W}$$
# $$\text{encoder: } 3\times[\mathrm{LGFI} \to \text{skip},\ \mathrm{Down}]: \ C \to 2C \to 4C \to 8C,\ H \to H/8$$
# $$\text{bottleneck: } 2\times \mathrm{LGFI}(8C)$$
# $$\text{decoder: } 3\times[\mathrm{Up},\ \mathrm{EDFF}(\text{skip}, \cdot),\ \mathrm{LGFI}]$$
# $$I_{SR} = \mathrm{Conv}_{3\times3}(F_7) + I$$
#
# The last line is the **global residual**: the network only learns what to add to bicubic.
#
# **The paper** (Sec. III-A, Fig. 2) fixes the shape: a 3x3 conv, three encoders (LGFI +
# downsampling, channels doubled, size halved: $F_1 \in \mathbb{R}^{2C\times H/2\times W/2}$ ...
# $F_3 \in \mathbb{R}^{8C\times H/8\times W/8}$), two LGFIs in the bottleneck, three decoders
# (upsampling, EDFF, LGFI) and a 3x3 conv to the SR image, with the residual drawn in Fig. 2.
# **Ours** follows that shape; **the differences** are what the paper leaves open: C = 26 and
# 1/2/4/8 heads, the down/upsampling layers (CTCNet's strided conv and transposed conv), the input
# $I$ = the LR face upsampled by bicubic (as SPARNet and CTCNet), and padding any size to a multiple
# of 8. Why each: [docs/architecture.md](../docs/architecture.md#the-choices-the-paper-leaves-open).

# %% [markdown]
# ## The network at a glance
# Blue: as the paper states it. Hatched orange: our choices. Shapes for AMINet (C = 26) at the
# paper's 128 x 128 output; the diagram's numbers are the shapes the exercise below computes.

# %%
from aminet.course import diagrams

diagrams.draw_unet(size=128, base_channels=26)

# %% [markdown]
# ## Exercise 1: the shapes at each stage
# Return the (channels, height, width) of the three encoder stages and the bottleneck for a square
# input of `size` pixels. AMINet first pads the input up to a multiple of 8 (three halvings).


# %%
def stage_shapes(size, base_channels):
    """[(C, S, S), (2C, S/2, S/2), (4C, S/4, S/4), (8C, S/8, S/8)] with S = size padded to 8."""
    ### BEGIN SOLUTION
    side = size + (-size) % 8
    return [(base_channels * 2**i, side // 2**i, side // 2**i) for i in range(4)]
    ### END SOLUTION


# %%
stage_shapes = check("unet.stage_shapes", stage_shapes)

# %% [markdown]
# Let us verify on a small AMINet (base width 8) by recording each encoder stage's output and the
# bottleneck's with forward hooks.

# %%
SIZE = 32 if is_smoke() else 128
tiny = aminet.create_model(
    "aminet", base_channels=8, hourglass_channels=8, num_heads=(1, 1, 1, 1)
).eval()
seen = []
hooks = [
    m.register_forward_hook(lambda m, i, o: seen.append(tuple(o.shape[1:])))
    for m in (*tiny.encoders, tiny.bottleneck)
]
with torch.no_grad():
    tiny(torch.rand(1, 3, SIZE, SIZE))
for h in hooks:
    h.remove()
for stage, (got, predicted) in enumerate(zip(seen, stage_shapes(SIZE, 8))):
    print(f"stage {stage}: measured {got}, predicted {predicted}")
assert seen == stage_shapes(SIZE, 8)

# %% [markdown]
# ## Exercise 2: AMINet's forward pass
# Write the forward pass with the model's parts: `model.head`, `model.encoders`, `model.downs`,
# `model.bottleneck`, `model.ups`, `model.fusions` (EDFF), `model.decoders`, `model.tail`.
# 1. replicate-pad the input to a multiple of 8 (`F.pad(x, (0, pad_w, 0, pad_h), mode="replicate")`),
# 2. keep each encoder stage's output as a skip before downsampling,
# 3. decode with the skips in **reverse** order: `decoder(fusion(skip, up(feat)))`,
# 4. `model.tail(feat)` plus the padded input (global residual), cropped back to H x W.


# %%
def unet_forward(x, model):
    """AMINet.forward from its parts."""
    ### BEGIN SOLUTION
    h, w = x.shape[-2:]
    pad_h, pad_w = (-h) % 8, (-w) % 8
    padded = F.pad(x, (0, pad_w, 0, pad_h), mode="replicate") if pad_h or pad_w else x
    feat = model.head(padded)
    skips = []
    for encoder, down in zip(model.encoders, model.downs):
        feat = encoder(feat)
        skips.append(feat)
        feat = down(feat)
    feat = model.bottleneck(feat)
    for up, fusion, decoder, skip in zip(model.ups, model.fusions, model.decoders, reversed(skips)):
        feat = decoder(fusion(skip, up(feat)))
    return (model.tail(feat) + padded)[..., :h, :w]
    ### END SOLUTION


# %%
unet_forward = check("unet.forward", unet_forward)

# %%
face = sample_faces(1, size=SIZE)[0]
with torch.no_grad():
    ours, theirs = unet_forward(face["input"][None], tiny), tiny(face["input"][None])
print("output:", tuple(ours.shape), "| max |ours - aminet's|:", (ours - theirs).abs().max().item())
assert ours.shape == (1, 3, SIZE, SIZE)
assert torch.allclose(ours, theirs, atol=1e-4)

# %% [markdown]
# ## Exercise 3: build the U-Net as a module
# Now the whole network as a class of your own, from aminet's blocks (`LGFI`, `Downsample`,
# `Upsample`, `EDFF`), with the names aminet's `AMINet` uses so its weights load into yours:
# `head` (3x3 conv, 3 -> C), `encoders` (3 LGFI), `downs` (3 Downsample), `bottleneck` (an
# `nn.Sequential` of `num_bottleneck` LGFI at 8C), `ups` (Upsample(4C), (2C), (C)), `fusions`
# (EDFF at 4C, 2C, C), `decoders` (LGFI at 4C, 2C, C) and `tail` (3x3 conv, C -> 3). Stage i uses
# `num_heads[i]` and `hourglass_depths[i]`. `forward` is exercise 2 with `self`. The check pads
# inputs unevenly (7 rows, 2 columns), so mixing up `F.pad`'s order shows.

# %%
from aminet.modules import EDFF, LGFI, Downsample, Upsample


# %%
class MiniAMINet(torch.nn.Module):
    """AMINet's U-Net (no pixel-unshuffle stem) built from its blocks."""

    def __init__(
        self,
        base_channels=4,
        num_heads=(1, 1, 1, 1),
        hourglass_depths=(2, 2, 1, 1),
        hourglass_channels=4,
        num_bottleneck=1,
    ):
        super().__init__()
        ### BEGIN SOLUTION
        widths = [base_channels * 2**i for i in range(4)]

        def block(stage):
            return LGFI(
                widths[stage], num_heads[stage], hourglass_depths[stage], hourglass_channels
            )

        self.head = torch.nn.Conv2d(3, base_channels, 3, padding=1)
        self.encoders = torch.nn.ModuleList(block(i) for i in range(3))
        self.downs = torch.nn.ModuleList(Downsample(widths[i]) for i in range(3))
        self.bottleneck = torch.nn.Sequential(*(block(3) for _ in range(num_bottleneck)))
        self.ups = torch.nn.ModuleList(Upsample(widths[i]) for i in (2, 1, 0))
        self.fusions = torch.nn.ModuleList(EDFF(widths[i]) for i in (2, 1, 0))
        self.decoders = torch.nn.ModuleList(block(i) for i in (2, 1, 0))
        self.tail = torch.nn.Conv2d(base_channels, 3, 3, padding=1)
        ### END SOLUTION

    def forward(self, x):
        ### BEGIN SOLUTION
        h, w = x.shape[-2:]
        pad_h, pad_w = (-h) % 8, (-w) % 8
        padded = F.pad(x, (0, pad_w, 0, pad_h), mode="replicate") if pad_h or pad_w else x
        feat = self.head(padded)
        skips = []
        for encoder, down in zip(self.encoders, self.downs):
            feat = encoder(feat)
            skips.append(feat)
            feat = down(feat)
        feat = self.bottleneck(feat)
        for up, fusion, decoder, skip in zip(
            self.ups, self.fusions, self.decoders, reversed(skips)
        ):
            feat = decoder(fusion(skip, up(feat)))
        return (self.tail(feat) + padded)[..., :h, :w]
        ### END SOLUTION


# %%
MiniAMINet = check("unet.module", MiniAMINet)

# %%
from aminet.model import AMINet

mine = MiniAMINet()
print(
    "parameters: yours",
    count_params(mine),
    "| aminet's",
    count_params(
        AMINet(
            base_channels=4,
            num_heads=(1, 1, 1, 1),
            hourglass_depths=(2, 2, 1, 1),
            hourglass_channels=4,
            num_bottleneck=1,
        )
    ),
)

# %% [markdown]
# The global residual, seen: with the tail's weights set to zero, AMINet returns bicubic exactly.
# Training only has to learn the *difference* to bicubic.

# %%
with torch.no_grad():
    tiny.tail.weight.zero_()
    tiny.tail.bias.zero_()
    out = tiny(face["input"][None])
assert torch.equal(out[0], face["input"])
print("with a zero tail, AMINet(input) == input: the residual carries bicubic through")

# %% [markdown]
# ## The layer table (torchinfo)
# The full AMINet (C = 26). Under the smoke preset (tests) we summarise at 32 x 32 to save time;
# the parameter counts do not depend on the input size.

# %%
model = aminet.create_model("aminet").eval()
info = summary(model, input_size=(1, 3, SIZE, SIZE), depth=2, verbose=0)
print(info)
assert info.total_params == count_params(model)

# %% [markdown]
# ## Parameters and MACs beside the paper's Table X
# Parameters are counted exactly. MACs (multiply-accumulates) are counted two ways at the paper's
# 128 x 128 (`aminet.complexity`): PyTorch's FLOP counter (every convolution and matmul, the
# attention's included) and the convention of the `thop` package that papers' MAC columns use
# (only layers of listed types: matmuls free, norms and pooling counted, a stride-2 transposed conv
# at 4x its true cost). Under the smoke preset we measure at 32 x 32 and say so (almost every
# layer's cost is proportional to the pixels, so x16 gives an estimate for 128 x 128).
# The paper's numbers (`aminet.paper.TABLE_X`) are its own; ours are counted on our implementation.

# %%
from aminet.complexity import count_macs_thop
from aminet.paper import TABLE_X

MAC_SIZE = 32 if is_smoke() else 128
scale = (128 // MAC_SIZE) ** 2
where = "at 128" if MAC_SIZE == 128 else f"x{scale} estimate from {MAC_SIZE}x{MAC_SIZE}"
counted = {}  # model -> (params, MACs)
for paper_row in (r for r in TABLE_X if r.model in ("aminet", "aminet-s")):
    net = aminet.create_model(paper_row.model).eval()
    params = count_params(net)
    macs, macs_thop = count_macs(net, MAC_SIZE), count_macs_thop(net, MAC_SIZE)
    counted[paper_row.model] = (params, macs)
    print(
        f"{paper_row.model:9s} params {params / 1e6:6.2f}M (paper {paper_row.params_m}M) | "
        f"MACs {where}: FLOP counter {macs * scale / 1e9:5.2f}G, "
        f"thop convention {macs_thop * scale / 1e9:5.2f}G (paper {paper_row.macs_g}G)"
    )
small, full = counted["aminet-s"], counted["aminet"]
assert small[0] < full[0] and small[1] < full[1], "AMINet-S is the smaller model"

# %% [markdown]
# ## The variants of the paper's Table I
# Every ablation is a registered name (`aminet.list_models(table="I")`), built by switching one part
# of LGFI off. Their parameter counts beside the paper's:

# %%
for name in aminet.list_models(table="I"):
    entry = aminet.get_model_entry(name)
    n = count_params(aminet.create_model(name))
    print(f"{name:16s} {n / 1e6:6.2f}M (paper {entry.paper_params}M)  {entry.description}")
assert count_params(aminet.create_model("aminet-no-rdfe")) < count_params(model)

# %% [markdown]
# ## Explore: LR, bicubic, model, HR and the maps inside
# `aminet.course.explorer.explore` shows a face through a model with the first LGFI's attention map
# and SKAF weights. In JupyterLab you get a dropdown; headless (tests) a static figure.
# This AMINet is **untrained**, so its output is usually worse than bicubic: notebook 07 trains
# it.

# %%
faces = sample_faces(3, size=SIZE)
untrained = aminet.create_model(
    "aminet", base_channels=8, hourglass_channels=8, num_heads=(1, 1, 1, 1)
)
view = explore(untrained, faces)  # shows the explorer once (a bare last line would show it twice)

# %% [markdown]
# ## Summary
# - Widths double and sides halve at each of the three downsamplings; inputs are padded to 8.
# - The decoder consumes the skips in reverse order through EDFF; a global residual adds bicubic.
# - Parameters match the paper's Table X closely. MACs depend on the counter: in thop's convention
#   AMINet-S matches the paper's 9.4G, while AMINet stays about 12% below the paper's 15.6G
#   (docs/architecture.md, "MACs, beside Table X", discusses what that suggests).
#
# Next: **07 · training and evaluation**.
