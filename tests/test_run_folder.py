"""Run folders keep what they hold: refusal, --overwrite, the lock, stale files, honest resumes."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys

import pytest
import torch

from aminet.checkpoint import load_checkpoint, save_checkpoint
from aminet.cli import main
from aminet.train import (
    LOCK_NAME,
    RunFolderError,
    RunLockedError,
    TrainConfig,
    acquire_run_lock,
    release_run_lock,
    train,
)

TINY = {
    "base_channels": 8,
    "hourglass_channels": 8,
    "num_heads": (1, 1, 1, 1),
    "hourglass_depths": (1, 1, 1, 1),
}


def tiny(out, **overrides) -> TrainConfig:
    values = dict(
        model="aminet",
        model_kwargs=TINY,
        train_limit=8,
        val_limit=0,
        batch_size=2,
        steps=3,
        crop_size=32,
        lr=1e-3,
        val_every=0,
        out=str(out),
        progress=False,
    )
    values.update(overrides)
    return TrainConfig.from_dict(values)


def test_a_fresh_run_never_replaces_an_earlier_one(tmp_path):
    out = tmp_path / "run"
    train(tiny(out))
    best = (out / "best.pt").read_bytes()
    log = (out / "log.jsonl").read_text()
    with pytest.raises(RunFolderError, match="--resume .*last.pt.*--overwrite"):
        train(tiny(out, lr=5e-4))
    assert (out / "best.pt").read_bytes() == best and (out / "log.jsonl").read_text() == log
    # --overwrite starts over: a new log (not appended to the old one), new checkpoints
    history = train(tiny(out, steps=2, overwrite=True))
    lines = [json.loads(x) for x in (out / "log.jsonl").read_text().splitlines()]
    assert history["status"] == "completed" and [r["step"] for r in lines] == [1, 2]
    assert load_checkpoint(out / "last.pt")["step"] == 2


def test_cli_refusal_is_one_line_offering_resume_and_overwrite(tmp_path, capsys):
    out = tmp_path / "run"
    argv = ["train", "--preset", "smoke", "--steps", "2", "--val-limit", "0", "--no-progress"]
    assert main([*argv, "--out", str(out)]) == 0
    before = (out / "last.pt").read_bytes()
    capsys.readouterr()
    assert main([*argv, "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert f"--resume {out / 'last.pt'}" in err and "--overwrite" in err
    assert (out / "last.pt").read_bytes() == before
    assert main([*argv, "--out", str(out), "--overwrite"]) == 0


def test_demo_refuses_the_same_way(tmp_path, capsys):
    from aminet.demo import run_demo

    out = tmp_path / "demo"
    config = tiny(out, steps=2, val_limit=2, val_batch_size=2)
    run_demo(1, out, eval_limit=2, config=config, progress=False)
    metrics = (out / "metrics.json").read_text()
    with pytest.raises(RunFolderError):
        run_demo(1, out, eval_limit=2, config=tiny(out, steps=2), progress=False)
    assert (out / "metrics.json").read_text() == metrics
    capsys.readouterr()
    assert main(["demo", "--out", str(out), "--minutes", "0.01", "--no-progress"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert f"aminet demo --out {out} --resume" in err and "--overwrite" in err


def test_a_second_run_into_a_locked_folder_fails_fast_naming_the_pid(tmp_path):
    out = tmp_path / "run"
    out.mkdir()
    holder = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        (out / LOCK_NAME).write_text(f"{holder.pid} {os.uname().nodename}\n")
        with pytest.raises(RunLockedError, match=f"PID {holder.pid}"):
            train(tiny(out))
        assert not (out / "last.pt").exists()
    finally:
        holder.kill()
        holder.wait()
    # the holder is dead now: its lock is stale and the next run takes it over, then releases it
    history = train(tiny(out, steps=1))
    assert history["status"] == "completed" and not (out / LOCK_NAME).exists()


def test_lock_is_exclusive_and_released_only_by_its_owner(tmp_path):
    lock = acquire_run_lock(tmp_path)
    assert lock.read_text().split()[0] == str(os.getpid())
    release_run_lock(lock)
    assert not lock.exists()
    lock.write_text("1 elsewhere.example\n")  # another host: cannot be checked, counts as held
    with pytest.raises(RunLockedError, match="PID 1 on elsewhere.example"):
        acquire_run_lock(tmp_path)
    release_run_lock(lock)  # not ours: left alone
    assert lock.exists()


def test_stale_temporaries_of_a_killed_save_are_removed_at_the_next_start(tmp_path, capsys):
    out = tmp_path / "run"
    train(tiny(out, steps=2))
    stale = out / ".last.pt.abc123.tmp"
    stale.write_bytes(b"\0" * 4096)
    unrelated = out / "notes.tmp"
    unrelated.write_text("mine")
    train(tiny(out, steps=3, resume=str(out / "last.pt")))
    assert not stale.exists() and unrelated.exists()
    assert "removed 1 temporary file" in capsys.readouterr().out


def test_last_pt_holds_the_best_score_after_its_own_validation(tmp_path):
    out = tmp_path / "run"
    history = train(tiny(out, steps=4, val_limit=2, val_every=2, val_batch_size=2))
    scores = history["val_psnr_y"]
    assert len(scores) == 2
    last = load_checkpoint(out / "last.pt")
    best = load_checkpoint(out / "best.pt")
    assert last["best_psnr_y"] == pytest.approx(max(scores))
    assert best["best_psnr_y"] == pytest.approx(max(scores))
    # a last.pt saved at step 2 (the first validation) already knows that validation's score
    first = tiny(tmp_path / "b", steps=4, val_limit=2, val_every=2, val_batch_size=2)
    interrupted = train(first, stop_at_step=3)
    at_two = load_checkpoint(tmp_path / "b" / "last.pt")
    assert interrupted["status"] == "interrupted" and at_two["step"] == 3
    assert at_two["best_psnr_y"] == pytest.approx(interrupted["val_psnr_y"][0])
    assert math.isfinite(at_two["best_psnr_y"])


def test_resume_refuses_options_it_cannot_change_and_records_what_it_applies(tmp_path):
    out = tmp_path / "run"
    train(tiny(out, steps=4), stop_at_step=2)
    last = str(out / "last.pt")
    with pytest.raises(ValueError) as info:
        train(tiny(out, steps=4, lr=5e-4, schedule="constant", warmup_steps=3, resume=last))
    message = str(info.value)
    for flag in ("--lr", "--schedule", "--warmup-steps"):
        assert flag in message
    assert "--steps" not in message
    # a longer run is a change a resume can make; it is applied and recorded as such
    history = train(tiny(out, steps=5, resume=last))
    assert history["status"] == "completed" and history["steps"] == 5
    recorded = json.loads((out / "config.json").read_text())
    assert recorded["steps"] == 5
    assert recorded["resumes"] == [{"from": last, "step": 2, "changed": {"steps": [4, 5]}}]
    state = load_checkpoint(out / "last.pt")
    assert state["config"]["steps"] == 5 and state["resumes"][0]["changed"] == {"steps": [4, 5]}
    # the log holds each step once, even though steps after the checkpoint were logged before
    steps = [json.loads(x)["step"] for x in (out / "log.jsonl").read_text().splitlines()]
    assert steps == [1, 2, 3, 4, 5]


def test_cli_resume_needs_only_the_checkpoint_and_names_fixed_options(tmp_path, capsys):
    out = tmp_path / "run"
    train(tiny(out, steps=4), stop_at_step=2)
    last = str(out / "last.pt")
    capsys.readouterr()
    assert main(["train", "--resume", last, "--lr", "1e-2"]) == 2
    err = capsys.readouterr().err
    assert "--lr (run: 0.001, given: 0.01)" in err and len(err.strip().splitlines()) == 1
    assert main(["train", "--resume", last]) == 0
    assert load_checkpoint(out / "last.pt")["step"] == 4


class _FakeClock:
    """perf_counter that advances by one second per call: a deterministic time budget."""

    def __init__(self):
        self.now = 0.0

    def perf_counter(self):
        self.now += 1.0
        return self.now


def test_a_resumed_time_budget_continues_the_original_schedule(tmp_path, monkeypatch):
    import aminet.training.loop as trainer  # the loop reads the clock

    options = dict(steps=None, minutes=1.0, schedule="cosine", warmup_steps=0)
    monkeypatch.setattr(trainer, "time", _FakeClock())
    straight = train(tiny(tmp_path / "a", **options))
    monkeypatch.setattr(trainer, "time", _FakeClock())
    first = train(tiny(tmp_path / "b", **options), stop_at_step=5)
    monkeypatch.setattr(trainer, "time", _FakeClock())
    last = str(tmp_path / "b" / "last.pt")
    assert load_checkpoint(last)["train_seconds"] > 0
    resumed = train(tiny(tmp_path / "b", **options, resume=last))
    assert straight["status"] == resumed["status"] == "completed"
    assert straight["ended_by"] == resumed["ended_by"] == "time budget"
    assert first["steps"] == 5
    # the budget is the original one: the two parts together run about as long as the straight run
    assert abs(resumed["steps"] - straight["steps"]) <= 3
    # and the learning rate carries on down the same cosine instead of jumping back up
    lr_after = resumed["lr"][5:]
    assert max(lr_after) <= first["lr"][-1] * 1.05


def test_a_run_that_reaches_its_time_budget_is_a_normal_end(tmp_path, monkeypatch):
    import aminet.training.loop as trainer  # the loop reads the clock

    monkeypatch.setattr(trainer, "time", _FakeClock())
    history = train(tiny(tmp_path / "run", steps=None, minutes=0.5))
    assert history["status"] == "completed" and history["ended_by"] == "time budget"
    assert (tmp_path / "run" / "best.pt").exists()
    done = train(tiny(tmp_path / "s", steps=2))
    assert done["status"] == "completed" and done["ended_by"] == "steps"


def test_checkpoint_written_with_the_umask_mode(tmp_path):
    old = os.umask(0o022)
    try:
        path = save_checkpoint({"model": {"w": torch.zeros(2)}}, tmp_path / "a.pt")
        assert path.stat().st_mode & 0o777 == 0o644
        os.umask(0o077)
        path = save_checkpoint({"model": {"w": torch.zeros(2)}}, tmp_path / "b.pt")
        assert path.stat().st_mode & 0o777 == 0o600
    finally:
        os.umask(old)


def test_files_of_the_user_in_out_are_never_removed(tmp_path):
    out = tmp_path / "project"
    out.mkdir()
    (out / "config.json").write_text('{"name": "my project"}')
    (out / "report.html").write_text("<p>mine</p>")
    with pytest.raises(ValueError, match="config.json, report.html, not written by an aminet run"):
        train(tiny(out, steps=1))
    assert (out / "report.html").read_text() == "<p>mine</p>"
    assert json.loads((out / "config.json").read_text()) == {"name": "my project"}
    train(tiny(out, steps=1, overwrite=True))  # said explicitly: replaced
    assert not (out / "report.html").exists() and (out / "last.pt").exists()
    # a run that died before its first checkpoint left logs: a fresh run replaces them
    dead = tmp_path / "dead"
    train(tiny(dead, steps=1))
    for name in ("last.pt", "best.pt"):
        (dead / name).unlink()
    (dead / "log.jsonl").write_text('{"step": 99, "loss": 1.0}\n')
    train(tiny(dead, steps=1))
    steps = [json.loads(x)["step"] for x in (dead / "log.jsonl").read_text().splitlines()]
    assert steps == [1]


def test_demo_resume_continues_the_recorded_run_and_reports(tmp_path, capsys):
    from aminet.demo import run_demo

    out = tmp_path / "demo"
    stopped = train(tiny(out, steps=3, val_limit=2, val_batch_size=2), stop_at_step=1)
    assert stopped["status"] == "interrupted"
    metrics = run_demo(None, out, eval_limit=2, progress=False, resume=True)
    assert metrics["run"]["steps"] == 3 and metrics["run"]["model_name"] == "aminet"
    assert (out / "report.html").exists() and load_checkpoint(out / "last.pt")["step"] == 3
    # a different budget than the run's is one of the changes a resume refuses
    with pytest.raises(ValueError, match="--minutes"):
        run_demo(2, out, eval_limit=2, progress=False, resume=True)


def test_resuming_a_finished_run_adds_no_second_validation_of_its_last_step(tmp_path):
    out = tmp_path / "run"
    first = train(tiny(out, val_limit=2, val_every=2, steps=4))
    assert first["val_step"] == [2, 4]
    log_before = (out / "log.jsonl").read_text()
    best_before = (out / "best.pt").read_bytes()
    again = train(tiny(out, val_limit=2, val_every=2, steps=4, resume=str(out / "last.pt")))
    assert again["status"] == "completed" and again["steps"] == 4
    assert again["val_step"] == [2, 4] and again["val_psnr_y"] == first["val_psnr_y"]
    assert '"val_psnr_y"' not in (out / "log.jsonl").read_text()[len(log_before) :]
    assert (out / "best.pt").read_bytes() == best_before  # nothing rewritten
