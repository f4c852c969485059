"""Turn raw aligned CelebA into the 128x128 folders the paper's protocol uses; align wild photos.

``prepare_celeba(src, dst)`` reads CelebA's aligned images in any layout students get (official or
torchvision: ``img_align_celeba/`` + ``list_eval_partition.txt``; Kaggle: ``img_align_celeba/
img_align_celeba/`` + ``list_eval_partition.csv``; a Hugging Face mirror exported to
``{train,valid,test}/``), takes the first 18,000 train / 200 val / 1,000 test images of the official
partition (file-name order), crops the central 178x178 square (rows 20-198), resizes it to 128x128
with PIL's antialiased bicubic, and writes ``dst/<split>/<name>.png``. The same source always gives
the same files. The paper does not list its exact 18,000/1,000 subset; this is a documented,
repeatable stand-in for it.

Crop protocol, and the peers': this is the *aligned* protocol (CelebA's own eye-aligned images,
centre square), the common one in face SR since FSRNet. SPARNet (and CTCNet, which trains on
SPARNet-style 18,000/1,000 folders) instead crop the *in-the-wild* ``img_celeba`` images around
MTCNN boxes, enlarged, without alignment: faces sit less regularly and bicubic scores differ. The
closest offline equivalent is ``prepare_faces`` on ``img_celeba`` (detector boxes -> five-point
alignment), see docs/data.md. ``bicubic_psnr_y`` measures a prepared split so it can be compared
with the paper's CelebA bicubic, 23.61 dB.
"""

from __future__ import annotations

import json
import sys
import warnings
from pathlib import Path

from PIL import Image

from aminet.data.datasets import (
    CELEBA_COUNTS,
    CELEBA_CROP,
    BadImageError,
    celeba_split_files,
    find_celeba_images,
    find_split_folder,
    load_rgb,
    scan_images,
    to_hr,
)
from aminet.io import atomic_write

__all__ = ["bicubic_psnr_y", "download_celeba", "prepare_celeba", "prepare_faces"]

PAPER_BICUBIC_PSNR_Y = 23.61  # the paper's Table (CelebA x8, bicubic)


def _save_png_atomically(arr, path: Path) -> None:
    with atomic_write(path, "wb") as f:
        Image.fromarray(arr).save(f, format="PNG")


def prepare_celeba(
    src: str | Path,
    dst: str | Path,
    *,
    counts: dict[str, int] | None = None,
    overwrite: bool = False,
    progress: bool = True,
) -> dict:
    """Write the cropped 128x128 CelebA splits to ``dst``; returns a summary dict.

    Unreadable source images are skipped with a warning naming them (the next image in the
    partition takes their place, so the counts stay as asked where the partition allows).
    """
    src, dst = Path(src), Path(dst)
    counts = {**CELEBA_COUNTS, **(counts or {})}
    for split, n in counts.items():
        if split not in CELEBA_COUNTS or n < 0:
            raise ValueError(f"bad count {split}={n}: splits are train, val, test with counts >= 0")
    if dst.exists() and any(dst.iterdir()) and not overwrite:
        raise FileExistsError(f"{dst} is not empty; choose another destination or pass --overwrite")
    summary = {"source": str(src), "crop": list(CELEBA_CROP), "size": 128, "splits": {}}
    for split, n in counts.items():
        if n == 0:
            continue
        candidates = _split_candidates(src, split)  # all, in order
        out_dir = dst / split
        out_dir.mkdir(parents=True, exist_ok=True)
        written, skipped = [], []
        bar = None
        if progress:
            from tqdm.auto import tqdm

            bar = tqdm(total=n, desc=f"prepare {split}", unit="img")
        for path in candidates:
            if len(written) == n:
                break
            try:
                left, top, right, bottom = CELEBA_CROP
                arr = load_rgb(path)
                if arr.shape[0] < bottom or arr.shape[1] < right:
                    raise BadImageError(
                        f"{path}: {arr.shape[1]}x{arr.shape[0]} is smaller than CelebA's 178x218"
                    )
                hr = to_hr(arr[top:bottom, left:right], path)
            except BadImageError as err:
                warnings.warn(f"skipping {err}", stacklevel=2)
                skipped.append(str(path))
                continue
            _save_png_atomically(hr, out_dir / (path.stem + ".png"))
            written.append(path.name)
            if bar is not None:
                bar.update(1)
        if bar is not None:
            bar.close()
        if len(written) < n:
            warnings.warn(
                f"{split}: only {len(written)} usable images in the partition, {n} asked for",
                stacklevel=2,
            )
        summary["splits"][split] = {"count": len(written), "first": written[:1], "skipped": skipped}
    if "test" in summary["splits"] and summary["splits"]["test"]["count"]:
        psnr = bicubic_psnr_y(dst / "test")
        summary["bicubic_psnr_y_test"] = psnr
        summary["paper_bicubic_psnr_y"] = PAPER_BICUBIC_PSNR_Y
    (dst / "prepare_celeba.json").write_text(json.dumps(summary, indent=2))
    return summary


def _split_candidates(src: Path, split: str) -> list[Path]:
    """Every source image of ``split``, in order: from the partition file when CelebA's image
    folder is there, else from an exported mirror's split folder (file-name order)."""
    if find_celeba_images(src) is None:
        folder = find_split_folder(src, split)
        if folder is not None:
            files, _ = scan_images(folder, check=False)
            if files:
                return files
    return celeba_split_files(src, split, count=sys.maxsize)


def bicubic_psnr_y(folder: str | Path, limit: int | None = None) -> float:
    """Mean PSNR-Y of bicubic x8 on the 128x128 faces of ``folder`` (the paper's degradation)."""
    import torch

    from aminet.data.datasets import FaceFolder
    from aminet.data.degradation import quantize_8bit
    from aminet.metrics import psnr

    ds = FaceFolder(folder, check=False, limit=limit)
    values = []
    for i in range(len(ds)):
        item = ds[i]
        values.append(float(psnr(quantize_8bit(item["input"])[None], item["hr"][None])))
    return float(torch.tensor(values).mean()) if values else float("nan")


def prepare_faces(src: str | Path, dst: str | Path, *, min_size: int = 64, size: int = 128) -> dict:
    """Detect every frontal face in the images of ``src``, align each to the training framing
    (five landmarks, similarity transform) and write ``dst/<image>_<N>.png`` (``size`` pixels).

    Faces whose detector box is under ``min_size`` pixels are not kept, nor faces whose aligned
    crop would cover fewer than ``size`` photo pixels: such a crop would be an enlargement, not
    ground truth (counted in ``summary["too_small"]``). Needs the ``faces`` extra (OpenCV)."""
    import numpy as np

    from aminet.faces.align import warp_face
    from aminet.faces.detect import detect_faces

    src, dst = Path(src), Path(dst)
    files, skipped = scan_images(src, check=False)
    if not files:
        raise FileNotFoundError(f"no images in {src}")
    if dst.exists() and any(dst.iterdir()):
        raise FileExistsError(f"{dst} is not empty; choose another destination")
    dst.mkdir(parents=True, exist_ok=True)
    summary = {"source": str(src), "size": size, "min_size": min_size, "faces": 0, "images": 0}
    summary.update(without_faces=0, too_small=0, crops=[])
    for path in files:
        try:
            photo = load_rgb(path)
        except BadImageError as err:
            warnings.warn(f"skipping {err}", stacklevel=2)
            continue
        summary["images"] += 1
        kept = 0
        for face in detect_faces(photo, min_size=min_size):
            crop, matrix = warp_face(photo, face.landmarks, size)
            if np.sqrt(abs(np.linalg.det(matrix[:, :2]))) > 1.0:  # photo -> crop enlarges
                summary["too_small"] += 1
                continue
            name = f"{path.stem}_{kept}.png"
            _save_png_atomically(crop, dst / name)
            summary["crops"].append(
                {
                    "file": name,
                    "source": path.name,
                    "box": list(face.box),
                    "landmarks": face.landmarks.round(1).tolist(),
                    "eyes_measured": face.eyes_measured,
                }
            )
            kept += 1
        summary["faces"] += kept
        summary["without_faces"] += kept == 0
    (dst / "prepare_faces.json").write_text(json.dumps(summary, indent=2))
    return summary


KAGGLE_DATASET = "jessicali9530/celeba-dataset"
HF_MIRROR = "flwrlabs/celeba"
# where the official partition's splits start in CelebA's numbering (000001.jpg ...)
_OFFICIAL_FIRST = {"train": 1, "val": 162_771, "test": 182_638}
_HF_SPLITS = {"train": "train", "val": "valid", "test": "test"}


def download_celeba(
    root: str | Path,
    *,
    source: str = "auto",
    counts: dict[str, int] | None = None,
    progress: bool = True,
) -> Path:
    """Fetch CelebA's aligned images (Colab, or any machine with ``AMINET_DOWNLOAD=1``); returns
    the folder to give to :func:`prepare_celeba`.

    ``source="kaggle"``: ``kagglehub.dataset_download("jessicali9530/celeba-dataset")`` (1.4 GB;
    a Kaggle API token may be needed: see docs/data.md), the reliable route.
    ``source="huggingface"``: the ``flwrlabs/celeba`` mirror through the ``datasets`` package; the
    first ``counts`` images of each split are exported to ``root/{train,valid,test}/`` as PNG,
    named by CelebA's official numbering (the mirror keeps the official split sizes; its order
    within a split is taken to be the official one). ``"auto"``: Kaggle, then Hugging Face.
    Nothing is downloaded where downloads are not allowed (an error says so).
    """
    from aminet.weights import HOW_TO_ALLOW, downloads_allowed

    if source not in ("auto", "kaggle", "huggingface"):
        raise ValueError(f"source must be auto, kaggle or huggingface, got {source!r}")
    if not downloads_allowed():
        raise RuntimeError(
            "downloading CelebA is only done on Colab or with AMINET_DOWNLOAD=1 set; "
            f"elsewhere put CelebA in a folder yourself (docs/data.md), {HOW_TO_ALLOW}"
        )
    errors = []
    if source in ("auto", "kaggle"):
        try:
            import kagglehub

            return Path(kagglehub.dataset_download(KAGGLE_DATASET))
        except Exception as err:  # not installed, no token, quota: try the next route
            errors.append(f"kaggle: {type(err).__name__}: {err}")
            if source == "kaggle":
                raise RuntimeError(errors[-1]) from None
            print(f"Kaggle did not work ({errors[-1]}); trying Hugging Face", file=sys.stderr)
    try:
        return _export_hf_mirror(Path(root), counts or CELEBA_COUNTS, progress)
    except Exception as err:
        errors.append(f"huggingface: {type(err).__name__}: {err}")
    raise RuntimeError("could not fetch CelebA: " + "; ".join(errors))


def _export_hf_mirror(root: Path, counts: dict[str, int], progress: bool) -> Path:
    from datasets import load_dataset

    for split, n in counts.items():
        if n <= 0:
            continue
        folder = root / _HF_SPLITS[split]
        folder.mkdir(parents=True, exist_ok=True)
        rows = load_dataset(HF_MIRROR, split=f"{_HF_SPLITS[split]}[:{n}]")
        iterator = range(len(rows))
        if progress:
            from tqdm.auto import tqdm

            iterator = tqdm(iterator, desc=f"export {split}", unit="img")
        for i in iterator:
            target = folder / f"{_OFFICIAL_FIRST[split] + i:06d}.png"
            if not target.exists():
                image = rows[i]["image"].convert("RGB")
                with atomic_write(target, "wb") as f:
                    image.save(f, format="PNG")
    return root
