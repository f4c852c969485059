"""A small explorer for the notebooks: compare LR / bicubic / model / HR and look inside LGFI.

In JupyterLab (or Colab) :func:`explore` shows a dropdown of faces and redraws one figure per
choice; executed headless (nbval, ``aminet course grade``, a plain script, or with
``AMINET_HEADLESS=1``) it draws the static figure of the first face instead, so a notebook using it
runs everywhere. The building blocks are usable on their own::

    from aminet.course.explorer import sample_faces, compare_figure, explore
    faces = sample_faces(4, size=64)            # SynthFaces test faces, or synthetic images
    fig = compare_figure(model, faces[0])       # one matplotlib figure
    explore(model, faces)                       # widgets when a front end is there

Each face is a dict like the data API's items: ``{"lr", "input", "hr", "name"}`` (tensors
(3, h, w) in [0, 1]). Untrained models are fine: the figure is about what the modules compute.
"""

from __future__ import annotations

import math
import os

import torch
import torch.nn.functional as F
from torch import nn


def _bicubic(img: torch.Tensor, size: int) -> torch.Tensor:
    return F.interpolate(
        img[None], size=(size, size), mode="bicubic", align_corners=False, antialias=True
    )[0].clamp(0, 1)


def synthetic_face(size: int = 64, seed: int = 0) -> torch.Tensor:
    """A face-like test image (3, size, size) in [0, 1] without any dataset: ellipses and stripes.

    Used when :mod:`aminet.data` is not available; enough structure (edges, flat regions, fine
    stripes) for the attention and selection maps to show something.
    """
    g = torch.Generator().manual_seed(seed)
    y, x = torch.meshgrid(torch.linspace(-1, 1, size), torch.linspace(-1, 1, size), indexing="ij")
    skin = torch.tensor([0.85, 0.65, 0.55]) + 0.05 * torch.randn(3, generator=g)
    img = torch.stack([0.3 + 0.2 * y, 0.35 + 0.1 * x, 0.5 - 0.1 * y])  # background gradient
    face = ((x / 0.62) ** 2 + (y / 0.8) ** 2) < 1
    img = torch.where(face, skin.view(3, 1, 1).expand_as(img), img)
    for cx in (-0.28, 0.28):  # eyes
        eye = ((x - cx) / 0.13) ** 2 + ((y + 0.2) / 0.06) ** 2 < 1
        img = torch.where(eye, torch.tensor([0.1, 0.1, 0.15]).view(3, 1, 1).expand_as(img), img)
    mouth = ((x / 0.3) ** 2 + ((y - 0.45) / 0.07) ** 2) < 1
    img = torch.where(mouth, torch.tensor([0.7, 0.25, 0.3]).view(3, 1, 1).expand_as(img), img)
    hair = (y < -0.55) & (((x / 0.75) ** 2 + (y / 0.95) ** 2) < 1)
    stripes = 0.15 + 0.1 * torch.sin(40 * x).abs()
    img = torch.where(hair, stripes.expand_as(img), img)
    return img.clamp(0, 1)


def _item_from_hr(hr: torch.Tensor, name: str, scale: int = 8) -> dict:
    size = hr.shape[-1]
    lr = _bicubic(hr, size // scale)
    return {"lr": lr, "input": _bicubic(lr, size), "hr": hr, "name": name}


def sample_faces(n: int = 4, size: int = 64, split: str = "test") -> list[dict]:
    """``n`` faces as data-API items at ``size`` pixels (LR = size / 8).

    Uses :class:`aminet.data.SynthFaces` when that package is importable (resizing its 128-pixel
    faces to ``size``), else :func:`synthetic_face`. The returned ``"source"`` key says which.
    """
    hrs, source = [], "synthetic"
    try:
        from aminet.data import SynthFaces

        dataset = SynthFaces(split)
        hrs = [dataset[i]["hr"] for i in range(n)]
        source = "SynthFaces"
    except Exception:  # aminet.data missing or failing: the course still runs on synthetic images
        hrs = [synthetic_face(128, seed=i) for i in range(n)]
    items = []
    for i, hr in enumerate(hrs):
        hr = hr if hr.shape[-1] == size else _bicubic(hr, size)
        item = _item_from_hr(hr, f"{source} {split} #{i}")
        item["source"] = source
        items.append(item)
    return items


def psnr(sr: torch.Tensor, hr: torch.Tensor) -> float:
    """RGB PSNR in dB of two images in [0, 1] (the explorer's caption; metrics live in aminet.metrics)."""
    mse = F.mse_loss(sr.clamp(0, 1), hr).item()
    return float("inf") if mse == 0 else 10 * math.log10(1 / mse)


def _first_lgfi(model: nn.Module) -> nn.Module | None:
    from aminet.modules import LGFI

    return next((m for m in model.modules() if isinstance(m, LGFI)), None)


@torch.no_grad()
def inside_views(model: nn.Module, x: torch.Tensor) -> dict[str, torch.Tensor]:
    """What the first LGFI of ``model`` computes on input ``x`` (1, 3, H, W).

    Returns (possibly empty) ``{"SA attention map": (C, C), "SKAF global weight": (H, W),
    "SKAF local weight": (H, W)}``, read with a forward hook on that LGFI's input.
    """
    lgfi = _first_lgfi(model)
    if lgfi is None:
        return {}
    seen = {}
    handle = lgfi.register_forward_pre_hook(lambda m, args: seen.setdefault("x", args[0]))
    try:
        model(x)
    finally:
        handle.remove()
    feat = seen["x"]
    views = {}
    if lgfi.sa is not None:
        views["SA attention map"] = lgfi.sa.attention_map(lgfi.norm(feat))[0, 0]
    selection = lgfi.selection(feat)
    if selection is not None:
        views["SKAF global weight"] = selection[0][0, 0]
        views["SKAF local weight"] = selection[1][0, 0]
    return views


@torch.no_grad()
def compare_figure(model: nn.Module, item: dict, show_inside: bool = True):
    """A matplotlib figure: LR, bicubic, model, HR (PSNR in titles) and the first LGFI's maps."""
    import matplotlib.pyplot as plt

    model.eval()
    param = next(model.parameters(), None)
    dev = param.device if param is not None else torch.device("cpu")
    x = item["input"][None].to(dev)
    sr = model(x)[0].clamp(0, 1).cpu()
    views = inside_views(model, x) if show_inside else {}
    rows = 2 if views else 1
    fig, axes = plt.subplots(rows, 4, figsize=(12, 3.2 * rows), squeeze=False)
    hr = item["hr"]
    panels = [
        ("LR input", item["lr"], None),
        ("bicubic", item["input"], psnr(item["input"], hr)),
        ("model", sr, psnr(sr, hr)),
        ("HR (ground truth)", hr, None),
    ]
    for ax, (title, img, score) in zip(axes[0], panels):
        ax.imshow(img.permute(1, 2, 0).numpy(), interpolation="nearest")
        ax.set_title(title if score is None else f"{title}: {score:.2f} dB")
        ax.axis("off")
    if views:
        for ax in axes[1]:
            ax.axis("off")
        for ax, (title, view) in zip(axes[1], views.items()):
            im = ax.imshow(view.cpu().numpy(), cmap="viridis")
            ax.set_title(title)
            fig.colorbar(im, ax=ax, fraction=0.046)
    fig.suptitle(item.get("name", ""))
    fig.tight_layout()
    return fig


def is_interactive() -> bool:
    """True in a live Jupyter front end with ipywidgets; False headless or with AMINET_HEADLESS=1."""
    if os.environ.get("AMINET_HEADLESS", "").strip() not in ("", "0"):
        return False
    try:
        from IPython import get_ipython

        shell = get_ipython()
        import ipywidgets  # noqa: F401
    except ImportError:
        return False
    return shell is not None and "IPKernelApp" in getattr(shell, "config", {})


def explore(model: nn.Module, items: list[dict], interactive: bool | None = None):
    """Browse ``items`` through ``model``: a dropdown + figure in Jupyter, a static figure otherwise.

    Returns the ipywidgets box when interactive, else the matplotlib figure of ``items[0]``.
    """
    if not items:
        raise ValueError("explore() needs at least one item (see sample_faces())")
    if interactive is None:
        interactive = is_interactive()
    if not interactive:
        import matplotlib.pyplot as plt

        fig = compare_figure(model, items[0])
        plt.show()
        return fig
    import ipywidgets as widgets
    import matplotlib.pyplot as plt
    from IPython.display import display

    choice = widgets.Dropdown(
        options=[(it.get("name", str(i)), i) for i, it in enumerate(items)], description="face"
    )
    inside = widgets.Checkbox(value=True, description="show LGFI maps")
    out = widgets.Output()

    def redraw(*_):
        with out:
            out.clear_output(wait=True)
            compare_figure(model, items[choice.value], show_inside=inside.value)
            plt.show()

    choice.observe(redraw, names="value")
    inside.observe(redraw, names="value")
    box = widgets.VBox([widgets.HBox([choice, inside]), out])
    display(box)
    redraw()
    return box
