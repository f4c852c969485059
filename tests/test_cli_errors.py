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
    assert "--data synthetic:blur=2: expected synthetic or synthetic:natural=P,blur=Q" in _error(
        ["ablate", "--data", "synthetic:blur=2", *out], capsys
    )


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


@pytest.mark.parametrize(
    ("device", "expected"),
    [
        ("meta", "--device meta: aminet runs on cpu, cuda, mps"),  # was a traceback from autocast
        ("xla", "--device xla: aminet runs on cpu, cuda, mps"),
        ("nonsense", "--device 'nonsense' is not a device name"),
    ],
)
def test_devices_aminet_cannot_run_on_are_refused_by_every_command(
    tmp_path, capsys, device, expected
):
    out = str(tmp_path / "o")
    face = tmp_path / "f.png"
    _png(face, 16)
    for argv in (
        [*SMOKE, "--out", out],
        ["demo", "--minutes", "0.01", "--out", out],
        ["eval", "--model", "bicubic", "--limit", "1"],
        ["ablate", "--steps", "1", "--out", out],
        ["upscale", "--checkpoint", _tiny_checkpoint(tmp_path), str(face), "--out", out],
    ):
        assert expected in _error([*argv, "--device", device], capsys), argv
    assert not (tmp_path / "o" / "last.pt").exists()


def test_a_gpu_index_past_the_last_gpu_is_refused(monkeypatch):
    import torch

    from aminet.device import check_device

    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    assert check_device("cuda:0") == torch.device("cuda:0")
    with pytest.raises(ValueError, match="--device cuda:3: this machine has 1 GPU"):
        check_device("cuda:3")


def test_threads_are_bounded_before_torch_can_crash(tmp_path, capsys):
    import os

    limit = 4 * (os.cpu_count() or 1)
    out = ["--out", str(tmp_path / "o")]
    for argv in (
        [*SMOKE, *out],
        ["demo", "--minutes", "0.01", *out],
        ["bench", "--models", "bicubic", "--repeats", "1"],
    ):
        for bad in ("0", "100000"):  # 100000 made torch segfault (exit 139) after the run
            err = _error([*argv, "--threads", bad], capsys)
            assert f"--threads must be from 1 to {limit}" in err, argv


@pytest.mark.parametrize(
    ("flags", "expected"),
    [
        (["--minutes", "1e308"], "--minutes must be at most 1000000"),  # was an OverflowError
        (["--epochs", "1e308"], "--epochs must be at most 1000000"),
    ],
)
def test_budgets_too_large_to_compute_with(tmp_path, capsys, flags, expected):
    assert expected in _error([*SMOKE, "--out", str(tmp_path / "o"), *flags], capsys)
    err = _error(["demo", "--minutes", "1e308", "--out", str(tmp_path / "d")], capsys)
    assert "--minutes must be at most 1000000" in err


@pytest.mark.skipif(not hasattr(__import__("os"), "mkfifo"), reason="no named pipes here")
def test_config_that_is_a_folder_a_pipe_or_not_yaml_or_json(tmp_path, capsys):
    import os

    out = ["--out", str(tmp_path / "o")]
    pipe = tmp_path / "c.yaml"
    os.mkfifo(pipe)
    err = _error([*SMOKE, *out, "--config", str(pipe)], capsys)
    assert f"--config {pipe} is not a regular file" in err
    err = _error([*SMOKE, *out, "--config", str(tmp_path)], capsys)
    assert f"--config {tmp_path} is a folder" in err
    text = tmp_path / "options.txt"
    text.write_text("steps: 2\n")
    err = _error([*SMOKE, *out, "--config", str(text)], capsys)
    assert "expected a YAML (.yaml, .yml) or JSON (.json) file" in err
    err = _error([*SMOKE, *out, "--config", str(tmp_path / "absent.yaml")], capsys)
    assert "absent.yaml does not exist" in err


def test_a_divergence_before_any_save_does_not_point_to_a_checkpoint(tmp_path, capsys):
    out = tmp_path / "o"
    err = _error([*SMOKE, "--out", str(out), "--lr", "1e300", "--grad-clip", "0"], capsys)
    assert "diverged" in err and "no checkpoint was saved" in err
    assert not (out / "last.pt").exists()


def test_eval_refuses_lr_data_before_measuring(capsys):
    err = _error(["eval", "--model", "bicubic", "--data", "lr:/nowhere"], capsys)
    assert err.startswith("aminet eval: error: --data lr:/nowhere: lr:DIR holds")


def test_demo_checks_real_faces_before_training(tmp_path, capsys, monkeypatch):
    import aminet.demo

    def no_training(*args, **kwargs):
        raise AssertionError("trained before checking --real-faces")

    monkeypatch.setattr(aminet.demo, "run_demo", no_training)
    out = ["--out", str(tmp_path / "o"), "--minutes", "0.01"]
    empty = tmp_path / "empty"
    empty.mkdir()
    err = _error(["demo", *out, "--real-faces", str(empty)], capsys)
    assert f"--real-faces {empty}: no images" in err
    afile = tmp_path / "f.png"
    afile.write_text("x")
    assert "is a file" in _error(["demo", *out, "--real-faces", str(afile)], capsys)


def test_bench_names_its_flags_and_checks_the_plot_path_first(tmp_path, capsys):
    bench = ["bench", "--models", "bicubic", "--repeats", "1", "--no-memory", "--json"]
    assert "--warmup must be >= 0, got -1" in _error([*bench, "--warmup", "-1"], capsys)
    assert "--size must be at least 8 pixels, got 0" in _error([*bench, "--size", "0"], capsys)
    assert "is a folder" in _error([*bench, "--plot", str(tmp_path)], capsys)
    plot = tmp_path / "new" / "tradeoff"  # a missing folder and no suffix
    assert main([*bench, "--size", "16", "--plot", str(plot)]) == 0
    assert (tmp_path / "new" / "tradeoff.png").is_file()


def test_grading_a_folder_without_submissions_is_an_error(tmp_path, capsys):
    err = _error(["course", "grade", str(tmp_path)], capsys)
    assert str(tmp_path) in err and "holds no files to grade" in err


def test_out_of_memory_is_one_line_with_what_to_change():
    import torch

    message = describe_error(torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2 GiB"))
    assert "ran out of memory" in message and "--batch-size" in message
    cpu = RuntimeError(
        "[enforce fail at alloc_cpu.cpp:127] DefaultCPUAllocator: can't allocate memory"
    )
    assert "ran out of memory" in describe_error(cpu)


def test_warnings_print_as_one_line(monkeypatch):
    """Python's form quotes the library's source line under the message; the CLI prints one line."""
    import warnings

    import aminet.commands.summary as summary

    shown = []

    def warns(args):
        shown.append(warnings.formatwarning("mind this", UserWarning, "/x/datasets.py", 432))
        return 0

    monkeypatch.setattr(summary, "run", warns)
    before = warnings.formatwarning
    assert main(["summary"]) == 0
    assert shown == ["warning: mind this\n"]
    assert warnings.formatwarning is before  # restored for whoever called main()


def test_prepare_celeba_names_a_missing_source_and_an_empty_request(tmp_path, capsys):
    dst = str(tmp_path / "out")
    err = _error(["prepare-celeba", str(tmp_path / "nowhere"), dst], capsys)
    assert f"SRC {tmp_path / 'nowhere'} does not exist" in err
    afile = tmp_path / "celeba.zip"
    afile.write_text("x")
    assert "is a file, not a folder" in _error(["prepare-celeba", str(afile), dst], capsys)
    zeros = ["--train", "0", "--val", "0", "--test", "0"]
    assert "nothing to prepare" in _error(["prepare-celeba", str(tmp_path), dst, *zeros], capsys)
    assert not (tmp_path / "out").exists()


def _png(path, side):
    import numpy as np
    from PIL import Image

    Image.fromarray(np.zeros((side, side, 3), np.uint8)).save(path)
    return path


def _tiny_checkpoint(tmp_path) -> str:
    from aminet.checkpoint import save_checkpoint
    from aminet.registry import create_model

    model = create_model("aminet", base_channels=8, hourglass_channels=8, num_heads=(1, 1, 1, 1))
    state = {
        "model_name": "aminet",
        "model_kwargs": model.model_kwargs,
        "model": model.state_dict(),
    }
    return str(save_checkpoint(state, tmp_path / "tiny.pt"))
