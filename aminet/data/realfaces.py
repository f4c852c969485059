"""Two real face photographs, offline: the public-domain pictures that installed packages ship.

SynthFaces are drawings; these are photographs (film grain, skin, real hair, real lighting), so
they tell whether a model trained on drawings generalises. Both pictures are in the public domain:

- ``grace_hopper``: Rear Admiral Grace Hopper, U.S. Navy photograph, shipped by matplotlib
  (``matplotlib.cbook.get_sample_data("grace_hopper.jpg")``, 512x600);
- ``astronaut``: astronaut Eileen Collins, NASA photograph, shipped by scikit-image
  (``skimage.data.astronaut()``, 512x512; scikit-image is a dependency, still optional at run
  time: without it only Grace Hopper is measured).

Each is cropped in the training framing from five landmarks stored below (found once with MTCNN;
see docs/data.md) by :func:`aminet.faces.warp_face`: a similarity transform to CelebA's aligned
template, 128x128, the photo mirrored where the crop leaves it (Grace Hopper's crop does, by a few
pixels at the top). These two faces are for evaluation only: never train on them.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torch.utils.data import Dataset

from aminet.data.datasets import FaceFolder
from aminet.data.degradation import degrade

__all__ = ["REAL_FACES", "RealFaces", "load_photo", "real_face", "real_faces_dataset"]

# (x, y) in pixels of the original file: left eye, right eye, nose, left/right mouth corner
REAL_FACES = {
    "grace_hopper": {
        "package": "matplotlib",
        "size": (512, 600),
        "credit": "Grace Hopper, U.S. Navy photograph (public domain), shipped by matplotlib",
        "landmarks": [
            (221.7, 192.2),
            (309.8, 186.1),
            (269.4, 239.2),
            (232.7, 279.6),
            (306.6, 275.9),
        ],
    },
    "astronaut": {
        "package": "scikit-image",
        "size": (512, 512),
        "credit": "Eileen Collins, NASA photograph (public domain), shipped by scikit-image",
        "landmarks": [
            (205.0, 101.7),
            (246.8, 103.7),
            (224.7, 129.0),
            (201.7, 139.2),
            (245.3, 141.9),
        ],
    },
}


def load_photo(name: str) -> np.ndarray:
    """The whole original photograph ``name`` as (H, W, 3) uint8 RGB."""
    if name == "grace_hopper":
        from matplotlib import cbook
        from PIL import Image

        path = cbook.get_sample_data("grace_hopper.jpg", asfileobj=False)
        with Image.open(path) as img:
            return np.asarray(img.convert("RGB"))
    if name == "astronaut":
        try:
            from skimage import data
        except ImportError:
            raise ImportError(
                "the 'astronaut' photo ships with scikit-image, which is not installed: "
                "pip install scikit-image (or pip install -e '.[dev]')"
            ) from None
        return np.ascontiguousarray(data.astronaut()[..., :3])
    raise ValueError(f"unknown real face {name!r}; known: {', '.join(REAL_FACES)}")


def available() -> list[str]:
    """The real faces whose package is installed (grace_hopper always: matplotlib is required)."""
    names = []
    for name in REAL_FACES:
        try:
            load_photo(name)
        except ImportError:
            continue
        names.append(name)
    return names


def real_face(name: str, size: int = 128) -> np.ndarray:
    """The face of photo ``name`` cropped in the training framing: (size, size, 3) uint8."""
    from aminet.faces.align import warp_face

    if name not in REAL_FACES:
        raise ValueError(f"unknown real face {name!r}; known: {', '.join(REAL_FACES)}")
    crop, _ = warp_face(load_photo(name), REAL_FACES[name]["landmarks"], size)
    return crop


class RealFaces(Dataset):
    """The shipped real faces as a dataset with the usual items ``{"lr", "input", "hr", "name"}``.

    ``names`` defaults to every photo whose package is installed; asking for one whose package is
    missing raises an ImportError naming the package.
    """

    def __init__(self, names: list[str] | None = None, *, scale: int = 8):
        self.names = list(names) if names is not None else available()
        self.scale = scale
        self._hr = [
            torch.from_numpy(np.array(real_face(n))).permute(2, 0, 1).float().div_(255.0)
            for n in self.names
        ]

    def __len__(self) -> int:
        return len(self.names)

    def __getitem__(self, index: int) -> dict:
        hr = self._hr[index]
        lr, lr_up = degrade(hr, self.scale, quantize=True)
        return {"lr": lr, "input": lr_up, "hr": hr, "name": self.names[index]}


def real_faces_dataset(folder: str | Path | None = None) -> Dataset:
    """The shipped real faces, or every 128x128-or-larger face image in ``folder`` (already
    cropped in the training framing; see ``aminet prepare-faces`` to make such crops)."""
    if folder is None:
        return RealFaces()
    return FaceFolder(Path(folder).expanduser())
