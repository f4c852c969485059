"""Data for x8 face super-resolution: the degradation, SynthFaces, and real-face loaders.

>>> from aminet.data import build_dataset, degrade
>>> item = build_dataset("synthetic", "test")[0]
>>> item["lr"].shape, item["input"].shape, item["hr"].shape
(torch.Size([3, 16, 16]), torch.Size([3, 128, 128]), torch.Size([3, 128, 128]))
"""

from aminet.data.datasets import (
    BadImageError,
    FaceFolder,
    LRFolder,
    build_dataset,
    celeba_split_files,
    load_rgb,
    scan_images,
)
from aminet.data.degradation import degrade, quantize_8bit, resize_bicubic
from aminet.data.prepare import prepare_celeba
from aminet.data.synthfaces import SPLIT_SIZES, SynthFaces, render_face

__all__ = [
    "SPLIT_SIZES",
    "BadImageError",
    "FaceFolder",
    "LRFolder",
    "SynthFaces",
    "build_dataset",
    "celeba_split_files",
    "degrade",
    "load_rgb",
    "prepare_celeba",
    "quantize_8bit",
    "render_face",
    "resize_bicubic",
    "scan_images",
]
