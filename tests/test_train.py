"""The trainer: configs and presets, the schedule, the data order, exact resume, the divergence guard."""

from __future__ import annotations

import json
import math

import pytest
import torch

from aminet.checkpoint import load_checkpoint, load_model
from aminet.train import (
    EpochBatchSampler,
    ScheduleShape,
    TrainConfig,
    preset_config,
    random_crops,
    train,
)

TINY = {
    "base_channels": 8,
    "hourglass_channels": 8,
    "num_heads": (1, 1, 1, 1),
    "hourglass_depths": (1, 1, 1, 1),
}


def tiny_config(tmp_path, **overrides) -> TrainConfig:
    """A run that takes seconds: 8 SynthFaces, 32x32 crops, batch 2, no validation."""
    values = dict(
        model="aminet",
        model_kwargs=TINY,
        data="synthetic",
        train_limit=8,
        val_limit=0,
        batch_size=2,
        steps=4,
        crop_size=32,
        lr=1e-3,
        val_every=0,
        out=str(tmp_path / "run"),
        progress=False,
        warmup_steps=1,
    )
    values.update(overrides)
    return TrainConfig.from_dict(values)


# --- configuration --------------------------------------------------------------------------
def test_presets_and_overrides():
    smoke = preset_config("smoke")
    assert smoke.steps <= 10 and smoke.model_kwargs["base_channels"] == 8
    assert preset_config("full").lr == 2e-4 and preset_config("full").betas == (0.9, 0.99)
    assert preset_config("short", gan=True).lr_g == 1e-4  # AMIGAN's generator rate
    assert preset_config("short", gan=True, lr=5e-5).lr == 5e-5
    assert preset_config("smoke", steps=2).steps == 2
    with pytest.raises(ValueError, match="unknown preset"):
        preset_config("huge")


def test_config_files_yaml_and_json(tmp_path):
    (tmp_path / "a.yaml").write_text(
        "model: aminet-s\nbatch_size: 4\nbetas: [0.9, 0.999]\nmodel_kwargs:\n  num_heads: [1, 1, 1, 1]\n"
    )
    cfg = TrainConfig.from_file(tmp_path / "a.yaml")
    assert (cfg.model, cfg.batch_size, cfg.betas, cfg.model_kwargs["num_heads"]) == (
        "aminet-s",
        4,
        (0.9, 0.999),
        (1, 1, 1, 1),
    )
    (tmp_path / "b.json").write_text(json.dumps(cfg.to_dict()))
    assert TrainConfig.from_file(tmp_path / "b.json") == cfg
    (tmp_path / "c.json").write_text('{"batchsize": 4}')
    with pytest.raises(ValueError, match="unknown training option.*batchsize"):
        TrainConfig.from_file(tmp_path / "c.json")
    (tmp_path / "d.yaml").write_text("model: [unclosed\n")
    with pytest.raises(ValueError, match="not valid YAML"):
        TrainConfig.from_file(tmp_path / "d.yaml")


# --- schedule and data order ------------------------------------------------------------------
def test_schedules_known_values():
    cosine = ScheduleShape("cosine", total=100, min_ratio=0.01)
    assert (
        cosine(0) == pytest.approx(1.0)
        and cosine(50) == pytest.approx(0.505)
        and cosine(100) == pytest.approx(0.01)
    )
    warm = ScheduleShape("cosine", total=100, warmup=10)
    assert warm(0) == pytest.approx(0.1) and warm(9) == pytest.approx(1.0)
    multi = ScheduleShape("multistep", total=100, milestones=(0.5, 0.75), gamma=0.5)
    assert [multi(s) for s in (0, 49, 50, 75, 99)] == [1.0, 1.0, 0.5, 0.25, 0.25]
    with pytest.raises(ValueError, match="unknown schedule"):
        ScheduleShape("linear", total=10)


def test_batch_order_is_a_function_of_the_step():
    sampler = EpochBatchSampler(10, 4, seed=3)
    first_epoch = [i for step in range(2) for i in sampler.global_batch_at(step)]
    assert len(set(first_epoch)) == 8  # two batches of one permutation: no repeats, last 2 dropped
    assert sampler.global_batch_at(2) != sampler.global_batch_at(0)  # epoch 2 is reshuffled
    resumed = iter(EpochBatchSampler(10, 4, seed=3, start_step=5))
    assert next(resumed) == sampler.global_batch_at(5)
    shares = [
        next(iter(EpochBatchSampler(10, 4, seed=3, start_step=5, rank=r, world=2)))
        for r in range(2)
    ]
    assert shares[0] + shares[1] == sampler.global_batch_at(5)
    with pytest.raises(ValueError, match="fewer than one batch"):
        EpochBatchSampler(3, 4)
    with pytest.raises(ValueError, match="split evenly"):
        EpochBatchSampler(10, 3, world=2)


def test_crops_are_aligned_and_shared_across_ranks():
    x = torch.arange(2 * 4 * 64 * 64, dtype=torch.float32).view(4, 2, 64, 64)
    whole = random_crops([x], 32, seed=0, step=7, rank=0, world=1)[0]
    halves = [
        random_crops([x[2 * r : 2 * r + 2]], 32, seed=0, step=7, rank=r, world=2)[0]
        for r in range(2)
    ]
    assert torch.equal(torch.cat(halves), whole)
    corner = whole[:, 0, 0, 0] - x[:, 0, 0, 0]  # offset = 64 * top + left
    assert torch.all(corner % 8 == 0)
    with pytest.raises(ValueError, match="multiple of 8"):
        random_crops([x], 30, seed=0, step=0, rank=0, world=1)


# --- training -----------------------------------------------------------------------------------
def test_resume_continues_exactly(tmp_path):
    """2N straight steps == N steps, interrupted, resumed, N more steps (weights, optimizer, history)."""
    # validation at step 2 in the straight run only: it must not disturb the random stream
    options = dict(steps=4, train_limit=6, augment=True, val_limit=2, val_every=2, val_batch_size=2)
    straight = train(tiny_config(tmp_path / "a", **options))
    assert straight["val_step"] == [2, 4] and all(5 < p < 60 for p in straight["val_psnr_y"])
    first = train(tiny_config(tmp_path / "b", **options), stop_at_step=2)
    assert first["status"] == "interrupted" and first["steps"] == 2
    last = str(tmp_path / "b" / "run" / "last.pt")
    resumed = train(tiny_config(tmp_path / "b", **options, resume=last))
    assert resumed["steps"] == 4 and resumed["loss"] == straight["loss"]
    a = load_checkpoint(tmp_path / "a" / "run" / "last.pt")
    b = load_checkpoint(tmp_path / "b" / "run" / "last.pt")
    for key in a["model"]:
        assert torch.equal(a["model"][key], b["model"][key]), key
    assert a["scheduler"]["last_epoch"] == b["scheduler"]["last_epoch"] == 4
    assert torch.equal(a["rng"]["torch"], b["rng"]["torch"])


def test_a_run_writes_checkpoints_logs_and_curves(tmp_path):
    history = train(tiny_config(tmp_path, steps=3, schedule="multistep"))
    out = tmp_path / "run"
    assert history["status"] == "completed" and history["steps"] == 3 and len(history["loss"]) == 3
    assert all(math.isfinite(v) for v in history["loss"])
    lines = [json.loads(line) for line in (out / "log.jsonl").read_text().splitlines()]
    assert [line["step"] for line in lines if "loss" in line] == [1, 2, 3]
    assert all(line["img_s"] > 0 for line in lines if "loss" in line)
    assert (out / "curves.png").stat().st_size > 1000
    assert json.loads((out / "config.json").read_text())["steps"] == 3
    model = load_model(out / "best.pt")
    assert model.model_name == "aminet" and model.model_kwargs == TINY
    assert load_checkpoint(out / "last.pt")["step"] == 3


def test_divergence_stops_and_keeps_the_last_good_checkpoint(tmp_path, capsys):
    cfg = tiny_config(
        tmp_path,
        steps=8,
        lr=50.0,
        grad_clip=None,
        schedule="constant",
        warmup_steps=0,
        save_every=1,
    )
    history = train(cfg)
    assert history["status"] == "diverged" and history["steps"] < 8
    assert "diverged at step" in capsys.readouterr().out
    kept = load_checkpoint(tmp_path / "run" / "last.pt")
    assert kept["step"] == history["steps"] - 1  # nothing written after the bad step
    assert all(torch.isfinite(v).all() for v in kept["model"].values() if v.is_floating_point())


def test_bad_options_fail_before_training(tmp_path):
    with pytest.raises(ValueError, match="multiple of 8"):
        train(tiny_config(tmp_path, crop_size=30))
    with pytest.raises(ValueError, match="fewer than one batch"):
        train(tiny_config(tmp_path, train_limit=1, batch_size=2))
    with pytest.raises(ValueError, match="amp must be"):
        train(tiny_config(tmp_path, amp="fp8"))


# --- optimizer and initialisation -----------------------------------------------------------
def test_make_adam_uses_the_fused_kernel_and_matches_the_plain_loop():
    from aminet.train import make_adam

    def small_net():
        torch.manual_seed(0)
        return torch.nn.Sequential(
            torch.nn.Conv2d(3, 8, 3, padding=1),
            torch.nn.GELU(),
            torch.nn.Conv2d(8, 3, 3, padding=1),
        )

    a, b = small_net(), small_net()
    fast = make_adam(a.parameters(), 1e-3, (0.9, 0.99))
    plain = torch.optim.Adam(b.parameters(), lr=1e-3, betas=(0.9, 0.99), foreach=False)
    if tuple(int(p) for p in torch.__version__.split(".")[:2]) >= (2, 4):
        assert fast.defaults["fused"], "torch >= 2.4 has a fused Adam for CPU tensors"
    x, y = torch.rand(2, 3, 16, 16), torch.rand(2, 3, 16, 16)
    for _ in range(5):
        for model, opt in ((a, fast), (b, plain)):
            opt.zero_grad()
            (model(x) - y).abs().mean().backward()
            opt.step()
    moved = (a[0].weight - small_net()[0].weight).abs().max()
    assert 1e-3 < moved < 1e-2  # five steps of lr 1e-3
    for p, q in zip(a.parameters(), b.parameters()):
        torch.testing.assert_close(p, q, rtol=0, atol=1e-6)


@pytest.mark.parametrize("stem_stride", [1, 4])
def test_zero_init_tail_starts_as_bicubic(stem_stride):
    """The trainer's ``zero_init_tail`` also works when a PixelShuffle follows the tail conv."""
    from aminet.model import AMINet
    from aminet.train import _zero_residual_tail

    model = AMINet(**TINY, stem_stride=stem_stride).eval()
    x = torch.rand(1, 3, 64, 64)
    with torch.no_grad():
        assert not torch.allclose(model(x), x)
        _zero_residual_tail(model)
        torch.testing.assert_close(model(x), x)
    with pytest.raises(ValueError, match="final convolution named 'tail'"):
        _zero_residual_tail(torch.nn.Sequential(torch.nn.Conv2d(3, 3, 1)))


def test_pixel_loss_mse_trains_on_squared_error(tmp_path):
    """Step 1 with a zeroed tail sees the bicubic error: mean |d|^2 <= mean d^2 <= mean |d|."""
    options = dict(steps=1, zero_init_tail=True, train_limit=4)
    l1 = train(tiny_config(tmp_path / "l1", **options))["loss"][0]
    mse = train(tiny_config(tmp_path / "mse", pixel_loss="mse", **options))["loss"][0]
    assert 0 < l1**2 <= mse <= l1 < 0.2
    with pytest.raises(ValueError, match="--pixel-loss must be one of l1, mse, got 'l2'"):
        train(tiny_config(tmp_path / "bad", pixel_loss="l2"))
    with pytest.raises(ValueError, match="AMIGAN's pixel term is the L1 loss"):
        train(tiny_config(tmp_path / "gan", pixel_loss="mse", gan=True, perceptual="none"))
