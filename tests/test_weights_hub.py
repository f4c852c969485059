"""Weights like torchvision's: create_model(name, weights=PATH_OR_URL) with a SHA-256 check, and
torch.hub.load(source="local"). Weights are made here from a fresh model; nothing is downloaded."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

import aminet
from aminet.checkpoint import save_checkpoint
from aminet.weights import WeightsError, sha256_of

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def tiny_checkpoint(tmp_path):
    torch.manual_seed(1)
    model = aminet.create_model("aminet-tiny", base_channels=8)
    with torch.no_grad():
        for p in model.parameters():
            p.add_(0.01 * torch.randn_like(p))  # not the default init: loading must matter
    path = save_checkpoint(
        {
            "model_name": "aminet-tiny",
            "model_kwargs": {"base_channels": 8},
            "model": model.state_dict(),
        },
        tmp_path / "best.pt",
    )
    return model.eval(), path


def _same(a, b):
    x = torch.rand(1, 3, 128, 128, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        torch.testing.assert_close(a(x), b(x))


def test_weights_from_a_checkpoint_rebuild_the_model(tiny_checkpoint):
    model, path = tiny_checkpoint
    loaded = aminet.create_model("aminet-tiny", weights=str(path), weights_sha256=sha256_of(path))
    assert loaded.model_kwargs == {"base_channels": 8} and not loaded.training
    _same(model, loaded)
    # a bare state dict works too, with the options given by the caller
    bare = path.with_name("bare.pt")
    torch.save(model.state_dict(), bare)
    _same(model, aminet.create_model("aminet-tiny", weights=bare, base_channels=8))


def test_sha256_mismatch_wrong_model_and_misfit_are_clear_errors(tiny_checkpoint, tmp_path):
    _, path = tiny_checkpoint
    with pytest.raises(WeightsError, match="does not match the expected 0000000000"):
        aminet.create_model("aminet-tiny", weights=path, weights_sha256="0" * 64)
    # torch.hub's naming convention NAME-<sha256 prefix>.pt is checked as well
    good = tmp_path / f"tiny-{sha256_of(path)[:10]}.pt"
    good.write_bytes(path.read_bytes())
    aminet.create_model("aminet-tiny", weights=good)
    bad = tmp_path / "tiny-deadbeef.pt"
    bad.write_bytes(path.read_bytes())
    with pytest.raises(WeightsError, match="deadbeef"):
        aminet.create_model("aminet-tiny", weights=bad)
    with pytest.raises(WeightsError, match="holds weights of 'aminet-tiny', not 'aminet-cpu'"):
        aminet.create_model("aminet-cpu", weights=path)
    with pytest.raises(WeightsError, match="do not fit"):
        aminet.create_model("aminet-tiny", weights=path, base_channels=16)
    with pytest.raises(WeightsError, match="does not exist"):
        aminet.create_model("aminet-tiny", weights=tmp_path / "nope.pt")
    junk = tmp_path / "junk.pt"
    junk.write_bytes(b"not a checkpoint")
    with pytest.raises(WeightsError, match="not a readable weights file"):
        aminet.create_model("aminet-tiny", weights=junk)


def test_url_weights_are_fetched_only_when_allowed(tiny_checkpoint, tmp_path, monkeypatch):
    _, path = tiny_checkpoint
    url = path.as_uri()  # file:// : the download code path, without a network
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch_home"))
    monkeypatch.delenv("AMINET_DOWNLOAD", raising=False)
    with pytest.raises(WeightsError, match="were not downloaded"):
        aminet.create_model("aminet-tiny", weights=url)
    monkeypatch.setenv("AMINET_DOWNLOAD", "1")
    loaded = aminet.create_model("aminet-tiny", weights=url, weights_sha256=sha256_of(path)[:12])
    assert (tmp_path / "torch_home" / "hub" / "checkpoints" / "best.pt").is_file()
    _same(tiny_checkpoint[0], loaded)


def test_torch_hub_load_local(tiny_checkpoint):
    model, path = tiny_checkpoint
    hub = torch.hub.load(str(REPO), "aminet_tiny", source="local", weights=str(path))
    _same(model, hub)
    fresh = torch.hub.load(str(REPO), "model", "bicubic", source="local")
    assert fresh.model_name == "bicubic"
