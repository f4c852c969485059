"""Real faces: five-point alignment, the two shipped public-domain photos, the demo's measurement."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from aminet.data.realfaces import REAL_FACES, RealFaces, load_photo, real_face
from aminet.faces.align import TEMPLATE_128, estimate_similarity, paste_back, template, warp_face


def _similarity(angle, scale, tx, ty):
    c, s = np.cos(angle), np.sin(angle)
    return np.array([[scale * c, -scale * s, tx], [scale * s, scale * c, ty]])


def test_estimate_similarity_recovers_a_known_transform():
    src = np.array([[10.0, 20], [50, 22], [30, 45], [15, 60], [48, 61]])
    m = _similarity(0.3, 1.7, -5.0, 12.0)
    dst = src @ m[:, :2].T + m[:, 2]
    np.testing.assert_allclose(estimate_similarity(src, dst), m, atol=1e-9)
    # a mirrored point set is fitted by a rotation, never a reflection
    fit = estimate_similarity(src, src * [-1, 1])
    assert np.linalg.det(fit[:, :2]) > 0
    with pytest.raises(ValueError, match="matching"):
        estimate_similarity(src, dst[:3])


def test_template_is_celeba_framing():
    # CelebA's aligned eyes are 39.6 px apart in 178 px: 28.5 px in the 128 crop, level
    assert TEMPLATE_128[1, 0] - TEMPLATE_128[0, 0] == pytest.approx(39.6 * 128 / 178)
    assert TEMPLATE_128[0, 1] == TEMPLATE_128[1, 1]
    np.testing.assert_allclose(template(16), TEMPLATE_128 / 8)


@pytest.mark.parametrize("antialias", [False, True])
def test_warp_face_puts_the_landmarks_on_the_template(antialias):
    """Dots drawn at five points of a rotated, enlarged face land on the template's pixels."""
    m = _similarity(-0.25, 3.0, 40.0, 70.0)  # template -> photo
    points = TEMPLATE_128 @ m[:, :2].T + m[:, 2]
    photo = np.zeros((600, 560, 3), np.uint8)
    yy, xx = np.mgrid[0:600, 0:560]
    for x, y in points:
        photo[(xx - x) ** 2 + (yy - y) ** 2 <= 36] = 255
    crop, matrix = warp_face(photo, points, antialias=antialias)
    assert crop.shape == (128, 128, 3) and crop.dtype == np.uint8
    np.testing.assert_allclose(points @ matrix[:, :2].T + matrix[:, 2], TEMPLATE_128, atol=1e-6)
    gray = crop[..., 0].astype(float)
    for tx, ty in TEMPLATE_128:
        x0, y0 = int(round(tx)), int(round(ty))
        window = gray[y0 - 4 : y0 + 5, x0 - 4 : x0 + 5]
        wy, wx = np.mgrid[-4:5, -4:5]
        cx, cy = (window * wx).sum() / window.sum() + x0, (window * wy).sum() / window.sum() + y0
        assert abs(cx - tx) < 0.5 and abs(cy - ty) < 0.5


def test_paste_back_restores_the_photo_and_blends_softly():
    rng = np.random.default_rng(0)
    photo = (rng.random((200, 180, 3)) * 255).astype(np.uint8)
    points = TEMPLATE_128 * 0.9 + [20, 30]
    crop, matrix = warp_face(photo, points, antialias=False)
    back = paste_back(photo, crop, matrix)
    # outside the crop nothing changes; well inside, the round trip is close (two bicubic warps)
    assert np.array_equal(back[:, 160:], photo[:, 160:])
    inside = (slice(60, 110), slice(50, 100))
    assert np.abs(back[inside].astype(int) - photo[inside]).mean() < 40
    white = paste_back(np.zeros_like(photo), np.full_like(crop, 255), matrix)
    centre, rim = white[30 + 58, 20 + 58, 0], white[31, 21, 0]
    assert centre == 255 and 0 < rim < 128  # soft mask: full inside, fading at the edge


@pytest.mark.parametrize("name", list(REAL_FACES))
def test_shipped_photos_load_and_crop_in_the_training_framing(name):
    photo = load_photo(name)
    w, h = REAL_FACES[name]["size"]
    assert photo.shape == (h, w, 3) and photo.dtype == np.uint8
    crop = real_face(name)
    assert crop.shape == (128, 128, 3)
    # the stored landmarks fit the template closely (a similarity explains them to a few pixels)
    pts = np.array(REAL_FACES[name]["landmarks"])
    m = estimate_similarity(pts, TEMPLATE_128)
    residual = np.abs(pts @ m[:, :2].T + m[:, 2] - TEMPLATE_128).max()
    assert residual < 4
    # a photograph: rich texture, not flat; the skin between the eyes is a mid tone
    assert crop.std() > 30 and 60 < crop[60:70, 58:70].mean() < 230


def test_real_faces_are_harder_for_bicubic_than_synthfaces():
    """The measured difference the course teaches: bicubic loses more on photographs."""
    from aminet.data import SynthFaces
    from aminet.evaluation import evaluate
    from aminet.registry import create_model

    opts = dict(vif=False, progress=False, device="cpu")
    real = evaluate(create_model("bicubic"), RealFaces(), **opts)["psnr_y"]
    synth = evaluate(create_model("bicubic"), SynthFaces("test", size=16), **opts)["psnr_y"]
    assert 15 < real < synth - 2


def test_astronaut_needs_scikit_image(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "skimage", None)
    with pytest.raises(ImportError, match="scikit-image"):
        load_photo("astronaut")
    from aminet.data import realfaces

    assert realfaces.available() == ["grace_hopper"]
    with pytest.raises(ValueError, match="known"):
        load_photo("mona_lisa")


def test_evaluate_real_faces_against_bicubic(tmp_path):
    from aminet.demo import evaluate_real_faces
    from aminet.registry import create_model

    result = evaluate_real_faces(create_model("bicubic"), torch.device("cpu"), tmp_path)
    assert result["n"] == 2 and result["names"] == ["grace_hopper", "astronaut"]
    assert result["gain_psnr_y"] == 0 and result["model"] == result["bicubic"]
    assert (tmp_path / "real_faces.png").stat().st_size > 5000


def test_demo_reports_real_faces_and_a_given_folder(tmp_path, capsys):
    from PIL import Image

    from aminet.demo import run_demo
    from aminet.train import TrainConfig

    folder = tmp_path / "mine"
    folder.mkdir()
    for name in REAL_FACES:
        Image.fromarray(real_face(name)).save(folder / f"{name}.png")
    out = tmp_path / "demo"
    config = TrainConfig(
        model="aminet-tiny",
        train_limit=4,
        val_limit=2,
        val_batch_size=2,
        batch_size=2,
        steps=2,
        crop_size=32,
        val_every=0,
        out=str(out),
        progress=False,
    )
    metrics = run_demo(1, out, eval_limit=2, config=config, progress=False, real_faces=folder)
    saved = json.loads((out / "metrics.json").read_text())
    assert saved["real_faces"]["n"] == 2 and saved["real_faces_folder"]["n"] == 2
    # the folder holds the same crops, so the same numbers (PNG is lossless)
    assert saved["real_faces_folder"]["bicubic"]["psnr_y"] == pytest.approx(
        saved["real_faces"]["bicubic"]["psnr_y"], abs=1e-4
    )
    assert metrics["real_faces"]["gain_psnr_y"] == pytest.approx(
        saved["real_faces"]["model"]["psnr_y"] - saved["real_faces"]["bicubic"]["psnr_y"]
    )
    page = (out / "report.html").read_text()
    assert "Real face photographs" in page and "real_faces.png" in page
    assert "real_faces_folder.png" in page and (out / "real_faces.png").is_file()
    assert "real face photos" in capsys.readouterr().out
