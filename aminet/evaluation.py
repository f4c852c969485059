"""Evaluate a super-resolution model on a dataset: PSNR/SSIM (Y and RGB), VIF-p, optional LPIPS.

As in the field's reference scripts, the SR output is clamped to [0, 1] and rounded to 8 bits
(the PNG it would be saved as) before it is measured; every metric is computed per image and
reported as the mean and the standard deviation over the images.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset, Subset

from aminet import metrics
from aminet.data.degradation import quantize_8bit

__all__ = ["evaluate", "METRIC_KEYS"]

METRIC_KEYS = ("psnr_y", "ssim_y", "psnr_rgb", "ssim_rgb", "vif", "lpips")


def _default_device() -> torch.device:
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def _summarise(values: dict[str, list[float]]) -> dict:
    out = {}
    for key, vals in values.items():
        arr = np.asarray(vals, dtype=np.float64)
        out[key] = float(arr.mean())
        out[f"{key}_std"] = float(arr.std())
    return out


@torch.no_grad()
def evaluate(
    model: nn.Module,
    dataset: Dataset,
    *,
    batch_size: int = 16,
    limit: int | None = None,
    device: str | torch.device | None = None,
    lpips: bool = False,
    vif: bool = True,
    quantize: bool = True,
    progress: bool = True,
) -> dict:
    """Run ``model`` over ``dataset`` (items with "input" and "hr") and measure its output.

    Returns ``{"psnr_y", "ssim_y", "psnr_rgb", "ssim_rgb", "vif", "lpips"}`` means, each with a
    ``"<key>_std"``, plus ``"n"`` (images measured). ``lpips`` is ``None`` when not asked for or
    when the pretrained AlexNet is not on this machine; ``"lpips_note"`` then says why.
    ``vif=False`` skips VIF-p (``None``), the slowest metric on CPU.
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    if limit is not None:
        if limit < 1:
            raise ValueError(f"limit must be >= 1, got {limit}")
        dataset = Subset(dataset, range(min(limit, len(dataset))))
    if len(dataset) == 0:
        raise ValueError("the dataset is empty: nothing to evaluate")
    device = torch.device(device) if device is not None else _default_device()
    model = model.to(device).eval()

    lpips_metric, lpips_note = None, None
    if lpips:
        try:
            lpips_metric = metrics.LPIPS().to(device)
        except metrics.MetricUnavailable as err:
            lpips_note = str(err)
    else:
        lpips_note = "not computed (lpips=False)"

    values: dict[str, list[float]] = {k: [] for k in ("psnr_y", "ssim_y", "psnr_rgb", "ssim_rgb")}
    if vif:
        values["vif"] = []
    if lpips_metric is not None:
        values["lpips"] = []

    loader = DataLoader(dataset, batch_size=batch_size, shuffle=False, num_workers=0)
    if progress:
        from tqdm.auto import tqdm

        loader = tqdm(loader, desc="evaluating", unit="batch")
    for batch in loader:
        if "hr" not in batch:
            raise ValueError(
                "this dataset has no ground truth ('hr'): use an HR dataset to measure a model"
            )
        x, hr = batch["input"].to(device), batch["hr"].to(device)
        sr = model(x).clamp(0, 1)
        if sr.shape != hr.shape:
            raise ValueError(
                f"the model returned {tuple(sr.shape)} for an input of {tuple(x.shape)}; expected {tuple(hr.shape)}"
            )
        if quantize:
            sr = quantize_8bit(sr)
        values["psnr_y"] += metrics.psnr(sr, hr).tolist()
        values["ssim_y"] += metrics.ssim(sr, hr).tolist()
        values["psnr_rgb"] += metrics.psnr(sr, hr, y_channel=False).tolist()
        values["ssim_rgb"] += metrics.ssim(sr, hr, y_channel=False).tolist()
        if vif:
            values["vif"] += metrics.vif(sr, hr).tolist()
        if lpips_metric is not None:
            values["lpips"] += lpips_metric(sr, hr).tolist()

    result = _summarise(values)
    for key in METRIC_KEYS:
        result.setdefault(key, None)
        result.setdefault(f"{key}_std", None)
    result["n"] = len(values["psnr_y"])
    if lpips_note:
        result["lpips_note"] = lpips_note
    return result
