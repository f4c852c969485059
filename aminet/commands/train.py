"""``aminet train``: train a model (L1, or AMIGAN with --gan) with checkpoints, logs and resume."""

from __future__ import annotations

import argparse
import sys

from aminet.cli import UserError, check_threads

EPILOG = """examples:
  aminet train --preset smoke                       # a few seconds: checks that everything runs
  aminet train --preset short --data celeba:~/celeba --out runs/aminet
  aminet train --model aminet-s --minutes 30 --batch-size 8 --out runs/s
  aminet train --resume runs/aminet/last.pt         # continue it (after Ctrl-C, a kill, a disconnect)
  aminet train --gan --init runs/aminet/best.pt --preset short --out runs/amigan
  torchrun --nproc_per_node 4 -m aminet train --preset full --data celeba:~/celeba   # 4 GPUs

Outputs in --out: best.pt and last.pt (checkpoints), log.jsonl (one line per step), curves.png
(loss and validation PSNR-Y), config.json. Options given on the command line override the --config
file, which overrides the preset. A folder that holds a run is never replaced by a fresh run unless
--overwrite is given, and one run at a time writes there (run.lock). Ctrl-C or SIGTERM finish the
current step, save last.pt and print the command that resumes; exit codes 130 and 143."""


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
        default=None,
        help="starting configuration (default: short; with --resume: the resumed run's own options)",
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
        help="train on random crops of this size (multiple of 8, at most the face size) instead of "
        "whole faces; 0 = whole faces",
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
    p.add_argument(
        "--resume",
        metavar="CKPT",
        help="continue a run exactly from its last.pt, with the options it was started with",
    )
    p.add_argument(
        "--overwrite",
        action="store_true",
        help="replace the run already in --out (without it, a fresh run into such a folder is refused)",
    )
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


CONFIG_SUFFIXES = (".yaml", ".yml", ".json")


def _resumed_config(path: str) -> dict:
    """The options recorded in the checkpoint being resumed: what a resume continues."""
    from aminet.checkpoint import load_checkpoint

    recorded = load_checkpoint(path).get("config")
    if not isinstance(recorded, dict):
        raise UserError(
            f"--resume {path} records no training options (not a last.pt written by 'aminet train')"
        )
    return dict(recorded)


def build_config(args):
    """The options of the run, most specific last.

    A fresh run: the preset, then the keys the --config file sets, then the flags given on the
    command line. A value given in the file or on the command line wins whatever it equals (even
    when it equals TrainConfig's default). With --resume the base is the config recorded in the
    checkpoint instead of a preset, so ``aminet train --resume runs/x/last.pt`` alone continues
    the run; options that a resume cannot change are refused by the trainer, naming them.
    """
    from aminet.train import PRESETS, TrainConfig, preset_config

    given = {}
    if args.config:
        from aminet.cli import check_input_file

        if check_input_file(args.config, "--config").suffix.lower() not in CONFIG_SUFFIXES:
            raise UserError(
                f"--config {args.config}: expected a YAML (.yaml, .yml) or JSON (.json) file"
            )
        given.update(TrainConfig.values_in_file(args.config))
    given.update({k: getattr(args, k) for k in OPTION_NAMES if getattr(args, k) is not None})
    if args.crop_size == 0:
        given["crop_size"] = None  # --crop-size 0: whole faces, overriding a preset's crops
    if args.overwrite:
        given["overwrite"] = True
    if args.minutes is not None and args.steps is None and args.epochs is None:
        given.setdefault("steps", None)  # a pure time budget
    if isinstance(given.get("model"), str):
        from aminet.cli import check_model_name

        check_model_name(given["model"])  # before anything else is said about the model

    if given.get("gan") and "lr" in given and args.lr is not None:
        given["lr_g"] = given.pop(
            "lr"
        )  # with --gan, --lr is the generator's rate (TrainConfig.lr_g)

    if args.resume:
        from pathlib import Path

        base = _resumed_config(args.resume)
        if args.preset is not None:
            base.update(PRESETS[args.preset])
        base["out"] = str(Path(args.resume).parent)  # where the checkpoint is, unless --out says
        base.update(resume=args.resume, overwrite=False)
        if "model" in given and "model_kwargs" not in given and given["model"] != base.get("model"):
            given["model_kwargs"] = {}
        values = {**base, **given}
        try:
            return TrainConfig.from_dict(values).validate()
        except ValueError as err:
            raise UserError(str(err)) from None

    preset = args.preset or "short"
    preset_model = PRESETS[preset].get("model", TrainConfig.model)
    preset_kwargs = PRESETS[preset].get("model_kwargs") or {}
    if "model" in given and "model_kwargs" not in given and preset_kwargs:
        if given["model"] == preset_model:
            print(
                f"note: --model {given['model']} is the {preset} preset's own model: keeping the "
                f"preset's model options {preset_kwargs} (give model_kwargs in a --config file to "
                "change them)",
                file=sys.stderr,
            )
        else:
            print(
                f"note: the {preset} preset's model options {preset_kwargs} belong to its model "
                f"{preset_model}; --model {given['model']} is built with its own defaults",
                file=sys.stderr,
            )
            given["model_kwargs"] = {}
    try:
        return preset_config(preset, **given).validate()
    except ValueError as err:
        raise UserError(str(err)) from None


def run(args) -> int:
    from aminet.cli import check_model_name
    from aminet.train import RunFolderError, train

    if check_threads(args.threads) is not None:
        import torch

        torch.set_num_threads(args.threads)
    if args.resume and args.overwrite:
        raise UserError("--resume continues the run in --out and --overwrite replaces it: give one")
    config = build_config(args)
    check_model_name(config.model)  # unknown names fail here, before any work
    try:
        history = train(config)
    except RunFolderError as err:
        raise UserError(
            f"--out {err.out} already holds a run ({', '.join(err.files)}); continue it with "
            f"'aminet train --resume {err.out / 'last.pt'}' or start over there with --overwrite "
            "(or choose another --out)"
        ) from None
    if history["status"] == "diverged":
        from pathlib import Path

        saved = [n for n in ("last.pt", "best.pt") if (Path(config.out) / n).is_file()]
        where = (
            f"the last good checkpoint is {Path(config.out) / saved[0]}"
            if saved
            else "no checkpoint was saved before it"
        )
        raise UserError(f"training diverged at step {history['steps']}; {where}")
    if history["status"] == "interrupted":
        return 143 if history.get("signal") == "SIGTERM" else 130
    return 0
