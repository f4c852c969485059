"""``aminet summary``: a model's layers, parameters and MACs."""

from __future__ import annotations

import json

from aminet.cli import UserError


def add_parser(sub) -> None:
    p = sub.add_parser(
        "summary",
        help="show a model's layers, parameter count and MACs",
        description=(
            "Print torchinfo's layer table for a registered model, with its parameter count and "
            "multiply-accumulates (MACs) for one face of SIZE x SIZE pixels. With --json, print one "
            "JSON object instead (params; macs from torch's FLOP counter; macs_conv_linear, conv and "
            "linear layers only at their true cost; macs_thop, the convention of the thop package "
            "that the paper's Table X appears to use)."
        ),
    )
    p.add_argument(
        "--model",
        default="aminet",
        help="registered model name (see 'aminet list'); default: aminet",
    )
    p.add_argument(
        "--size", type=int, default=128, help="input height and width in pixels (default 128)"
    )
    p.add_argument(
        "--depth",
        type=int,
        default=3,
        help="how many levels of nested layers the table shows (default 3)",
    )
    p.add_argument("--json", action="store_true", help="print one JSON object instead of the table")
    p.set_defaults(func=run)


def run(args) -> int:
    from aminet.cli import check_model_name
    from aminet.complexity import count_macs, count_macs_conv_linear, count_macs_thop, count_params
    from aminet.registry import create_model

    if not 8 <= args.size <= 4096:
        raise UserError(f"--size must be from 8 to 4096 pixels, got {args.size}")
    if args.depth < 0:
        raise UserError(f"--depth must be >= 0, got {args.depth}")
    model = create_model(check_model_name(args.model)).eval()
    params = count_params(model)
    macs = count_macs(model, args.size)
    macs_thop = count_macs_thop(model, args.size)
    if args.json:
        print(
            json.dumps(
                {
                    "model": args.model,
                    "params": params,
                    "macs": macs,
                    "macs_conv_linear": count_macs_conv_linear(model, args.size),
                    "macs_thop": macs_thop,
                    "input_size": [1, 3, args.size, args.size],
                }
            )
        )
        return 0
    from torchinfo import summary

    print(summary(model, input_size=(1, 3, args.size, args.size), depth=args.depth, verbose=0))
    print(
        f"\n{args.model}: {params / 1e6:.2f}M parameters at {args.size}x{args.size}: "
        f"{macs / 1e9:.2f}G MACs (torch FLOP counter, matmuls included), "
        f"{macs_thop / 1e9:.2f}G MACs (thop convention, as papers' MAC columns)"
    )
    return 0
