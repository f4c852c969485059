"""``aminet list``: the registered models, with the paper table each comes from."""

from __future__ import annotations

import json


def add_parser(sub) -> None:
    p = sub.add_parser(
        "list",
        help="list the registered models (AMINet, its variants, the baselines)",
        description="List every model name that --model accepts, with the paper table it reproduces.",
    )
    p.add_argument("--table", help="only the variants of one paper table, e.g. I, IV or V")
    p.add_argument(
        "--params", action="store_true", help="also build each model and count its parameters"
    )
    p.add_argument("--json", action="store_true", help="print a JSON list instead of a table")
    p.set_defaults(func=run)


def run(args) -> int:
    from aminet.complexity import count_params
    from aminet.registry import create_model, get_model_entry, list_models

    if args.table is not None:
        tables = sorted(
            {get_model_entry(n).table for n in list_models() if get_model_entry(n).table}
        )
        if args.table not in tables:
            from aminet.cli import UserError

            raise UserError(f"--table {args.table!r}: expected one of {', '.join(tables)}")
    rows = []
    for name in list_models(args.table):
        entry = get_model_entry(name)
        row = {
            "name": name,
            "table": entry.table,
            "paper_params_m": entry.paper_params,
            "description": entry.description,
        }
        if args.params:
            row["params"] = count_params(create_model(name))
        rows.append(row)
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    for r in rows:
        extra = f"  {r['params'] / 1e6:6.2f}M" if args.params else ""
        paper = f"paper {r['paper_params_m']}M" if r["paper_params_m"] else ""
        print(
            f"{r['name']:26s} {('Table ' + r['table']) if r['table'] else '':9s}{extra}  {r['description']} {paper}".rstrip()
        )
    return 0
