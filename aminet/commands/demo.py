"""``aminet demo``: train on the built-in SynthFaces, compare with bicubic, write an HTML report."""

from __future__ import annotations

import argparse

from aminet.cli import UserError


def add_parser(sub) -> None:
    p = sub.add_parser(
        "demo",
        help="the main job: train on built-in faces, beat bicubic, write a report (about 10 minutes on a CPU)",
        description=(
            "Run the whole project on a fresh machine, with no data and no GPU needed: train a model on "
            "SynthFaces (procedural faces built into the package) for a few minutes, evaluate it against "
            "bicubic interpolation on held-out faces, and write OUT/report.html (a grid LR / bicubic / "
            "model / HR, the metrics table, the loss curve) and OUT/metrics.json. On a CPU it trains "
            "aminet-cpu (the AMINet U-Net at width 16, run at 1/4 resolution); on a GPU, AMINet-S."
        ),
        epilog="example:\n  aminet demo                  # about 10 minutes on 2 CPU cores, results in runs/demo/\n"
        "  aminet demo --minutes 2 --out runs/quick",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "--minutes",
        type=float,
        default=None,
        help="training time in minutes (default 9; evaluation and the report add well under 1)",
    )
    p.add_argument("--out", default="runs/demo", help="output folder (default: runs/demo)")
    p.add_argument("--device", help="cpu, cuda or mps (default: the best available, printed)")
    p.add_argument(
        "--eval-limit",
        type=int,
        default=200,
        help="number of held-out test faces to evaluate (default 200)",
    )
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument(
        "--real-faces",
        metavar="DIR",
        help="also evaluate on this folder of real face photos (128x128 crops in the training "
        "framing, e.g. from 'aminet prepare-faces'), besides the two public-domain photos "
        "shipped by matplotlib and scikit-image that are always measured",
    )
    p.add_argument(
        "--threads",
        type=int,
        help="CPU threads for torch (default: all cores; 1 is faster on a busy machine)",
    )
    p.add_argument("--no-progress", dest="progress", action="store_false", help="no progress bars")
    p.set_defaults(func=run)


def run(args) -> int:
    from aminet.demo import DEFAULT_MINUTES, run_demo

    minutes = DEFAULT_MINUTES if args.minutes is None else args.minutes
    if minutes <= 0:
        raise UserError(f"--minutes must be positive, got {minutes}")
    if args.eval_limit < 1:
        raise UserError(f"--eval-limit must be at least 1, got {args.eval_limit}")
    if args.threads is not None:
        if args.threads < 1:
            raise UserError(f"--threads must be at least 1, got {args.threads}")
        import torch

        torch.set_num_threads(args.threads)
    if args.real_faces is not None:
        from pathlib import Path

        if not Path(args.real_faces).expanduser().is_dir():
            raise UserError(f"--real-faces {args.real_faces}: no such folder")
    run_demo(
        minutes,
        args.out,
        device=args.device,
        eval_limit=args.eval_limit,
        seed=args.seed,
        progress=args.progress,
        real_faces=args.real_faces,
    )
    return 0
