"""The x8 degradation matches PIL's antialiased bicubic (the field's reference) within a tolerance."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from PIL import Image

from aminet.data import degrade, quantize_8bit, render_face, resize_bicubic
from aminet.data.synthfaces import face_rng


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    """Tiny tensors: a second intra-op thread only adds overhead (and spins on a busy machine)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def _pil_pipeline(hr8: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    lr = Image.fromarray(hr8).resize((16, 16), Image.Resampling.BICUBIC)
    up = lr.resize((128, 128), Image.Resampling.BICUBIC)
    return np.asarray(lr).astype(np.float32), np.asarray(up).astype(np.float32)


def _to_tensor(arr8: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(arr8).permute(2, 0, 1).float() / 255


def _to_levels(t: torch.Tensor) -> np.ndarray:
    return t.permute(1, 2, 0).numpy() * 255


@pytest.mark.parametrize("index", [0, 1])
def test_degrade_matches_pil_bicubic(index):
    hr8 = render_face(face_rng(0, "test", index))
    pil_lr, pil_up = _pil_pipeline(hr8)
    lr, up = degrade(_to_tensor(hr8), quantize=True)
    lr_diff = np.abs(_to_levels(lr) - pil_lr)
    up_diff = np.abs(_to_levels(up) - pil_up)
    # PIL rounds to 8 bits between its horizontal and vertical passes: a few levels at strong
    # edges, well under one level on average.
    assert lr_diff.mean() < 0.25 and lr_diff.max() <= 4
    assert up_diff.mean() < 0.5 and up_diff.max() <= 8


def test_non_antialiased_bicubic_is_outside_the_tolerance():
    """The tolerance above is tight enough to catch the classic mistake (no antialiasing)."""
    hr8 = render_face(face_rng(0, "test", 0))
    pil_lr, _ = _pil_pipeline(hr8)
    wrong = F.interpolate(
        _to_tensor(hr8)[None], size=(16, 16), mode="bicubic", align_corners=False
    )[0]
    assert np.abs(_to_levels(quantize_8bit(wrong)) - pil_lr).mean() > 2.0


def test_degrade_shapes_batch_and_single_agree():
    hr = torch.rand(2, 3, 128, 128)
    lr, up = degrade(hr)
    assert lr.shape == (2, 3, 16, 16) and up.shape == (2, 3, 128, 128)
    lr0, up0 = degrade(hr[0])
    assert lr0.shape == (3, 16, 16)
    torch.testing.assert_close(lr0, lr[0])
    torch.testing.assert_close(up0, up[0])
    assert lr.min() >= 0 and lr.max() <= 1 and up.min() >= 0 and up.max() <= 1


def test_degrade_keeps_constant_images_and_other_scales():
    hr = torch.full((1, 3, 64, 64), 0.3)
    lr, up = degrade(hr, scale=4)
    assert lr.shape == (1, 3, 16, 16)
    torch.testing.assert_close(lr, torch.full_like(lr, 0.3))
    torch.testing.assert_close(up, hr)


def test_quantize_rounds_to_8_bit_levels():
    lr, up = degrade(torch.rand(1, 3, 128, 128), quantize=True)
    for t in (lr, up):
        torch.testing.assert_close(t * 255, torch.round(t * 255))


@pytest.mark.parametrize(
    "bad, message",
    [
        (torch.rand(3, 100, 100), "not divisible"),
        (torch.rand(128, 128), "expects"),
        (np.zeros((3, 128, 128), np.float32), "torch.Tensor"),
    ],
)
def test_degrade_rejects_bad_input(bad, message):
    with pytest.raises((ValueError, TypeError), match=message):
        degrade(bad)


def test_resize_rejects_integer_images():
    with pytest.raises(TypeError, match="float"):
        resize_bicubic(torch.zeros(3, 8, 8, dtype=torch.uint8), 4)


def test_matrix_resize_is_torch_interpolate():
    """resize_bicubic uses matrices read off F.interpolate: the same operator, any batch shape."""
    x = torch.rand(2, 3, 128, 96, dtype=torch.float64)
    for size in ((16, 12), (200, 150)):
        ref = F.interpolate(x, size=size, mode="bicubic", align_corners=False, antialias=True)
        torch.testing.assert_close(resize_bicubic(x, size), ref, atol=1e-12, rtol=0)
