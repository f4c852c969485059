"""The trainer: ``train(TrainConfig) -> history``, one plain function for the CLI, notebooks and tests.

``train`` sets up the process (device, DDP, the run folder and its lock), ``_run`` builds the run
or restores it from ``last.pt``, ``_loop`` takes the steps, ``_validate_and_save`` writes the
checkpoints, ``_finish`` reports. What they share is one :class:`Session` object, passed by
hand: nothing is a closure, every change of state is an assignment to a named field.

Rules kept next to the code that applies them: the length and the time budget (a budget run
re-estimates its number of steps every 20 steps, so the cosine still ends at its small learning
rate; the seconds spent are saved, so a resumed budget run ends where the original would); the
divergence guard (a non-finite loss, or an L1 above ``divergence_threshold``, stops training and
leaves the last good checkpoint untouched); SIGINT/SIGTERM (finish the step, save ``last.pt``,
print how to resume).
"""

from __future__ import annotations

import json
import shlex
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

import torch
from torch.utils.data import DataLoader, Dataset

from aminet.checkpoint import load_checkpoint, save_checkpoint
from aminet.training import distributed
from aminet.training.build import build_datasets, build_parts, check_crop_size
from aminet.training.config import TrainConfig, is_int
from aminet.training.curves import save_curves
from aminet.training.interrupts import StopRequest
from aminet.training.resume import restore, resume_changes
from aminet.training.runfolder import (
    acquire_run_lock,
    prepare_run_folder,
    release_run_lock,
    trim_log,
)
from aminet.training.sampling import EpochBatchSampler, random_crops
from aminet.training.schedule import UNKNOWN_LENGTH, fit_to_budget
from aminet.training.state import Parts, Progress, checkpoint_state, seed_everything, set_rng_state
from aminet.training.steps import diverged, divergence_hint

__all__ = ["train"]


def train(
    config: TrainConfig,
    *,
    train_set: Dataset | None = None,
    val_set: Dataset | None = None,
    stop_at_step: int | None = None,
    resume_command: str | None = None,
) -> dict:
    """Train ``config.model`` and return the history (per-step loss/lr, validation metrics, status).

    ``train_set``/``val_set`` replace the datasets named by ``config.data`` (notebooks, tests).
    ``stop_at_step`` stops after that step *as if the run had been interrupted* (no final
    validation): the schedule still spans the whole run, so ``resume`` can continue it exactly.
    ``resume_command`` is the command printed after an interrupt (default: ``aminet train
    --resume OUT/last.pt``).

    ``history["status"]`` is ``"completed"`` for a run that reached its end, whether that end was
    its number of steps or its time budget (``history["ended_by"]`` says which), ``"interrupted"``
    (SIGINT, SIGTERM or ``stop_at_step``; ``history["signal"]`` names the signal) or ``"diverged"``.
    """
    from aminet.device import pick_device

    cfg = config
    cfg.validate()
    if cfg.gan and cfg.pixel_loss != "l1":
        raise ValueError(
            "AMIGAN's pixel term is the L1 loss (eq. 18): use pixel_loss='l1' with gan"
        )
    kind, _, where = cfg.data.partition(":")
    if train_set is None and kind in ("celeba", "folder") and not Path(where).expanduser().is_dir():
        raise FileNotFoundError(f"--data {cfg.data}: no such folder {Path(where).expanduser()}")
    if stop_at_step is not None and (not is_int(stop_at_step) or stop_at_step < 1):
        raise ValueError(f"stop_at_step must be a whole number >= 1, got {stop_at_step!r}")
    rank, world, local_rank, own_group = distributed.setup()
    is_main = rank == 0
    lock = None
    try:
        out = Path(cfg.out)
        if world > 1 and torch.cuda.is_available():
            device = torch.device("cuda", local_rank)
            print(
                f"[rank {rank}] device: cuda:{local_rank} ({torch.cuda.get_device_name(local_rank)})",
                flush=True,
            )
        else:
            device = pick_device(cfg.device, verbose=is_main)
        if is_main:
            if out.exists() and not out.is_dir():
                raise NotADirectoryError(f"--out {out} is a file, not a folder")
            out.mkdir(parents=True, exist_ok=True)
            lock = acquire_run_lock(out)
            prepare_run_folder(out, resume=cfg.resume, overwrite=cfg.overwrite)
        command = resume_command or f"aminet train --resume {shlex.quote(str(out / 'last.pt'))}"
        session = _start(cfg, device, rank, world, train_set, val_set, stop_at_step)
        return _run(session, command)
    finally:
        release_run_lock(lock)
        if own_group:
            distributed.teardown()


@dataclass
class Session:
    """This process's share of a run while it trains: what it trains (``parts``), where it stands
    (``progress``), where it writes, and the clock of this session (not of earlier ones)."""

    cfg: TrainConfig
    device: torch.device
    rank: int
    world: int
    out: Path
    parts: Parts
    progress: Progress
    loader: DataLoader  # endless batches in the order of EpochBatchSampler
    val_set: Dataset | None
    stop_at_step: int | None
    log: TextIO | None = None  # log.jsonl, on the main process
    bar: object = None  # the tqdm bar
    stop: StopRequest | None = None
    started: float = 0.0  # perf_counter when this session's first step began
    steps_this_run: int = 0
    window_t: float = 0.0  # start of the window the images/s are measured over
    window_images: int = 0
    status: str = "completed"  # | interrupted | diverged
    ended_by: str = "steps"  # | time budget

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def note(self) -> str:
        return self.parts.train_step.note

    @property
    def budget(self) -> float | None:
        """Seconds, over the run and its resumes."""
        return self.cfg.minutes * 60 if self.cfg.minutes else None


def _start(cfg, device, rank, world, train_set, val_set, stop_at_step) -> Session:
    """Build the run (or restore it from ``cfg.resume``) and record its options in config.json."""
    out, is_main = Path(cfg.out), rank == 0
    resumed, changes = None, {}
    if cfg.resume:  # read first: a resume that cannot work fails before any other work
        resumed = load_checkpoint(cfg.resume, map_location="cpu")
        if isinstance(resumed.get("config"), dict):
            changes = resume_changes(cfg, resumed["config"], cfg.resume)
    seed_everything(cfg.seed, cfg.deterministic)
    train_set, val_set = build_datasets(cfg, train_set, val_set)
    check_crop_size(cfg, train_set)
    parts = build_parts(cfg, len(train_set), device, world, is_main)
    progress = Progress()
    if resumed is not None:
        progress = restore(parts, resumed, cfg.resume, changes)
        del resumed  # the checkpoint's tensors now live in the parts
        if is_main:
            applied = "; ".join(f"{k}: {v[0]!r} -> {v[1]!r}" for k, v in changes.items())
            print(
                f"resumed from {cfg.resume} at step {progress.step}"
                + (f" (changed, as recorded in config.json: {applied})" if applied else ""),
                flush=True,
            )
            trim_log(out / "log.jsonl", progress.step)
    sampler = EpochBatchSampler(
        len(train_set),
        cfg.batch_size,
        seed=cfg.seed,
        start_step=progress.step,
        rank=rank,
        world=world,
    )
    loader = DataLoader(
        train_set, batch_sampler=sampler, num_workers=0, pin_memory=device.type == "cuda"
    )
    session = Session(
        cfg=cfg,
        device=device,
        rank=rank,
        world=world,
        out=out,
        parts=parts,
        progress=progress,
        loader=loader,
        val_set=val_set,
        stop_at_step=stop_at_step,
    )
    if is_main:
        record = {**cfg.to_dict(), "world_size": world, "perceptual_used": session.note or None}
        if progress.resumes:
            record["resumes"] = progress.resumes  # each: from where, at which step, what changed
        (out / "config.json").write_text(json.dumps(record, indent=2))
        if session.note:
            print(f"AMIGAN: {session.note}", flush=True)
    return session


def _run(s: Session, command: str) -> dict:
    """Open the log and the progress bar, take the steps, write the final checkpoints, report."""
    from tqdm.auto import tqdm

    parts, progress = s.parts, s.progress
    s.log = (s.out / "log.jsonl").open("a") if s.is_main else None
    s.bar = tqdm(
        total=parts.shape.total if parts.shape.total < UNKNOWN_LENGTH else None,
        initial=progress.step,
        disable=not (s.is_main and s.cfg.progress),
        desc="train",
        unit="step",
        dynamic_ncols=True,
    )
    s.started = time.perf_counter()
    s.window_t, s.window_images = time.perf_counter(), 0
    parts.model.train()
    batches = iter(
        s.loader
    )  # creating the iterator draws from torch's RNG: restore the RNG after it
    if progress.rng is not None:
        set_rng_state(progress.rng)
    s.stop = StopRequest().__enter__()
    try:
        if s.budget is not None and progress.seconds_before >= s.budget:
            s.ended_by = "time budget"  # a resumed run whose budget was already spent
        _loop(s, batches)
        if s.status == "interrupted":
            if s.is_main:
                _save_last(s)
        elif s.status != "diverged" and not _validated_already(s):
            _validate_and_save(s, final=True)
    finally:
        s.stop.__exit__()
        s.bar.close()
        if s.log is not None:
            s.log.close()
    return _finish(s, command)


def _loop(s: Session, batches) -> None:
    """Take steps until the run's end, its time budget, a signal, ``stop_at_step`` or divergence."""
    cfg, parts, progress = s.cfg, s.parts, s.progress
    save_every = cfg.save_every or cfg.val_every or 0
    while progress.step < parts.shape.total and s.ended_by == "steps":
        if s.stop.signal_name is not None:  # a signal during the last validation or save
            s.status = "interrupted"
            return
        inp, hr = _next_batch(s, next(batches))
        losses = parts.train_step(inp, hr)
        parts.scheduler.step()
        progress.step += 1
        s.steps_this_run += 1
        s.window_images += inp.shape[0] * s.world

        # Agree across processes on the loss (for the log and the guard) and on stopping.
        elapsed = progress.seconds_before + time.perf_counter() - s.started  # over all resumes
        out_of_time = s.budget is not None and elapsed >= s.budget
        signal = float(s.stop.signal_name is not None)
        agreed = distributed.agree(
            [losses["loss_pix"], losses["loss"], float(out_of_time), signal],
            (True, True, False, False),
            s.device,
            s.world,
        )
        loss_pix, loss, out_of_time = float(agreed[0]), float(agreed[1]), bool(agreed[2] > 0)
        signalled = bool(agreed[3] > 0)
        if diverged(loss_pix, loss, cfg.divergence_threshold):
            s.status = "diverged"
            _report_divergence(s, loss_pix)
            return

        _log_step(s, loss, losses, elapsed)
        if s.budget is not None and s.steps_this_run % 20 == 0:
            _fit_schedule_to_budget(s, elapsed)
        if out_of_time:
            s.ended_by = "time budget"  # a normal end: status stays "completed"
            return
        if signalled or (s.stop_at_step is not None and progress.step >= s.stop_at_step):
            s.status = "interrupted"
            return
        step = progress.step
        if cfg.val_every and step % cfg.val_every == 0 and step < parts.shape.total:
            _validate_and_save(s, final=False)
        elif save_every and step % save_every == 0 and s.is_main:
            _save_last(s)


def _next_batch(s: Session, batch: dict) -> tuple[torch.Tensor, torch.Tensor]:
    """This process's (input, HR) pair for the step: cropped where asked, on the device."""
    cfg = s.cfg
    inp, hr = batch["input"], batch["hr"]
    if cfg.crop_size and cfg.crop_size < min(hr.shape[-2:]):
        inp, hr = random_crops(
            [inp, hr],
            cfg.crop_size,
            seed=cfg.seed,
            step=s.progress.step,
            rank=s.rank,
            world=s.world,
        )
    inp = inp.to(s.device, non_blocking=True)
    hr = hr.to(s.device, non_blocking=True)
    if cfg.channels_last:
        inp, hr = (
            inp.contiguous(memory_format=torch.channels_last),
            hr.contiguous(memory_format=torch.channels_last),
        )
    return inp, hr


def _log_step(s: Session, loss: float, losses: dict, elapsed: float) -> None:
    """The step in the history, in log.jsonl (a live log: ``tail -f`` works) and on the bar."""
    progress, optimizer = s.progress, s.parts.optimizer
    now = time.perf_counter()
    img_s = s.window_images / max(now - s.window_t, 1e-9)
    progress.history["step"].append(progress.step)
    progress.history["loss"].append(loss)
    progress.history["lr"].append(optimizer.param_groups[0]["lr"])
    if s.is_main:
        record = {
            "step": progress.step,
            "loss": loss,
            "lr": optimizer.param_groups[0]["lr"],
            "img_s": round(img_s, 2),
            "time_s": round(elapsed, 2),
        }
        record.update(s.parts.train_step.log_fields(losses))  # AMIGAN: each loss term
        s.log.write(json.dumps(record) + "\n")
        s.log.flush()  # a killed run keeps its lines
        s.bar.set_postfix(loss=f"{loss:.4f}", img_s=f"{img_s:.1f}")
        s.bar.update(1)
    if now - s.window_t > 10:
        s.window_t, s.window_images = now, 0


def _fit_schedule_to_budget(s: Session, elapsed: float) -> None:
    """Re-estimate the run's length from this session's speed and the time left of the whole
    budget: a resumed run keeps the original schedule and ends where the original would have."""
    per_step = (time.perf_counter() - s.started) / s.steps_this_run
    total = fit_to_budget(s.progress.step, s.budget - elapsed, per_step, s.cfg.steps)
    # every process must follow rank 0's schedule and stop together
    s.parts.shape.total = distributed.from_rank0(total, s.device, s.world)
    s.bar.total = s.parts.shape.total


def _report_divergence(s: Session, loss_pix: float) -> None:
    if not s.is_main:
        return
    out, last_good = s.out, s.progress.last_good
    kept = f"{out / 'last.pt'} (step {last_good})" if last_good is not None else "none saved yet"
    print(
        f"training diverged at step {s.progress.step}: pixel loss = {loss_pix:.4g} (threshold "
        f"{s.cfg.divergence_threshold}); stopped. Last good checkpoint: {kept}. "
        + divergence_hint(s.parts.amp_dtype, loss_pix),
        flush=True,
    )


def _checkpoint(s: Session) -> dict:
    train_seconds = s.progress.seconds_before + (time.perf_counter() - s.started)
    return checkpoint_state(s.parts, s.progress, train_seconds)


def _save_last(s: Session) -> None:
    save_checkpoint(_checkpoint(s), s.out / "last.pt")
    s.progress.last_good = s.progress.step


def _validated_already(s: Session) -> bool:
    """True for a resumed run that had already ended (steps or budget) and took no step now: its
    last validation and checkpoints are of this very step, so validating again would only add a
    second record of the same step to the history and the log."""
    history = s.progress.history
    return s.steps_this_run == 0 and history["val_step"][-1:] == [s.progress.step]


def _validate_and_save(s: Session, final: bool) -> None:
    """Validate (main process), then write last.pt, and best.pt when the score improved."""
    progress = s.progress
    metrics = None
    if s.val_set is not None and s.is_main:
        metrics = _validate(s)
        progress.history["val_step"].append(progress.step)
        progress.history["val_psnr_y"].append(float(metrics["psnr_y"]))
        progress.history["val_ssim_y"].append(float(metrics["ssim_y"]))
        record = {
            "step": progress.step,
            "val_psnr_y": float(metrics["psnr_y"]),
            "val_ssim_y": float(metrics["ssim_y"]),
        }
        if s.note:
            record["perceptual"] = s.note
        s.log.write(json.dumps(record) + "\n")
        s.log.flush()
    if s.is_main:
        # the best score is updated before last.pt is written, so that a run resumed from
        # this last.pt compares its later validations with this one, never with an older best
        improved = metrics is not None and metrics["psnr_y"] > progress.best_psnr
        if improved:
            progress.best_psnr = float(metrics["psnr_y"])
        state = _checkpoint(s)
        save_checkpoint(state, s.out / "last.pt")
        progress.last_good = progress.step
        if improved or (metrics is None and final):  # no validation set: the last is the best
            save_checkpoint(state, s.out / "best.pt")
        save_curves(progress.history, s.out / "curves.png", s.note)
    distributed.barrier(s.world)


def _validate(s: Session) -> dict:
    """PSNR/SSIM on Y of the validation set (:func:`aminet.evaluation.evaluate`)."""
    from aminet.evaluation import evaluate

    model = s.parts.model
    was_training = model.training
    # evaluate's DataLoader draws a seed from torch's RNG: fork it so validating never changes the
    # random stream of training (exact resume must not depend on where validations fall).
    with torch.random.fork_rng(devices=[s.device] if s.device.type == "cuda" else []):
        metrics = evaluate(
            distributed.unwrap(model),
            s.val_set,
            batch_size=s.cfg.val_batch_size,
            device=s.device,
            vif=False,
            progress=False,
        )
    model.train(was_training)
    return metrics


def _finish(s: Session, command: str) -> dict:
    """The history with the run's outcome; printed in one line (and how to resume, if stopped)."""
    cfg, progress = s.cfg, s.progress
    if (
        s.status == "completed"
        and s.budget is not None
        and not (cfg.steps and progress.step >= cfg.steps)
    ):
        s.ended_by = "time budget"  # the schedule's end, fitted to the budget, was reached
    seconds = time.perf_counter() - s.started
    signal = s.stop.signal_name
    if s.status == "interrupted" and s.is_main:
        why = f"{signal} received" if signal else "stopped"
        print(
            f"{why}: step {progress.step} saved in {s.out / 'last.pt'}. Resume with: {command}",
            flush=True,
        )
    history = progress.history
    history.update(
        status=s.status,
        ended_by=s.ended_by if s.status == "completed" else None,
        signal=signal,
        steps=progress.step,
        seconds=round(seconds, 2),
        best_psnr_y=progress.best_psnr,
        out=str(s.out),
        device=str(s.device),
        world_size=s.world,
        images_per_second=round(s.steps_this_run * cfg.batch_size / max(seconds, 1e-9), 2),
    )
    if s.note:
        history["perceptual"] = s.note
    if s.is_main:
        budget = cfg.minutes
        end = f" (time budget of {budget:g} min reached)" if s.ended_by == "time budget" else ""
        print(
            f"{s.status}{end if s.status == 'completed' else ''}: {progress.step} steps in "
            f"{seconds / 60:.1f} min; checkpoints and logs in {s.out}",
            flush=True,
        )
    return history
