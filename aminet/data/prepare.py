"""Turn raw aligned CelebA into the 128x128 folders the paper's protocol uses.

``prepare_celeba(src, dst)`` reads ``src/img_align_celeba/`` and ``src/list_eval_partition.txt``,
takes the first 18,000 train / 200 val / 1,000 test images of the official partition (file-name
order), crops the central 178x178 square (rows 20-198), resizes it to 128x128 with PIL's
antialiased bicubic, and writes ``dst/<split>/<name>.png``. The same source always gives the same
files. The paper does not list its exact 18,000/1,000 subset; this is a documented, repeatable
stand-in for it.
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
    load_rgb,
    to_hr,
)
from aminet.io import atomic_write

__all__ = ["prepare_celeba"]


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
        candidates = celeba_split_files(src, split, count=sys.maxsize)  # all, in order
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
    (dst / "prepare_celeba.json").write_text(json.dumps(summary, indent=2))
    return summary
