"""``aminet eval``: measure a model (or the bicubic baseline) on a test set."""

from __future__ import annotations

import json
import sys

from aminet.cli import UserError

_ROWS = (
    ("psnr_y", "PSNR Y (dB)", "{:.3f}"),
    ("ssim_y", "SSIM Y", "{:.4f}"),
    ("psnr_rgb", "PSNR RGB (dB)", "{:.3f}"),
    ("ssim_rgb", "SSIM RGB", "{:.4f}"),
    ("vif", "VIF-p Y", "{:.4f}"),
    ("lpips", "LPIPS (alex)", "{:.4f}"),
)


def add_parser(sub) -> None:
    p = sub.add_parser(
        "eval",
        help="measure a model's PSNR/SSIM/VIF/LPIPS on a test set",
        description=(
            "Super-resolve every face of a test set and print the mean and standard deviation of "
            "PSNR and SSIM (on the Y channel, MATLAB formula, peak 255, and on RGB), VIF-p and "
            "LPIPS (when its pretrained AlexNet is on this machine). Example: "
            "'aminet eval --model bicubic --data synthetic --split test --json'."
        ),
    )
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument(
        "--model",
        help="registered model name (see 'aminet list'), e.g. bicubic; untrained unless it has no weights",
    )
    which.add_argument(
        "--checkpoint", metavar="PATH", help="a checkpoint written by 'aminet train'"
    )
    p.add_argument(
        "--data",
        default="synthetic",
        help="synthetic (built-in SynthFaces, default), celeba:DIR, or folder:DIR (HR faces); see data/README.md",
    )
    p.add_argument(
        "--split",
        default="test",
        choices=("train", "val", "test"),
        help="which split (default test)",
    )
    p.add_argument(
        "--limit", type=int, default=None, metavar="N", help="measure only the first N images"
    )
    p.add_argument("--batch-size", type=int, default=16, help="images per batch (default 16)")
    p.add_argument(
        "--device",
        default=None,
        help="cpu, cuda, cuda:1, ... (default: cuda if available, else cpu)",
    )
    p.add_argument("--no-lpips", action="store_true", help="skip LPIPS")
    p.add_argument("--no-vif", action="store_true", help="skip VIF-p (the slowest metric on CPU)")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    p.set_defaults(func=run)


def _load_model(args):
    if args.checkpoint:
        try:
            from aminet.checkpoint import load_model
        except ImportError as err:
            raise UserError(
                f"--checkpoint needs aminet.checkpoint, which is not available ({err})"
            ) from None
        return load_model(args.checkpoint), args.checkpoint
    from aminet.cli import check_model_name
    from aminet.registry import create_model

    model = create_model(check_model_name(args.model))  # unknown names: "did you mean"
    if any(p.numel() for p in model.parameters()):
        print(
            f"note: --model {args.model} has freshly initialised (untrained) weights; use --checkpoint PATH to measure a trained model",
            file=sys.stderr,
        )
    return model, args.model


def run(args) -> int:

    from aminet.data import build_dataset
    from aminet.evaluation import evaluate

    if args.limit is not None and args.limit < 1:
        raise UserError(f"--limit must be a positive number of images, got {args.limit}")
    if args.batch_size < 1:
        raise UserError(f"--batch-size must be >= 1, got {args.batch_size}")
    if args.device is not None:
        from aminet.device import check_device

        check_device(args.device)
    if args.data.partition(":")[0] == "lr":
        raise UserError(
            f"--data {args.data}: lr:DIR holds low-resolution faces without ground truth, which "
            "cannot be measured; give HR faces: synthetic, folder:DIR or celeba:DIR (and use "
            "'aminet upscale' for LR faces)"
        )
    dataset = build_dataset(args.data, args.split, limit=args.limit)
    model, label = _load_model(args)
    result = evaluate(
        model,
        dataset,
        batch_size=args.batch_size,
        device=args.device,
        lpips=not args.no_lpips,
        vif=not args.no_vif,
        progress=not args.json,
    )
    if result.get("lpips") is None and not args.no_lpips:
        print(f"note: {result.get('lpips_note')}", file=sys.stderr)
    if args.json:
        print(json.dumps({"model": label, "data": args.data, "split": args.split, **result}))
        return 0
    print(f"{label} on {args.data} ({args.split}, {result['n']} images)")
    print(f"{'metric':<15} {'mean':>10} {'std':>10}")
    for key, name, fmt in _ROWS:
        if result[key] is None:
            print(f"{name:<15} {'n/a':>10} {'':>10}")
        else:
            print(
                f"{name:<15} {fmt.format(result[key]):>10} {fmt.format(result[key + '_std']):>10}"
            )
    return 0
