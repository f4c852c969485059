"""Reporting: mean and spread over seeds, ranks, the paper's numbers beside ours, as Markdown and
CSV; Kendall's tau between our ordering of a table and the paper's."""

from __future__ import annotations

import csv
import io
import json
import math
import statistics
from collections.abc import Sequence
from dataclasses import asdict

from aminet.ablation.budget import AblationBudget
from aminet.ablation.tables import get_table

_METRICS = ("psnr_y", "ssim_y", "vif", "lpips")


def _mean_std(values: list[float]) -> tuple[float | None, float | None]:
    values = [v for v in values if v is not None and math.isfinite(v)]
    if not values:
        return None, None
    return statistics.fmean(values), (statistics.stdev(values) if len(values) > 1 else None)


def _ranks(values: list[float | None], higher_is_better: bool = True) -> list[int | None]:
    order = sorted((v for v in values if v is not None), reverse=higher_is_better)
    return [None if v is None else order.index(v) + 1 for v in values]


def summarise(key: str, results: list[dict]) -> list[dict]:
    """One row per variant of table ``key``: mean and sample std over seeds, ranks, paper numbers."""
    table = get_table(key)
    rows = []
    for paper in table.rows:
        runs = [r for r in results if r["model"] == paper.model]
        if not runs:
            raise ValueError(f"no result for {paper.model} in table {key}")
        row = {
            "table": key,
            "model": paper.model,
            "label": paper.label,
            "seeds": [r["seed"] for r in runs],
            "params": runs[0]["params"],
            "train_seconds": _mean_std([r.get("train_seconds") for r in runs])[0],
        }
        for metric in _METRICS:
            row[metric], row[f"{metric}_std"] = _mean_std([r["metrics"].get(metric) for r in runs])
        row["psnr_y_per_seed"] = [r["metrics"].get("psnr_y") for r in runs]
        row["paper"] = {k: v for k, v in asdict(paper).items() if k not in ("model", "label")}
        rows.append(row)
    ref = next(r for r in rows if r["model"] == table.reference)
    for row, ours, theirs in zip(
        rows, _ranks([r["psnr_y"] for r in rows]), _ranks([r["paper"]["psnr"] for r in rows])
    ):
        row["delta_psnr_y"] = (
            None
            if row["psnr_y"] is None or ref["psnr_y"] is None
            else row["psnr_y"] - ref["psnr_y"]
        )
        row["paper_delta_psnr"] = (
            None if row["paper"]["psnr"] is None else row["paper"]["psnr"] - ref["paper"]["psnr"]
        )
        row["rank"], row["paper_rank"] = ours, theirs
    return rows


def _fmt(value, spec: str, std=None) -> str:
    if value is None:
        return "-"
    text = format(value, spec)
    return f"{text} ± {format(std, spec)}" if std is not None else text


def _params_text(n: int | None) -> str:
    return "-" if n is None else (f"{n / 1e6:.2f}M" if n >= 1e5 else f"{n / 1e3:.1f}k")


def table_markdown(
    key: str,
    rows: list[dict],
    budget: AblationBudget,
    seeds: Sequence[int],
    *,
    bicubic: dict | None = None,
) -> str:
    """A Markdown table with a caption naming the data, budget, width, seeds and bicubic floor."""
    table = get_table(key)
    spread = "mean ± sample std over seeds" if len(seeds) > 1 else "one seed"
    floor = ""
    if bicubic and bicubic.get("psnr_y") is not None:
        floor = (
            f" Bicubic on the same test faces: PSNR-Y {bicubic['psnr_y']:.2f}, "
            f"SSIM-Y {_fmt(bicubic.get('ssim_y'), '.4f')}."
        )
    lines = [
        f"**Table {key}: {table.title}.** Ours: {budget.describe()}; seeds {', '.join(map(str, seeds))} ({spread}).{floor} "
        f"Paper: CelebA test set, models trained in full by the authors (copied from the paper, not measured here)."
        + (f" {table.note}" if table.note else ""),
        "",
        "| variant | model | params (ours) | PSNR-Y (ours) | SSIM-Y (ours) | VIF-p (ours) | ΔPSNR vs ref (ours) "
        "| rank (ours) | train s | params (paper) | PSNR (paper) | SSIM (paper) | VIF (paper) | LPIPS (paper) "
        "| ΔPSNR (paper) | rank (paper) |",
        "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for r in rows:
        p = r["paper"]
        lines.append(
            "| "
            + " | ".join(
                [
                    r["label"],
                    f"`{r['model']}`",
                    _params_text(r["params"]),
                    _fmt(r["psnr_y"], ".2f", r["psnr_y_std"]),
                    _fmt(r["ssim_y"], ".4f", r["ssim_y_std"]),
                    _fmt(r["vif"], ".4f", r["vif_std"]),
                    _fmt(r["delta_psnr_y"], "+.2f"),
                    _fmt(r["rank"], "d"),
                    _fmt(r["train_seconds"], ".0f"),
                    "-" if p["params_m"] is None else f"{p['params_m']}M",
                    _fmt(p["psnr"], ".2f"),
                    _fmt(p["ssim"], ".4f"),
                    _fmt(p["vif"], ".4f"),
                    _fmt(p["lpips"], ".4f"),
                    _fmt(r["paper_delta_psnr"], "+.2f"),
                    _fmt(r["paper_rank"], "d"),
                ]
            )
            + " |"
        )
    return "\n".join(lines) + "\n"


_CSV_FIELDS = (
    "table",
    "model",
    "label",
    "seeds",
    "params",
    "psnr_y",
    "psnr_y_std",
    "ssim_y",
    "ssim_y_std",
    "vif",
    "vif_std",
    "lpips",
    "lpips_std",
    "delta_psnr_y",
    "rank",
    "train_seconds",
    "paper_params_m",
    "paper_psnr",
    "paper_ssim",
    "paper_vif",
    "paper_lpips",
    "paper_delta_psnr",
    "paper_rank",
    "data",
    "preset",
    "steps",
    "batch_size",
    "crop_size",
    "width",
)


def table_csv(key: str, rows: list[dict], budget: AblationBudget) -> str:
    """The same table as CSV, one line per variant, with the budget on every line."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=_CSV_FIELDS, lineterminator="\n")
    writer.writeheader()
    for r in rows:
        record = {k: r.get(k) for k in _CSV_FIELDS}
        record.update(
            {f"paper_{k}": v for k, v in r["paper"].items() if f"paper_{k}" in _CSV_FIELDS}
        )
        record.update(
            seeds=" ".join(map(str, r["seeds"])),
            data=budget.data,
            preset=budget.preset,
            steps=budget.steps,
            batch_size=budget.batch_size,
            crop_size=budget.crop_size,
            width=json.dumps(budget.width_for(r["model"]), sort_keys=True),
        )
        writer.writerow(record)
    return buffer.getvalue()


def kendall_tau(ours: Sequence[float], paper: Sequence[float]) -> float | None:
    """Kendall's tau-a between two scorings of the same rows (1: same order, -1: reversed).

    Pairs tied in either scoring count as neither agreeing nor disagreeing; ``None`` for fewer
    than two rows. Used to say how well our ordering of a table's variants matches the paper's.
    """
    n = len(ours)
    if n != len(paper):
        raise ValueError(f"need two scorings of the same rows, got {n} and {len(paper)}")
    if n < 2:
        return None
    score = 0
    for i in range(n):
        for j in range(i + 1, n):
            a, b = ours[i] - ours[j], paper[i] - paper[j]
            score += (a > 0) - (a < 0) if b > 0 else ((a < 0) - (a > 0) if b < 0 else 0)
    return score / (n * (n - 1) / 2)
