"""aminet.bench and ``aminet bench``: measured structure, interleaving, ratios, memory, errors, plot."""

from __future__ import annotations

import json

import pytest
import torch
from torch import nn

from aminet.bench import PAPER_TABLE_X, BenchmarkUnavailable, benchmark, format_table, plot_tradeoff
from aminet.cli import main
from aminet.complexity import count_macs, count_macs_thop, count_params
from aminet.registry import create_model
from conftest import TINY, TINY_SPARNET

TINY_AMINET = TINY
pytestmark = pytest.mark.usefixtures("one_thread")  # tests/conftest.py


class Recorder(nn.Module):
    """A 1x1 conv that appends its label to a shared log on every call."""

    def __init__(self, label: str, log: list, channels: int = 3):
        super().__init__()
        self.label, self.log = label, log
        self.conv = nn.Conv2d(3, channels, 1)

    def forward(self, x):
        self.log.append(self.label)
        return self.conv(x)


def test_rows_ratios_and_summaries():
    a = create_model("sparnet", **TINY_SPARNET)
    b = create_model("aminet", **TINY_AMINET)
    result = benchmark(
        [("a", a), ("b", b)], batches=(2,), size=16, repeats=3, warmup=1, memory=False
    )
    rows = {r["model"]: r for r in result["rows"]}
    assert list(rows) == ["a", "b"]
    assert result["settings"]["batches"] == [1, 2]  # batch 1 is always added
    for row, model in ((rows["a"], a), (rows["b"], b)):
        assert row["params"] == count_params(model)
        assert row["macs"] == count_macs(model, 16)
        assert row["macs_thop"] == count_macs_thop(model, 16)
        lat = row["latency_ms"]
        assert lat["n"] == 3 and 0 < lat["min"] <= lat["median"] <= lat["p90"]
        for batch in ("1", "2"):
            expected = int(batch) / (row["time_ms"][batch]["median"] / 1000)
            assert row["throughput"][batch] == pytest.approx(expected, rel=1e-2)
    ratios = result["ratios"]
    assert ratios["a"]["params"] == 1.0 and ratios["a"]["latency"] == 1.0
    assert ratios["b"]["params"] == pytest.approx(
        rows["b"]["params"] / rows["a"]["params"], rel=1e-3
    )
    assert ratios["b"]["latency"] == pytest.approx(
        rows["b"]["latency_ms"]["median"] / rows["a"]["latency_ms"]["median"], rel=1e-2
    )
    assert result["machine"]["torch"] == torch.__version__
    assert result["machine"]["torch_threads"] == 1
    text = format_table(result)
    assert "MACs(thop)" in text and f"{rows['b']['macs_thop'] / 1e9:.2f}G" in text
    assert "a" in text and "ratios (xN) to a" in text


def test_models_are_measured_interleaved():
    log: list[str] = []
    models = [("x", Recorder("x", log)), ("y", Recorder("y", log))]
    benchmark(models, batches=(1,), size=8, repeats=4, warmup=1, memory=False)
    timed = log[-8:]  # after the MAC counters and warm-ups: the 4 timed rounds
    assert timed == ["x", "y"] * 4


def test_train_step_measured_without_touching_the_model():
    model = create_model("aminet", **TINY_AMINET)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    result = benchmark(
        [("aminet-tiny", model), "bicubic"],
        batches=(2,),
        size=16,
        repeats=2,
        warmup=1,
        train=True,
        memory=False,
    )
    row, bicubic = result["rows"]
    assert row["train"]["batch"] == 2 and row["train"]["img_s"] > 0
    assert bicubic["train"] is None  # nothing to train
    for k, v in model.state_dict().items():
        assert torch.equal(v, before[k]), k  # the benchmark trained a copy


def test_cpu_peak_memory_grows_with_batch():
    model = create_model("sparnet", **TINY_SPARNET)
    hand_built = ("hand", nn.Conv2d(3, 3, 1))
    result = benchmark(
        [("sparnet-tiny", model), hand_built], batches=(8,), size=128, repeats=1, warmup=0
    )
    mem = result["rows"][0]["peak_memory_mb"]
    # batch 8 at 128x128: the first feature map alone is 8 x 8 x 128 x 128 floats = 4 MiB
    assert mem["8"] > 2 and mem["8"] >= mem["1"] >= 0
    assert result["rows"][1]["peak_memory_mb"] is None  # cannot be rebuilt by name
    assert "VmHWM" in result["settings"]["memory_method"]


def test_unavailable_modes_fail_clearly():
    with pytest.raises(BenchmarkUnavailable, match="CUDA graphs exist only on CUDA"):
        benchmark(["bicubic"], cuda_graphs=True, memory=False)
    with pytest.raises(BenchmarkUnavailable, match="dtype"):
        benchmark(["bicubic"], dtype="int8", memory=False)
    with pytest.raises(ValueError, match="unknown model"):
        benchmark(["no-such-model"], memory=False)
    if not torch.cuda.is_available():
        with pytest.raises(BenchmarkUnavailable, match="cuda.is_available"):
            benchmark(["bicubic"], device="cuda", memory=False)


def test_cli_json(capsys):
    code = main(
        [
            "bench",
            "--models",
            "bicubic,sparnet",
            "--size",
            "64",
            "--batch",
            "1",
            "--repeats",
            "1",
            "--warmup",
            "0",
            "--threads",
            "1",
            "--no-memory",
            "--json",
        ]
    )
    assert code == 0
    out = json.loads(capsys.readouterr().out)
    assert [r["model"] for r in out["rows"]] == ["bicubic", "sparnet"]
    assert out["rows"][1]["params"] == 10_518_867
    assert out["ratios"]["bicubic"]["latency"] == 1.0
    assert out["settings"]["interleaved"] is True


@pytest.mark.parametrize(
    "argv,message",
    [
        (["--models", "nope"], "unknown model"),
        (["--models", "bicubic", "--cuda-graphs"], "CUDA graphs"),
        (["--models", "bicubic", "--batch", "1,x"], "--batch"),
        (["--models", "bicubic", "--repeats", "0"], "--repeats"),
    ],
)
def test_cli_errors_are_one_line(argv, message, capsys):
    assert main(["bench", *argv, "--no-memory"]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_plot_tradeoff(tmp_path, monkeypatch):
    import matplotlib
    import matplotlib.pyplot as plt

    def forbidden(*args, **kwargs):
        raise AssertionError("library code must not change the matplotlib backend")

    monkeypatch.setattr(matplotlib, "use", forbidden)
    open_figures = plt.get_fignums()
    rows = [
        {
            "model": "aminet",
            "params": 12.5e6,
            "macs": 11e9,
            "latency_ms": {"median": 300.0},
            "throughput": {"1": 3.3},
        },
        {
            "model": "sparnet",
            "params": 10.5e6,
            "macs": 7.1e9,
            "latency_ms": {"median": 200.0},
            "throughput": {"1": 5.0},
        },
    ]
    out = tmp_path / "fig1.png"
    fig = plot_tradeoff(rows, out, psnr={"aminet": 27.5}, psnr_source="synthetic faces")
    assert out.stat().st_size > 10_000
    assert plt.get_fignums() == open_figures  # an explicit Figure, not one of pyplot's
    left, right = fig.axes[:2]
    paper_pts = left.collections[0].get_offsets()
    assert len(paper_pts) == len(PAPER_TABLE_X)
    assert [12.62, 28.26] in paper_pts.tolist()  # AMINet as printed in Table X
    ours = left.collections[1].get_offsets().tolist()
    assert ours == [[12.5, 27.5]]  # only the model with a PSNR is placed on the PSNR panel
    assert sorted(right.collections[0].get_offsets()[:, 1].tolist()) == [200.0, 300.0]
    labels = [t.get_text() for t in left.texts]
    assert "AMINet (paper)" in labels and any("sparnet" in t for t in labels)


def test_settings_are_checked_before_anything_runs():
    from aminet.bench import BenchSettings

    assert BenchSettings(batches=(4, 2)).batches == (1, 2, 4)
    with pytest.raises(ValueError, match="repeats"):
        BenchSettings(repeats=0)
    with pytest.raises(ValueError, match="at least 8 pixels"):
        BenchSettings(size=4)
    with pytest.raises(ValueError, match="either settings= or keyword options"):
        benchmark(["bicubic"], settings=BenchSettings(), repeats=2)
    with pytest.raises(TypeError):
        benchmark(["bicubic"], repats=2)  # a misspelt option is an error, not ignored


def test_training_speed_is_the_trainers_own_step(monkeypatch):
    import aminet.training.steps as steps  # the trainer's PixelStep, which bench times

    calls = []

    def counting_step(loss, optimizer, scaler, parameters, grad_clip=None):
        calls.append(grad_clip)
        return real_step(loss, optimizer, scaler, parameters, grad_clip)

    real_step = steps.optimizer_step
    monkeypatch.setattr(steps, "optimizer_step", counting_step)
    model = create_model("aminet", **TINY_AMINET)
    result = benchmark([("a", model)], size=16, repeats=2, warmup=1, train=True, memory=False)
    assert result["rows"][0]["train"]["batch"] == 1 and result["rows"][0]["train"]["img_s"] > 0
    assert calls == [1.0] * 3  # 1 warm-up + 2 timed steps, clipped like TrainConfig's default
