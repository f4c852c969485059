"""``aminet prepare-celeba SRC DST``: crop raw CelebA into the paper's 128x128 splits."""

from __future__ import annotations

from aminet.cli import UserError


def add_parser(sub) -> None:
    p = sub.add_parser(
        "prepare-celeba",
        help="crop and resize raw CelebA into 128x128 train/val/test folders",
        description=(
            "Read SRC/img_align_celeba/ and SRC/list_eval_partition.txt (both from CelebA; see "
            "data/README.md), take the first 18,000 train / 200 val / 1,000 test images of the "
            "official partition, crop the central 178x178 square, resize it to 128x128 (PIL "
            "bicubic) and write DST/<split>/<name>.png. The result is the same on every machine. "
            "Then use it with '--data celeba:DST'."
        ),
    )
    p.add_argument(
        "src",
        metavar="SRC",
        help="CelebA folder holding img_align_celeba/ and list_eval_partition.txt",
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
    try:
        summary = prepare_celeba(args.src, args.dst, counts=counts, overwrite=args.overwrite)
    except FileExistsError as err:
        raise UserError(str(err)) from None
    for split, info in summary["splits"].items():
        print(
            f"{split}: {info['count']} faces -> {args.dst}/{split}/ ({len(info['skipped'])} skipped)"
        )
    return 0
