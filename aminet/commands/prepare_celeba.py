"""``aminet prepare-celeba SRC DST``: crop raw CelebA into the paper's 128x128 splits."""

from __future__ import annotations

from pathlib import Path

from aminet.cli import UserError


def add_parser(sub) -> None:
    p = sub.add_parser(
        "prepare-celeba",
        help="crop and resize raw CelebA into 128x128 train/val/test folders",
        description=(
            "Read CelebA's aligned images in any of its layouts: official or torchvision "
            "(SRC/img_align_celeba/ + list_eval_partition.txt), Kaggle (SRC/img_align_celeba/"
            "img_align_celeba/ + list_eval_partition.csv) or a Hugging Face mirror exported to "
            "SRC/{train,valid,test}/ (see docs/data.md). Take the first 18,000 train / 200 val / "
            "1,000 test images of the official partition, crop the central 178x178 square (the "
            "aligned protocol; SPARNet and CTCNet crop the in-the-wild images instead, see "
            "docs/data.md), resize it to 128x128 (PIL bicubic) and write DST/<split>/<name>.png, "
            "then print the bicubic PSNR-Y of the test split (the paper's: 23.61 dB). The result "
            "is the same on every machine. Then use it with '--data celeba:DST'."
        ),
    )
    p.add_argument(
        "src",
        metavar="SRC",
        help="CelebA folder (official, torchvision, Kaggle or exported Hugging Face layout)",
    )
    p.add_argument(
        "dst", metavar="DST", help="output folder (created; must be empty unless --overwrite)"
    )
    p.add_argument(
        "--train", type=int, default=18_000, help="training images (default 18000, as the paper)"
    )
    p.add_argument("--val", type=int, default=200, help="validation images (default 200)")
    p.add_argument(
        "--test", type=int, default=1_000, help="test images (default 1000, as the paper)"
    )
    p.add_argument("--overwrite", action="store_true", help="write into a non-empty DST")
    p.set_defaults(func=run)


def run(args) -> int:
    from aminet.data.prepare import prepare_celeba

    counts = {"train": args.train, "val": args.val, "test": args.test}
    for split, n in counts.items():
        if n < 0:
            raise UserError(f"--{split} must be >= 0, got {n}")
    if not any(counts.values()):
        raise UserError("--train, --val and --test are all 0: nothing to prepare")
    src = Path(args.src).expanduser()
    if not src.is_dir():
        what = "is a file, not a folder" if src.exists() else "does not exist"
        raise UserError(
            f"SRC {args.src} {what}; give the folder that holds CelebA's img_align_celeba/ "
            "(official, torchvision or Kaggle layout) or a Hugging Face export (docs/data.md)"
        )
    try:
        summary = prepare_celeba(args.src, args.dst, counts=counts, overwrite=args.overwrite)
    except FileExistsError as err:
        raise UserError(str(err)) from None
    for split, info in summary["splits"].items():
        print(
            f"{split}: {info['count']} faces -> {args.dst}/{split}/ ({len(info['skipped'])} skipped)"
        )
    if "bicubic_psnr_y_test" in summary:
        print(
            f"bicubic x8 on the prepared test split: PSNR-Y {summary['bicubic_psnr_y_test']:.2f} dB "
            f"(the paper's CelebA bicubic: {summary['paper_bicubic_psnr_y']:.2f} dB)"
        )
    return 0
