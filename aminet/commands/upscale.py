"""``aminet upscale``: super-resolve face images with a trained checkpoint."""

from __future__ import annotations

import argparse
from pathlib import Path

from aminet.cli import UserError

AUTO_LR_MAX_SIDE = 64  # --input-kind auto: images whose longer side is below this are LR faces

EPILOG = f"""examples:
  aminet upscale --checkpoint runs/demo/best.pt face_16x16.png --out sr/
  aminet upscale --checkpoint runs/demo/best.pt photos/ --input-kind hr --compare --out sr/

Input kinds:
  lr    the images are low-resolution faces: each is enlarged x8 (bicubic) and refined by the model
  hr    the images are high-resolution faces: each is first shrunk x8 (the paper's degradation,
        after cropping to a multiple of 8), then super-resolved, so you can compare with the original
  auto  (default) images whose longer side is below {AUTO_LR_MAX_SIDE} pixels are LR, the others HR

Outputs in --out: NAME_sr.png for every input; with --compare also NAME_compare.png, a panel of
the LR face (pixelated), bicubic, the model and, for HR inputs, the original.

--detect (ordinary photos with faces anywhere in them; needs pip install -e ".[faces]"): every
frontal face is found, aligned to the training framing from five landmarks, super-resolved and
blended back into the photo enlarged x8 (NAME_faces_x8.png). With --compare also
NAME_face<N>_compare.png: the aligned LR face | bicubic | the model."""


def add_parser(sub) -> None:
    p = sub.add_parser(
        "upscale",
        help="super-resolve face images (x8) with a trained checkpoint",
        description="Enlarge faces 8x with a trained model. INPUT is one or more image files or folders of images; any size works.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("inputs", nargs="+", metavar="INPUT", help="image files or folders of images")
    p.add_argument(
        "--checkpoint",
        required=True,
        metavar="CKPT",
        help="a best.pt or last.pt written by 'aminet train' or 'aminet demo'",
    )
    p.add_argument(
        "--out", required=True, metavar="DIR", help="folder for the results (created if needed)"
    )
    p.add_argument(
        "--input-kind",
        choices=("lr", "hr", "auto"),
        default="auto",
        help="what the inputs are (default: auto)",
    )
    p.add_argument(
        "--compare", action="store_true", help="also write a side-by-side panel per image"
    )
    p.add_argument("--device", help="cpu, cuda or mps (default: the best available)")
    p.add_argument(
        "--detect",
        action="store_true",
        help="find the faces in each photo, restore each and blend them into the photo enlarged x8",
    )
    p.set_defaults(func=run)


def _collect(inputs: list[str]) -> list[Path]:
    from aminet.data import scan_images

    files: list[Path] = []
    for item in inputs:
        path = Path(item).expanduser()
        if path.is_dir():
            found, _ = scan_images(path, check=False)
            if not found:
                raise UserError(f"{path}: no images (.png, .jpg, ...) in this folder")
            files += found
        elif path.is_file():
            files.append(path)
        else:
            raise FileNotFoundError(f"input {path} does not exist")
    return files


def _to_tensor(arr):
    import torch

    return torch.from_numpy(arr.copy()).permute(2, 0, 1).float().div(255.0)


def _save_png(img, path: Path) -> None:
    import numpy as np
    from PIL import Image

    arr = (img.clamp(0, 1) * 255 + 0.5).byte().permute(1, 2, 0).cpu().numpy()
    Image.fromarray(np.ascontiguousarray(arr)).save(path)


def prepare(img, kind: str):
    """``(lr, network input, hr or None)`` for an image tensor (3, H, W) of the given kind."""
    from aminet.data import degrade, quantize_8bit, resize_bicubic

    h, w = img.shape[-2:]
    if kind == "auto":
        kind = "lr" if max(h, w) < AUTO_LR_MAX_SIDE else "hr"
    if kind == "lr":
        return img, quantize_8bit(resize_bicubic(img, (h * 8, w * 8)).clamp(0, 1)), None
    h8, w8 = h - h % 8, w - w % 8
    if h8 < 8 or w8 < 8:
        raise UserError(
            f"an HR image must be at least 8x8 pixels, got {w}x{h} (use --input-kind lr for tiny faces)"
        )
    hr = img[:, :h8, :w8]
    lr, inp = degrade(hr, 8, quantize=True)
    return lr, inp, hr


def compare_panel(lr, bicubic, sr, hr=None):
    """LR (nearest-neighbour enlarged) | bicubic | model | HR, side by side with 4-pixel gaps."""
    import torch
    import torch.nn.functional as F

    size = sr.shape[-2:]
    tiles = [F.interpolate(lr[None], size=size, mode="nearest")[0], bicubic, sr] + (
        [hr] if hr is not None else []
    )
    gap = torch.ones(3, size[0], 4)
    parts = []
    for tile in tiles:
        parts += [tile.clamp(0, 1), gap]
    return torch.cat(parts[:-1], dim=-1)


def run(args) -> int:
    import torch

    from aminet.checkpoint import load_model
    from aminet.data import BadImageError, load_rgb
    from aminet.device import pick_device

    if not Path(args.checkpoint).is_file():
        raise FileNotFoundError(
            f"checkpoint {args.checkpoint} does not exist (train one with 'aminet demo' or 'aminet train')"
        )
    files = _collect(args.inputs)
    device = pick_device(args.device)
    model = load_model(args.checkpoint, map_location=device)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    if args.detect:
        return run_detect(files, model, device, out, compare=args.compare)
    for path in files:
        try:
            img = _to_tensor(load_rgb(path))
        except BadImageError as err:
            raise UserError(str(err)) from None
        lr, inp, hr = prepare(img, args.input_kind)
        with torch.inference_mode():
            sr = model(inp[None].to(device))[0].float().clamp(0, 1).cpu()
        _save_png(sr, out / f"{path.stem}_sr.png")
        if args.compare:
            _save_png(compare_panel(lr, inp, sr, hr), out / f"{path.stem}_compare.png")
        kind = "HR, degraded first" if hr is not None else "LR"
        print(
            f"{path} ({kind}, {img.shape[-1]}x{img.shape[-2]}) -> {out / (path.stem + '_sr.png')} ({sr.shape[-1]}x{sr.shape[-2]})"
        )
    return 0


def run_detect(files: list[Path], model, device, out: Path, *, compare: bool = False) -> int:
    """``--detect``: detect, align, super-resolve and paste back every face of each photo."""
    import numpy as np
    from PIL import Image

    from aminet.data import BadImageError, load_rgb
    from aminet.faces.detect import FacesExtraMissing, detect_faces
    from aminet.faces.restore import restore_photo

    for path in files:
        try:
            photo = load_rgb(path)
        except BadImageError as err:
            raise UserError(str(err)) from None
        try:
            # a face the model can restore is ~8 px wide (the 16x16 framing), and the cascade
            # misses faces under ~24 px: detect on an enlargement (found down to 8 px boxes on the
            # group photo of tests/test_faces_detect.py)
            side = max(photo.shape[:2])
            upsample = 8 if side <= 400 else 4 if side <= 1000 else 2 if side <= 2000 else 1
            faces = detect_faces(photo, min_size=6, upsample=upsample)
        except FacesExtraMissing as err:
            raise UserError(str(err)) from None
        result, restorations = restore_photo(
            photo, model, [f.landmarks for f in faces], device=device
        )
        target = out / f"{path.stem}_faces_x8.png"
        Image.fromarray(result).save(target)
        kept = [r for r in restorations if not r.pasted]
        print(
            f"{path} ({photo.shape[1]}x{photo.shape[0]}): {len(faces)} face(s) found, "
            f"{len(faces) - len(kept)} restored -> {target} ({result.shape[1]}x{result.shape[0]})"
        )
        if kept:
            factor = max(r.shrink for r in kept)
            print(
                f"  {len(kept)} face(s) left as bicubic: larger than the model's 16x16 input "
                f"(up to {factor:.1f}x); shrink the photo about {factor:.0f}x first, or judge the "
                "model on aligned crops with --input-kind hr"
            )
        if compare:
            for i, r in enumerate(restorations):
                lr_big = np.repeat(np.repeat(r.lr, 8, axis=0), 8, axis=1)
                gap = np.full((128, 4, 3), 255, np.uint8)
                panel = np.concatenate([lr_big, gap, r.bicubic, gap, r.restored], axis=1)
                Image.fromarray(panel).save(out / f"{path.stem}_face{i}_compare.png")
                Image.fromarray(r.lr).save(out / f"{path.stem}_face{i}_aligned_lr.png")
                Image.fromarray(r.restored).save(out / f"{path.stem}_face{i}_restored.png")
    return 0
