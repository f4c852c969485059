"""aminet upscale never overwrites an input or its own results, skips bad files, honours EXIF."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from aminet.checkpoint import save_checkpoint
from aminet.cli import main
from aminet.commands.upscale import output_bases
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
    return str(
        save_checkpoint(
            {
                "model_name": "aminet",
                "model_kwargs": model.model_kwargs,
                "model": model.state_dict(),
            },
            tmp_path / "tiny.pt",
        )
    )


def _img(path, w, h, seed=0, **save):
    rng = np.random.default_rng(seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(rng.integers(0, 256, (h, w, 3), dtype=np.uint8)).save(path, **save)
    return path


def test_same_stems_in_one_call_get_distinct_names(tmp_path, checkpoint, capsys):
    a_png = _img(tmp_path / "a" / "face.png", 16, 16, seed=1)
    a_jpg = _img(tmp_path / "a" / "face.jpg", 16, 16, seed=2)
    b_png = _img(tmp_path / "b" / "face.png", 16, 16, seed=3)
    out = tmp_path / "out"
    argv = [
        "upscale",
        "--checkpoint",
        checkpoint,
        str(tmp_path / "a"),
        str(b_png),
        "--out",
        str(out),
    ]
    assert main(argv) == 0
    written = sorted(str(p.relative_to(out)) for p in out.rglob("*.png"))
    assert written == ["a/face.png_sr.png", "b/face.png_sr.png", "face.jpg_sr.png"]
    # three different inputs, three different results
    arrays = [np.asarray(Image.open(out / w)) for w in written]
    assert not np.array_equal(arrays[0], arrays[1]) and not np.array_equal(arrays[1], arrays[2])
    assert [a_png.exists(), a_jpg.exists(), b_png.exists()] == [True, True, True]


def test_out_equal_to_the_input_folder_replaces_no_input(tmp_path, checkpoint, capsys):
    folder = tmp_path / "faces"
    _img(folder / "x.png", 16, 16, seed=1)
    mine = _img(folder / "x_sr.png", 16, 16, seed=2)  # the user's own file, named like a result
    before = mine.read_bytes()
    argv = ["upscale", "--checkpoint", checkpoint, str(folder), "--out", str(folder)]
    assert main(argv) == 0
    assert mine.read_bytes() == before
    names = sorted(p.name for p in folder.iterdir())
    # x_sr.png, named like a result in --out, is neither an input nor replaced, and the user is told
    assert names == ["x.png", "x.png_sr.png", "x_sr.png"]
    captured = capsys.readouterr()
    assert "x.png_sr.png ->" not in captured.out and "x_sr.png (" not in captured.out
    assert "1 file(s) in --out" in captured.err and "not taken as inputs" in captured.err
    # named on the command line, it is an input like any other
    argv = ["upscale", "--checkpoint", checkpoint, str(mine), "--out", str(folder)]
    assert main(argv) == 0
    assert (folder / "x_sr_sr.png").is_file() and mine.read_bytes() == before


def test_a_second_call_into_the_input_folder_does_not_upscale_the_first_ones_results(
    tmp_path, checkpoint, capsys
):
    folder = tmp_path / "faces"
    _img(folder / "a.png", 16, 16, seed=1)
    _img(folder / "b.png", 16, 16, seed=2)
    argv = ["upscale", "--checkpoint", checkpoint, str(folder), "--out", str(folder)]
    assert main(argv) == 0
    first = {p.name: p.read_bytes() for p in folder.iterdir()}
    assert sorted(first) == ["a.png", "a_sr.png", "b.png", "b_sr.png"]
    capsys.readouterr()
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "a_sr.png (" not in out and "b_sr.png (" not in out  # results are not inputs
    after = {p.name: p.read_bytes() for p in folder.iterdir()}
    assert not any(name.endswith("_sr_sr.png") for name in after)
    assert all(after[name] == data for name, data in first.items())  # nothing replaced


def test_output_bases_never_hit_an_input(tmp_path):
    files = [tmp_path / "x.png", tmp_path / "x_sr.png"]
    for f in files:
        f.touch()
    bases = output_bases(files, tmp_path)
    targets = {str(b) + "_sr.png" for b in bases.values()}
    assert len(targets) == 2 and not targets & {str(f) for f in files}


def test_a_bad_file_is_skipped_and_reported_and_the_rest_is_done(tmp_path, checkpoint, capsys):
    folder = tmp_path / "faces"
    _img(folder / "a.png", 16, 16)
    (folder / "b.png").write_bytes(b"\x89PNG not really")
    _img(folder / "c.png", 16, 16)
    _img(folder / "tiny.png", 4, 4)  # too small as an HR face when forced to hr
    out = tmp_path / "out"
    argv = ["upscale", "--checkpoint", checkpoint, str(folder), "--out", str(out)]
    assert main(argv) == 1  # some failed
    err = capsys.readouterr().err
    assert "skipped" in err and "b.png" in err and "1 of 4 inputs failed" in err
    assert sorted(p.name for p in out.iterdir()) == ["a_sr.png", "c_sr.png", "tiny_sr.png"]
    argv = ["upscale", "--checkpoint", checkpoint, str(folder / "b.png"), "--out", str(out)]
    assert main(argv) == 2  # all failed: one line, as before
    assert len(capsys.readouterr().err.strip().splitlines()) == 1


def test_exif_orientation_is_applied(tmp_path, checkpoint):
    path = tmp_path / "phone.jpg"
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 degrees clockwise to display"
    _img(path, 16, 8, exif=exif.tobytes())
    out = tmp_path / "out"
    assert main(["upscale", "--checkpoint", checkpoint, str(path), "--out", str(out)]) == 0
    assert Image.open(out / "phone_sr.png").size == (64, 128)  # upright 8x16, enlarged x8


def test_auto_warns_near_its_threshold(tmp_path, checkpoint, capsys):
    near_lr = _img(tmp_path / "near_lr.png", 60, 60)
    near_hr = _img(tmp_path / "near_hr.png", 64, 64)
    far = _img(tmp_path / "far.png", 16, 16)
    out = tmp_path / "out"
    argv = ["upscale", "--checkpoint", checkpoint, str(near_lr), str(near_hr), str(far)]
    assert main([*argv, "--out", str(out)]) == 0
    err = capsys.readouterr().err
    assert "near_lr.png (60x60) is taken as an LR face" in err and "--input-kind hr" in err
    assert "near_hr.png (64x64) is taken as an HR face" in err and "--input-kind lr" in err
    assert "far.png" not in err
    assert main([*argv, "--out", str(out), "--input-kind", "lr"]) == 0
    assert "warning" not in capsys.readouterr().err


def test_out_that_is_a_file(tmp_path, checkpoint, capsys):
    face = _img(tmp_path / "f.png", 16, 16)
    afile = tmp_path / "file"
    afile.write_text("x")
    assert main(["upscale", "--checkpoint", checkpoint, str(face), "--out", str(afile)]) == 2
    assert "is a file" in capsys.readouterr().err


def test_decompression_bomb_is_a_bad_file_not_a_crash(tmp_path, checkpoint, capsys, monkeypatch):
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 100)  # 16x16 = 256 > 2 * 100: a "bomb"
    face = _img(tmp_path / "bomb.png", 16, 16)
    assert (
        main(["upscale", "--checkpoint", checkpoint, str(face), "--out", str(tmp_path / "o")]) == 2
    )
    err = capsys.readouterr().err
    assert "bomb.png" in err and "too large to decode safely" in err and "Traceback" not in err


def _failing_png_writer(monkeypatch, fail_on_call: int, error: BaseException):
    """Make PIL's PNG writer write half a file on its ``fail_on_call``-th call, then raise."""
    real_save = Image.Image.save
    calls = []

    def save(self, fp, *args, **kwargs):
        calls.append(fp)
        if len(calls) < fail_on_call:
            return real_save(self, fp, *args, **kwargs)
        if isinstance(fp, (str, bytes)) or hasattr(fp, "__fspath__"):
            with open(fp, "wb") as f:
                f.write(b"\x89PNG\r\n\x1a\n half")
        else:
            fp.write(b"\x89PNG\r\n\x1a\n half")
        raise error

    monkeypatch.setattr(Image.Image, "save", save)


def test_ctrl_c_mid_batch_keeps_finished_results_and_leaves_no_partial_file(
    tmp_path, checkpoint, capsys, monkeypatch
):
    folder = tmp_path / "faces"
    for name in "abc":
        _img(folder / f"{name}.png", 16, 16)
    out = tmp_path / "out"
    _failing_png_writer(monkeypatch, 2, KeyboardInterrupt())
    argv = ["upscale", "--checkpoint", checkpoint, str(folder), "--out", str(out)]
    assert main(argv) == 130
    err = capsys.readouterr().err.strip()
    assert "interrupted; 1 of 3 input(s) done" in err and str(out) in err
    assert sorted(p.name for p in out.iterdir()) == ["a_sr.png"]  # no half-written b_sr.png
    monkeypatch.undo()
    assert Image.open(out / "a_sr.png").size == (128, 128)


def test_a_full_disk_leaves_no_half_written_result(tmp_path, checkpoint, capsys, monkeypatch):
    import errno

    face = _img(tmp_path / "f.png", 16, 16)
    out = tmp_path / "out"
    _failing_png_writer(monkeypatch, 1, OSError(errno.ENOSPC, "No space left on device"))
    assert main(["upscale", "--checkpoint", checkpoint, str(face), "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "no space left on the device" in err
    assert "--resume" not in err  # nothing to resume in upscale
    assert list(out.iterdir()) == []


@pytest.mark.skipif(not hasattr(__import__("os"), "mkfifo"), reason="no named pipes here")
def test_a_pipe_as_input_or_checkpoint_is_named_not_read(tmp_path, checkpoint, capsys):
    import os

    pipe = tmp_path / "face.png"
    os.mkfifo(pipe)  # opening it would wait for a writer forever
    out = ["--out", str(tmp_path / "o")]
    assert main(["upscale", "--checkpoint", checkpoint, str(pipe), *out]) == 2
    assert "is not an image file or a folder (a pipe or a device?)" in capsys.readouterr().err
    face = _img(tmp_path / "f.png", 16, 16)
    assert main(["upscale", "--checkpoint", str(pipe), str(face), *out]) == 2
    assert "--checkpoint" in capsys.readouterr().err


def test_an_image_too_large_for_memory_is_skipped_and_the_rest_done(
    tmp_path, checkpoint, capsys, monkeypatch
):
    import aminet.checkpoint

    real_load = aminet.checkpoint.load_model

    def load_model(path, map_location="cpu"):
        model = real_load(path, map_location=map_location)
        forward = model.forward

        def limited(x):  # what the CPU allocator says for a photo taken as an LR face
            if x.shape[-1] > 200:
                raise RuntimeError(
                    "[enforce fail at alloc_cpu.cpp:127] DefaultCPUAllocator: can't allocate memory"
                )
            return forward(x)

        model.forward = limited
        return model

    monkeypatch.setattr(aminet.checkpoint, "load_model", load_model)
    small = _img(tmp_path / "small.png", 16, 16)
    big = _img(tmp_path / "big.png", 40, 40)
    out = tmp_path / "out"
    argv = ["upscale", "--checkpoint", checkpoint, str(big), str(small), "--input-kind", "lr"]
    assert main([*argv, "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert "skipped" in err and "big.png: too large for this device's memory (320x320" in err
    assert sorted(p.name for p in out.iterdir()) == ["small_sr.png"]
