"""``aminet prepare-faces SRC DST``: wild photos -> aligned 128x128 face crops (training framing)."""

from __future__ import annotations

from aminet.cli import UserError


def add_parser(sub) -> None:
    p = sub.add_parser(
        "prepare-faces",
        help="detect and align the faces of photos into 128x128 crops in the training framing",
        description=(
            "Find every frontal face in the images of SRC (OpenCV's shipped cascades; needs "
            'pip install -e ".[faces]"), estimate five landmarks, warp each face to the 128x128 '
            "framing of the training data (CelebA's aligned template) and write "
            "DST/<image>_<N>.png. Use the result with '--data folder:DST' (Helen, SCface, your "
            "own photos). Faces smaller than --min-size pixels, and faces whose aligned crop would "
            "have to be enlarged, are skipped: enlarging would invent the ground truth."
        ),
    )
    p.add_argument("src", metavar="SRC", help="folder of photos")
    p.add_argument("dst", metavar="DST", help="output folder (created; must be empty)")
    p.add_argument(
        "--min-size",
        type=int,
        default=64,
        help="smallest face box (detector) to look for, in pixels (default 64)",
    )
    p.set_defaults(func=run)


def run(args) -> int:
    from aminet.data.prepare import prepare_faces
    from aminet.faces.detect import FacesExtraMissing

    if args.min_size < 16:
        raise UserError(f"--min-size must be at least 16 pixels, got {args.min_size}")
    try:
        summary = prepare_faces(args.src, args.dst, min_size=args.min_size)
    except (FileExistsError, FacesExtraMissing) as err:
        raise UserError(str(err)) from None
    print(
        f"{summary['faces']} faces from {summary['images']} images -> {args.dst} "
        f"({summary['without_faces']} images without a usable face; {summary['too_small']} faces "
        "too small to crop without enlarging)"
    )
    return 0
