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

The package: ``tables`` (the paper's rows), ``budget`` (what every variant is trained with),
``runner`` (training and evaluating every variant, resumable) and ``report`` (the tables).
"""

from aminet.ablation.budget import (
    SPARNET_MIN_CROP,
    AblationBudget,
    ablation_budget,
    check_budget,
    with_overrides,
)
from aminet.ablation.report import kendall_tau, summarise, table_csv, table_markdown
from aminet.ablation.runner import CachedFaces, run_ablation, run_dir_for, run_variant
from aminet.ablation.tables import TABLE_KEYS, TABLES, PaperRow, PaperTable, get_table, table_models

__all__ = [
    "TABLES",
    "TABLE_KEYS",
    "PaperRow",
    "PaperTable",
    "AblationBudget",
    "CachedFaces",
    "SPARNET_MIN_CROP",
    "ablation_budget",
    "check_budget",
    "get_table",
    "table_models",
    "run_ablation",
    "run_dir_for",
    "run_variant",
    "summarise",
    "table_markdown",
    "table_csv",
    "with_overrides",
    "kendall_tau",
]
