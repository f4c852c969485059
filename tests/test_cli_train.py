"""The train / upscale / demo commands: help texts, real runs, and one-line errors for bad input."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import torch
from PIL import Image

from aminet.checkpoint import save_checkpoint
from aminet.cli import UserError, main
from aminet.registry import create_model

TINY = {
    "base_channels": 8,
    "hourglass_channels": 8,
    "num_heads": (1, 1, 1, 1),
    "hourglass_depths": (1, 1, 1, 1),
}


@pytest.fixture
def checkpoint(tmp_path):
    torch.manual_seed(0)
    model = create_model("aminet", **TINY)
    return save_checkpoint(
        {"model_name": "aminet", "model_kwargs": model.model_kwargs, "model": model.state_dict()},
        tmp_path / "tiny.pt",
    )


def _png(path, w, h, seed=0):
    rng = np.random.default_rng(seed)
    Image.fromarray(rng.integers(0, 256, (h, w, 3), dtype=np.uint8)).save(path)
    return path


@pytest.mark.parametrize("command", ["train", "upscale", "demo"])
def test_help_explains_the_command(command, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main([command, "--help"])
    assert exit_info.value.code == 0
    text = capsys.readouterr().out
    assert "example" in text and len(text) > 600


def test_upscale_lr_and_hr_inputs_any_size(tmp_path, checkpoint, capsys):
    folder = tmp_path / "faces"
    folder.mkdir()
    _png(folder / "small.png", 16, 12)  # a true LR face, not square
    _png(folder / "big.png", 70, 84)  # an HR face, not a multiple of 8
    assert (
        main(
            [
                "upscale",
                "--checkpoint",
                str(checkpoint),
                str(folder),
                "--out",
                str(tmp_path / "out"),
                "--compare",
            ]
        )
        == 0
    )
    out = tmp_path / "out"
    assert Image.open(out / "small_sr.png").size == (128, 96)
    assert Image.open(out / "big_sr.png").size == (
        64,
        80,
    )  # cropped to a multiple of 8, degraded, restored
    assert Image.open(out / "big_compare.png").size == (
        4 * 64 + 3 * 4,
        80,
    )  # LR | bicubic | model | HR
    assert Image.open(out / "small_compare.png").size == (
        3 * 128 + 2 * 4,
        96,
    )  # no HR for an LR input
    assert (
        main(
            [
                "upscale",
                "--checkpoint",
                str(checkpoint),
                str(folder / "big.png"),
                "--input-kind",
                "lr",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    assert Image.open(out / "big_sr.png").size == (560, 672)


def _error(argv, capsys) -> str:
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    return err


def test_bad_inputs_give_one_line_errors(tmp_path, checkpoint, capsys):
    out = str(tmp_path / "o")
    assert "nope.pt" in _error(
        ["upscale", "--checkpoint", str(tmp_path / "nope.pt"), "x.png", "--out", out], capsys
    )
    assert "missing.png" in _error(
        ["upscale", "--checkpoint", str(checkpoint), str(tmp_path / "missing.png"), "--out", out],
        capsys,
    )
    junk = tmp_path / "junk.pt"
    junk.write_bytes(b"not a checkpoint")
    face = _png(tmp_path / "face.png", 16, 16)
    assert "junk.pt" in _error(
        ["upscale", "--checkpoint", str(junk), str(face), "--out", out], capsys
    )
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"\x89PNG garbage")
    assert "broken.png" in _error(
        ["upscale", "--checkpoint", str(checkpoint), str(broken), "--out", out], capsys
    )
    assert "unknown model" in _error(["train", "--model", "nonet", "--out", out], capsys)
    assert "--steps" in _error(["train", "--preset", "smoke", "--steps", "0", "--out", out], capsys)
    assert "config" in _error(
        ["train", "--config", str(tmp_path / "none.yaml"), "--out", out], capsys
    )
    assert "--minutes" in _error(["demo", "--minutes", "0", "--out", out], capsys)
    assert "no such folder" in _error(
        ["train", "--preset", "smoke", "--data", f"folder:{tmp_path / 'nodata'}", "--out", out],
        capsys,
    )


def test_errors_through_the_real_entry_point_have_no_traceback(tmp_path):
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "aminet",
            "upscale",
            "--checkpoint",
            str(tmp_path / "x.pt"),
            "a.png",
            "--out",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr and "x.pt" in result.stderr


def test_train_smoke_then_upscale_with_its_checkpoint(tmp_path, capsys):
    out = tmp_path / "run"
    assert (
        main(
            [
                "train",
                "--preset",
                "smoke",
                "--steps",
                "2",
                "--val-limit",
                "0",
                "--out",
                str(out),
                "--no-progress",
            ]
        )
        == 0
    )
    assert (out / "best.pt").exists() and (out / "last.pt").exists()
    assert "device: cpu" in capsys.readouterr().out
    face = _png(tmp_path / "f.png", 16, 16)
    assert (
        main(
            [
                "upscale",
                "--checkpoint",
                str(out / "best.pt"),
                str(face),
                "--out",
                str(tmp_path / "sr"),
            ]
        )
        == 0
    )
    assert Image.open(tmp_path / "sr" / "f_sr.png").size == (128, 128)


def test_command_line_options_override_preset_and_config_file(tmp_path):
    from aminet.cli import build_parser
    from aminet.commands.train import build_config

    (tmp_path / "run.yaml").write_text("batch_size: 3\nlr: 0.001\n")
    args = build_parser().parse_args(
        ["train", "--preset", "smoke", "--config", str(tmp_path / "run.yaml"), "--lr", "5e-4"]
    )
    cfg = build_config(args)
    assert (cfg.batch_size, cfg.lr, cfg.steps, cfg.model_kwargs["base_channels"]) == (3, 5e-4, 6, 8)
    args = build_parser().parse_args(
        ["train", "--preset", "smoke", "--model", "aminet-s", "--minutes", "2"]
    )
    cfg = build_config(args)
    assert (
        cfg.model == "aminet-s"
        and cfg.model_kwargs == {}
        and cfg.steps is None
        and cfg.minutes == 2
    )
    args = build_parser().parse_args(["train", "--preset", "short", "--gan"])
    assert build_config(args).lr_g == 1e-4
    args = build_parser().parse_args(["train", "--preset", "short", "--gan", "--lr", "5e-5"])
    assert (build_config(args).lr_g, build_config(args).lr) == (5e-5, 2e-4)
    args = build_parser().parse_args(
        ["train", "--preset", "smoke", "--pixel-loss", "mse", "--warmup-steps", "100"]
    )
    cfg = build_config(args)
    assert (cfg.pixel_loss, cfg.warmup_steps) == ("mse", 100)
    with pytest.raises(UserError, match="--warmup-steps must be a whole number >= 0, got -1"):
        build_config(build_parser().parse_args(["train", "--warmup-steps", "-1"]))
