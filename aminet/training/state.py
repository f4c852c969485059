"""What a run is and where it stands: the RNG state, the parts a run trains, its progress, and the
checkpoint that holds them all, so that a resumed run continues exactly (``last.pt``).

:class:`Parts` is built once (:mod:`aminet.training.build`) and never reassigned;
:class:`Progress` is what the loop advances, validations update and checkpoints save.
"""

from __future__ import annotations

import json
import math
import os
import random
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from aminet.training.distributed import unwrap

__all__ = [
    "seed_everything",
    "rng_state",
    "set_rng_state",
    "new_history",
    "Parts",
    "Progress",
    "checkpoint_state",
    "plain",
]


def seed_everything(seed: int, deterministic: bool) -> None:
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    if deterministic:
        # Bitwise-repeatable runs on GPU cost speed; cuBLAS needs this variable for it.
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
        torch.use_deterministic_algorithms(True, warn_only=True)
        torch.backends.cudnn.benchmark = False


def rng_state() -> dict:
    kind, keys, pos, has_gauss, cached = np.random.get_state()
    state = {
        "torch": torch.get_rng_state(),
        "python": random.getstate(),
        "numpy": [
            kind,
            torch.from_numpy(keys.astype(np.int64)),
            int(pos),
            int(has_gauss),
            float(cached),
        ],
    }
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict) -> None:
    torch.set_rng_state(state["torch"])
    version, internal, gauss = state["python"]
    random.setstate((version, tuple(internal), gauss))
    kind, keys, pos, has_gauss, cached = state["numpy"]
    np.random.set_state((kind, keys.numpy().astype(np.uint32), pos, has_gauss, cached))
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def new_history() -> dict:
    return {"step": [], "loss": [], "lr": [], "val_step": [], "val_psnr_y": [], "val_ssim_y": []}


def plain(value):
    """``value`` as JSON would give it back (tuples become lists): how a checkpoint records a config."""
    return json.loads(json.dumps(value))


@dataclass
class Parts:
    """What a run trains and with what, built once from its config."""

    cfg: object  # the run's TrainConfig
    model: nn.Module  # wrapped in DistributedDataParallel when several processes train
    model_name: str
    model_kwargs: dict
    optimizer: torch.optim.Optimizer
    scheduler: torch.optim.lr_scheduler.LRScheduler
    shape: object  # the scheduler's ScheduleShape (its ``total`` follows a time budget)
    scaler: torch.amp.GradScaler
    train_step: object  # a PixelStep (or AMIGAN's): ``train_step(inp, hr) -> losses``
    amp_dtype: torch.dtype | None


@dataclass
class Progress:
    """Where a run stands: everything the loop advances and a checkpoint saves."""

    step: int = 0
    best_psnr: float = -math.inf
    history: dict = field(default_factory=new_history)
    resumes: list = field(default_factory=list)  # each resume: from where, at which step, changes
    seconds_before: float = 0.0  # training seconds of the sessions before this one (resumes)
    rng: dict | None = None  # the RNG state to restore before the first step of a resumed run
    last_good: int | None = None  # the step of the last checkpoint this session wrote


def checkpoint_state(parts: Parts, progress: Progress, train_seconds: float) -> dict:
    """Everything exact resumption needs: model, optimizer, scheduler, scaler, RNG, progress, config."""
    state = {
        "model_name": parts.model_name,
        "model_kwargs": parts.model_kwargs,
        "model": unwrap(parts.model).state_dict(),
        "optimizer": parts.optimizer.state_dict(),
        "scheduler": parts.scheduler.state_dict(),
        "scaler": parts.scaler.state_dict(),
        "rng": rng_state(),
        "step": progress.step,
        "best_psnr_y": progress.best_psnr,
        "history": progress.history,
        "config": plain(parts.cfg.to_dict()),
        "resumes": progress.resumes,
        "train_seconds": train_seconds,
        "gan": bool(parts.cfg.gan),
    }
    state.update(parts.train_step.state_dict())  # AMIGAN: the discriminator's state
    return state
