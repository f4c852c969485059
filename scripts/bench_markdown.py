"""Turn an ``aminet bench --json`` result into the Markdown tables of docs/benchmarks.md.

    aminet bench --models aminet,aminet-s,sparnet --json > bench.json
    python scripts/bench_markdown.py bench.json [--baseline sparnet]

Prints Table X side by side (the paper's row, then ours) and a measurements table with ratios to
``--baseline`` (default: sparnet if present, else the first model). Every measured number keeps the
machine it came from, printed under the tables.
"""

from __future__ import annotations

import argparse
import json

from aminet.bench import PAPER_TABLE_X

PAPER_NAMES = {"aminet": "AMINet", "aminet-s": "AMINet-S", "sparnet": "SPARNet"}


def machine_line(result: dict) -> str:
    m, s = result["machine"], result["settings"]
    where = (
        m.get("gpu")
        or f"{m['cpu']} CPU, {m['cpu_count']} cores, {m['torch_threads']} torch thread(s)"
    )
    flags = [s["dtype"]] + [k for k in ("channels_last", "compile", "cuda_graphs") if s[k]]
    load = (
        f", 1-min load average {m['load_average_1min']} at the end"
        if "load_average_1min" in m
        else ""
    )
    return (
        f"Measured on {where}, torch {m['torch']}, {'+'.join(flags)}, {s['size']}x{s['size']} input, "
        f"{s['repeats']} interleaved repeats after {s['warmup']} warm-up calls{load}."
    )


def table_x(result: dict) -> str:
    lines = [
        "| model | source | PSNR (dB) | params | MACs (FLOP counter) | MACs (conv+linear) | MACs (thop) | speed |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in result["rows"]:
        paper = PAPER_TABLE_X.get(PAPER_NAMES.get(row["model"], ""))
        if paper:
            lines.append(
                f"| {row['model']} | paper, Table X | {paper[0]} | {paper[1]}M | - | - | {paper[2]}G | "
                f"{paper[3]} ms (RTX 3090) |"
            )
        lines.append(
            f"| {row['model']} | ours, measured | not trained yet | {row['params'] / 1e6:.2f}M | "
            f"{row['macs'] / 1e9:.2f}G | {row['macs_conv_linear'] / 1e9:.2f}G | "
            f"{row['macs_thop'] / 1e9:.2f}G | "
            f"{row['latency_ms']['median']:.0f} ms (CPU, batch 1, median) |"
        )
    return "\n".join(lines)


def measurements(result: dict, baseline: str) -> str:
    rows = {r["model"]: r for r in result["rows"]}
    base = rows[baseline]
    batches = [b for b in result["settings"]["batches"] if b != 1]
    head = ["model", "params", "MACs", "b1 median ms", "b1 p90 ms"]
    head += [f"img/s b{b}" for b in batches]
    has_train = any(r.get("train") for r in rows.values())
    has_mem = any(r.get("peak_memory_mb") for r in rows.values())
    if has_train:
        head.append("train img/s")
    if has_mem:
        head += [f"peak MiB b{b}" for b in result["settings"]["batches"]]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]

    def ratio(a, b):
        return f" (x{a / b:.2f})" if b else ""

    for name, row in rows.items():
        cells = [
            name,
            f"{row['params'] / 1e6:.2f}M{ratio(row['params'], base['params'])}",
            f"{row['macs'] / 1e9:.2f}G{ratio(row['macs'], base['macs'])}",
            f"{row['latency_ms']['median']:.0f}"
            f"{ratio(row['latency_ms']['median'], base['latency_ms']['median'])}",
            f"{row['latency_ms']['p90']:.0f}",
        ]
        cells += [
            f"{row['throughput'][str(b)]:.2f}{ratio(row['throughput'][str(b)], base['throughput'][str(b)])}"
            for b in batches
        ]
        if has_train:
            tr, btr = row.get("train"), base.get("train")
            cells.append(
                f"{tr['img_s']:.2f}{ratio(tr['img_s'], btr['img_s']) if btr else ''} (b{tr['batch']})"
                if tr
                else "n/a"
            )
        if has_mem:
            mem = row.get("peak_memory_mb") or {}
            cells += [f"{mem.get(str(b), 'n/a')}" for b in result["settings"]["batches"]]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + f"\n\nRatios (xN) are to {baseline}."


def main(argv=None) -> None:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("json_file", help="output of 'aminet bench --json'")
    p.add_argument("--baseline", default=None, help="model the ratios are taken to")
    args = p.parse_args(argv)
    with open(args.json_file) as f:
        result = json.load(f)
    names = [r["model"] for r in result["rows"]]
    baseline = args.baseline or ("sparnet" if "sparnet" in names else names[0])
    if baseline not in names:
        raise SystemExit(f"--baseline {baseline!r} is not one of the measured models {names}")
    print(table_x(result))
    print()
    print(measurements(result, baseline))
    print()
    print(machine_line(result))


if __name__ == "__main__":
    main()
