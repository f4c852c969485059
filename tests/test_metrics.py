"""Metrics against independent references: scikit-image (PSNR, SSIM, MATLAB Y), piq (VIF-p),
closed forms (Frechet distance), and the failure modes of the pretrained-weight metrics."""

import numpy as np
import piq
import pytest
import torch
from skimage.color import rgb2ycbcr
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

from aminet.data import SynthFaces
from aminet.metrics import (
    ALEXNET_FILE,
    FID,
    INCEPTION_FILE,
    LPIPS,
    MetricUnavailable,
    frechet_distance,
    identity_similarity,
    psnr,
    rgb_to_y,
    ssim,
    vif,
)


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    """Small float64 convolutions: extra threads only add overhead (and spin on busy CI)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def pair():
    """Fixed inputs: the central 64x64 of three SynthFaces test faces (HR) and of their bicubic
    reconstructions (SR). Small, so that the float64 reference filters stay fast."""
    items = [SynthFaces("test")[i] for i in range(3)]
    hr = torch.stack([it["hr"] for it in items])[..., 32:96, 32:96]
    sr = torch.stack([it["input"] for it in items])[..., 32:96, 32:96]
    return sr, hr


def _np(img: torch.Tensor) -> np.ndarray:
    return img.permute(1, 2, 0).double().numpy()


def test_y_channel_is_matlabs_formula():
    rgb = torch.rand(2, 3, 8, 8, dtype=torch.float64)
    ours = rgb_to_y(rgb)[:, 0].numpy()
    ref = np.stack([rgb2ycbcr(_np(x))[..., 0] for x in rgb])
    np.testing.assert_allclose(ours, ref, atol=1e-10)
    assert rgb_to_y(torch.zeros(1, 3, 1, 1)).item() == pytest.approx(16.0)
    assert rgb_to_y(torch.ones(1, 3, 1, 1)).item() == pytest.approx(235.0, abs=1e-4)


def test_psnr_matches_skimage(pair):
    sr, hr = pair
    ours_y, ours_rgb = psnr(sr, hr), psnr(sr, hr, y_channel=False)
    for i in range(len(sr)):
        y_sr, y_hr = rgb2ycbcr(_np(sr[i]))[..., 0], rgb2ycbcr(_np(hr[i]))[..., 0]
        assert ours_y[i].item() == pytest.approx(
            peak_signal_noise_ratio(y_hr, y_sr, data_range=255), abs=1e-4
        )
        ref_rgb = peak_signal_noise_ratio(_np(hr[i]) * 255, _np(sr[i]) * 255, data_range=255)
        assert ours_rgb[i].item() == pytest.approx(ref_rgb, abs=1e-4)
    assert (ours_y > 20).all() and (ours_y < 40).all()


def test_ssim_matches_skimage_gaussian_window(pair):
    sr, hr = pair
    kwargs = dict(data_range=255, gaussian_weights=True, sigma=1.5, use_sample_covariance=False)
    ours_y, ours_rgb = ssim(sr, hr), ssim(sr, hr, y_channel=False)
    for i in range(len(sr)):
        y_sr, y_hr = rgb2ycbcr(_np(sr[i]))[..., 0], rgb2ycbcr(_np(hr[i]))[..., 0]
        assert ours_y[i].item() == pytest.approx(
            structural_similarity(y_hr, y_sr, **kwargs), abs=1e-5
        )
        ref_rgb = structural_similarity(
            _np(hr[i]) * 255, _np(sr[i]) * 255, channel_axis=2, **kwargs
        )
        assert ours_rgb[i].item() == pytest.approx(ref_rgb, abs=1e-5)


def test_identical_images_give_the_metric_maxima(pair):
    _, hr = pair
    assert torch.isinf(psnr(hr, hr)).all()
    torch.testing.assert_close(ssim(hr, hr), torch.ones(3))
    torch.testing.assert_close(vif(hr, hr), torch.ones(3), atol=1e-5, rtol=0)


def test_psnr_known_value():
    hr = torch.zeros(1, 3, 16, 16)
    sr = torch.full_like(hr, 1 / 255)  # one grey level everywhere: MSE 1 on the RGB 0-255 scale
    assert psnr(sr, hr, y_channel=False).item() == pytest.approx(10 * np.log10(255**2), abs=1e-4)


def test_vif_p_matches_piq(pair):
    sr, hr = pair
    ref = piq.vif_p(
        rgb_to_y(sr.double()), rgb_to_y(hr.double()), data_range=255.0, reduction="none"
    )
    torch.testing.assert_close(vif(sr, hr), ref.float(), atol=1e-5, rtol=1e-5)


def test_vif_p_behaves_as_published(pair):
    """Sheikh & Bovik: VIF < 1 for blur and noise (more distortion, lower), > 1 for contrast gain."""
    sr, hr = pair
    assert (vif(sr, hr) < 1).all()  # the bicubic reconstruction is a blur

    def noisy(sigma):
        noise = torch.randn(hr.shape, generator=torch.Generator().manual_seed(0))
        return (hr + sigma * noise).clamp(0, 1)

    light, heavy = vif(noisy(0.02), hr), vif(noisy(0.1), hr)
    assert (heavy < light).all() and (light < 1).all()
    reference = hr * 0.6 + 0.2  # values in [0.2, 0.8]: a 1.2x contrast gain stays in [0, 1]
    mean = reference.mean(dim=(2, 3), keepdim=True)
    enhanced = mean + 1.2 * (reference - mean)
    assert enhanced.min() >= 0 and enhanced.max() <= 1
    assert (vif(enhanced, reference) > 1).all()


def test_metrics_reject_mismatched_shapes():
    with pytest.raises(ValueError, match="same shape"):
        psnr(torch.rand(1, 3, 16, 16), torch.rand(1, 3, 16, 15))
    with pytest.raises(ValueError, match="RGB"):
        ssim(torch.rand(1, 1, 16, 16), torch.rand(1, 1, 16, 16))
    with pytest.raises(ValueError, match="41x41"):
        vif(torch.rand(1, 3, 32, 32), torch.rand(1, 3, 32, 32))


def test_identity_similarity_is_cosine_of_embeddings(pair):
    sr, hr = pair
    embed = lambda x: torch.nn.functional.adaptive_avg_pool2d(x, 4).flatten(1)  # noqa: E731
    sim = identity_similarity(sr, hr, embed)
    expected = torch.nn.functional.cosine_similarity(embed(sr), embed(hr), dim=1)
    torch.testing.assert_close(sim, expected)
    torch.testing.assert_close(identity_similarity(hr, hr, embed), torch.ones(3))
    with pytest.raises(ValueError, match=r"\(N, D\)"):
        identity_similarity(sr, hr, lambda x: x)


def test_frechet_distance_closed_form():
    rng = np.random.default_rng(0)
    mu1, mu2 = rng.normal(size=4), rng.normal(size=4)
    s1, s2 = rng.uniform(0.5, 2, 4), rng.uniform(0.5, 2, 4)
    expected = ((mu1 - mu2) ** 2).sum() + (s1 + s2 - 2 * np.sqrt(s1 * s2)).sum()
    assert frechet_distance(mu1, np.diag(s1), mu2, np.diag(s2)) == pytest.approx(expected, rel=1e-6)
    cov = np.cov(rng.normal(size=(50, 4)), rowvar=False)
    assert frechet_distance(mu1, cov, mu1, cov) == pytest.approx(0, abs=1e-6)


def test_fid_with_a_custom_feature_extractor(pair):
    sr, hr = pair
    pool = torch.nn.Sequential(torch.nn.AdaptiveAvgPool2d(2), torch.nn.Flatten())
    same, diff = FID(feature_extractor=pool), FID(feature_extractor=pool)
    same.update(hr, hr)
    diff.update(sr, hr.flip(-2))
    assert same.compute() == pytest.approx(0, abs=1e-6)
    assert diff.compute() > 1e-4


def test_pretrained_metrics_are_unavailable_offline_with_an_exact_message(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    with pytest.raises(MetricUnavailable) as err:
        LPIPS()
    assert ALEXNET_FILE in str(err.value) and str(tmp_path / "hub" / "checkpoints") in str(
        err.value
    )
    with pytest.raises(MetricUnavailable) as err:
        FID()
    assert INCEPTION_FILE in str(err.value)


def test_lpips_loads_the_backbone_from_the_cache(tmp_path, monkeypatch):
    """Plumbing only: a file in the cache is what LPIPS loads (here a random AlexNet written by
    the test; such numbers are never reported). A file of the wrong kind is refused."""
    torch.manual_seed(0)
    shapes = {
        0: (64, 3, 11, 11),
        3: (192, 64, 5, 5),
        6: (384, 192, 3, 3),
        8: (256, 384, 3, 3),
        10: (256, 256, 3, 3),
    }
    state = {}
    for i, shape in shapes.items():  # the convolutions of torchvision's AlexNet.features
        state[f"features.{i}.weight"] = torch.randn(shape) * 0.05
        state[f"features.{i}.bias"] = torch.randn(shape[0]) * 0.05
    cache = tmp_path / "hub" / "checkpoints"
    cache.mkdir(parents=True)
    torch.save(state, cache / ALEXNET_FILE)
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    metric = LPIPS()
    torch.testing.assert_close(metric.model.net.slice1[0].weight, state["features.0.weight"])
    torch.testing.assert_close(
        getattr(metric.model.net.slice5, "10").bias, state["features.10.bias"]
    )
    x = torch.rand(2, 3, 64, 64)
    assert torch.allclose(metric(x, x), torch.zeros(2), atol=1e-6)
    assert (metric(x, x.flip(-1)) > 0).all()
    torch.save({"unrelated": torch.zeros(1)}, cache / ALEXNET_FILE)
    with pytest.raises(MetricUnavailable, match="not torchvision's AlexNet"):
        LPIPS()


def test_fid_loads_inception_from_the_cache(tmp_path, monkeypatch):
    """Plumbing only (a random Inception written by the test; never a reported number): the
    cached file is what FID loads, with torchvision's input transform, and it runs end to end."""
    from torchvision.models import inception_v3

    torch.manual_seed(0)
    net = inception_v3(weights=None, aux_logits=True, init_weights=False)
    cache = tmp_path / "hub" / "checkpoints"
    cache.mkdir(parents=True)
    torch.save(net.state_dict(), cache / INCEPTION_FILE)
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    fid = FID()
    inner = fid.features.net
    assert inner.transform_input and isinstance(inner.fc, torch.nn.Identity)
    torch.testing.assert_close(inner.Conv2d_1a_3x3.conv.weight, net.Conv2d_1a_3x3.conv.weight)
    x = torch.rand(2, 3, 32, 32)
    fid.update(x, x)  # (compute() on 2048-d features needs a 2048x2048 sqrtm: too slow for a test)
    assert fid._sr[0].shape == (2, 2048)
    np.testing.assert_allclose(fid._sr[0], fid._hr[0])
