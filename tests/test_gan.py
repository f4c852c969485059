"""AMIGAN: the discriminator, eqs. 20-21, the VGG19 perceptual loss and its offline behaviour, a GAN run."""

from __future__ import annotations

import json
import math

import pytest
import torch

from aminet.checkpoint import load_checkpoint
from aminet.gan import MultiScaleDiscriminator, discriminator_loss, generator_adversarial_loss
from aminet.perceptual import (
    VGG19_FILE,
    PerceptualWeightsMissing,
    VGGPerceptualLoss,
    _vgg19_features,
    build_perceptual,
)
from aminet.train import TrainConfig, train
from conftest import TINY_SHALLOW

TINY = TINY_SHALLOW


@pytest.fixture
def hub_dir(tmp_path):
    """An empty torch hub cache, as on a fresh offline machine (conftest restores torch.hub's
    unset state afterwards, so later tests follow $TORCH_HOME again)."""
    torch.hub.set_dir(str(tmp_path / "hub"))
    return tmp_path / "hub"


def test_discriminator_gives_patch_logits_at_two_scales():
    disc = MultiScaleDiscriminator()
    outputs = disc(torch.rand(2, 3, 128, 128))
    assert [tuple(o.shape) for o in outputs] == [(2, 1, 14, 14), (2, 1, 6, 6)]
    convs = [m for m in disc.modules() if isinstance(m, torch.nn.Conv2d)]
    assert len(convs) == 10 and all(
        hasattr(c, "weight_orig") for c in convs
    )  # spectral norm everywhere
    with pytest.raises(ValueError, match="expects faces"):
        disc(torch.rand(2, 1, 128, 128))


def test_adversarial_losses_known_values():
    undecided = [torch.zeros(2, 1, 4, 4), torch.zeros(2, 1, 2, 2)]  # D(x) = sigmoid(0) = 1/2
    assert discriminator_loss(undecided, undecided).item() == pytest.approx(2 * math.log(2))
    assert generator_adversarial_loss(undecided).item() == pytest.approx(math.log(2))
    sure_real, sure_fake = [torch.full((1, 1, 3, 3), 20.0)], [torch.full((1, 1, 3, 3), -20.0)]
    assert discriminator_loss(sure_real, sure_fake).item() < 1e-6
    assert generator_adversarial_loss(sure_fake).item() == pytest.approx(20.0, rel=1e-3)


def test_perceptual_offline_error_names_file_and_folder(hub_dir):
    with pytest.raises(PerceptualWeightsMissing) as err:
        VGGPerceptualLoss()
    message = str(err.value)
    assert (
        VGG19_FILE in message
        and str(hub_dir / "checkpoints") in message
        and "--perceptual none" in message
    )
    module, note = build_perceptual("auto")
    assert module is None and "DISABLED" in note and VGG19_FILE in note
    module, note = build_perceptual("none")
    assert module is None and "--perceptual none" in note
    with pytest.raises(PerceptualWeightsMissing):
        build_perceptual("vgg19")


def test_perceptual_loads_cached_weights_and_measures_feature_distance(hub_dir):
    """Plumbing only: a VGG19-shaped file written here (random weights), never a reported number."""
    torch.manual_seed(0)
    features = _vgg19_features(34)
    (hub_dir / "checkpoints").mkdir(parents=True)
    torch.save(
        {f"features.{k}": v for k, v in features.state_dict().items()},
        hub_dir / "checkpoints" / VGG19_FILE,
    )
    loss_fn = VGGPerceptualLoss()
    assert torch.equal(loss_fn.features[34].weight, features[34].weight)
    assert not any(p.requires_grad for p in loss_fn.parameters())
    hr = torch.rand(1, 3, 32, 32)
    sr = hr.clone().requires_grad_(True)
    assert loss_fn(sr, hr).item() == 0.0
    loss = loss_fn(sr + 0.1 * torch.randn_like(hr), hr)
    loss.backward()
    assert loss.item() > 0 and sr.grad.abs().sum() > 0
    module, note = build_perceptual("auto")
    assert isinstance(module, VGGPerceptualLoss) and "conv5_4" in note


def test_gan_run_states_that_the_perceptual_term_is_off(tmp_path, hub_dir):
    l1 = TrainConfig(
        model="aminet",
        model_kwargs=TINY,
        train_limit=4,
        val_limit=0,
        batch_size=2,
        steps=1,
        crop_size=32,
        val_every=0,
        out=str(tmp_path / "l1"),
        progress=False,
    )
    train(l1)
    gan = TrainConfig(
        **{
            **l1.to_dict(),
            "out": str(tmp_path / "gan"),
            "steps": 2,
            "gan": True,
            "perceptual": "auto",
            "crop_size": 64,
            "init_from": str(tmp_path / "l1" / "last.pt"),
        }
    )
    history = train(gan)
    assert history["status"] == "completed" and "DISABLED" in history["perceptual"]
    lines = [json.loads(line) for line in (tmp_path / "gan" / "log.jsonl").read_text().splitlines()]
    assert all("DISABLED" in line["perceptual"] for line in lines)
    assert all(line["loss_pcp"] == 0.0 and line["loss_d"] > 0 for line in lines if "loss" in line)
    state = load_checkpoint(tmp_path / "gan" / "last.pt")
    # The generator trains at TrainConfig.lr_g (paper: 1e-4), not at the L1 rate lr (2e-4).
    assert gan.lr_g == 1e-4 and gan.lr == 2e-4
    assert state["optimizer"]["param_groups"][0]["initial_lr"] == 1e-4
    assert 0 < max(history["lr"]) <= 1e-4
    assert "DISABLED" in state["perceptual"] and "discriminator" in state and "optimizer_d" in state
    assert (
        "DISABLED" in json.loads((tmp_path / "gan" / "config.json").read_text())["perceptual_used"]
    )


def test_discriminator_refuses_too_small_crops():
    with pytest.raises(ValueError, match="at least 48x48"):
        MultiScaleDiscriminator()(torch.rand(1, 3, 32, 32))
