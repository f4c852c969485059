"""Continuing a run from its ``last.pt``: what a resume may change, and the state it restores.

A resume refuses changes to the options that define the optimisation (``RESUME_FIXED``): the
run would no longer be the one ``last.pt`` is a point of. The others (the length, validation and
saving frequency, device, AMP, ...) are applied and recorded in ``config.json``.
"""

from __future__ import annotations

import math

from aminet.training.build import load_weights
from aminet.training.config import option_flag
from aminet.training.distributed import unwrap
from aminet.training.state import Parts, Progress, new_history, plain

__all__ = ["RESUME_FIXED", "resume_changes", "restore"]

# Options a resume cannot change: they define the optimisation that last.pt is a point of.
RESUME_FIXED = (
    "model",
    "model_kwargs",
    "data",
    "train_limit",
    "augment",
    "crop_size",
    "batch_size",
    "minutes",
    "lr",
    "lr_g",
    "pixel_loss",
    "betas",
    "weight_decay",
    "schedule",
    "warmup_steps",
    "min_lr_ratio",
    "milestones",
    "gamma",
    "grad_clip",
    "seed",
    "gan",
    "perceptual",
    "lambda_pix",
    "lambda_pcp",
    "lambda_adv",
    "lr_d",
)
# Options that start a run and mean nothing for a resumed one (recorded as given, not applied).
_START_ONLY = ("init_from", "zero_init_tail", "overwrite", "resume")


def resume_changes(cfg, recorded: dict, source: str) -> dict:
    """``{option: [recorded, given]}`` for the options that differ from the run being resumed.

    Raises a ``ValueError`` naming every fixed option (``RESUME_FIXED``) that differs; the others
    (the length ``steps``/``epochs``, validation and saving frequency, device, AMP, ...) are applied
    and returned so the run can record them.
    """
    given = plain(cfg.to_dict())
    changes = {
        k: [recorded[k], given[k]]
        for k in given
        if k in recorded and k not in _START_ONLY and k != "out" and recorded[k] != given[k]
    }
    fixed = [k for k in RESUME_FIXED if k in changes]
    if fixed:
        listed = "; ".join(
            f"{option_flag(k)} (run: {changes[k][0]!r}, given: {changes[k][1]!r})" for k in fixed
        )
        raise ValueError(
            f"--resume {source}: a resumed run keeps the options it was started with, but these "
            f"differ: {listed}. Leave them out to continue the run, or start a new run in another "
            "--out (with --init to start from its weights)"
        )
    return changes


def restore(parts: Parts, state: dict, source: str, changes: dict) -> Progress:
    """Load a ``last.pt`` (``state``, read from ``source``) into ``parts``; return its progress,
    with this resume appended to the run's list of resumes."""
    if state.get("model_name") != parts.model_name:
        raise ValueError(
            f"--resume {source} holds model {state.get('model_name')!r}, not {parts.model_name!r}"
        )
    if "optimizer" not in state:
        raise ValueError(
            f"--resume {source} has no optimizer state; it is a weights-only checkpoint (use --init)"
        )
    total = parts.shape.total  # the length this config asks for
    load_weights(unwrap(parts.model), state["model"], source)
    parts.optimizer.load_state_dict(state["optimizer"])
    parts.scheduler.load_state_dict(state["scheduler"])  # also the shape's recorded length
    if not parts.cfg.minutes:
        parts.shape.total = total  # the new run's length wins (e.g. a longer run continued)
    parts.scaler.load_state_dict(state["scaler"])
    parts.train_step.load_state_dict(state)  # AMIGAN: the discriminator
    step = int(state["step"])
    return Progress(
        step=step,
        best_psnr=float(state.get("best_psnr_y", -math.inf)),
        history={k: list(v) for k, v in state.get("history", new_history()).items()},
        resumes=list(state.get("resumes", []))
        + [{"from": str(source), "step": step, "changed": changes}],
        seconds_before=float(state.get("train_seconds", 0.0)),
        rng=state["rng"],
    )
