"""Measure the numbers of docs/architecture.md and print them as its Markdown tables.

    python scripts/architecture_numbers.py [--size 128] [--models aminet,aminet-s]

Every number is measured here (parameters counted, MACs from a forward pass at SIZE x SIZE, batch
1) and every paper number comes from ``aminet.paper``; nothing is typed by hand. Prints:

1. every registered AMINet-family model: params beside the paper's, and the three MAC counters
   (``aminet.complexity``);
2. Table X's main models beside the paper's MAC column (which the thop convention matches);
3. what each Table I removal costs, ours vs the paper's;
4. where AMINet's parameters live.
"""

from __future__ import annotations

import argparse

from aminet.complexity import count_macs, count_macs_conv_linear, count_macs_thop, count_params
from aminet.paper import ABLATION_TABLES, TABLE_X
from aminet.registry import create_model, get_model_entry, list_models


def measure(name: str, size: int) -> dict:
    model = create_model(name).eval()
    return {
        "params": count_params(model),
        "macs": count_macs(model, size),
        "macs_conv_linear": count_macs_conv_linear(model, size),
        "macs_thop": count_macs_thop(model, size),
    }


def off_by(ours: float, paper: float | None) -> str:
    return f"{100 * (ours / paper - 1):+.1f}%" if paper else "-"


def models_table(numbers: dict[str, dict]) -> str:
    lines = [
        "| model | table | what changes | params (ours) | params (paper) | off by | MACs, FLOP "
        "counter | MACs, conv/linear | MACs, thop convention |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name, n in numbers.items():
        entry = get_model_entry(name)
        paper = entry.paper_params
        lines.append(
            f"| `{name}` | {entry.table or '-'} | {entry.description} | {n['params'] / 1e6:.2f}M | "
            f"{f'{paper}M' if paper else '-'} | {off_by(n['params'] / 1e6, paper)} | "
            f"{n['macs'] / 1e9:.2f}G | {n['macs_conv_linear'] / 1e9:.2f}G | "
            f"{n['macs_thop'] / 1e9:.2f}G |"
        )
    return "\n".join(lines)


def table_x(numbers: dict[str, dict]) -> str:
    lines = [
        "| Table X row | params (paper / ours) | MACs (paper) | MACs, thop convention (ours) | "
        "off by | MACs, FLOP counter (ours) |",
        "|---|---|---|---|---|---|",
    ]
    for row in TABLE_X:
        if row.model is None or row.model not in numbers:
            continue
        n = numbers[row.model]
        lines.append(
            f"| {row.label} (`{row.model}`) | {row.params_m}M / {n['params'] / 1e6:.2f}M | "
            f"{row.macs_g}G | {n['macs_thop'] / 1e9:.2f}G | "
            f"{off_by(n['macs_thop'] / 1e9, row.macs_g)} | {n['macs'] / 1e9:.2f}G |"
        )
    return "\n".join(lines)


def removal_costs(numbers: dict[str, dict]) -> str:
    table = ABLATION_TABLES["I"]
    full = next(r for r in table.rows if r.model == table.reference)
    lines = ["| removed | costs (ours) | costs (paper) |", "|---|---|---|"]
    for row in table.rows:
        if row.model == table.reference or row.model not in numbers:
            continue
        ours = (numbers[table.reference]["params"] - numbers[row.model]["params"]) / 1e6
        lines.append(f"| {row.label} | {ours:.2f}M | {full.params_m - row.params_m:.2f}M |")
    return "\n".join(lines)


def parameter_breakdown(name: str = "aminet") -> str:
    """AMINet's parameters by part, summed over the blocks that hold them."""
    from torch import nn

    from aminet.modules import EDFF, FRM, LGFI, HourGlass, LayerNorm2d, SelfAttention

    model = create_model(name)
    lgfis = [m for m in model.modules() if isinstance(m, LGFI)]

    def total(modules) -> int:
        return sum(count_params(m) for m in modules if m is not None)

    def inside(kind: type) -> list[nn.Module]:
        return [m for lgfi in lgfis for m in lgfi.modules() if isinstance(m, kind)]

    parts = [
        (f"SA, {len(lgfis)} LGFIs", total(inside(SelfAttention))),
        (f"RDFE, {len(lgfis)} LGFIs", total(lgfi.local for lgfi in lgfis)),
        ("of which FRM", total(inside(FRM))),
        ("of which the FRM's hourglass", total(inside(HourGlass))),
        (f"SKAF inside the {len(lgfis)} LGFIs", total(lgfi.skaf for lgfi in lgfis)),
        ("LayerNorms", total(m for m in model.modules() if isinstance(m, LayerNorm2d))),
        (
            f"EDFF, {len(model.fusions)} decoder stages",
            total(m for m in model.modules() if isinstance(m, EDFF)),
        ),
        ("down- and upsampling", total([*model.downs, *model.ups])),
        ("head and tail convolutions", total([model.head, model.tail])),
    ]
    lines = [f"| part of `{name}` ({count_params(model) / 1e6:.2f}M) | params |", "|---|---|"]
    lines += [f"| {label} | {n / 1e6:.3f}M |" for label, n in parts]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=128, help="input height and width (128)")
    parser.add_argument("--models", help="comma-separated names (default: every AMINet model)")
    args = parser.parse_args()
    names = (
        args.models.split(",")
        if args.models
        else [n for n in list_models() if n.startswith("aminet")] + ["sparnet", "sparnet-edff"]
    )
    numbers = {name: measure(name, args.size) for name in names}
    print(f"## at {args.size}x{args.size}, batch 1\n")
    print(models_table(numbers), "\n")
    print(table_x(numbers), "\n")
    print(removal_costs(numbers), "\n")
    print(parameter_breakdown())


if __name__ == "__main__":
    main()
