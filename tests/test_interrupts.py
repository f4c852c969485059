"""Ctrl-C and SIGTERM (a Colab disconnect) mid-run: finish the step, save last.pt, say how to resume."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from aminet.checkpoint import load_checkpoint
from aminet.cli import main

STEPS = 24  # more than the run gets through before the signal arrives (a tiny model, 16x16 crops)


def _start(out: Path) -> subprocess.Popen:
    config = out.parent / "tiny.yaml"
    config.write_text(
        "model_kwargs: {base_channels: 8, hourglass_channels: 8, num_heads: [1, 1, 1, 1], "
        "hourglass_depths: [1, 1, 1, 1]}\ntrain_limit: 8\n"
    )
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[1]), OMP_NUM_THREADS="1")
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "aminet",
            "train",
            "--preset",
            "smoke",
            "--steps",
            str(STEPS),
            "--config",
            str(config),
            "--batch-size",
            "2",
            "--crop-size",
            "16",
            "--val-limit",
            "0",
            "--val-every",
            "0",
            "--no-progress",
            "--out",
            str(out),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def _logged_steps(out: Path) -> list[int]:
    log = out / "log.jsonl"
    if not log.exists():
        return []
    steps = []
    for line in log.read_text().splitlines():
        try:
            steps.append(json.loads(line)["step"])
        except (json.JSONDecodeError, KeyError):
            pass
    return steps


@pytest.mark.parametrize(("sig", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_signal_mid_run_saves_last_pt_and_the_run_resumes(tmp_path, sig, code, capsys):
    out = tmp_path / "run"
    proc = _start(out)
    try:
        deadline = time.monotonic() + 120
        while len(_logged_steps(out)) < 2:  # training is under way
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "the run did not start within 2 minutes"
            time.sleep(0.05)
        proc.send_signal(sig)
        stdout, stderr = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == code, stderr
    assert "Traceback" not in stderr
    resume_line = f"Resume with: aminet train --resume {out / 'last.pt'}"
    assert resume_line in stdout and f"{signal.Signals(sig).name} received" in stdout
    saved = load_checkpoint(out / "last.pt")
    logged = _logged_steps(out)
    assert 2 <= saved["step"] < STEPS and saved["step"] == logged[-1]  # nothing done was lost
    assert not list(out.glob(".*.tmp")) and not (out / "run.lock").exists()
    # the printed command continues the run to its end
    capsys.readouterr()
    assert main(["train", "--resume", str(out / "last.pt"), "--no-progress"]) == 0
    assert load_checkpoint(out / "last.pt")["step"] == STEPS
    assert _logged_steps(out) == list(range(1, STEPS + 1))
