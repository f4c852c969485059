"""Real face datasets (CelebA, Helen, SCface, any folder) and ``build_dataset(spec, split)``.

Every dataset yields the same items as :class:`~aminet.data.SynthFaces`:
``{"lr": (3,16,16), "input": (3,128,128), "hr": (3,128,128), "name": str}``, float32 in [0, 1];
LR-only folders (faces to super-resolve, no ground truth) yield ``{"lr", "input", "name"}``.

HR policy for images that are not 128x128 (documented in docs/data.md): centre-crop the largest
square, then shrink it to 128x128 with PIL's antialiased bicubic. Images smaller than 128 pixels
on their short side are skipped with a warning that names them: enlarging them would invent the
"ground truth" the model is scored against.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageOps, UnidentifiedImageError
from torch.utils.data import Dataset

from aminet.data.degradation import degrade

__all__ = [
    "IMAGE_EXTENSIONS",
    "BadImageError",
    "FaceFolder",
    "LRFolder",
    "build_dataset",
    "celeba_split_files",
    "crop_to_square",
    "find_celeba_images",
    "find_split_folder",
    "to_hr",
    "load_rgb",
    "scan_images",
]

IMAGE_EXTENSIONS = (
    ".png",
    ".jpg",
    ".jpeg",
    ".bmp",
    ".webp",
    ".tif",
    ".tiff",
    ".ppm",
    ".pgm",
    ".gif",  # GIF: frame 1
)
HR_SIZE = 128
LR_SIZE = 16
# CelebA's official partition file numbers the splits 0 (train), 1 (val), 2 (test). The paper uses
# 18,000 training and 1,000 test faces; we take the first ones of each partition, in file order.
CELEBA_PARTITIONS = {"train": 0, "val": 1, "test": 2}
CELEBA_COUNTS = {"train": 18_000, "val": 200, "test": 1_000}


class BadImageError(ValueError):
    """A file that cannot be used as a face image; the message names the file and the reason."""


def load_rgb(path: str | Path) -> np.ndarray:
    """Read an image file as (H, W, 3) uint8 RGB, whatever its mode.

    Grayscale is repeated on the three channels; transparency (RGBA, LA, palette with alpha) is
    composited on white; 16-bit and 32-bit integer images are scaled to 8 bits by their bit depth;
    float images are taken as [0, 1] when their maximum is <= 1, else as [0, 255].
    Raises :class:`BadImageError` for unreadable, truncated or empty files.
    """
    path = Path(path)
    try:
        with Image.open(path) as img:
            img.load()  # decode now: truncated files fail here, not later in a worker
            # a phone photo stores "rotate me" in EXIF instead of rotating its pixels
            upright = ImageOps.exif_transpose(img)
            return _to_rgb8(upright)
    except FileNotFoundError:
        raise
    except Image.DecompressionBombError as err:
        raise BadImageError(
            f"{path}: too large to decode safely (Pillow's decompression-bomb guard: {err})"
        ) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as err:
        raise BadImageError(f"{path}: not a readable image ({type(err).__name__}: {err})") from None


def _to_rgb8(img: Image.Image) -> np.ndarray:
    mode = img.mode
    if mode in ("I;16", "I;16B", "I;16L", "I;16N", "I"):
        arr = np.asarray(img).astype(np.float64)
        peak = 65535.0 if (mode.startswith("I;16") or arr.max(initial=0) > 255) else 255.0
        gray = np.clip(np.round(arr / peak * 255.0), 0, 255).astype(np.uint8)
        return np.repeat(gray[..., None], 3, axis=2)
    if mode == "F":
        arr = np.asarray(img).astype(np.float64)
        arr = arr * 255.0 if arr.max(initial=0) <= 1.0 else arr
        gray = np.clip(np.round(arr), 0, 255).astype(np.uint8)
        return np.repeat(gray[..., None], 3, axis=2)
    if mode in ("RGBA", "LA", "PA") or (mode == "P" and "transparency" in img.info):
        rgba = img.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return np.asarray(Image.alpha_composite(white, rgba).convert("RGB"))
    return np.asarray(img.convert("RGB"))


def crop_to_square(arr: np.ndarray) -> np.ndarray:
    """The centred largest square of an (H, W, 3) image."""
    h, w = arr.shape[:2]
    side = min(h, w)
    top, left = (h - side) // 2, (w - side) // 2
    return arr[top : top + side, left : left + side]


def to_hr(arr: np.ndarray, path: Path, size: int = HR_SIZE) -> np.ndarray:
    """Apply the HR policy: centre-crop to a square, shrink to ``size`` (PIL bicubic)."""
    h, w = arr.shape[:2]
    if min(h, w) < size:
        raise BadImageError(
            f"{path}: {w}x{h} is smaller than {size}x{size}; an enlarged image cannot serve as "
            "ground truth (use it as an LR-only input with 'lr:DIR' instead)"
        )
    arr = crop_to_square(arr)
    if arr.shape[0] != size:
        arr = np.asarray(Image.fromarray(arr).resize((size, size), Image.Resampling.BICUBIC))
    return arr


# Folders up to this many images are fully decoded when checked (catches truncated files);
# larger ones (a prepared CelebA split) only have their headers read, and a file that fails to
# decode later raises an error naming it.
FULL_CHECK_LIMIT = 5_000


def scan_images(
    root: str | Path, *, check: bool | str = True, min_size: int = 0
) -> tuple[list[Path], list[tuple[Path, str]]]:
    """List the image files directly in ``root`` (sorted), optionally opening each to check it.

    ``check``: False (list only), "header" (read each header: format and size), "full" (decode
    each file), True (full up to FULL_CHECK_LIMIT files, else header). Returns ``(good, skipped)``
    where ``skipped`` holds ``(path, reason)`` for unreadable files and images smaller than
    ``min_size``. Files without an image extension are ignored.
    """
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"no such folder: {root}")
    files = sorted(
        p for p in root.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_EXTENSIONS
    )
    if not check:
        return files, []
    if check is True:
        check = "full" if len(files) <= FULL_CHECK_LIMIT else "header"
    if check not in ("full", "header"):
        raise ValueError(f"check must be True, False, 'full' or 'header', got {check!r}")
    good, skipped = [], []
    for path in files:
        try:
            with Image.open(path) as img:
                if check == "full":
                    img.load()
                w, h = img.size
        except (
            UnidentifiedImageError,
            OSError,
            SyntaxError,
            ValueError,
            Image.DecompressionBombError,
        ) as err:
            skipped.append((path, f"not a readable image ({type(err).__name__}: {err})"))
            continue
        if min(w, h) < min_size:
            skipped.append((path, f"{w}x{h} is smaller than {min_size}x{min_size}"))
            continue
        good.append(path)
    return good, skipped


def _report_skips(skipped: list[tuple[Path, str]]) -> None:
    for path, reason in skipped:
        warnings.warn(f"skipping {path}: {reason}", stacklevel=3)


def _no_images_error(root: Path, skipped) -> FileNotFoundError:
    what = f" ({len(skipped)} unusable files skipped)" if skipped else ""
    exts = ", ".join(IMAGE_EXTENSIONS)
    return FileNotFoundError(f"no usable images in {root}{what}; expected image files ({exts})")


class FaceFolder(Dataset):
    """HR faces from a list of files (or a folder), degraded on the fly to (lr, input, hr).

    ``check=True`` opens every file once when the dataset is made, so a corrupt or too-small file
    is reported (a warning naming it; the list is kept in ``self.skipped``) instead of failing
    mid-training. ``crop`` is an optional (left, top, right, bottom) box applied before the HR
    policy (CelebA's aligned images use one).
    """

    def __init__(
        self,
        root: str | Path | None = None,
        *,
        files: list[Path] | None = None,
        check: bool = True,
        augment: bool = False,
        crop: tuple[int, int, int, int] | None = None,
        limit: int | None = None,
        scale: int = 8,
    ):
        self.skipped: list[tuple[Path, str]] = []
        if files is None:
            if root is None:
                raise ValueError("FaceFolder needs a folder or a list of files")
            files, self.skipped = scan_images(root, check=check, min_size=0 if crop else HR_SIZE)
            _report_skips(self.skipped)
            if not files:
                raise _no_images_error(Path(root), self.skipped)
        self.files = list(files)[:limit] if limit is not None else list(files)
        self.augment, self.crop, self.scale = augment, crop, scale

    def __len__(self) -> int:
        return len(self.files)

    def hr_image(self, index: int) -> np.ndarray:
        """The HR face ``index`` as (128, 128, 3) uint8 after the crop and the HR policy."""
        path = self.files[index]
        arr = load_rgb(path)
        if self.crop is not None:
            left, top, right, bottom = self.crop
            if arr.shape[0] < bottom or arr.shape[1] < right:
                raise BadImageError(
                    f"{path}: {arr.shape[1]}x{arr.shape[0]} is too small for the crop box {self.crop}"
                )
            arr = arr[top:bottom, left:right]
        return to_hr(arr, path)

    def __getitem__(self, index: int) -> dict:
        hr = (
            torch.from_numpy(np.array(self.hr_image(index)))  # a writable copy
            .permute(2, 0, 1)
            .float()
            .div_(255.0)
        )
        if self.augment and torch.rand(()) < 0.5:
            hr = hr.flip(-1)
        lr, lr_up = degrade(hr, self.scale, quantize=True)
        return {"lr": lr, "input": lr_up, "hr": hr, "name": self.files[index].stem}


class LRFolder(Dataset):
    """LR-only faces for inference (no ground truth): ``{"lr", "input", "name"}``.

    Each image is centre-cropped to a square and resized to 16x16 if it is not already, then
    upsampled x8 by bicubic into the network input.
    """

    def __init__(
        self, root: str | Path, *, check: bool = True, limit: int | None = None, scale: int = 8
    ):
        self.files, self.skipped = scan_images(root, check=check)
        _report_skips(self.skipped)
        if not self.files:
            raise _no_images_error(Path(root), self.skipped)
        if limit is not None:
            self.files = self.files[:limit]
        self.scale = scale

    def __len__(self) -> int:
        return len(self.files)

    def __getitem__(self, index: int) -> dict:
        from aminet.data.degradation import resize_bicubic

        arr = crop_to_square(load_rgb(self.files[index]))
        if arr.shape[0] != LR_SIZE:
            arr = np.asarray(
                Image.fromarray(arr).resize((LR_SIZE, LR_SIZE), Image.Resampling.BICUBIC)
            )
        lr = (
            torch.from_numpy(np.array(arr)).permute(2, 0, 1).float().div_(255.0)
        )  # np.array: a writable copy
        lr_up = resize_bicubic(lr, LR_SIZE * self.scale).clamp(0, 1)
        return {"lr": lr, "input": lr_up, "name": self.files[index].stem}


# CelebA's img_align_celeba images are 178x218 with the face centred; the field crops the central
# 178x178 square (rows 20-198) and resizes it to 128x128.
CELEBA_CROP = (0, 20, 178, 198)


# Where CelebA's files sit in the layouts students actually get (see docs/data.md):
# official Google Drive / torchvision: ROOT/img_align_celeba/*.jpg + ROOT/list_eval_partition.txt
#   (torchvision puts both under ROOT/celeba/, the official archive the list under Eval/);
# Kaggle (jessicali9530/celeba-dataset, via kagglehub): ROOT/img_align_celeba/img_align_celeba/*.jpg
#   (nested twice) + ROOT/list_eval_partition.csv (header "image_id,partition");
# a Hugging Face mirror exported to a folder: ROOT/{train,valid,test}/*.jpg (no partition file).
_PARTITION_FILES = (
    "list_eval_partition.txt",
    "Eval/list_eval_partition.txt",
    "list_eval_partition.csv",
    "celeba/list_eval_partition.txt",
    "celeba/Eval/list_eval_partition.txt",
    "celeba/list_eval_partition.csv",
)
_IMAGE_DIRS = (
    "img_align_celeba/img_align_celeba",
    "img_align_celeba",
    "celeba/img_align_celeba/img_align_celeba",
    "celeba/img_align_celeba",
)
# folder names of the splits in exported mirrors (Hugging Face's flwrlabs/celeba calls val "valid")
SPLIT_FOLDER_NAMES = {"train": ("train",), "val": ("val", "valid", "validation"), "test": ("test",)}


def _find_partition_file(root: Path) -> Path:
    for name in _PARTITION_FILES:
        if (root / name).is_file():
            return root / name
    raise FileNotFoundError(
        f"CelebA partition file not found: put list_eval_partition.txt (official, in its Eval/ "
        f"folder) or list_eval_partition.csv (Kaggle) in {root}; see docs/data.md"
    )


def find_celeba_images(root: str | Path) -> Path | None:
    """CelebA's folder of aligned images in any known layout (Kaggle's nested one first), or None."""
    root = Path(root)
    for name in _IMAGE_DIRS:
        folder = root / name
        if folder.is_dir() and any(p.suffix.lower() == ".jpg" for p in folder.iterdir()):
            return folder
    for name in _IMAGE_DIRS:  # an empty or PNG folder: still the right place, say so later
        if (root / name).is_dir():
            return root / name
    return None


def find_split_folder(root: str | Path, split: str) -> Path | None:
    """``root/<split>/`` under any of its names (``val``, ``valid``, ``validation``), or None."""
    for name in SPLIT_FOLDER_NAMES[split]:
        if (Path(root) / name).is_dir():
            return Path(root) / name
    return None


def _partition_names(root: Path, split: str) -> list[str]:
    """File names of one split of CelebA's official partition, in file-name order.

    Reads the official ``NAME PARTITION`` text file or Kaggle's CSV (``image_id,partition`` with a
    header line)."""
    if split not in CELEBA_PARTITIONS:
        raise ValueError(f"unknown split {split!r}; expected one of {', '.join(CELEBA_PARTITIONS)}")
    partition_file = _find_partition_file(root)
    wanted = CELEBA_PARTITIONS[split]
    names = []
    for line_no, line in enumerate(partition_file.read_text().splitlines(), 1):
        parts = line.replace(",", " ").split()
        if not parts:
            continue
        if line_no == 1 and parts == ["image_id", "partition"]:  # Kaggle's CSV header
            continue
        if len(parts) != 2 or not parts[1].isdigit():
            raise ValueError(f"{partition_file}:{line_no}: expected 'NAME PARTITION', got {line!r}")
        if int(parts[1]) == wanted:
            names.append(parts[0])
    return sorted(names)


def celeba_split_files(root: str | Path, split: str, count: int | None = None) -> list[Path]:
    """The deterministic CelebA subset of a split: the first ``count`` (default 18,000 train /
    200 val / 1,000 test) images of the official partition, in file-name order, that exist in
    ``img_align_celeba`` (official, torchvision or Kaggle layout)."""
    root = Path(root)
    image_dir = find_celeba_images(root)
    if image_dir is None:
        raise FileNotFoundError(
            f"{root / 'img_align_celeba'} not found (expected CelebA's img_align_celeba folder, "
            "or Kaggle's img_align_celeba/img_align_celeba)"
        )
    names = _partition_names(root, split)
    files = [image_dir / n for n in names if (image_dir / n).is_file()]
    if not files:
        raise FileNotFoundError(f"no {split} images of the partition file found in {image_dir}")
    return files[: CELEBA_COUNTS[split] if count is None else count]


def _precropped_split_files(root: Path, split: str) -> list[Path]:
    """A flat folder of already-cropped CelebA faces (any extension, same names as CelebA's):
    the same deterministic subset, matched by file stem."""
    wanted = {Path(n).stem for n in _partition_names(root, split)}
    files, _ = scan_images(root, check=False)
    files = [f for f in files if f.stem in wanted]
    if not files:
        raise FileNotFoundError(f"none of the {split} images of the partition file are in {root}")
    return files[: CELEBA_COUNTS[split]]


def _celeba(root: Path, split: str, **kwargs) -> FaceFolder:
    """CelebA in one of these layouts: prepared or exported split folders (root/<split>/ from
    'aminet prepare-celeba', or a Hugging Face mirror's root/{train,valid,test}/ whose 178x218
    images the HR policy's centred square crops exactly like CELEBA_CROP), raw (official,
    torchvision or Kaggle: img_align_celeba/ + the partition file), or a flat folder of faces
    already cropped to 128x128 with the partition file beside them."""
    split_dir = find_split_folder(root, split)
    if split_dir is not None:
        return FaceFolder(split_dir, **kwargs)
    kwargs.pop("check", None)  # up to 200k files: checked lazily, errors name the file
    if find_celeba_images(root) is not None:
        return FaceFolder(
            files=celeba_split_files(root, split), crop=CELEBA_CROP, check=False, **kwargs
        )
    if scan_images(root, check=False)[0]:
        try:
            return FaceFolder(files=_precropped_split_files(root, split), check=False, **kwargs)
        except FileNotFoundError as err:
            raise FileNotFoundError(
                f"{err}. For a folder of faces without CelebA's partition, use folder:{root}"
            ) from None
    raise FileNotFoundError(
        f"{root} is neither a prepared CelebA folder (with {split}/) nor raw CelebA (with "
        "img_align_celeba/ and list_eval_partition.txt or .csv) nor a folder of cropped CelebA "
        "faces; see docs/data.md"
    )


def _folder(root: Path, split: str, **kwargs) -> FaceFolder:
    """``root/<split>/`` when it exists, else every image directly in ``root``.

    Validating a training run on ``root`` itself means validating on the training images: that is
    allowed (a quick look at a folder of faces) but said, since the scores are then not held-out.
    """
    if (root / split).is_dir():
        return FaceFolder(root / split, **kwargs)
    if split == "val" and not (root / "train").is_dir():
        warnings.warn(
            f"folder:{root} has no train/ and val/ subfolders, so validation uses the training "
            f"images themselves and its scores are not on held-out faces; put held-out faces in "
            f"{root / 'val'}/ (and the training faces in {root / 'train'}/)",
            stacklevel=3,
        )
    return FaceFolder(root, **kwargs)


# synthetic:KEY=P[,KEY=P]: training levers of SynthFaces (train split only; docs/training.md)
SYNTHETIC_LEVERS = {"natural": "natural_mix", "blur": "camera_blur"}


def synthetic_levers(spec: str) -> dict:
    """``synthetic:natural=0.15,blur=0.5`` -> ``{"natural_mix": 0.15, "camera_blur": 0.5}``; a
    ValueError naming the spec and the valid form for anything else."""
    kind, _, arg = spec.partition(":")
    if kind != "synthetic":
        raise ValueError(f"{spec}: not a synthetic spec")
    levers = {}
    usage = (
        f"{spec}: expected synthetic or synthetic:natural=P,blur=Q (either or both; P and Q "
        "fractions in [0, 1])"
    )
    for item in filter(None, (part.strip() for part in arg.split(","))):
        key, _, value = item.partition("=")
        if key not in SYNTHETIC_LEVERS or key in levers:
            raise ValueError(usage)
        try:
            fraction = float(value)
        except ValueError:
            raise ValueError(usage) from None
        if not 0.0 <= fraction <= 1.0:  # also refuses nan
            raise ValueError(usage)
        levers[key] = fraction
    return {SYNTHETIC_LEVERS[key]: fraction for key, fraction in levers.items()}


def build_dataset(
    spec: str,
    split: str = "train",
    *,
    limit: int | None = None,
    augment: bool = False,
    seed: int = 0,
    check: bool | str = True,
) -> Dataset:
    """Make a dataset from a spec string: ``synthetic``, ``celeba:DIR``, ``folder:DIR`` or ``lr:DIR``.

    ``synthetic`` is the built-in SynthFaces; ``celeba:DIR`` a prepared or raw CelebA folder;
    ``folder:DIR`` any folder of HR faces (Helen, SCface, your own: DIR/<split>/ if present, else
    DIR); ``lr:DIR`` LR-only faces for inference. ``augment`` adds random horizontal flips;
    ``check`` is passed to :func:`scan_images` (how thoroughly folders are checked up front).
    """
    from aminet.data.synthfaces import SynthFaces

    if split not in ("train", "val", "test"):
        raise ValueError(f"unknown split {split!r}; expected train, val or test")
    if limit is not None and limit < 1:
        raise ValueError(f"limit must be a positive number of images, got {limit}")
    kind, _, arg = spec.partition(":")
    if kind == "synthetic":
        from aminet.data.synthfaces import SPLIT_SIZES

        size = min(limit, SPLIT_SIZES[split]) if limit else None
        levers = synthetic_levers(spec)
        return SynthFaces(split, size=size, seed=seed, augment=augment, **levers)
    if kind in ("celeba", "folder", "lr") and arg:
        root = Path(arg).expanduser()
        if not root.is_dir():
            raise FileNotFoundError(f"{spec}: no such folder {root}")
        if kind == "celeba":
            return _celeba(root, split, limit=limit, augment=augment, check=check)
        if kind == "folder":
            return _folder(root, split, limit=limit, augment=augment, check=check)
        return LRFolder(root, limit=limit, check=check)
    raise ValueError(
        f"unknown dataset spec {spec!r}; expected synthetic, celeba:DIR, folder:DIR or lr:DIR"
    )
