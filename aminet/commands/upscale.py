"""``aminet upscale``: super-resolve face images with a trained checkpoint."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from aminet.cli import UserError

AUTO_LR_MAX_SIDE = 64  # --input-kind auto: images whose longer side is below this are LR faces
# auto warns for longer sides in [48, 96): there a face could be either kind and the two readings
# give very different results (63x63 -> 504x504 as LR, 64x64 -> 64x64 as HR)
AUTO_WARN_RANGE = (AUTO_LR_MAX_SIDE * 3 // 4, AUTO_LR_MAX_SIDE * 3 // 2)

EPILOG = f"""examples:
  aminet upscale --checkpoint runs/demo/best.pt face_16x16.png --out sr/
  aminet upscale --checkpoint runs/demo/best.pt photos/ --input-kind hr --compare --out sr/

Input kinds:
  lr    the images are low-resolution faces: each is enlarged x8 (bicubic) and refined by the model
  hr    the images are high-resolution faces: each is first shrunk x8 (the paper's degradation,
        after cropping to a multiple of 8), then super-resolved, so you can compare with the original
  auto  (default) images whose longer side is below {AUTO_LR_MAX_SIDE} pixels are LR, the others HR

Outputs in --out: NAME_sr.png for every input; with --compare also NAME_compare.png, a panel of
the LR face (pixelated), bicubic, the model and, for HR inputs, the original. Nothing is
overwritten that this call reads or writes: where two inputs would give one name (face.png and
face.jpg) the extension is kept (face.png_sr.png); inputs of the same name from different folders
keep their folder (a/face_sr.png, b/face_sr.png); an output never replaces an input. All inputs
are listed before anything is written, so results are never read back as inputs; when --out is
also an input folder, the files there named like results (*_sr.png, *_compare.png, ...) are
taken for an earlier call's results: neither inputs nor replaced (name one on the command line to
upscale it). Each result is written whole or not at all (Ctrl-C, a full disk). A file that
cannot be read is reported and skipped; the exit code is 1 when some inputs failed, 2 when all
did, 130 after Ctrl-C. EXIF orientation (photos from phones) is applied.

--detect (ordinary photos with faces anywhere in them; needs pip install -e ".[faces]"): every
frontal face is found, aligned to the training framing from five landmarks, super-resolved and
blended back into the photo enlarged x8 (NAME_faces_x8.png, named like NAME_sr.png above). With
--compare also NAME_face<N>_compare.png: the aligned LR face | bicubic | the model."""


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


# Every name upscale writes ends so (--detect's per-face files end in _compare, _restored or
# _aligned_lr too): used to keep outputs off inputs, and to recognise an earlier call's results.
RESULT_SUFFIXES = ("_sr.png", "_compare.png", "_faces_x8.png", "_restored.png", "_aligned_lr.png")


def is_result_name(name: str) -> bool:
    """True for a file name that upscale writes (``face_sr.png``, ``face_compare.png``, ...)."""
    return name.endswith(RESULT_SUFFIXES)


def _collect(inputs: list[str], out: Path | None = None) -> tuple[list[Path], list[Path]]:
    """Every input file, in order, each once (all listed before anything is written).

    Returns ``(files, earlier)``: in a folder that is also ``out``, files named like results
    (``*_sr.png``, ...) are results of an earlier call, not inputs; they are listed in ``earlier``
    so that nothing overwrites them, and a file named on the command line is always an input.
    """
    from aminet.data import scan_images

    files: list[Path] = []
    earlier: list[Path] = []
    seen: set[Path] = set()
    out_resolved = out.resolve() if out is not None else None
    for item in inputs:
        path = Path(item).expanduser()
        if path.is_dir():
            found, _ = scan_images(path, check=False)
            if out_resolved is not None and path.resolve() == out_resolved:
                earlier += [f for f in found if is_result_name(f.name)]
                found = [f for f in found if not is_result_name(f.name)]
            if not found:
                raise UserError(f"{path}: no images (.png, .jpg, ...) in this folder")
        elif path.is_file():
            found = [path]
        elif path.exists():
            raise UserError(f"input {path} is not an image file or a folder (a pipe or a device?)")
        else:
            raise FileNotFoundError(f"input {path} does not exist")
        for file in found:
            if file.resolve() not in seen:
                seen.add(file.resolve())
                files.append(file)
    return files, earlier


def output_bases(
    files: list[Path], out: Path, keep: list[Path] | tuple[Path, ...] = ()
) -> dict[Path, Path]:
    """A collision-free output base (``base + "_sr.png"``) for each input file.

    Each file first gets ``out/STEM``; files whose base collides with another's, or whose outputs
    would land on an input file (or on a file in ``keep``), get ``out/NAME`` (the extension kept:
    ``face.jpg``), then ``out/FOLDER/NAME`` (the folder relative to the inputs' common folder),
    then a number.
    """
    import os

    inputs = {f.resolve() for f in [*files, *keep]}
    parents = [str(f.resolve().parent) for f in files]
    common = Path(os.path.commonpath(parents)) if parents else Path(".")

    def candidate(f: Path, level: int) -> Path:
        if level == 0:
            return out / f.stem
        if level == 1:
            return out / f.name
        return out / f.resolve().parent.relative_to(common) / f.name

    def clashes_with_input(base: Path) -> bool:
        return any(Path(str(base) + sfx).resolve() in inputs for sfx in RESULT_SUFFIXES)

    levels = dict.fromkeys(files, 0)
    for _ in range(3):
        bases = {f: candidate(f, levels[f]) for f in files}
        counts: dict[Path, int] = {}
        for base in bases.values():
            counts[base] = counts.get(base, 0) + 1
        bumped = False
        for f, base in bases.items():
            if (counts[base] > 1 or clashes_with_input(base)) and levels[f] < 2:
                levels[f] += 1
                bumped = True
        if not bumped:
            break
    taken: set[Path] = set()
    result = {}
    for f in files:
        base, number = candidate(f, levels[f]), 1
        while base in taken or clashes_with_input(base):
            number += 1
            base = candidate(f, levels[f]).with_name(f"{candidate(f, levels[f]).name}-{number}")
        taken.add(base)
        result[f] = base
    return result


def _to_tensor(arr):
    import torch

    return torch.from_numpy(arr.copy()).permute(2, 0, 1).float().div(255.0)


def _save_png(img, path: Path) -> None:
    """Write a (3, H, W) tensor in [0, 1], or an (H, W, 3) uint8 array, as a PNG, atomically.

    A result appears complete or not at all: Ctrl-C or a full disk mid-write leaves no truncated
    PNG that looks finished (the file is written under a temporary name, then renamed)."""
    import numpy as np
    from PIL import Image

    from aminet.io import atomic_write

    if not isinstance(img, np.ndarray):
        img = (img.clamp(0, 1) * 255 + 0.5).byte().permute(1, 2, 0).cpu().numpy()
    with atomic_write(path, "wb") as f:
        Image.fromarray(np.ascontiguousarray(img)).save(f, format="PNG")


def auto_kind(h: int, w: int) -> str:
    """What ``--input-kind auto`` takes an image of this size for."""
    return "lr" if max(h, w) < AUTO_LR_MAX_SIDE else "hr"


def auto_warning(path, h: int, w: int) -> str | None:
    """A warning for sizes near the auto threshold, where the guess may be wrong."""
    low, high = AUTO_WARN_RANGE
    if not low <= max(h, w) < high:
        return None
    if auto_kind(h, w) == "lr":
        return (
            f"warning: {path} ({w}x{h}) is taken as an LR face (longer side < {AUTO_LR_MAX_SIDE}) "
            f"and enlarged to {8 * w}x{8 * h}; if it is a full-size face, pass --input-kind hr"
        )
    return (
        f"warning: {path} ({w}x{h}) is taken as an HR face (longer side >= {AUTO_LR_MAX_SIDE}) "
        f"and shrunk x8 before it is restored; if it is a small face to enlarge, pass --input-kind lr"
    )


def prepare(img, kind: str):
    """``(lr, network input, hr or None)`` for an image tensor (3, H, W) of the given kind."""
    from aminet.data import degrade, quantize_8bit, resize_bicubic

    h, w = img.shape[-2:]
    if kind == "auto":
        kind = auto_kind(h, w)
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


def _read_input(path: Path):
    """The image as a (3, H, W) tensor; a one-line ``UserError`` for anything that is not one."""
    from PIL import Image

    from aminet.data import BadImageError, load_rgb

    try:
        return _to_tensor(load_rgb(path))
    except BadImageError as err:
        raise UserError(str(err)) from None
    except Image.DecompressionBombError as err:
        raise UserError(f"{path}: too large to decode safely ({err})") from None
    except OSError as err:
        raise UserError(f"{path}: cannot be read ({err.strerror or err})") from None


def _output_folder(path: str) -> Path:
    out = Path(path).expanduser()
    if out.exists() and not out.is_dir():
        raise UserError(f"--out {out} is a file; give a folder for the results")
    out.mkdir(parents=True, exist_ok=True)
    return out


def run(args) -> int:
    import sys

    from aminet.checkpoint import load_model
    from aminet.device import pick_device

    if Path(args.checkpoint).is_dir():
        raise UserError(
            f"--checkpoint {args.checkpoint} is a folder; pass a file such as "
            f"{Path(args.checkpoint) / 'best.pt'}"
        )
    if Path(args.checkpoint).exists() and not Path(args.checkpoint).is_file():
        raise UserError(
            f"--checkpoint {args.checkpoint} is not a regular file (a pipe or a device?)"
        )
    if not Path(args.checkpoint).is_file():
        raise FileNotFoundError(
            f"checkpoint {args.checkpoint} does not exist (train one with 'aminet demo' or 'aminet train')"
        )
    files, earlier = _collect(args.inputs, Path(args.out).expanduser())
    device = pick_device(args.device)
    model = load_model(args.checkpoint, map_location=device)
    out = _output_folder(args.out)
    if earlier:
        print(
            f"note: {len(earlier)} file(s) in --out {out} are named like results of an earlier "
            "call (*_sr.png, *_compare.png, ...): not taken as inputs and not replaced (name them "
            "on the command line to upscale them)",
            file=sys.stderr,
        )
    if any(f.resolve().parent == out.resolve() for f in files):
        print(
            f"note: --out {out} also holds inputs; results get names that replace none of them",
            file=sys.stderr,
        )
    bases = output_bases(files, out, keep=earlier)
    done: list[Path] = []  # results written so far, for the message after Ctrl-C
    try:
        if args.detect:
            return run_detect(files, bases, model, device, out, compare=args.compare, done=done)
        return _upscale_all(files, bases, model, device, out, args, done)
    except KeyboardInterrupt:
        print(
            f"aminet upscale: interrupted; {len(done)} of {len(files)} input(s) done, their results "
            f"are complete in {out} (each file is written whole or not at all)",
            file=sys.stderr,
        )
        return 130


def _upscale_all(files, bases, model, device, out: Path, args, done: list[Path]) -> int:
    import torch

    from aminet.cli import is_out_of_memory

    failed: list[tuple[Path, str]] = []
    for path in files:
        try:
            img = _read_input(path)
            lr, inp, hr = prepare(img, args.input_kind)
        except UserError as err:
            message = str(err) if str(path) in str(err) else f"{path}: {err}"
            failed.append((path, message))
            if len(files) > 1:
                print(f"aminet upscale: skipped {message}", file=sys.stderr)
            continue
        if args.input_kind == "auto":
            warning = auto_warning(path, *img.shape[-2:])
            if warning:
                print(warning, file=sys.stderr)
        try:
            with torch.inference_mode():
                sr = model(inp[None].to(device))[0].float().clamp(0, 1).cpu()
        except (RuntimeError, MemoryError) as err:
            if not (isinstance(err, MemoryError) or is_out_of_memory(err)):
                raise
            h, w = inp.shape[-2:]
            message = (
                f"{path}: too large for this device's memory ({w}x{h} at the model's input); "
                "shrink it, or pass --input-kind hr if it is a full-size face"
            )
            failed.append((path, message))
            if len(files) > 1:
                print(f"aminet upscale: skipped {message}", file=sys.stderr)
            continue
        base = bases[path]
        base.parent.mkdir(parents=True, exist_ok=True)
        target = Path(str(base) + "_sr.png")
        _save_png(sr, target)
        if args.compare:
            _save_png(compare_panel(lr, inp, sr, hr), Path(str(base) + "_compare.png"))
        done.append(path)
        kind = "HR, degraded first" if hr is not None else "LR"
        print(
            f"{path} ({kind}, {img.shape[-1]}x{img.shape[-2]}) -> {target} ({sr.shape[-1]}x{sr.shape[-2]})"
        )
    if failed and len(files) == 1:
        raise UserError(failed[0][1])
    if failed:
        print(
            f"aminet upscale: {len(failed)} of {len(files)} inputs failed (listed above)"
            + ("" if len(failed) == len(files) else f"; the others are in {out}"),
            file=sys.stderr,
        )
        return 2 if len(failed) == len(files) else 1
    return 0


def run_detect(
    files: list[Path],
    bases: dict[Path, Path],
    model,
    device,
    out: Path,
    *,
    compare: bool = False,
    done: list[Path] | None = None,
) -> int:
    """``--detect``: detect, align, super-resolve and paste back every face of each photo.

    Outputs are named from ``bases`` (:func:`output_bases`, so nothing is overwritten); a photo that
    cannot be read is reported and skipped, and the exit code says so, as without ``--detect``."""
    import numpy as np

    from aminet.faces.detect import FacesExtraMissing, detect_faces
    from aminet.faces.restore import restore_photo

    failed = 0
    for path in files:
        try:
            photo = (_read_input(path).permute(1, 2, 0).numpy() * 255).round().astype(np.uint8)
        except UserError as err:
            failed += 1
            message = str(err) if str(path) in str(err) else f"{path}: {err}"
            if len(files) == 1:
                raise UserError(message) from None
            print(f"aminet upscale: skipped {message}", file=sys.stderr)
            continue
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
        base = bases[path]
        base.parent.mkdir(parents=True, exist_ok=True)
        target = Path(str(base) + "_faces_x8.png")
        _save_png(result, target)
        if done is not None:
            done.append(path)
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
                _save_png(panel, Path(f"{base}_face{i}_compare.png"))
                _save_png(r.lr, Path(f"{base}_face{i}_aligned_lr.png"))
                _save_png(r.restored, Path(f"{base}_face{i}_restored.png"))
    if failed:
        print(
            f"aminet upscale: {failed} of {len(files)} inputs failed (listed above)",
            file=sys.stderr,
        )
        return 2 if failed == len(files) else 1
    return 0
