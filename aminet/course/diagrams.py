"""Block diagrams of AMINet and its modules, drawn with matplotlib, for the course notebooks.

Each ``draw_*`` function returns a :class:`matplotlib.figure.Figure` (a notebook shows it as the
cell's output, so the diagram renders in JupyterLab, on Colab and on GitHub, where the executed
solutions keep it as a PNG). Every box carries the tensor shape it outputs, ``(C, H, W)`` for one
image, computed from the arguments (the tests check them against the real modules' forward
passes). Boxes in the paper's colour are what the paper states; hatched orange boxes are choices the
paper leaves open and this package made (reasons in docs/architecture.md).

The functions never change the matplotlib backend and never call ``plt.show()``: the notebook's
backend decides how the figure is displayed.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch, Patch

__all__ = [
    "Diagram",
    "OURS_LABEL",
    "PAPER_LABEL",
    "draw_edff",
    "draw_lgfi",
    "draw_rdfe",
    "draw_sa",
    "draw_skaf",
    "draw_unet",
    "shape_text",
    "unet_shapes",
]

PAPER_COLOUR = "#cfe2f3"
OURS_COLOUR = "#fce5cd"
TENSOR_COLOUR = "#ffffff"
PAPER_LABEL = "as in the paper"
OURS_LABEL = "our choice (the paper leaves it open; see docs/architecture.md)"


def shape_text(*dims: int) -> str:
    """A tensor shape as the diagrams print it: ``(26, 128, 128)``."""
    return "(" + ", ".join(str(int(d)) for d in dims) + ")"


class Diagram(Figure):
    """A matplotlib Figure that shows itself as a PNG when it is a cell's last value.

    A Figure made without pyplot has no display hook of its own outside the inline backend (and
    pyplot would tie it to the current backend), so the PNG comes from ``_repr_png_``.
    """

    def _repr_png_(self) -> bytes:
        buffer = io.BytesIO()
        self.savefig(buffer, format="png", bbox_inches="tight")
        return buffer.getvalue()


@dataclass
class _Box:
    x: float
    y: float
    w: float
    h: float


class _Canvas:
    """A tiny box-and-arrow layout on one axes (data units, y up)."""

    def __init__(self, width: float, height: float, title: str, figsize: tuple[float, float]):
        self.fig = Diagram(figsize=figsize, dpi=100)
        self.ax = self.fig.add_axes((0.01, 0.01, 0.98, 0.90))
        self.ax.set_xlim(0, width)
        self.ax.set_ylim(0, height)
        self.ax.axis("off")
        self.fig.suptitle(title, fontsize=12, fontweight="bold")
        self.boxes: dict[str, _Box] = {}

    def box(
        self,
        key: str,
        x: float,
        y: float,
        label: str,
        shape: str = "",
        ours: bool = False,
        w: float = 2.2,
        h: float = 0.9,
        tensor: bool = False,
    ) -> None:
        """A box centred at (x, y): ``label`` on top, ``shape`` (its output) below it."""
        colour = TENSOR_COLOUR if tensor else (OURS_COLOUR if ours else PAPER_COLOUR)
        patch = FancyBboxPatch(
            (x - w / 2, y - h / 2),
            w,
            h,
            boxstyle="round,pad=0.02,rounding_size=0.12",
            facecolor=colour,
            edgecolor="#b45f06" if ours else "#444444",
            hatch="///" if ours else None,
            linewidth=1.4 if ours else 1.0,
            linestyle="--" if tensor else "-",
        )
        self.ax.add_patch(patch)
        text = label if not shape else f"{label}\n{shape}"
        self.ax.text(
            x,
            y,
            text,
            ha="center",
            va="center",
            fontsize=8,
            bbox={"facecolor": colour, "edgecolor": "none", "pad": 0.6, "alpha": 0.9},
        )
        self.boxes[key] = _Box(x, y, w, h)

    def arrow(self, a: str, b: str, label: str = "", side: str = "auto", rad: float = 0.0) -> None:
        """An arrow from box ``a`` to box ``b`` (from the nearest edges)."""
        s, t = self.boxes[a], self.boxes[b]
        dx, dy = t.x - s.x, t.y - s.y
        if side == "auto":
            side = "h" if abs(dx) / (s.w + t.w) >= abs(dy) / (s.h + t.h) else "v"
        if side == "h":
            sign = 1 if dx > 0 else -1
            start, end = (s.x + sign * s.w / 2, s.y), (t.x - sign * t.w / 2, t.y)
        else:
            sign = 1 if dy > 0 else -1
            start, end = (s.x, s.y + sign * s.h / 2), (t.x, t.y - sign * t.h / 2)
        self.ax.add_patch(
            FancyArrowPatch(
                start,
                end,
                arrowstyle="-|>",
                mutation_scale=11,
                color="#333333",
                linewidth=1.0,
                connectionstyle=f"arc3,rad={rad}",
            )
        )
        if label:
            mx, my = (start[0] + end[0]) / 2, (start[1] + end[1]) / 2
            self.ax.text(mx, my + 0.18, label, ha="center", va="bottom", fontsize=7, color="#333")

    def note(self, x: float, y: float, text: str, **kwargs) -> None:
        kwargs.setdefault("fontsize", 7.5)
        kwargs.setdefault("color", "#333333")
        self.ax.text(x, y, text, **kwargs)

    def legend(self) -> Figure:
        handles = [
            Patch(facecolor=PAPER_COLOUR, edgecolor="#444444", label=PAPER_LABEL),
            Patch(facecolor=OURS_COLOUR, edgecolor="#b45f06", hatch="///", label=OURS_LABEL),
            Patch(facecolor=TENSOR_COLOUR, edgecolor="#444444", linestyle="--", label="a tensor"),
        ]
        self.fig.legend(
            handles=handles,
            loc="lower center",
            ncol=3,
            fontsize=8,
            frameon=False,
            borderaxespad=0.2,
        )
        return self.fig


# ---------------------------------------------------------------------------------------------
# The U-Net
# ---------------------------------------------------------------------------------------------
def unet_shapes(size: int = 128, base_channels: int = 26) -> dict[str, tuple[int, int, int]]:
    """The (C, H, W) each stage of AMINet outputs for a ``size`` x ``size`` input (Fig. 2)."""
    c = base_channels
    s = size
    return {
        "input": (3, s, s),
        "head": (c, s, s),
        "enc1": (c, s, s),
        "down1": (2 * c, s // 2, s // 2),
        "enc2": (2 * c, s // 2, s // 2),
        "down2": (4 * c, s // 4, s // 4),
        "enc3": (4 * c, s // 4, s // 4),
        "down3": (8 * c, s // 8, s // 8),
        "bottleneck": (8 * c, s // 8, s // 8),
        "up3": (4 * c, s // 4, s // 4),
        "edff3": (4 * c, s // 4, s // 4),
        "dec3": (4 * c, s // 4, s // 4),
        "up2": (2 * c, s // 2, s // 2),
        "edff2": (2 * c, s // 2, s // 2),
        "dec2": (2 * c, s // 2, s // 2),
        "up1": (c, s, s),
        "edff1": (c, s, s),
        "dec1": (c, s, s),
        "tail": (3, s, s),
        "output": (3, s, s),
    }


def draw_unet(size: int = 128, base_channels: int = 26, heads=(1, 2, 4, 8)) -> Figure:
    """AMINet's U-Net (paper Fig. 2): 3 encoder stages, a 2-LGFI bottleneck, 3 decoder stages with
    EDFF, and the global residual. Shapes for a ``size`` x ``size`` bicubic-upsampled input."""
    sh = {k: shape_text(*v) for k, v in unet_shapes(size, base_channels).items()}
    cv = _Canvas(
        20, 11.5, f"AMINet's U-Net (Fig. 2), C = {base_channels}, input {size}x{size}", (15, 8.6)
    )
    cv.ax.set_ylim(-0.7, 11.3)
    lr = size // 8
    cv.box("lr", 1.4, 10.5, f"LR face {lr}x{lr}", shape_text(3, lr, lr), tensor=True, w=2.3)
    cv.box("bicubic", 1.4, 9.1, "bicubic x8", sh["input"], ours=True, w=2.3)
    cv.arrow("lr", "bicubic")
    cv.box("head", 1.4, 7.9, "conv 3x3 (head)", sh["head"], w=2.3)
    cv.arrow("bicubic", "head")
    xs = (4.2, 6.7, 9.2)
    ys = (7.9, 5.3, 2.7)
    prev = "head"
    for i in range(3):
        k = i + 1
        plural = "s" * (heads[i] > 1)
        cv.box(f"enc{k}", xs[i], ys[i], f"LGFI x1 ({heads[i]} head{plural})", sh[f"enc{k}"], w=2.4)
        cv.arrow(prev, f"enc{k}")
        cv.box(
            f"down{k}",
            xs[i],
            ys[i] - 1.15,
            "Downsample\n(conv s2)",
            sh[f"down{k}"],
            ours=True,
            w=2.2,
            h=1.0,
        )
        cv.arrow(f"enc{k}", f"down{k}", side="v")
        prev = f"down{k}"
    cv.box("bottleneck", 11.4, 0.45, f"LGFI x2 ({heads[3]} heads)", sh["bottleneck"], w=2.5)
    cv.arrow(prev, "bottleneck")
    dxs = {3: 13.4, 2: 15.8, 1: 18.2}
    prev = "bottleneck"
    for k in (3, 2, 1):
        x, y = dxs[k], ys[k - 1]
        plural = "s" * (heads[k - 1] > 1)
        cv.box(
            f"up{k}",
            x,
            y - 1.15,
            "Upsample\n(transp. conv)",
            sh[f"up{k}"],
            ours=True,
            w=2.2,
            h=1.0,
        )
        cv.arrow(prev, f"up{k}")
        cv.box(f"edff{k}", x, y, "EDFF", sh[f"edff{k}"], w=1.9, h=0.8)
        cv.arrow(f"up{k}", f"edff{k}", side="v")
        cv.box(
            f"dec{k}",
            x,
            y + 1.05,
            f"LGFI x1 ({heads[k - 1]} head{plural})",
            sh[f"dec{k}"],
            w=2.4,
            h=0.8,
        )
        cv.arrow(f"edff{k}", f"dec{k}", side="v")
        cv.arrow(f"enc{k}", f"edff{k}", label=f"skip {sh[f'enc{k}']}")
        prev = f"dec{k}"
    cv.box("tail", 18.2, 10.3, "conv 3x3 (tail)", sh["tail"], w=2.3)
    cv.arrow(prev, "tail", side="v")
    cv.box("sum", 15.0, 10.3, "+  (global residual)", sh["output"], w=2.6)
    cv.arrow("tail", "sum")
    cv.box("sr", 11.8, 10.3, "SR face", sh["output"], tensor=True, w=2.0)
    cv.arrow("sum", "sr")
    cv.ax.add_patch(
        FancyArrowPatch(
            (2.55, 9.1),
            (13.7, 10.0),
            arrowstyle="-|>",
            mutation_scale=11,
            color="#777777",
            linestyle=":",
            connectionstyle="arc3,rad=-0.06",
        )
    )
    cv.note(5.2, 9.2, "bicubic input added back (our choice, as SPARNet/CTCNet)", color="#777777")
    cv.note(
        0.2,
        -0.6,
        "Widths C/2C/4C/8C, heads per stage and the down/upsampling layers are ours "
        "(docs/architecture.md);\nthe paper fixes the U-shape, LGFI, EDFF and the global residual.",
        fontsize=7.5,
    )
    return cv.legend()


# ---------------------------------------------------------------------------------------------
# The modules
# ---------------------------------------------------------------------------------------------
def draw_sa(channels: int = 26, size: int = 32, heads: int = 1) -> Figure:
    """SA (eqs. 1-5, Fig. 3b): Q, K, V by 1x1 + 3x3 depthwise convs, attention across channels."""
    c, hw = channels, size * size
    d = c // heads
    x = shape_text(c, size, size)
    cv = _Canvas(
        16,
        6.2,
        f"SA: self-attention across channels (eqs. 1-5), C = {c}, {heads} head(s)",
        (13, 5.2),
    )
    cv.box("x", 1.2, 3.3, "X (normalised)", x, tensor=True, w=2.1)
    cv.box("qkv", 3.7, 3.3, "conv 1x1 -> 3C\n+ dw 3x3", shape_text(3 * c, size, size), w=2.2, h=1.1)
    cv.arrow("x", "qkv")
    for key, y in (("q", 5.0), ("k", 3.3), ("v", 1.5)):
        cv.box(key, 6.3, y, f"{key.upper()} -> (heads, C/h, HW)", shape_text(heads, d, hw), w=2.8)
        cv.arrow("qkv", key)
    cv.box(
        "norm",
        9.2,
        4.15,
        "L2-normalise Q, K\nrows over HW",
        shape_text(heads, d, hw),
        ours=True,
        w=2.5,
        h=1.1,
    )
    cv.arrow("q", "norm")
    cv.arrow("k", "norm")
    cv.box(
        "attn",
        12.0,
        4.15,
        "softmax(tau * Q K^T)\n(tau learnable)",
        shape_text(heads, d, d),
        ours=True,
        w=2.6,
        h=1.1,
    )
    cv.arrow("norm", "attn")
    cv.box("av", 12.0, 1.5, "A V", shape_text(heads, d, hw), w=2.2)
    cv.arrow("attn", "av", side="v")
    cv.arrow("v", "av")
    cv.box("out", 14.7, 2.9, "reshape + conv 1x1\n(eq. 5)", x, w=2.3, h=1.1)
    cv.arrow("av", "out")
    cv.note(
        0.2,
        0.25,
        f"Paper eq. 4: softmax(Q K^T / sqrt(d)). The map is {d} x {d} per head (channels x channels), "
        "so the cost grows linearly with HW; no biases (as Restormer's MDTA).",
    )
    return cv.legend()


def draw_rdfe(channels: int = 26, size: int = 32, kernel_sizes=(3, 5, 7)) -> Figure:
    """RDFE (eqs. 6-10, Fig. 3a) with its attention unit (AU, eq. 7) and FRM (eq. 10)."""
    c, k = channels, len(kernel_sizes)
    x = shape_text(c, size, size)
    r = max(k * c // 4, 8)
    cv = _Canvas(
        19, 9.4, f"RDFE: residual depth feature extraction (eqs. 6-10), C = {c}", (15, 7.4)
    )
    cv.box("x", 1.2, 6.6, "X", x, tensor=True, w=1.6)
    ys = [8.3 - 1.7 * i for i in range(k)]
    for i, (ks, y) in enumerate(zip(kernel_sizes, ys)):
        cv.box(f"dw{i}", 3.6, y, f"dw {ks}x{ks} (eq. 6)", x, w=2.2)
        cv.arrow("x", f"dw{i}")
        cv.box(f"gelu{i}", 6.0, y, "GELU", x, ours=True, w=1.6)
        cv.arrow(f"dw{i}", f"gelu{i}")
    cv.box("cat", 6.0, 2.6, "concat", shape_text(k * c, size, size), w=1.8)
    for i in range(k):
        cv.arrow(f"gelu{i}", "cat", side="v" if i == k - 1 else "auto", rad=0.2 if i < k - 1 else 0)
    cv.box("au", 8.8, 2.6, "AU (eq. 7)", shape_text(k, c, 1, 1), w=2.0)
    cv.arrow("cat", "au")
    for i, (ks, y) in enumerate(zip(kernel_sizes, ys)):
        cv.box(f"mul{i}", 8.8, y, f"f{i + 1} x a{i + 1} (eq. 8)", x, w=2.0)
        cv.arrow(f"gelu{i}", f"mul{i}")
        cv.box(f"ref{i}", 11.2, y, f"dw {ks}x{ks} again", x, ours=True, w=2.0)
        cv.arrow(f"mul{i}", f"ref{i}")
    cv.arrow("au", f"mul{k - 1}", side="v", label="")
    cv.note(
        8.95,
        ys[-1] - 1.05,
        "a_1 ... a_k, one weight per\nbranch and channel, to every f_i",
        fontsize=7,
    )
    cv.box("fuse", 13.8, ys[k // 2], f"concat + conv 1x1\n{k}C -> C, + X (eq. 9)", x, w=2.6, h=1.1)
    for i in range(k):
        cv.arrow(f"ref{i}", "fuse")
    cv.box("frm", 16.9, ys[k // 2], "FRM (eq. 10)", x, w=2.0)
    cv.arrow("fuse", "frm")
    # the two sub-modules, spelled out
    cv.box(
        "au_detail",
        4.2,
        0.95,
        f"AU inside: avg-pool -> 1x1 ({k}C -> {r}) -> ReLU -> 1x1 ({r} -> {k}C)\n"
        f"-> softmax over the {k} branches (SKNet-style)",
        ours=True,
        w=7.4,
        h=0.95,
    )
    cv.box(
        "frm_detail",
        13.3,
        0.95,
        "FRM inside: (BN, PReLU, conv 3x3) x 2 = y;  X + y * sigmoid(hourglass(y))\n"
        "(SPARNet's block; hourglass 48 channels, depth by resolution)",
        ours=True,
        w=8.6,
        h=0.95,
    )
    return cv.legend()


def draw_skaf(channels: int = 26, size: int = 32) -> Figure:
    """SKAF (eqs. 11-14): two dense convs, channel pooling, two per-pixel selection maps."""
    c = channels
    c1, c2 = c // 2, c - c // 2
    cv = _Canvas(
        16, 5.6, f"SKAF: selective kernel attention fusion (eqs. 11-14), C = {c}", (13, 4.8)
    )
    cv.box("x", 1.2, 3.0, "X", shape_text(c, size, size), tensor=True, w=1.8)
    cv.box(
        "c5",
        3.9,
        4.3,
        f"conv 5x5, dense\nC -> {c1}",
        shape_text(c1, size, size),
        ours=True,
        w=2.3,
        h=1.1,
    )
    cv.box(
        "c7",
        3.9,
        1.7,
        f"conv 7x7, dense\nC -> {c2}",
        shape_text(c2, size, size),
        ours=True,
        w=2.3,
        h=1.1,
    )
    cv.arrow("x", "c5")
    cv.arrow("x", "c7")
    cv.box("x3", 6.5, 3.0, "X3 = concat (eq. 12)", shape_text(c, size, size), w=2.3)
    cv.arrow("c5", "x3")
    cv.arrow("c7", "x3")
    cv.box("pool", 9.0, 3.0, "avg_c, max_c\n(eq. 13)", shape_text(2, size, size), w=2.0, h=1.1)
    cv.arrow("x3", "pool")
    cv.box(
        "mix",
        11.4,
        3.0,
        "conv 7x7, 2 -> 2\n+ sigmoid",
        shape_text(2, size, size),
        ours=True,
        w=2.2,
        h=1.1,
    )
    cv.arrow("pool", "mix")
    cv.box("w1", 14.3, 4.2, "X' (eq. 14)", shape_text(1, size, size), tensor=True, w=2.0)
    cv.box("w2", 14.3, 1.8, "X'' (eq. 14)", shape_text(1, size, size), tensor=True, w=2.0)
    cv.arrow("mix", "w1")
    cv.arrow("mix", "w2")
    cv.note(
        0.2,
        0.3,
        "Paper eq. 13: sigmoid(concat(avg, max)); the 7x7 mix conv is ours (LSKNet's), so neither "
        "map is tied to the mean or the max. The caller multiplies X', X'' onto the two features.",
    )
    return cv.legend()


def draw_lgfi(channels: int = 26, size: int = 32, heads: int = 1) -> Figure:
    """LGFI (Sec. III-B, Fig. 6): SA and RDFE in parallel, SKAF selects per pixel, a residual."""
    x = shape_text(channels, size, size)
    cv = _Canvas(
        17, 6.0, f"LGFI: local and global feature interaction, C = {channels}", (13.5, 5.0)
    )
    cv.box("x", 1.1, 3.0, "x", x, tensor=True, w=1.6)
    cv.box("ln", 3.4, 3.0, "LayerNorm\n(channels)", x, ours=True, w=2.0, h=1.1)
    cv.arrow("x", "ln")
    cv.box("sa", 6.0, 4.5, f"SA ({heads} head{'s' * (heads > 1)})", x, w=2.1)
    cv.box("rdfe", 6.0, 1.5, "RDFE", x, w=2.1)
    cv.arrow("ln", "sa")
    cv.arrow("ln", "rdfe")
    cv.box("sum", 8.6, 3.0, "g + l", x, ours=True, w=1.6)
    cv.arrow("sa", "sum")
    cv.arrow("rdfe", "sum")
    cv.box("skaf", 10.9, 3.0, "SKAF", f"2 maps {shape_text(1, size, size)}", w=2.4)
    cv.arrow("sum", "skaf")
    cv.box("fuse", 13.3, 3.0, "g * w_g + l * w_l", x, w=2.3)
    cv.arrow("skaf", "fuse")
    cv.arrow("sa", "fuse", rad=-0.15)
    cv.arrow("rdfe", "fuse", rad=0.15)
    cv.box("res", 15.8, 3.0, "x + (residual)", x, ours=True, w=2.1)
    cv.arrow("fuse", "res")
    cv.note(
        0.2,
        0.3,
        "The paper: SA and RDFE read the same input and SKAF fuses them. Ours: one shared LayerNorm "
        "(Restormer's pre-norm), SKAF reads the sum g + l, a residual around the block.",
    )
    return cv.legend()


def draw_edff(channels: int = 26, size: int = 32) -> Figure:
    """EDFF (eqs. 15-16): SKAF's two maps from the encoder and decoder features weigh each one."""
    c = channels
    x = shape_text(c, size, size)
    cv = _Canvas(16, 5.6, f"EDFF: encoder-decoder feature fusion (eqs. 15-16), C = {c}", (13, 4.8))
    cv.box("xe", 1.4, 4.3, "X_E (skip)", x, tensor=True, w=2.2)
    cv.box("xd", 1.4, 1.7, "X_D (upsampled)", x, tensor=True, w=2.2)
    cv.box("cat", 4.2, 3.0, "concat", shape_text(2 * c, size, size), w=2.0)
    cv.arrow("xe", "cat")
    cv.arrow("xd", "cat")
    cv.box("red", 6.7, 3.0, "conv 1x1\n2C -> C", x, w=2.0, h=1.1)
    cv.arrow("cat", "red")
    cv.box("skaf", 9.2, 3.0, "SKAF (eq. 15)", f"X', X'' {shape_text(1, size, size)}", w=2.4)
    cv.arrow("red", "skaf")
    cv.box("fuse", 12.4, 3.0, "X_E * X' + X_D * X''\n(eq. 16)", x, w=2.8, h=1.1)
    cv.arrow("skaf", "fuse")
    cv.arrow("xe", "fuse", rad=-0.25)
    cv.arrow("xd", "fuse", rad=0.25)
    cv.box("out", 15.0, 3.0, "X_ED", x, tensor=True, w=1.6)
    cv.arrow("fuse", "out")
    cv.note(
        0.2,
        0.3,
        "As in the paper; our SKAF choices (dense 5x5/7x7 convs, the 7x7 mix conv) apply inside.",
    )
    return cv.legend()
