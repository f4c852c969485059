"""The paper's ablations (Tables I-VI) as runnable experiments, side by side with the printed numbers.

An ablation trains every variant of a table with the *same* budget (training steps, batch, crops,
learning rate), the same training faces and the same seed(s), then measures all of them on the
same test faces. Only then is a difference between two rows a difference between two designs.

Why it is built the way it is:

- *Budgets are counted in training steps*, never minutes: a step budget gives the same result on a
  loaded and on an idle machine. The wall time is recorded beside the result, for information.
- *Narrow widths on a CPU*: full AMINet trains at a few images per second on 2 cores, so the
  ``smoke`` and ``short`` presets shrink every AMINet-family variant of a table to the same
  narrower width (``base_channels``, ``hourglass_channels``) and SPARNet to its own narrower
  width (``min_channels``, ``max_channels``, ``hourglass_channels``). The width is part of the
  budget and is printed in every table's caption.
- *Resumable*: each (variant, seed) gets its own folder under ``<out>/<preset>-<fingerprint>/``;
  the trainer saves ``last.pt`` during training (so a killed run continues from there) and the
  evaluation is written atomically to ``result.json``. A variant with a result is never retrained;
  changing any part of the budget changes the fingerprint, so old and new results never mix.
- *The shared reference row*: Tables I-V all compare against the same full AMINet; it is trained
  once per seed and reused by every table.
- *The paper's numbers are data, never results*: :data:`TABLES` holds them as printed (CelebA,
  full training); our columns hold only what this code measured.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import math
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import torch
from torch.utils.data import Dataset

from aminet.io import write_json_atomic, write_text_atomic
from aminet.paper import ABLATION_TABLES, PaperRow, PaperTable

__all__ = [
    "TABLES",
    "TABLE_KEYS",
    "PaperRow",
    "PaperTable",
    "AblationBudget",
    "ablation_budget",
    "table_models",
    "run_ablation",
    "summarise",
    "table_markdown",
    "table_csv",
    "kendall_tau",
]


# ---------------------------------------------------------------------------------------------
# The paper's Tables I-VI, as printed (CelebA test set, x8, models trained in full by the authors),
# from aminet.paper, the one source of the paper's numbers.
# ---------------------------------------------------------------------------------------------
TABLES: dict[str, PaperTable] = ABLATION_TABLES
TABLE_KEYS = tuple(TABLES)


def table_models(key: str) -> list[str]:
    """The registered models of a table, in the paper's row order (reference included)."""
    return [row.model for row in _table(key).rows]


def _table(key: str) -> PaperTable:
    try:
        return TABLES[key.upper()]
    except KeyError:
        raise ValueError(
            f"unknown table {key!r}; expected one of {', '.join(TABLE_KEYS)} or all"
        ) from None


# ---------------------------------------------------------------------------------------------
# Budgets: what every variant of a table is trained with.
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class AblationBudget:
    """Everything that decides a variant's result besides its architecture and the seed."""

    preset: str
    data: str = "synthetic"
    steps: int = 6
    batch_size: int = 4
    crop_size: int | None = 32  # random crops of the 128x128 training faces; None = whole faces
    train_limit: int | None = (
        32  # the training faces (rendered/loaded once, shared by all variants)
    )
    test_limit: int | None = 4  # the first N test faces (the same for every variant)
    lr: float = 2e-4
    aminet_width: dict = field(default_factory=dict)  # create_model overrides; {} = paper width
    sparnet_width: dict = field(default_factory=dict)

    def width_for(self, model: str) -> dict:
        return dict(self.sparnet_width if model.startswith("sparnet") else self.aminet_width)

    def crop_for(self, model: str) -> int | None:
        """The training crop; SPARNet (built for 128x128 faces) accepts nothing under 64x64."""
        if model.startswith("sparnet") and self.crop_size is not None:
            return max(self.crop_size, SPARNET_MIN_CROP)
        return self.crop_size

    def fingerprint(self) -> str:
        blob = json.dumps(asdict(self), sort_keys=True).encode()
        return hashlib.sha1(blob).hexdigest()[:8]

    def describe(self) -> str:
        crops = (
            f"{self.crop_size}x{self.crop_size} crops" if self.crop_size else "whole 128x128 faces"
        )
        if self.crop_size is not None and self.crop_size < SPARNET_MIN_CROP:
            crops += f"; {SPARNET_MIN_CROP}x{SPARNET_MIN_CROP} for SPARNet, its smallest input"
        faces = f"{self.train_limit} training faces" if self.train_limit else "all training faces"
        tests = f"{self.test_limit} test faces" if self.test_limit else "the whole test split"
        return (
            f"preset {self.preset}: {self.steps} steps x batch {self.batch_size} ({crops}, "
            f"{faces}), Adam lr {self.lr:g} cosine, L1; evaluated on {tests} of {self.data}; "
            f"width {_width_text(self.aminet_width, 'AMINet family')}, "
            f"{_width_text(self.sparnet_width, 'SPARNet')}"
        )


SPARNET_MIN_CROP = 64


def _width_text(width: dict, family: str) -> str:
    if not width:
        return f"{family} at the paper's width"
    return f"{family} " + ", ".join(f"{k}={v}" for k, v in width.items())


_NARROW = {
    # the smallest AMINet that keeps every part (4 stages of 4/8/16/32 channels)
    "smoke": (
        {"base_channels": 4, "hourglass_channels": 4},
        {"min_channels": 4, "max_channels": 8, "hourglass_channels": 4},
    ),
    # about a third of the paper's width: 8/16/32/64 channels (paper 26/52/104/208)
    "short": (
        {"base_channels": 8, "hourglass_channels": 8},
        {"min_channels": 8, "max_channels": 32, "hourglass_channels": 16},
    ),
}


def ablation_budget(
    preset: str, *, data: str = "synthetic", narrow: bool | None = None, **overrides
) -> AblationBudget:
    """The budget of a preset; ``narrow=None`` narrows smoke always and short on a CPU-only machine.

    - ``smoke``: seconds; a handful of steps at a tiny width and 4 test faces. Checks the plumbing,
      measures nothing.
    - ``short``: sized for a 2-core CPU (all six tables in about an hour): narrow width, 32x32
      crops. On a GPU: the paper's width, whole faces, the trainer's ``short`` length.
    - ``full``: the paper's width, whole faces, the trainer's ``full`` length, the whole test split.
    """
    from aminet.train import PRESETS

    if preset not in ("smoke", "short", "full"):
        raise ValueError(f"unknown preset {preset!r}; expected smoke, short or full")
    if narrow is None:
        narrow = preset == "smoke" or (preset == "short" and not torch.cuda.is_available())
    if preset == "smoke":
        values = dict(steps=2, batch_size=2, crop_size=32, train_limit=4, test_limit=4)
    elif preset == "short" and narrow:
        # 1e-3 rather than the paper's 2e-4: a few dozen steps learn next to nothing at 2e-4
        values = dict(steps=30, batch_size=4, crop_size=32, train_limit=128, test_limit=32, lr=1e-3)
    else:
        train_preset = PRESETS[preset]
        values = dict(
            steps=train_preset["steps"],
            batch_size=train_preset["batch_size"],
            crop_size=None,
            train_limit=None,
            test_limit=None if preset == "full" else 200,
        )
    if narrow:
        aminet_width, sparnet_width = _NARROW["smoke" if preset == "smoke" else "short"]
        values.update(aminet_width=dict(aminet_width), sparnet_width=dict(sparnet_width))
    values.update({k: v for k, v in overrides.items() if v is not None})
    budget = AblationBudget(preset=preset, data=data, **values)
    _check_budget(budget)
    return budget


def _check_budget(b: AblationBudget) -> None:
    if b.steps < 1:
        raise ValueError(f"steps must be >= 1, got {b.steps}")
    if b.batch_size < 1:
        raise ValueError(f"batch size must be >= 1, got {b.batch_size}")
    if b.crop_size is not None and (b.crop_size < 8 or b.crop_size % 8 or b.crop_size > 128):
        raise ValueError(f"crop size must be a multiple of 8 between 8 and 128, got {b.crop_size}")
    for name in ("train_limit", "test_limit"):
        value = getattr(b, name)
        if value is not None and value < 1:
            raise ValueError(f"{name.replace('_', ' ')} must be >= 1, got {value}")
    if b.train_limit is not None and b.train_limit < b.batch_size:
        raise ValueError(f"train limit {b.train_limit} is smaller than one batch of {b.batch_size}")


# ---------------------------------------------------------------------------------------------
# Data, rendered or loaded once and shared by every variant.
# ---------------------------------------------------------------------------------------------
class CachedFaces(Dataset):
    """Keeps the items of another dataset in memory; optional random horizontal flips.

    SynthFaces draws each face when asked (about a tenth of a second on a CPU): every variant of
    an ablation sees the same faces, so they are drawn once. Flips use torch's RNG, which the
    trainer seeds, so they are repeatable.
    """

    def __init__(self, dataset: Dataset, augment: bool = False):
        self.items = [_unflipped(dataset[i]) for i in range(len(dataset))]
        self.augment = augment

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, index: int) -> dict:
        item = self.items[index]
        if self.augment and torch.rand(()) < 0.5:
            item = {k: v.flip(-1) if torch.is_tensor(v) else v for k, v in item.items()}
        return item


def _unflipped(item: dict) -> dict:
    return {k: v.clone() if torch.is_tensor(v) else v for k, v in item.items()}


def _build_data(budget: AblationBudget, echo) -> tuple[Dataset, Dataset]:
    from aminet.data import build_dataset

    echo(
        f"preparing {budget.train_limit or 'all'} training and {budget.test_limit or 'all'} test faces ({budget.data})"
    )
    train_source = build_dataset(
        budget.data, "train", limit=budget.train_limit, augment=False, seed=0
    )
    test_source = build_dataset(budget.data, "test", limit=budget.test_limit, augment=False, seed=0)
    return CachedFaces(train_source, augment=True), CachedFaces(test_source)


# ---------------------------------------------------------------------------------------------
# The runner
# ---------------------------------------------------------------------------------------------
TrainFn = Callable[..., dict]  # train(config, *, train_set=...) -> history
EvaluateFn = Callable[..., dict]  # evaluate(model, dataset, **options) -> metrics


def _default_train() -> TrainFn:
    from aminet.train import train

    return train


def _default_evaluate() -> EvaluateFn:
    from aminet.evaluation import evaluate

    return evaluate


def run_dir_for(budget: AblationBudget, out: str | Path = "runs/ablations") -> Path:
    """Where a budget's results live: ``<out>/<preset>-<fingerprint of the budget>``."""
    return Path(out) / f"{budget.preset}-{budget.fingerprint()}"


def _trained_steps(checkpoint: Path) -> int:
    if not checkpoint.exists():
        return 0
    from aminet.checkpoint import load_checkpoint

    return int(load_checkpoint(checkpoint).get("step", 0))


def _train_config(
    name: str, seed: int, budget: AblationBudget, folder: Path, device, progress: bool
):
    from aminet.train import preset_config

    last = folder / "last.pt"
    return preset_config(
        "smoke" if budget.preset == "smoke" else budget.preset,
        model=name,
        model_kwargs=budget.width_for(name),
        data=budget.data,
        seed=seed,
        steps=budget.steps,
        batch_size=budget.batch_size,
        crop_size=budget.crop_for(name),
        train_limit=budget.train_limit,
        lr=budget.lr,
        val_limit=0,  # the ablation measures on the test split itself, once, at the end
        val_every=0,
        save_every=max(budget.steps // 5, min(budget.steps, 10)),  # to resume a killed run from
        out=str(folder),
        resume=str(last) if last.exists() else None,
        device=device,
        progress=progress,
        perceptual="none",
    )


def run_variant(
    name: str,
    seed: int,
    budget: AblationBudget,
    run_dir: Path,
    *,
    train_set: Dataset,
    test_set: Dataset,
    train_fn: TrainFn,
    evaluate_fn: EvaluateFn,
    device: str | None = None,
    progress: bool = True,
    echo=print,
) -> dict:
    """Train (or finish training) one variant with one seed, evaluate it, store ``result.json``."""
    from aminet.checkpoint import load_model
    from aminet.complexity import count_params

    folder = run_dir / name / f"seed{seed}"
    result_path = folder / "result.json"
    if result_path.exists():
        return json.loads(result_path.read_text())
    last = folder / "last.pt"
    done = _trained_steps(last)
    train_seconds, resumed_from = None, None
    if done < budget.steps:
        resumed_from = done or None
        echo(f"training {name} seed {seed}" + (f" (resuming at step {done})" if done else ""))
        started = time.perf_counter()
        history = train_fn(
            _train_config(name, seed, budget, folder, device, progress), train_set=train_set
        )
        train_seconds = round(time.perf_counter() - started, 2)
        if history.get("status", "completed") != "completed":
            raise RuntimeError(
                f"training {name} (seed {seed}) ended with status {history.get('status')!r}; see {folder}"
            )
        if _trained_steps(last) < budget.steps:
            raise RuntimeError(
                f"training {name} (seed {seed}) stopped before step {budget.steps}; see {folder}"
            )
        write_json_atomic(
            folder / "train_time.json",
            {"seconds": train_seconds, "resumed_from_step": resumed_from},
        )
    elif (folder / "train_time.json").exists():
        timing = json.loads((folder / "train_time.json").read_text())
        train_seconds, resumed_from = timing.get("seconds"), timing.get("resumed_from_step")

    model = load_model(last)
    echo(f"evaluating {name} seed {seed} on {len(test_set)} test faces")
    started = time.perf_counter()
    metrics = evaluate_fn(model, test_set, batch_size=8, device=device, progress=progress)
    result = {
        "model": name,
        "seed": seed,
        "steps": budget.steps,
        "model_kwargs": budget.width_for(name),
        "params": count_params(model),
        "train_seconds": train_seconds,
        "resumed_from_step": resumed_from,
        "eval_seconds": round(time.perf_counter() - started, 2),
        "metrics": {k: v for k, v in metrics.items() if isinstance(v, (int, float)) or v is None},
        "budget_fingerprint": budget.fingerprint(),
    }
    write_json_atomic(result_path, result)
    return result


def run_ablation(
    tables: Sequence[str],
    budget: AblationBudget,
    *,
    seeds: Sequence[int] = (0,),
    out: str | Path = "runs/ablations",
    device: str | None = None,
    train_fn: TrainFn | None = None,
    evaluate_fn: EvaluateFn | None = None,
    progress: bool = True,
    echo=print,
) -> dict:
    """Run (or finish) the ablation ``tables`` under ``budget``; write and return the tables.

    ``train_fn``/``evaluate_fn`` default to :func:`aminet.train.train` and
    :func:`aminet.evaluation.evaluate` (tests pass fakes). Returns ``{"budget", "dir", "seeds",
    "tables": {key: [summary rows]}}``; Markdown and CSV files are written to the run folder.
    """
    keys = [_table(t).key for t in tables]
    if not seeds:
        raise ValueError("give at least one seed")
    train_fn = train_fn or _default_train()
    evaluate_fn = evaluate_fn or _default_evaluate()
    run_dir = run_dir_for(budget, out)
    run_dir.mkdir(parents=True, exist_ok=True)
    write_json_atomic(run_dir / "budget.json", {**asdict(budget), "description": budget.describe()})

    models = list(dict.fromkeys(m for k in keys for m in table_models(k)))
    todo = [
        (m, s)
        for s in seeds
        for m in models
        if not (run_dir / m / f"seed{s}" / "result.json").exists()
    ]
    train_set = test_set = None
    if todo:
        train_set, test_set = _build_data(budget, echo)
    results: dict[tuple[str, int], dict] = {}
    for name, seed in ((m, s) for s in seeds for m in models):
        if (name, seed) in todo:
            echo(f"[{todo.index((name, seed)) + 1}/{len(todo)}] {name} seed {seed}")
        results[(name, seed)] = run_variant(
            name,
            seed,
            budget,
            run_dir,
            train_set=train_set,
            test_set=test_set,
            train_fn=train_fn,
            evaluate_fn=evaluate_fn,
            device=device,
            progress=progress,
            echo=echo,
        )
    bicubic = _bicubic_reference(run_dir, budget, test_set, evaluate_fn, device, echo)
    summary = {
        k: summarise(k, [results[(m, s)] for m in table_models(k) for s in seeds]) for k in keys
    }
    for key, rows in summary.items():
        markdown = table_markdown(key, rows, budget, seeds, bicubic=bicubic)
        write_text_atomic(run_dir / f"table_{key}.md", markdown)
        write_text_atomic(run_dir / f"table_{key}.csv", table_csv(key, rows, budget))
    return {
        "budget": asdict(budget),
        "description": budget.describe(),
        "dir": str(run_dir),
        "seeds": list(seeds),
        "bicubic": bicubic,
        "tables": summary,
    }


def _bicubic_reference(run_dir: Path, budget, test_set, evaluate_fn, device, echo) -> dict:
    """Bicubic upsampling measured on the same test faces: the floor a trained variant must beat.

    A short budget can leave a network below bicubic (it is still unlearning the noise its random
    initialisation adds to the bicubic input); the caption says so by printing this floor.
    """
    path = run_dir / "bicubic.json"
    if path.exists():
        return json.loads(path.read_text())
    from aminet.data import build_dataset
    from aminet.registry import create_model

    if test_set is None:
        test_set = build_dataset(budget.data, "test", limit=budget.test_limit, seed=0)
    echo("measuring bicubic on the same test faces")
    metrics = evaluate_fn(
        create_model("bicubic"), test_set, batch_size=8, device=device, progress=False
    )
    result = {k: metrics.get(k) for k in ("psnr_y", "ssim_y", "vif")}
    write_json_atomic(path, result)
    return result


# ---------------------------------------------------------------------------------------------
# Tables: mean and spread over seeds, ranks, the paper's numbers beside ours.
# ---------------------------------------------------------------------------------------------
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
    table = _table(key)
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
    table = _table(key)
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


def with_overrides(budget: AblationBudget, **changes) -> AblationBudget:
    """A copy of ``budget`` with some fields replaced (``None`` values are ignored)."""
    new = replace(budget, **{k: v for k, v in changes.items() if v is not None})
    _check_budget(new)
    return new


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
