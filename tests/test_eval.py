"""evaluate() and 'aminet eval': the numbers are the metrics of the model's output, reproducibly."""

import json

import numpy as np
import pytest
import torch
from PIL import Image
from torch import nn

from aminet import metrics
from aminet.cli import main
from aminet.data import build_dataset
from aminet.evaluation import evaluate
from aminet.registry import create_model


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


class Constant(nn.Module):
    def forward(self, x):
        return torch.full_like(x, 0.5)


def test_bicubic_scores_are_the_metrics_of_the_input():
    ds = build_dataset("synthetic", "test", limit=4)
    result = evaluate(create_model("bicubic"), ds, batch_size=3, progress=False)
    hr = torch.stack([ds[i]["hr"] for i in range(4)])
    sr = torch.stack(
        [ds[i]["input"] for i in range(4)]
    )  # already 8-bit: quantizing changes nothing
    expected = {
        "psnr_y": metrics.psnr(sr, hr),
        "ssim_y": metrics.ssim(sr, hr),
        "psnr_rgb": metrics.psnr(sr, hr, y_channel=False),
        "ssim_rgb": metrics.ssim(sr, hr, y_channel=False),
        "vif": metrics.vif(sr, hr),
    }
    assert result["n"] == 4
    for key, values in expected.items():
        assert result[key] == pytest.approx(values.double().mean().item(), rel=1e-5)
        assert result[f"{key}_std"] == pytest.approx(
            values.double().std(unbiased=False).item(), rel=1e-4, abs=1e-6
        )
    assert result["lpips"] is None and "lpips=False" in result["lpips_note"]
    assert result["psnr_y"] > result["psnr_rgb"]  # the usual gap: say which one a table shows


def test_evaluation_is_deterministic_and_ranks_models():
    ds = build_dataset("synthetic", "val", limit=3)
    a = evaluate(create_model("bicubic"), ds, progress=False, vif=False)
    b = evaluate(create_model("bicubic"), ds, progress=False, vif=False)
    assert a == b
    assert a["vif"] is None
    worse = evaluate(Constant(), ds, progress=False, vif=False)
    assert worse["psnr_y"] < a["psnr_y"] - 3 and worse["ssim_y"] < a["ssim_y"]


def test_lpips_unavailable_is_null_with_a_note(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    ds = build_dataset("synthetic", "test", limit=1)
    result = evaluate(create_model("bicubic"), ds, lpips=True, vif=False, progress=False)
    assert result["lpips"] is None and "alexnet-owt-7be5be79.pth" in result["lpips_note"]


def test_bad_models_and_datasets_are_reported(tmp_path):
    ds = build_dataset("synthetic", "test", limit=1)

    class Shrink(nn.Module):
        def forward(self, x):
            return x[..., :64, :64]

    with pytest.raises(ValueError, match="the model returned"):
        evaluate(Shrink(), ds, progress=False)
    with pytest.raises(ValueError, match="limit"):
        evaluate(create_model("bicubic"), ds, limit=0, progress=False)
    Image.fromarray(np.zeros((16, 16, 3), np.uint8)).save(tmp_path / "face.png")
    with pytest.raises(ValueError, match="no ground truth"):
        evaluate(create_model("bicubic"), build_dataset(f"lr:{tmp_path}", "test"), progress=False)


def test_cli_json(capsys):
    assert (
        main(
            [
                "eval",
                "--model",
                "bicubic",
                "--data",
                "synthetic",
                "--limit",
                "2",
                "--json",
                "--no-vif",
            ]
        )
        == 0
    )
    out = json.loads(capsys.readouterr().out)
    assert out["n"] == 2 and out["model"] == "bicubic" and out["split"] == "test"
    for key in ("psnr_y", "ssim_y", "psnr_rgb", "ssim_rgb", "lpips", "vif"):
        assert key in out
    assert 15 < out["psnr_y"] < 45 and 0 < out["ssim_y"] <= 1


def test_cli_table_on_a_folder(tmp_path, capsys):
    for i in range(2):
        img = (np.random.default_rng(i).random((128, 128, 3)) * 255).astype(np.uint8)
        Image.fromarray(img).save(tmp_path / f"{i}.png")
    assert (
        main(
            ["eval", "--model", "bicubic", "--data", f"folder:{tmp_path}", "--no-lpips", "--no-vif"]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "PSNR Y (dB)" in out and "2 images" in out and "n/a" in out


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--model", "no-such-model"], "unknown model"),
        (["--model", "bicubic", "--limit", "0"], "--limit"),
        (["--model", "bicubic", "--data", "imagenet"], "unknown dataset spec"),
        (["--model", "bicubic", "--data", "folder:/no/such/dir"], "no such folder"),
    ],
)
def test_cli_user_errors(argv, message, capsys):
    assert main(["eval", *argv]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_cli_with_a_checkpoint(tmp_path, capsys):
    from aminet.checkpoint import save_checkpoint

    overrides = dict(base_channels=8, hourglass_channels=8, num_heads=(1, 1, 1, 1))
    model = create_model("aminet", **overrides)
    path = save_checkpoint(
        {"model_name": "aminet", "model_kwargs": overrides, "model": model.state_dict()},
        tmp_path / "tiny.pt",
    )
    argv = ["eval", "--checkpoint", str(path), "--limit", "1", "--no-vif", "--no-lpips", "--json"]
    assert main(argv) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["n"] == 1 and out["model"] == str(path)
    # the same weights through evaluate() give the same numbers
    direct = evaluate(model, build_dataset("synthetic", "test", limit=1), vif=False, progress=False)
    assert out["psnr_y"] == pytest.approx(direct["psnr_y"], rel=1e-6)
    (tmp_path / "broken.pt").write_bytes(b"not a checkpoint")
    assert main(["eval", "--checkpoint", str(tmp_path / "broken.pt"), "--limit", "1"]) == 2
    assert "broken.pt" in capsys.readouterr().err
