"""The learning-rate schedule: a picklable shape, so LambdaLR's state_dict (and thus resume) carries it.

``cosine`` (default; from ``lr`` down to ``lr * min_lr_ratio`` over the run, after an optional
linear warm-up), ``multistep`` (multiply by ``gamma`` at the fractions ``milestones`` of the run)
or ``constant``. The paper does not give its schedule; cosine needs no tuning of milestones and
ends every budget, long or short, at a small learning rate.
"""

from __future__ import annotations

import math

__all__ = ["ScheduleShape", "UNKNOWN_LENGTH", "run_length", "fit_to_budget"]


class ScheduleShape:
    """The learning-rate factor at a step; ``total`` may be re-estimated during time-budget runs."""

    def __init__(
        self,
        kind: str,
        total: int,
        warmup: int = 0,
        min_ratio: float = 0.01,
        milestones=(0.5, 0.75),
        gamma: float = 0.5,
    ):
        if kind not in ("cosine", "multistep", "constant"):
            raise ValueError(f"unknown schedule {kind!r}; expected cosine, multistep or constant")
        self.kind, self.total, self.warmup = kind, max(int(total), 1), int(warmup)
        self.min_ratio, self.milestones, self.gamma = (
            float(min_ratio),
            list(milestones),
            float(gamma),
        )

    def __call__(self, step: int) -> float:
        if step < self.warmup:
            return (step + 1) / self.warmup
        progress = min(max(step - self.warmup, 0) / max(self.total - self.warmup, 1), 1.0)
        if self.kind == "cosine":
            return self.min_ratio + (1 - self.min_ratio) * 0.5 * (1 + math.cos(math.pi * progress))
        if self.kind == "multistep":
            return self.gamma ** sum(progress >= m for m in self.milestones)
        return 1.0


# A time-budget run's length is unknown until its speed is measured: this stands in until then.
UNKNOWN_LENGTH = 10**9


def run_length(cfg, train_images: int) -> int:
    """The number of steps the schedule spans: ``epochs`` (converted, capped by ``steps``), else
    ``steps``, else ``UNKNOWN_LENGTH`` for a run given only ``minutes`` (re-estimated as it runs)."""
    per_epoch = train_images // cfg.batch_size
    if cfg.epochs is not None:
        total = max(1, math.ceil(cfg.epochs * max(per_epoch, 1)))
        return min(total, cfg.steps) if cfg.steps else total
    if cfg.steps:
        return int(cfg.steps)
    if cfg.minutes:
        return UNKNOWN_LENGTH
    raise ValueError("give steps, epochs or minutes: the run needs a length")


def fit_to_budget(
    step: int, seconds_left: float, seconds_per_step: float, steps: int | None
) -> int:
    """The run's length when the steps that fit in the time left are added to ``step`` (capped by
    ``steps``): the cosine then still ends at its small learning rate when the time is up."""
    fit = step + int(seconds_left / seconds_per_step)
    return max(step + 1, min(fit, int(steps) if steps else fit))
