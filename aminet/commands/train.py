"""``aminet train``: train a model (L1, or AMIGAN with --gan) with checkpoints, logs and resume."""

from __future__ import annotations

import argparse

from aminet.cli import UserError

EPILOG = """examples:
  aminet train --preset smoke                       # a few seconds: checks that everything runs
  aminet train --preset short --data celeba:~/celeba --out runs/aminet
  aminet train --model aminet-s --minutes 30 --batch-size 8 --out runs/s
  aminet train --resume runs/aminet/last.pt --preset short --data celeba:~/celeba --out runs/aminet
  aminet train --gan --init runs/aminet/best.pt --preset short --out runs/amigan
  torchrun --nproc_per_node 4 -m aminet train --preset full --data celeba:~/celeba   # 4 GPUs

Outputs in --out: best.pt and last.pt (checkpoints), log.jsonl (one line per step), curves.png
(loss and validation PSNR-Y), config.json. Options given on the command line override the preset
and the --config file."""


def add_parser(sub) -> None:
    p = sub.add_parser(
        "train",
        help="train a model (L1 or AMIGAN) with checkpoints, logs and exact resume",
        description=(
            "Train a super-resolution model on 16x16 -> 128x128 faces. Defaults follow the paper: Adam "
            "(0.9, 0.99), learning rate 2e-4, L1 loss, with a cosine schedule. Start from a --preset "
            "(smoke: seconds on a CPU; short: 20,000 steps, a GPU job; full: 200,000 steps), then change "
            "what you need. Training can run for a number of --steps, --epochs or --minutes."
        ),
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "--preset",
        choices=("smoke", "short", "full"),
        default="short",
        help="starting configuration (default: short)",
    )
    p.add_argument(
        "--config",
        metavar="FILE",
        help="YAML or JSON file of training options (keys of aminet.train.TrainConfig)",
    )
    p.add_argument("--model", help="registered model name, see 'aminet list' (default: aminet)")
    p.add_argument(
        "--data",
        help="synthetic (built-in SynthFaces), celeba:DIR or folder:DIR (default: synthetic)",
    )
    p.add_argument("--out", help="folder for checkpoints and logs (default: runs/train)")
    p.add_argument("--steps", type=int, help="number of optimisation steps")
    p.add_argument(
        "--epochs", type=float, help="number of passes over the training set (instead of --steps)"
    )
    p.add_argument(
        "--minutes",
        type=float,
        help="stop after this many minutes (the schedule fits itself to the time)",
    )
    p.add_argument("--batch-size", type=int, help="images per step, over all GPUs together")
    p.add_argument(
        "--lr",
        type=float,
        help="learning rate (paper: 2e-4); with --gan, the generator's (paper and default: 1e-4)",
    )
    p.add_argument(
        "--pixel-loss",
        choices=("l1", "mse"),
        help="l1 (default, the paper's eq. 17) or mse (PSNR's own measure; learns faster in minutes)",
    )
    p.add_argument(
        "--warmup-steps",
        type=int,
        help="linear learning-rate warmup (default 0; use ~100 with a high --lr and --zero-init-tail)",
    )
    p.add_argument(
        "--schedule",
        choices=("cosine", "multistep", "constant"),
        help="learning-rate schedule (default: cosine)",
    )
    p.add_argument(
        "--crop-size",
        type=int,
        help="train on random crops of this size (multiple of 8) instead of whole faces",
    )
    p.add_argument("--train-limit", type=int, help="use only the first N training images")
    p.add_argument(
        "--val-limit",
        type=int,
        help="validate on the first N validation images (0 = no validation)",
    )
    p.add_argument("--val-every", type=int, help="validate and save checkpoints every N steps")
    p.add_argument(
        "--grad-clip", type=float, help="clip the gradient norm to this value (0 = off; default 1)"
    )
    p.add_argument(
        "--amp",
        choices=("auto", "bf16", "fp16", "none"),
        help="mixed precision (auto: on for CUDA only)",
    )
    p.add_argument(
        "--channels-last",
        action="store_true",
        default=None,
        help="channels-last memory format (faster on recent GPUs)",
    )
    p.add_argument(
        "--device", help="cpu, cuda, cuda:1 or mps (default: the best available, printed)"
    )
    p.add_argument("--seed", type=int, help="random seed (default 0)")
    p.add_argument(
        "--deterministic",
        action="store_true",
        default=None,
        help="repeatable results at some cost in speed",
    )
    p.add_argument("--resume", metavar="CKPT", help="continue a run exactly from its last.pt")
    p.add_argument(
        "--init",
        dest="init_from",
        metavar="CKPT",
        help="start from these model weights (e.g. an L1 model for --gan)",
    )
    p.add_argument(
        "--gan",
        action="store_true",
        default=None,
        help="train AMIGAN: L1 + VGG19 perceptual + adversarial (eq. 22)",
    )
    p.add_argument(
        "--perceptual",
        choices=("vgg19", "none", "auto"),
        help="AMIGAN's perceptual term: vgg19 (needs the ImageNet file in the torch cache), none (say so in all outputs), "
        "auto (vgg19 if the file is there; default for the smoke preset)",
    )
    p.add_argument(
        "--threads",
        type=int,
        help="CPU threads for torch (default: all cores; 1 is faster on a busy machine)",
    )
    p.add_argument(
        "--zero-init-tail",
        action="store_true",
        default=None,
        help="start from bicubic exactly (zero the model's last convolution); helps short runs",
    )
    p.add_argument(
        "--no-progress", dest="progress", action="store_false", default=None, help="no progress bar"
    )
    p.set_defaults(func=run)


OPTION_NAMES = (
    "model",
    "data",
    "out",
    "steps",
    "epochs",
    "minutes",
    "batch_size",
    "lr",
    "pixel_loss",
    "warmup_steps",
    "schedule",
    "crop_size",
    "train_limit",
    "val_limit",
    "val_every",
    "grad_clip",
    "amp",
    "channels_last",
    "device",
    "seed",
    "deterministic",
    "resume",
    "init_from",
    "gan",
    "perceptual",
    "progress",
    "zero_init_tail",
)


def build_config(args):
    """Preset, then the --config file, then the command-line options (the most specific wins)."""
    from aminet.train import TrainConfig, preset_config

    overrides = {}
    if args.config:
        overrides.update(TrainConfig.from_file(args.config).to_dict())
        defaults = TrainConfig().to_dict()
        overrides = {k: v for k, v in overrides.items() if v != defaults[k]}
    overrides.update({k: getattr(args, k) for k in OPTION_NAMES if getattr(args, k) is not None})
    if args.model is not None and "model_kwargs" not in overrides:
        overrides["model_kwargs"] = {}  # the preset's size options belong to the preset's model
    if args.minutes is not None and args.steps is None and args.epochs is None:
        overrides["steps"] = None  # a pure time budget
    for name in ("steps", "batch_size", "val_limit", "val_every", "train_limit", "warmup_steps"):
        value = overrides.get(name)
        at_least_zero = ("val_limit", "val_every", "warmup_steps")
        if value is not None and value < (0 if name in at_least_zero else 1):
            raise UserError(f"--{name.replace('_', '-')} must be positive, got {value}")
    for name in ("minutes", "epochs", "lr"):
        value = overrides.get(name)
        if value is not None and value <= 0:
            raise UserError(f"--{name} must be positive, got {value}")
    if overrides.get("gan") and args.lr is not None:
        overrides["lr_g"] = overrides.pop("lr")  # with --gan, --lr is the generator's rate
    if overrides.get("val_limit") == 0:
        overrides["val_limit"] = 0
    return preset_config(args.preset, **overrides)


def run(args) -> int:
    from aminet.registry import get_model_entry
    from aminet.train import train

    if args.threads is not None:
        if args.threads < 1:
            raise UserError(f"--threads must be at least 1, got {args.threads}")
        import torch

        torch.set_num_threads(args.threads)
    config = build_config(args)
    get_model_entry(config.model)  # unknown names fail here, before any work
    history = train(config)
    if history["status"] == "diverged":
        raise UserError(
            f"training diverged at step {history['steps']}; the last good checkpoint is in {config.out}"
        )
    return 0
