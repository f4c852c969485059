"""``aminet ablate``: train and measure the variants of the paper's Tables I-VI under one budget."""

from __future__ import annotations

import contextlib
import json
import sys

from aminet.cli import UserError


def add_parser(sub) -> None:
    p = sub.add_parser(
        "ablate",
        help="rerun the paper's ablations (Tables I-VI): train every variant alike, measure, tabulate",
        description=(
            "Train every variant of one of the paper's ablation tables (I-VI, or all) with the same "
            "budget, seed(s) and data, measure them on the same test faces, and write a Markdown and "
            "a CSV table with our params, PSNR-Y, SSIM-Y, VIF-p and training time beside the paper's "
            "numbers. Runs are resumable: run the same command again after an interruption and only "
            "the unfinished variants are trained. Example: 'aminet ablate --table I --preset smoke "
            "--json' (seconds, checks the plumbing); 'aminet ablate --table all --preset short "
            "--seeds 2' (an hour or two on a laptop CPU at a narrow width)."
        ),
    )
    p.add_argument(
        "--table",
        default="I",
        help="I, II, III, IV, V, VI, a comma-separated list (I,IV) or all (default I)",
    )
    p.add_argument(
        "--data",
        default="synthetic",
        help="synthetic (built-in SynthFaces, default) or celeba:DIR (see data/README.md)",
    )
    p.add_argument(
        "--preset",
        default="smoke",
        choices=("smoke", "short", "full"),
        help="budget: smoke (seconds, tiny width), short (about an hour for all tables on a CPU, "
        "narrow width there), full (the paper's width, long); default smoke",
    )
    p.add_argument(
        "--seeds", type=int, default=1, metavar="N", help="train seeds 0..N-1 (default 1)"
    )
    p.add_argument(
        "--out",
        default="runs/ablations",
        metavar="DIR",
        help="results folder (default runs/ablations)",
    )
    p.add_argument(
        "--json", action="store_true", help="print the tables as JSON (one row per variant)"
    )
    p.add_argument(
        "--width",
        choices=("auto", "narrow", "paper"),
        default="auto",
        help="auto (default): narrow for smoke, and for short without a GPU; paper: the paper's width",
    )
    p.add_argument("--steps", type=int, default=None, help="override the preset's training steps")
    p.add_argument("--batch-size", type=int, default=None, help="override the preset's batch size")
    p.add_argument(
        "--crop",
        type=int,
        default=None,
        metavar="PIXELS",
        help="override the training crop size (multiple of 8)",
    )
    p.add_argument("--lr", type=float, default=None, help="override the preset's learning rate")
    p.add_argument(
        "--train-limit", type=int, default=None, metavar="N", help="use the first N training faces"
    )
    p.add_argument(
        "--test-limit",
        type=int,
        default=None,
        metavar="N",
        help="measure on the first N test faces",
    )
    p.add_argument(
        "--device",
        default=None,
        help="cpu, cuda, cuda:1, ... (default: cuda if available, else cpu)",
    )
    p.add_argument("--no-progress", action="store_true", help="no progress bars (for logs)")
    p.set_defaults(func=run)


def _tables(text: str) -> list[str]:
    from aminet.ablation import TABLE_KEYS

    if text.strip().lower() == "all":
        return list(TABLE_KEYS)
    keys = [t.strip().upper() for t in text.split(",") if t.strip()]
    unknown = [k for k in keys if k not in TABLE_KEYS]
    if unknown or not keys:
        raise UserError(
            f"--table {text!r}: expected one of {', '.join(TABLE_KEYS)}, a comma-separated list, or all"
        )
    return keys


def _check_options(args) -> None:
    """Every numeric option in range, named, before any variant is trained."""
    import math

    if args.seeds < 1:
        raise UserError(f"--seeds must be >= 1, got {args.seeds}")
    for flag, value in (
        ("--steps", args.steps),
        ("--batch-size", args.batch_size),
        ("--train-limit", args.train_limit),
        ("--test-limit", args.test_limit),
    ):
        if value is not None and value < 1:
            raise UserError(f"{flag} must be a whole number >= 1, got {value}")
    if args.crop is not None and (args.crop < 8 or args.crop % 8 or args.crop > 128):
        raise UserError(
            f"--crop must be a multiple of 8 from 8 to 128 (the faces), got {args.crop}"
        )
    if args.lr is not None and not (math.isfinite(args.lr) and args.lr > 0):
        raise UserError(f"--lr must be a finite number > 0, got {args.lr}")
    if args.data.startswith("lr:"):
        raise UserError(
            f"--data {args.data}: lr:DIR holds faces without ground truth; the ablation trains and "
            "measures on HR faces (synthetic, celeba:DIR or folder:DIR)"
        )
    if args.device not in (None, "", "auto"):
        from aminet.device import check_device

        check_device(args.device)  # a ValueError naming --device, before the first variant


def run(args) -> int:
    from aminet.ablation import ablation_budget, run_ablation

    tables = _tables(args.table)
    _check_options(args)
    if args.data.partition(":")[0] == "synthetic":
        from aminet.data.datasets import synthetic_levers

        try:
            synthetic_levers(args.data)  # the same rule as training's --data
        except ValueError as err:
            raise UserError(f"--data {err}") from None
    elif not args.data.startswith(("celeba:", "folder:")):
        raise UserError(f"--data {args.data!r}: expected synthetic, celeba:DIR or folder:DIR")
    narrow = {"auto": None, "narrow": True, "paper": False}[args.width]
    budget = ablation_budget(
        args.preset,
        data=args.data,
        narrow=narrow,
        steps=args.steps,
        batch_size=args.batch_size,
        crop_size=args.crop,
        lr=args.lr,
        train_limit=args.train_limit,
        test_limit=args.test_limit,
    )
    messages = sys.stderr if args.json else sys.stdout

    def echo(text: str) -> None:
        print(text, file=messages, flush=True)

    echo(
        f"ablation of table(s) {', '.join(tables)}: {budget.describe()}; seeds 0..{args.seeds - 1}"
    )
    # With --json, stdout carries only the JSON document (the trainer's own prints go to stderr).
    redirect = contextlib.redirect_stdout(sys.stderr) if args.json else contextlib.nullcontext()
    with redirect:
        result = run_ablation(
            tables,
            budget,
            seeds=range(args.seeds),
            out=args.out,
            device=args.device,
            progress=not args.no_progress,
            echo=echo,
        )
    if args.json:
        rows = [row for key in tables for row in result["tables"][key]]
        print(
            json.dumps(
                {k: result[k] for k in ("description", "dir", "seeds", "budget")} | {"rows": rows},
                indent=2,
            )
        )
        return 0
    for key in tables:
        print()
        print(open(f"{result['dir']}/table_{key}.md").read(), end="")
    print(f"\ntables written to {result['dir']}/table_<key>.md and .csv")
    return 0
