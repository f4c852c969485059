"""The runner: train (or finish training) every (variant, seed) of the tables under one budget on
the same faces, evaluate each once, and write the tables. Resumable: a finished variant is never
retrained."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict
from pathlib import Path

import torch
from torch.utils.data import Dataset

from aminet.ablation.budget import AblationBudget
from aminet.ablation.report import summarise, table_csv, table_markdown
from aminet.ablation.tables import get_table, table_models
from aminet.io import write_json_atomic, write_text_atomic


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
    keys = [get_table(t).key for t in tables]
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
