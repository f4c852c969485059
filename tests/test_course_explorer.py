"""The explorer: faces in the data API's format, the maps inside LGFI, a static figure headless."""

from __future__ import annotations

import matplotlib
import matplotlib.pyplot as plt
import pytest
import torch

import aminet
from aminet.course import Repository, colab_badge, colab_url, device, is_smoke, preset
from aminet.course.explorer import (
    compare_figure,
    explore,
    inside_views,
    is_interactive,
    psnr,
    sample_faces,
    synthetic_face,
)


@pytest.fixture(scope="module")
def tiny():
    torch.manual_seed(0)
    return aminet.create_model(
        "aminet", base_channels=4, hourglass_channels=4, num_heads=(1, 1, 1, 1)
    ).eval()


def test_sample_faces_follow_the_data_api_shapes():
    faces = sample_faces(2, size=32)
    assert len(faces) == 2
    for item in faces:
        assert item["hr"].shape == item["input"].shape == (3, 32, 32)
        assert item["lr"].shape == (3, 4, 4)
        assert 0 <= item["hr"].min() and item["hr"].max() <= 1
        assert item["source"] in ("SynthFaces", "synthetic")
    assert not torch.equal(faces[0]["hr"], faces[1]["hr"])


def test_synthetic_face_is_deterministic_and_structured():
    a, b = synthetic_face(32, seed=3), synthetic_face(32, seed=3)
    assert torch.equal(a, b) and a.shape == (3, 32, 32)
    assert a.std() > 0.1, "edges and regions, not a flat image"


def test_psnr_known_values():
    hr = torch.zeros(3, 4, 4)
    assert psnr(hr, hr) == float("inf")
    assert psnr(torch.full_like(hr, 0.1), hr) == pytest.approx(20.0)


def test_inside_views_shapes(tiny):
    x = sample_faces(1, size=32)[0]["input"][None]
    views = inside_views(tiny, x)
    assert views["SA attention map"].shape == (4, 4)
    assert torch.allclose(views["SA attention map"].sum(-1), torch.ones(4), atol=1e-5)
    assert views["SKAF global weight"].shape == views["SKAF local weight"].shape == (32, 32)
    assert inside_views(aminet.create_model("bicubic"), x) == {}


def test_explore_headless_draws_a_static_figure(tiny, monkeypatch):
    monkeypatch.setenv("AMINET_HEADLESS", "1")
    assert not is_interactive()
    fig = explore(tiny, sample_faces(2, size=32))
    assert isinstance(fig, matplotlib.figure.Figure)
    titles = [ax.get_title() for ax in fig.axes]
    assert any(t.startswith("bicubic:") and t.endswith("dB") for t in titles)
    assert "SA attention map" in titles
    plt.close(fig)
    with pytest.raises(ValueError, match="at least one item"):
        explore(tiny, [])


def test_compare_figure_without_inside_views(tiny):
    fig = compare_figure(tiny, sample_faces(1, size=32)[0], show_inside=False)
    assert len(fig.axes) == 4
    plt.close(fig)


def test_course_helpers(monkeypatch):
    repo = Repository("https://github.com/o/n", "v1")
    assert colab_url("notebooks/01_x.ipynb", repo).startswith(
        "https://colab.research.google.com/github/"
    )
    assert colab_url("notebooks/01_x.ipynb", repo) in colab_badge("notebooks/01_x.ipynb", repo)
    monkeypatch.setenv("AMINET_PRESET", "Smoke")
    assert preset() == "smoke" and is_smoke()
    monkeypatch.delenv("AMINET_PRESET")
    assert preset() == "default" and not is_smoke()
    assert isinstance(device(), torch.device)


def test_gpu_options_follow_the_environment_and_reject_nonsense(monkeypatch):
    from aminet.course import gpu_options
    from aminet.train import preset_config

    monkeypatch.delenv("AMINET_MINUTES", raising=False)
    monkeypatch.delenv("AMINET_AMP", raising=False)
    assert gpu_options(20) == {"minutes": 20.0, "amp": "auto"}
    monkeypatch.setenv("AMINET_MINUTES", "2")
    monkeypatch.setenv("AMINET_AMP", "FP16")
    options = gpu_options(20)
    assert options == {"minutes": 2.0, "amp": "fp16"}
    config = preset_config("short", **options)  # what notebooks 07 and 08 pass on a GPU
    assert (config.minutes, config.amp) == (2.0, "fp16")
    for name, value in (
        ("AMINET_MINUTES", "0"),
        ("AMINET_MINUTES", "nan"),
        ("AMINET_MINUTES", "x"),
    ):
        monkeypatch.setenv(name, value)
        with pytest.raises(ValueError, match=f"{name}={value!r}: expected a positive number"):
            gpu_options(20)
    monkeypatch.setenv("AMINET_MINUTES", "2")
    monkeypatch.setenv("AMINET_AMP", "fp8")
    with pytest.raises(
        ValueError, match="AMINET_AMP='fp8': expected one of auto, bf16, fp16, none"
    ):
        gpu_options(20)
