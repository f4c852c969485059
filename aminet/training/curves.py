"""``curves.png``: the training loss and the validation PSNR-Y of a run, against the step."""

from __future__ import annotations

from pathlib import Path

import numpy as np

__all__ = ["save_curves"]


def save_curves(history: dict, path: str | Path, note: str = "") -> Path:
    """Plot the training loss (raw and smoothed) and the validation PSNR-Y against the step.

    Drawn on a standalone ``Figure`` (no pyplot): the file is written without touching the
    notebook's backend or its list of open figures, so figures drawn later still show.
    """
    from matplotlib.figure import Figure

    fig = Figure(figsize=(10, 3.6))
    ax_loss, ax_psnr = fig.subplots(1, 2)
    steps, losses = history.get("step", []), history.get("loss", [])
    if losses:
        ax_loss.plot(steps, losses, alpha=0.35, lw=0.8, label="per step")
        window = max(1, len(losses) // 30)
        smooth = np.convolve(losses, np.ones(window) / window, mode="valid")
        ax_loss.plot(steps[window - 1 :], smooth, lw=1.6, label=f"mean of {window}")
        ax_loss.set_yscale("log")
        ax_loss.legend()
    ax_loss.set(
        xlabel="step", ylabel="training loss", title="loss" + (f" ({note})" if note else "")
    )
    if history.get("val_step"):
        ax_psnr.plot(history["val_step"], history["val_psnr_y"], "o-")
    ax_psnr.set(xlabel="step", ylabel="PSNR-Y (dB)", title="validation PSNR-Y")
    ax_psnr.grid(alpha=0.3)
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path, dpi=110)
    return path
