"""Budgets: everything a variant is trained and measured with besides its architecture and seed."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field, replace

import torch


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
    check_budget(budget)
    return budget


def check_budget(b: AblationBudget) -> None:
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


def with_overrides(budget: AblationBudget, **changes) -> AblationBudget:
    """A copy of ``budget`` with some fields replaced (``None`` values are ignored)."""
    new = replace(budget, **{k: v for k, v in changes.items() if v is not None})
    check_budget(new)
    return new
