"""``aminet demo``: train on the built-in SynthFaces, compare with bicubic, write an HTML report."""

from __future__ import annotations

import argparse
from pathlib import Path

from aminet.cli import UserError, check_threads


def add_parser(sub) -> None:
    p = sub.add_parser(
        "demo",
        help="the main job: train on built-in faces, beat bicubic, write a report (about 10 minutes on a CPU)",
        description=(
            "Run the whole project on a fresh machine, with no data and no GPU needed: train a model on "
            "SynthFaces (procedural faces built into the package, with some photographic texture and "
            "softness mixed in) for a few minutes, evaluate it against bicubic interpolation on "
            "held-out faces and on two real face photographs, and write OUT/report.html (a grid LR / "
            "bicubic / model / HR, the metrics tables, the loss curve) and OUT/metrics.json. On a CPU it trains "
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
    p.add_argument(
        "--resume",
        action="store_true",
        help="continue the demo run in --out from its last.pt (after Ctrl-C, a kill or a "
        "disconnect), to the end of its original time budget",
    )
    p.add_argument(
        "--overwrite",
        action="store_true",
        help="replace the run already in --out (without it, such a folder is refused)",
    )
    p.add_argument("--no-progress", dest="progress", action="store_false", help="no progress bars")
    p.set_defaults(func=run)


def run(args) -> int:
    import math

    from aminet.demo import run_demo
    from aminet.train import RunFolderError

    if args.minutes is not None and not (math.isfinite(args.minutes) and args.minutes > 0):
        raise UserError(f"--minutes must be a finite number > 0, got {args.minutes}")
    if args.minutes is not None and args.minutes > 1e6:
        raise UserError(f"--minutes must be at most 1000000, got {args.minutes}")
    if args.eval_limit < 1:
        raise UserError(f"--eval-limit must be at least 1, got {args.eval_limit}")
    if args.seed < 0:
        raise UserError(f"--seed must be a whole number >= 0, got {args.seed}")
    if args.resume and args.overwrite:
        raise UserError("--resume continues the run in --out and --overwrite replaces it: give one")
    if args.resume and not (Path(args.out) / "last.pt").is_file():
        raise UserError(f"--resume: {Path(args.out) / 'last.pt'} does not exist; nothing to resume")
    if check_threads(args.threads) is not None:
        import torch

        torch.set_num_threads(args.threads)
    if args.real_faces is not None:  # checked now, not after minutes of training
        from aminet.data import scan_images

        folder = Path(args.real_faces).expanduser()
        if folder.is_file():
            raise UserError(
                f"--real-faces {args.real_faces} is a file; give a folder of face photos"
            )
        if not folder.is_dir():
            raise UserError(f"--real-faces {args.real_faces}: no such folder")
        if not scan_images(folder, check=False)[0]:
            raise UserError(
                f"--real-faces {args.real_faces}: no images (.png, .jpg, ...) in this folder"
            )
    try:
        result = run_demo(
            args.minutes,
            args.out,
            device=args.device,
            eval_limit=args.eval_limit,
            seed=args.seed,
            progress=args.progress,
            resume=args.resume,
            overwrite=args.overwrite,
            real_faces=args.real_faces,
        )
    except RunFolderError as err:
        raise UserError(
            f"--out {err.out} already holds a run ({', '.join(err.files)}); continue it with "
            f"'aminet demo --out {err.out} --resume' or start over there with --overwrite "
            "(or choose another --out)"
        ) from None
    status = result.get("run", {}).get("status", "completed")
    if status == "interrupted":
        return 143 if result["run"].get("signal") == "SIGTERM" else 130
    if status != "completed":
        raise UserError(f"training {status}; nothing was evaluated (see {args.out}/log.jsonl)")
    return 0
