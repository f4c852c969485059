"""``aminet bench``: measure models side by side (params, MACs, latency, throughput, memory)."""

from __future__ import annotations

import json
import os
from pathlib import Path

from aminet.cli import UserError, check_threads


def _int_list(text: str) -> list[int]:
    try:
        values = [int(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise UserError(
            f"--batch expects comma-separated integers such as 1,16,64, got {text!r}"
        ) from None
    if not values or min(values) < 1:
        raise UserError(f"--batch expects positive batch sizes such as 1,16,64, got {text!r}")
    return values


def add_parser(sub) -> None:
    p = sub.add_parser(
        "bench",
        help="measure params, MACs, latency, throughput and memory of models side by side",
        description=(
            "Benchmark registered models in one run, interleaved (A, B, C, A, B, C, ...) so that "
            "the ratios hold on a noisy machine. For each model: parameters, MACs at batch 1 (the "
            "same three counters as 'aminet summary': torch's FLOP counter, conv/linear only, and "
            "the thop convention of the paper's Table X), batch-1 latency "
            "(warm-up, device synchronised, median and 90th percentile), throughput in images/s "
            "at each --batch, peak memory of a forward pass, and with --train the images/s of the "
            "trainer's own L1 step. Ratios are to the first model. Example: "
            "aminet bench --models aminet,aminet-s,sparnet --device cpu --threads 1 --json"
        ),
    )
    p.add_argument(
        "--models",
        default="aminet,aminet-s,sparnet",
        help="comma-separated registered names (see 'aminet list'); default: aminet,aminet-s,sparnet",
    )
    p.add_argument("--device", default="cpu", help="cpu or cuda (default cpu)")
    p.add_argument(
        "--batch",
        default=None,
        help="comma-separated batch sizes for throughput (default: 1,4 on cpu, 1,16,64 on cuda; "
        "batch 1 is always measured)",
    )
    p.add_argument(
        "--dtype",
        default="fp32",
        choices=("fp32", "bf16", "fp16"),
        help="fp32, or autocast to bf16 / fp16 (default fp32)",
    )
    p.add_argument(
        "--channels-last",
        action="store_true",
        help="run model and input in channels_last memory format",
    )
    p.add_argument(
        "--compile",
        action="store_true",
        help="torch.compile the models (needs a working inductor backend)",
    )
    p.add_argument(
        "--cuda-graphs",
        action="store_true",
        help="replay inference as CUDA graphs (CUDA only; with --compile: mode='reduce-overhead')",
    )
    p.add_argument(
        "--train",
        action="store_true",
        help="also measure training steps (Adam, L1) at the largest batch",
    )
    p.add_argument(
        "--repeats",
        type=int,
        default=None,
        help="timed calls per model and batch (default 10; 3 with AMINET_PRESET=smoke)",
    )
    p.add_argument("--warmup", type=int, default=2, help="untimed calls before timing (default 2)")
    p.add_argument(
        "--size", type=int, default=128, help="input height and width in pixels (default 128)"
    )
    p.add_argument(
        "--threads",
        type=int,
        default=None,
        help="torch CPU threads (default: torch's choice); 1 is often much faster on a shared machine",
    )
    p.add_argument("--no-memory", action="store_true", help="skip the peak-memory measurement")
    p.add_argument(
        "--json",
        action="store_true",
        help="print one JSON object (rows and ratios) instead of a table",
    )
    p.add_argument(
        "--plot",
        default=None,
        metavar="PNG",
        help="also save a Fig. 1-style bubble plot to this file",
    )
    p.set_defaults(func=run)


def run(args) -> int:
    from aminet.bench import benchmark, format_table, plot_tradeoff

    names = [n.strip() for n in args.models.split(",") if n.strip()]
    if not names:
        raise UserError(
            "--models needs at least one registered model name, e.g. --models aminet,sparnet"
        )
    if args.batch is None:
        batches = [1, 16, 64] if args.device.startswith("cuda") else [1, 4]
    else:
        batches = _int_list(args.batch)
    repeats = args.repeats
    if repeats is None:
        repeats = 3 if os.environ.get("AMINET_PRESET") == "smoke" else 10
    if repeats < 1:
        raise UserError(f"--repeats must be at least 1, got {repeats}")
    if args.warmup < 0:
        raise UserError(f"--warmup must be >= 0, got {args.warmup}")
    if args.size < 8:
        raise UserError(f"--size must be at least 8 pixels, got {args.size}")
    check_threads(args.threads)
    if args.plot:  # checked before minutes of measuring, not after
        plot = Path(args.plot).expanduser()
        if plot.is_dir():
            raise UserError(
                f"--plot {args.plot} is a folder; give a file name such as {plot / 'bench.png'}"
            )
        if not plot.suffix:
            plot = plot.with_suffix(".png")  # what matplotlib would write anyway; now it is said
        plot.parent.mkdir(parents=True, exist_ok=True)
        args.plot = str(plot)
    result = benchmark(
        names,
        device=args.device,
        batches=batches,
        dtype=args.dtype,
        channels_last=args.channels_last,
        compile=args.compile,
        cuda_graphs=args.cuda_graphs,
        train=args.train,
        repeats=repeats,
        warmup=args.warmup,
        size=args.size,
        memory=not args.no_memory,
        threads=args.threads,
        progress=not args.json,
    )
    if args.plot:
        m = result["machine"]
        where = m.get("gpu") or f"{m['cpu']}, {m['torch_threads']} thread(s)"
        plot_tradeoff(result["rows"], args.plot, machine=f"{where}, torch {m['torch']}")
    if args.json:
        print(json.dumps(result))
    else:
        print(format_table(result))
        if args.plot:
            print(f"plot saved to {args.plot}")
    return 0
