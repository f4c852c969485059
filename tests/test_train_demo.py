"""The demo pipeline end to end, shrunk: train, evaluate against bicubic, write the report."""

from __future__ import annotations

import json

import torch

from aminet.demo import demo_config, run_demo
from aminet.train import TrainConfig

TINY = {
    "base_channels": 8,
    "hourglass_channels": 8,
    "num_heads": (1, 1, 1, 1),
    "hourglass_depths": (1, 1, 1, 1),
}


def test_demo_config_is_small_on_cpu_and_larger_on_gpu(tmp_path):
    cpu = demo_config(9, torch.device("cpu"), tmp_path)
    gpu = demo_config(9, torch.device("cuda"), tmp_path)
    assert (
        cpu.model == "aminet-cpu"
        and cpu.crop_size is None
        and cpu.minutes == 9
        and cpu.steps is None
        and cpu.warmup_steps >= 100  # shorter warmups collapsed the features (docs/training.md)
        and cpu.pixel_loss == "mse"
    )
    assert gpu.pixel_loss == "l1"  # the paper's eq. 17
    # photographic texture and softness in training, on both devices (docs/training.md)
    assert cpu.data == gpu.data == "synthetic:natural=0.15,blur=0.5"
    cpu.validate()
    assert (
        gpu.model == "aminet-s"
        and gpu.crop_size is None
        and cpu.zero_init_tail
        and gpu.zero_init_tail
    )


def test_demo_writes_report_metrics_and_grid(tmp_path, capsys):
    out = tmp_path / "demo"
    config = TrainConfig(
        model="aminet",
        model_kwargs=TINY,
        train_limit=4,
        val_limit=2,
        val_batch_size=2,
        batch_size=2,
        steps=2,
        crop_size=32,
        val_every=0,
        out=str(out),
        zero_init_tail=True,
        progress=False,
    )
    metrics = run_demo(1, out, eval_limit=2, config=config, progress=False)
    saved = json.loads((out / "metrics.json").read_text())
    for who in ("model", "bicubic"):
        assert 15 < saved[who]["psnr_y"] < 60 and 0 < saved[who]["ssim_y"] <= 1
    assert saved["gain_psnr_y"] == metrics["gain_psnr_y"]
    assert saved["run"]["model_name"] == "aminet" and saved["n_test"] == 2
    page = (out / "report.html").read_text()
    assert (
        "grid.png" in page
        and "curves.png" in page
        and "bicubic" in page
        and "narrower configuration" in page
        and "the L1 loss (the paper&#39;s eq. 17)" in page
    )
    assert saved["run"]["pixel_loss"] == "l1"
    assert saved["run"]["data"] == "synthetic"  # the report says what it was trained on
    assert "Training data: <code>synthetic</code> (SynthFaces)." in page
    assert (out / "grid.png").stat().st_size > 5000
    assert f"report: {(out / 'report.html').resolve()}" in capsys.readouterr().out


def test_report_describes_the_mixed_training_data():
    from aminet.demo import DEMO_DATA, _data_text

    text = _data_text(DEMO_DATA)
    assert "15% of the training images replaced by crops" in text
    assert "50% of the training faces softened" in text
    assert _data_text("celeba:/data/celeba") == ""  # real data needs no explanation
