"""Every user mistake the CLI can meet is one line naming the flag or file; --debug shows the rest."""

from __future__ import annotations

import errno

import pytest

from aminet.cli import UserError, build_parser, describe_error, main


def _error(argv, capsys) -> str:
    capsys.readouterr()
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err, err
    return err


SMOKE = ["train", "--preset", "smoke", "--no-progress"]


@pytest.mark.parametrize(
    ("flags", "expected"),
    [
        (["--grad-clip", "-1"], "--grad-clip must be a finite number >= 0"),
        (["--lr", "inf"], "--lr must be a finite number > 0, got inf"),
        (["--lr", "nan"], "--lr must be a finite number > 0, got nan"),
        (["--lr", "0"], "--lr must be a finite number > 0"),
        (["--minutes", "nan"], "--minutes must be a finite number > 0, got nan"),
        (["--minutes", "-2"], "--minutes must be a finite number > 0"),
        (["--seed", "-1"], "--seed must be a whole number >= 0, got -1"),
        (["--batch-size", "0"], "--batch-size must be a whole number >= 1"),
        (["--crop-size", "30"], "--crop-size must be a multiple of 8"),
        (["--crop-size", "256"], "--crop-size 256 is larger than the training faces (128x128)"),
        (["--data", "lr:/tmp"], "--data lr:/tmp: lr:DIR holds low-resolution faces"),
        (["--data", "celebA"], "--data 'celebA': expected synthetic, celeba:DIR or folder:DIR"),
        (
            ["--model", "aminett"],
            "--model 'aminett': unknown model; did you mean aminet",
        ),
    ],
)
def test_bad_training_options_name_the_flag_and_range(tmp_path, capsys, flags, expected):
    out = tmp_path / "run"
    err = _error([*SMOKE, "--out", str(out), *flags], capsys)
    assert expected in err
    assert not (out / "last.pt").exists()


def test_config_file_values_of_the_wrong_type(tmp_path, capsys):
    cases = {
        "batch_size: sixteen\n": "--batch-size must be a whole number >= 1, got 'sixteen'",
        "lr: fast\n": "--lr must be a finite number > 0, got 'fast'",
        "betas: 0.9\n": "betas must be a list of numbers",
        "model_kwargs: 5\n": "model_kwargs must be a mapping",
        "augment: maybe\n": "augment must be true or false",
        "batchsize: 4\n": "batchsize (did you mean batch_size?)",
    }
    for i, (text, expected) in enumerate(cases.items()):
        path = tmp_path / f"c{i}.yaml"
        path.write_text(text)
        err = _error([*SMOKE, "--config", str(path), "--out", str(tmp_path / "o")], capsys)
        assert expected in err and str(path) in err, err


def test_yaml_exponents_without_a_dot_are_numbers(tmp_path):
    from aminet.commands.train import build_config

    path = tmp_path / "c.yaml"
    path.write_text("lr: 1e-3\nminutes: 2\n")  # YAML 1.1 reads 1e-3 as the text '1e-3'
    cfg = build_config(build_parser().parse_args(["train", "--config", str(path)]))
    assert cfg.lr == 1e-3 and cfg.minutes == 2


def test_bad_model_kwargs_are_one_line(tmp_path, capsys):
    path = tmp_path / "c.yaml"
    path.write_text("model_kwargs: {base_channels: 8, wings: 2}\n")
    err = _error([*SMOKE, "--config", str(path), "--out", str(tmp_path / "o")], capsys)
    assert "wings" in err


def test_file_and_command_line_values_win_whatever_they_equal(tmp_path):
    from aminet.commands.train import build_config
    from aminet.train import TrainConfig

    defaults = TrainConfig()
    path = tmp_path / "run.yaml"
    # each equals TrainConfig's default and differs from the smoke preset's value
    path.write_text("batch_size: 16\ncrop_size: null\nmodel_kwargs: {}\nval_every: 500\n")
    assert defaults.batch_size == 16 and defaults.crop_size is None and defaults.val_every == 500
    cfg = build_config(
        build_parser().parse_args(["train", "--preset", "smoke", "--config", str(path)])
    )
    assert (cfg.batch_size, cfg.crop_size, cfg.model_kwargs, cfg.val_every) == (16, None, {}, 500)
    cli = ["train", "--preset", "smoke", "--batch-size", "16", "--val-every", "500"]
    cfg = build_config(build_parser().parse_args([*cli, "--crop-size", "0"]))
    assert (cfg.batch_size, cfg.val_every, cfg.crop_size) == (16, 500, None)
    # and the command line wins over the file
    cfg = build_config(
        build_parser().parse_args(
            ["train", "--preset", "smoke", "--config", str(path), "--batch-size", "4"]
        )
    )
    assert cfg.batch_size == 4 and cfg.crop_size is None


def test_model_naming_the_presets_own_model_keeps_its_options(capsys):
    from aminet.commands.train import build_config
    from aminet.train import PRESETS

    cfg = build_config(
        build_parser().parse_args(["train", "--preset", "smoke", "--model", "aminet"])
    )
    assert cfg.model_kwargs == PRESETS["smoke"]["model_kwargs"]
    assert "keeping the preset's model options" in capsys.readouterr().err
    cfg = build_config(
        build_parser().parse_args(["train", "--preset", "smoke", "--model", "aminet-s"])
    )
    assert cfg.model_kwargs == {}
    assert "belong to its model aminet" in capsys.readouterr().err


def test_out_that_is_a_file_and_a_folder_inside_a_file(tmp_path, capsys):
    afile = tmp_path / "afile"
    afile.write_text("x")
    err = _error([*SMOKE, "--steps", "1", "--out", str(afile)], capsys)
    assert str(afile) in err and "not a folder" in err
    err = _error([*SMOKE, "--steps", "1", "--out", str(afile / "sub")], capsys)
    assert str(afile) in err


def test_os_errors_map_to_one_line_naming_the_file():
    denied = describe_error(PermissionError(errno.EACCES, "Permission denied", "/data/x.png"))
    assert denied == "/data/x.png: permission denied: Permission denied"
    full = describe_error(OSError(errno.ENOSPC, "No space left on device", "runs/a/last.pt"))
    assert full.startswith("runs/a/last.pt: no space left on the device")
    assert describe_error(NotADirectoryError(errno.ENOTDIR, "Not a directory", "a/b")) == (
        "a/b: Not a directory"
    )
    assert describe_error(UserError("--x is bad")) == "--x is bad"
    assert describe_error(RuntimeError("a bug")) is None  # bugs keep their traceback


def test_a_full_disk_during_a_save_is_one_line(tmp_path, capsys, monkeypatch):
    import aminet.checkpoint as checkpoint

    def no_space(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(checkpoint.torch, "save", no_space)
    out = tmp_path / "run"
    err = _error([*SMOKE, "--steps", "2", "--val-limit", "0", "--out", str(out)], capsys)
    assert "no space left on the device" in err
    assert not list(out.glob(".*.tmp")) and not (out / "run.lock").exists()


def test_keyboard_interrupt_outside_training_is_one_line(monkeypatch, capsys):
    import aminet.commands.summary as summary

    def interrupted(args):
        raise KeyboardInterrupt

    monkeypatch.setattr(summary, "run", interrupted)  # main() builds the parser after this
    assert main(["summary"]) == 130
    assert capsys.readouterr().err.strip() == "aminet summary: interrupted"


def test_debug_shows_the_traceback(tmp_path, monkeypatch):
    argv = ["train", "--preset", "smoke", "--lr", "inf", "--out", str(tmp_path / "o")]
    with pytest.raises(UserError, match="--lr"):
        main(["--debug", *argv])
    with pytest.raises(UserError, match="--lr"):
        main([*argv, "--debug"])  # after the command too
    monkeypatch.setenv("AMINET_DEBUG", "1")
    with pytest.raises(UserError, match="--lr"):
        main(argv)


def test_unknown_aminet_preset_is_refused(monkeypatch):
    from aminet.course import preset

    monkeypatch.setenv("AMINET_PRESET", "bogus")
    with pytest.raises(ValueError, match="AMINET_PRESET='bogus': expected smoke, default"):
        preset()
    monkeypatch.setenv("AMINET_PRESET", " Smoke ")
    assert preset() == "smoke"


def test_ablate_validates_its_options(capsys, tmp_path):
    out = ["--out", str(tmp_path)]
    assert "--crop must be a multiple of 8" in _error(["ablate", "--crop", "12", *out], capsys)
    assert "--lr must be a finite number > 0" in _error(["ablate", "--lr", "inf", *out], capsys)
    assert "--steps must be a whole number >= 1" in _error(["ablate", "--steps", "0", *out], capsys)
    assert "lr:DIR holds faces" in _error(["ablate", "--data", "lr:/x", *out], capsys)


def test_other_commands_suggest_model_names(capsys):
    assert "did you mean bicubic" in _error(["eval", "--model", "bicubc"], capsys)
    assert "did you mean aminet" in _error(["summary", "--model", "aminett"], capsys)
    assert "--table 'Z'" in _error(["list", "--table", "Z"], capsys)


def test_a_folder_without_val_warns_that_validation_uses_the_training_images(tmp_path):
    import numpy as np
    from PIL import Image

    from aminet.data import build_dataset

    for i in range(2):
        Image.fromarray(np.full((128, 128, 3), 40 * i, np.uint8)).save(tmp_path / f"{i}.png")
    with pytest.warns(UserWarning, match="validation uses the training images"):
        build_dataset(f"folder:{tmp_path}", "val")
    (tmp_path / "val").mkdir()
    Image.fromarray(np.zeros((128, 128, 3), np.uint8)).save(tmp_path / "val" / "v.png")
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert len(build_dataset(f"folder:{tmp_path}", "val")) == 1
