"""Reporting a benchmark: the plain-text table and the Fig. 1-style bubble plot beside the
paper's Table X (from ``aminet.paper``)."""

from __future__ import annotations

import os
from collections.abc import Sequence

from aminet.paper import TABLE_X

# The paper's Table X (x8 CelebA): label -> (PSNR dB, params M, MACs G, RTX 3090 ms).
PAPER_TABLE_X = {r.label: (r.psnr, r.params_m, r.macs_g, r.speed_ms) for r in TABLE_X}


def format_table(result: dict) -> str:
    """A plain-text table of a ``benchmark`` result, ratios to the first model in brackets."""
    rows, ratios = result["rows"], result["ratios"]
    batches = result["settings"]["batches"]
    head = ["model", "params", "MACs", "MACs(conv)", "MACs(thop)", "b1 median ms", "b1 p90 ms"]
    head += [f"img/s b{b}" for b in batches if b != 1]
    if any(r.get("train") for r in rows):
        head.append("train img/s")
    if any("peak_memory_mb" in r for r in rows):
        head.append(f"mem MiB b{batches[-1]}")
    lines = [head]
    for row in rows:
        rt = ratios[row["model"]]

        def with_ratio(text, value):
            return f"{text} (x{value:.2f})" if value is not None else text

        cells = [
            row["model"],
            with_ratio(f"{row['params'] / 1e6:.2f}M", rt["params"]),
            with_ratio(f"{row['macs'] / 1e9:.2f}G", rt["macs"]),
            f"{row['macs_conv_linear'] / 1e9:.2f}G",
            f"{row['macs_thop'] / 1e9:.2f}G" if "macs_thop" in row else "n/a",
            with_ratio(f"{row['latency_ms']['median']:.1f}", rt["latency"]),
            f"{row['latency_ms']['p90']:.1f}",
        ]
        cells += [
            with_ratio(f"{row['throughput'][str(b)]:.1f}", rt.get(f"throughput_b{b}"))
            for b in batches
            if b != 1
        ]
        if "train img/s" in head:
            tr = row.get("train")
            cells.append(with_ratio(f"{tr['img_s']:.1f}", rt.get("train_img_s")) if tr else "n/a")
        if any("peak_memory_mb" in r for r in rows):
            cells.append(str(row.get("peak_memory_mb", {}).get(str(batches[-1]), "n/a")))
        lines.append(cells)
    widths = [max(len(str(line[i])) for line in lines) for i in range(len(head))]
    text = "\n".join("  ".join(str(c).ljust(w) for c, w in zip(line, widths)) for line in lines)
    m, s = result["machine"], result["settings"]
    where = m.get("gpu") or f"{m['cpu']} ({m['cpu_count']} cores, {m['torch_threads']} threads)"
    flags = [s["dtype"]] + [k for k in ("channels_last", "compile", "cuda_graphs") if s[k]]
    return (
        f"{text}\n\nmeasured on {s['device']}: {where}, torch {m['torch']}, {'+'.join(flags)}, "
        f"{s['size']}x{s['size']} input, {s['repeats']} interleaved repeats after {s['warmup']} "
        f"warm-up calls; ratios (xN) to {rows[0]['model']}"
    )


def plot_tradeoff(
    rows: Sequence[dict],
    out_png: str | os.PathLike,
    psnr: dict[str, float] | None = None,
    *,
    psnr_source: str = "our training runs",
    machine: str | None = None,
    paper: dict = PAPER_TABLE_X,
):
    """A Fig. 1-style bubble plot; returns the matplotlib Figure (also saved to ``out_png``).

    The figure is a plain ``matplotlib.figure.Figure``, not made through pyplot, so the plotting
    backend and pyplot's figure list are left as they are (a notebook shows the returned figure).

    Left panel: params (M) vs PSNR (dB). The paper's Table X points are grey circles labelled
    "paper", bubble area = the paper's RTX 3090 time. Our models (``rows`` from ``benchmark``) are
    drawn as coloured diamonds at their measured params and at ``psnr[model]`` when given (labelled
    with ``psnr_source``); without a PSNR they cannot be placed on this panel.
    Right panel: what we measured for every row: params (M) vs batch-1 latency (ms), bubble area
    = MACs, colour = throughput, the machine in the title.
    """
    from matplotlib.figure import Figure

    psnr = dict(psnr or {})
    fig = Figure(figsize=(13, 5.2))
    left, right = fig.subplots(1, 2)

    names = list(paper)
    left.scatter(
        [paper[n][1] for n in names],
        [paper[n][0] for n in names],
        s=[paper[n][3] * 12 for n in names],
        facecolors="none",
        edgecolors="0.45",
        linewidths=1.2,
        label="paper, Table X (area = RTX 3090 ms)",
    )
    for n in names:
        left.annotate(
            f"{n} (paper)",
            (paper[n][1], paper[n][0]),
            fontsize=7,
            color="0.35",
            xytext=(4, 4),
            textcoords="offset points",
        )
    ours = [r for r in rows if r["model"] in psnr]
    if ours:
        left.scatter(
            [r["params"] / 1e6 for r in ours],
            [psnr[r["model"]] for r in ours],
            s=[max(r["latency_ms"]["median"], 1) for r in ours],
            marker="D",
            c="tab:red",
            label=f"ours: measured params, PSNR from {psnr_source}",
        )
        for r in ours:
            left.annotate(
                f"{r['model']} (ours)",
                (r["params"] / 1e6, psnr[r["model"]]),
                fontsize=8,
                color="tab:red",
                xytext=(4, -10),
                textcoords="offset points",
            )
    missing = [r["model"] for r in rows if r["model"] not in psnr]
    if missing:
        left.text(
            0.02,
            0.97,
            "not yet trained here (no PSNR): " + ", ".join(missing),
            transform=left.transAxes,
            fontsize=7,
            color="tab:red",
        )
    left.set_xlabel("parameters (M)")
    left.set_ylabel("PSNR (dB), x8 CelebA")
    left.set_title("Fig. 1 style: params vs PSNR (paper's points in grey)")
    left.legend(fontsize=7, loc="upper right", markerscale=0.4)
    left.margins(0.12)

    lat = [r["latency_ms"]["median"] for r in rows]
    macs = [r["macs"] / 1e9 for r in rows]
    thr = [max(r["throughput"].values()) for r in rows]
    sc = right.scatter(
        [r["params"] / 1e6 for r in rows],
        lat,
        s=[max(m, 0.05) * 60 for m in macs],
        c=thr,
        cmap="viridis",
        marker="D",
        edgecolors="k",
    )
    for r, y in zip(rows, lat):
        right.annotate(
            f"{r['model']} ({r['macs'] / 1e9:.1f}G MACs)",
            (r["params"] / 1e6, y),
            fontsize=8,
            xytext=(6, 4),
            textcoords="offset points",
        )
    fig.colorbar(sc, ax=right, label="best measured throughput (img/s)")
    right.margins(0.3)
    right.set_xlabel("parameters (M)")
    right.set_ylabel("batch-1 latency (ms), measured")
    right.set_title(f"ours, measured on {machine or 'this machine'}", fontsize=9)
    fig.tight_layout()
    fig.savefig(out_png, dpi=120)
    return fig
