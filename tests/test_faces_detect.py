"""Face detection on photos (the optional "faces" extra, in the dev extra): the two public-domain
photos composed into a group picture; ``aminet upscale --detect`` and ``aminet prepare-faces``."""

from __future__ import annotations

import json
import sys

import numpy as np
import pytest
from PIL import Image

from aminet.cli import main
from aminet.data.realfaces import REAL_FACES, load_photo

cv2 = pytest.importorskip("cv2", reason='the "faces" extra (OpenCV) is not installed')

from aminet.faces.detect import FacesExtraMissing, detect_faces  # noqa: E402


def _group(shrink: int = 1) -> tuple[np.ndarray, list[np.ndarray]]:
    """Grace Hopper and the astronaut side by side (astronaut padded to 600 rows), and their true
    landmarks in the group picture."""
    g, a = load_photo("grace_hopper"), load_photo("astronaut")
    group = np.concatenate([g, np.pad(a, ((44, 44), (0, 0), (0, 0)), mode="edge")], axis=1)
    truth = [
        np.array(REAL_FACES["grace_hopper"]["landmarks"]),
        np.array(REAL_FACES["astronaut"]["landmarks"]) + [512, 44],
    ]
    if shrink > 1:
        h, w = group.shape[:2]
        group = np.asarray(
            Image.fromarray(group).resize((w // shrink, h // shrink), Image.Resampling.BICUBIC)
        )
        truth = [(t + 0.5) / shrink - 0.5 for t in truth]
    return group, truth


def _match(faces, truth):
    """For each true face, the detected one whose landmarks are closest (error / eye distance)."""
    errors = []
    for t in truth:
        eye_dist = np.linalg.norm(t[0] - t[1])
        errors.append(min(np.abs(f.landmarks - t).max() / eye_dist for f in faces))
    return errors


@pytest.mark.parametrize("shrink", [1, 4])
def test_detector_finds_both_faces_of_the_group_photo_with_landmarks(shrink):
    group, truth = _group(shrink)
    faces = detect_faces(group, min_size=12)
    assert len(faces) == 2
    if shrink > 1:  # the same faces on a 2x enlargement, in the same pixels
        again = detect_faces(group, min_size=12, upsample=2)
        assert len(again) == 2 and max(_match(again, truth)) < 0.3
    errors = _match(faces, truth)
    assert max(errors) < 0.3  # every landmark within 30% of the eye distance of MTCNN's
    # largest first: Grace Hopper's face is the larger one
    assert faces[0].box[0] < group.shape[1] // 2 < faces[1].box[0]


def test_no_face_in_a_face_free_picture():
    rng = np.random.default_rng(0)
    noise = (rng.random((240, 320, 3)) * 255).astype(np.uint8)
    assert detect_faces(noise) == []
    assert detect_faces(np.full((240, 320, 3), 128, np.uint8)) == []


def test_missing_opencv_names_the_extra(monkeypatch):
    from aminet.faces import detect

    monkeypatch.setitem(sys.modules, "cv2", None)
    monkeypatch.setattr(detect, "_CASCADES", {})
    with pytest.raises(FacesExtraMissing, match=r"\.\[faces\]"):
        detect_faces(np.zeros((64, 64, 3), np.uint8))


@pytest.fixture
def checkpoint(tmp_path):
    """A checkpoint of a freshly initialised tiny model (no trained weights are invented)."""
    import torch

    from aminet.checkpoint import save_checkpoint
    from aminet.registry import create_model

    torch.manual_seed(0)
    model = create_model("aminet-tiny")
    path = tmp_path / "tiny.pt"
    save_checkpoint(
        {"model_name": "aminet-tiny", "model_kwargs": {}, "model": model.state_dict()}, path
    )
    return path


def test_upscale_detect_restores_the_faces_of_a_group_photo(tmp_path, checkpoint, capsys):
    # shrunk 12x: the astronaut's face is about the 16x16 framing (restored), Grace Hopper's twice
    # as large (left as bicubic: shrinking it to 16x16 would lose what the photo has)
    group, truth = _group(shrink=12)
    photo = tmp_path / "group.png"
    Image.fromarray(group).save(photo)
    out = tmp_path / "out"
    args = ["upscale", "--checkpoint", str(checkpoint), str(photo), "--out", str(out)]
    assert main(args + ["--detect", "--compare", "--device", "cpu"]) == 0
    printed = capsys.readouterr().out
    assert "2 face(s) found, 1 restored" in printed and "1 face(s) left as bicubic" in printed
    with Image.open(out / "group_faces_x8.png") as img:
        result = np.asarray(img)
    assert result.shape == (group.shape[0] * 8, group.shape[1] * 8, 3)
    bicubic = np.asarray(
        Image.fromarray(group).resize(result.shape[1::-1], Image.Resampling.BICUBIC)
    ).astype(int)
    changed = np.abs(result.astype(int) - bicubic).max(axis=2) > 3

    def around(t, r=30):
        cx, cy = (t.mean(0) + 0.5) * 8 - 0.5
        return changed[int(cy) - r : int(cy) + r, int(cx) - r : int(cx) + r]

    grace, astronaut = truth
    assert around(astronaut).mean() > 0.3  # the model's face was pasted where the face is
    assert not around(grace).any()  # the large face stayed bicubic
    assert not changed[-40:].any()  # the bottom rows are far from both faces
    for i in range(2):
        for kind, size in (("aligned_lr", (16, 16)), ("restored", (128, 128))):
            with Image.open(out / f"group_face{i}_{kind}.png") as img:
                assert img.size == size
        assert (out / f"group_face{i}_compare.png").is_file()


def test_prepare_faces_aligns_the_faces_of_photos(tmp_path, capsys):
    src = tmp_path / "photos"
    src.mkdir()
    group, _ = _group()
    Image.fromarray(group).save(src / "group.jpg", quality=95)
    Image.fromarray(np.full((200, 200, 3), 90, np.uint8)).save(src / "wall.png")
    dst = tmp_path / "faces"
    assert main(["prepare-faces", str(src), str(dst)]) == 0
    assert "2 faces from 2 images" in capsys.readouterr().out
    crops = sorted(p.name for p in dst.glob("*.png"))
    assert crops == ["group_0.png", "group_1.png"]
    info = json.loads((dst / "prepare_faces.json").read_text())
    assert info["without_faces"] == 1 and len(info["crops"]) == 2
    # the crops are usable as an HR folder right away, and look like the shipped aligned crops
    from aminet.data import build_dataset
    from aminet.data.realfaces import real_face

    ds = build_dataset(f"folder:{dst}", "test")
    assert len(ds) == 2 and ds[0]["hr"].shape == (3, 128, 128)
    with Image.open(dst / "group_0.png") as img:
        mine = np.asarray(img).astype(float)
    reference = real_face("grace_hopper").astype(float)
    assert np.abs(mine - reference).mean() < 40  # same face, same framing (estimated landmarks)
    # a second run refuses to mix with existing files; a too small --min-size is refused
    assert main(["prepare-faces", str(src), str(dst)]) == 2
    assert "not empty" in capsys.readouterr().err
    assert main(["prepare-faces", str(src), str(tmp_path / "x"), "--min-size", "4"]) == 2
