"""The x8 degradation of the paper: HR 128 -> LR 16 by antialiased bicubic, LR -> 128 by bicubic.

The field (SPARNet, CTCNet and AMINet's own data) makes LR faces with PIL's bicubic resize, which is
*antialiased*: when shrinking, the cubic kernel (a = -0.5) is stretched over the footprint of each
output pixel. ``torch.nn.functional.interpolate(mode="bicubic", antialias=True)`` implements the
same filter, so the degradation runs on the GPU, on whole batches, inside a training step. The
non-antialiased bicubic (OpenCV's INTER_CUBIC, torch without ``antialias``) aliases and gives a
bicubic baseline about 1.35 dB worse: a silent change of the benchmark, so it is not offered.

The resize is linear and separable, so it is applied as two small matrix products
``R_h @ img @ R_w^T``. The matrices are read off ``F.interpolate`` itself (by resizing an identity
image), so the result is the same operator to float precision, about four times faster on
single 128x128 images, and runs on any device and dtype.
"""

from __future__ import annotations

from functools import lru_cache

import torch
import torch.nn.functional as F

__all__ = ["degrade", "resize_bicubic", "quantize_8bit"]


@lru_cache(maxsize=32)
def _resize_matrix(n_in: int, n_out: int) -> torch.Tensor:
    """(n_out, n_in) float64 matrix of torch's antialiased bicubic resize along one axis."""
    eye = torch.eye(n_in, dtype=torch.float64)[None, None]
    out = F.interpolate(
        eye, size=(n_out, n_in), mode="bicubic", align_corners=False, antialias=True
    )
    return out[0, 0]


@lru_cache(maxsize=64)
def _resize_matrix_as(
    n_in: int, n_out: int, dtype: torch.dtype, device: torch.device
) -> torch.Tensor:
    return _resize_matrix(n_in, n_out).to(dtype=dtype, device=device)


def _resize_matrix_like(n_in: int, n_out: int, like: torch.Tensor) -> torch.Tensor:
    return _resize_matrix_as(n_in, n_out, like.dtype, like.device)


def resize_bicubic(img: torch.Tensor, size: int | tuple[int, int]) -> torch.Tensor:
    """Resize (N, C, H, W) or (C, H, W) with PIL-compatible antialiased bicubic (a = -0.5).

    ``antialias=True`` also matters when enlarging: torch then uses the a = -0.5 kernel, as PIL
    does, instead of the a = -0.75 kernel of its plain bicubic mode.
    """
    if not torch.is_tensor(img):
        raise TypeError(f"resize_bicubic expects a torch.Tensor, got {type(img).__name__}")
    single = img.ndim == 3
    if single:
        img = img.unsqueeze(0)
    if img.ndim != 4:
        raise ValueError(
            f"expected an image (C, H, W) or a batch (N, C, H, W), got shape {tuple(img.shape)}"
        )
    if not img.is_floating_point():
        raise TypeError(f"expected a float image in [0, 1], got dtype {img.dtype}")
    if isinstance(size, int):
        size = (size, size)
    rows = _resize_matrix_like(img.shape[-2], size[0], img)
    cols = _resize_matrix_like(img.shape[-1], size[1], img)
    out = rows @ img @ cols.T
    return out[0] if single else out


def quantize_8bit(img: torch.Tensor) -> torch.Tensor:
    """Round to the 256 levels of an 8-bit file, as saving the image as PNG would."""
    return torch.round(img.clamp(0.0, 1.0) * 255.0) / 255.0


def degrade(
    hr: torch.Tensor, scale: int = 8, *, quantize: bool = False
) -> tuple[torch.Tensor, torch.Tensor]:
    """Return ``(lr, lr_up)``: the LR face (H/scale) and its bicubic upsampling (the network input).

    Works on a single image (3, H, W) or a batch (N, 3, H, W), float in [0, 1], on any device.
    Both outputs are clamped to [0, 1] (bicubic overshoots at edges). With ``quantize=True`` the
    LR image is rounded to 8 bits before upsampling and the input after it, which reproduces the
    reference pipelines that save LR faces as PNG files.
    """
    if not torch.is_tensor(hr):
        raise TypeError(f"degrade expects a torch.Tensor, got {type(hr).__name__}")
    if hr.ndim not in (3, 4):
        raise ValueError(f"degrade expects (3, H, W) or (N, 3, H, W), got shape {tuple(hr.shape)}")
    h, w = hr.shape[-2:]
    if scale < 1 or h % scale or w % scale:
        raise ValueError(f"image size {h}x{w} is not divisible by scale {scale}")
    lr = resize_bicubic(hr, (h // scale, w // scale)).clamp(0.0, 1.0)
    if quantize:
        lr = quantize_8bit(lr)
    lr_up = resize_bicubic(lr, (h, w)).clamp(0.0, 1.0)
    if quantize:
        lr_up = quantize_8bit(lr_up)
    return lr, lr_up
