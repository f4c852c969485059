"""SynthFaces' natural_mix lever: shipped photos (never the evaluation faces) mixed into training."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("skimage", reason="natural_mix uses scikit-image's sample photos (dev extra)")

from aminet.data import SynthFaces, build_dataset  # noqa: E402
from aminet.data.synthfaces import NATURAL_IMAGES, natural_patch, soften  # noqa: E402


def test_natural_mix_replaces_a_fraction_of_training_faces_only():
    plain = SynthFaces("train", size=200)
    mixed = build_dataset("synthetic:natural=0.3", "train", limit=200)
    assert mixed.natural_mix == 0.3
    replaced = [i for i in range(200) if not np.array_equal(plain.image(i), mixed.image(i))]
    assert 40 <= len(replaced) <= 80  # about 30% of 200
    # deterministic: the same index is the same picture again
    again = build_dataset("synthetic:natural=0.3", "train", limit=200)
    assert np.array_equal(again.image(replaced[0]), mixed.image(replaced[0]))
    # validation and test stay pure SynthFaces
    val = build_dataset("synthetic:natural=0.3", "val", limit=8)
    assert val.natural_mix == 0.0
    assert all(np.array_equal(val.image(i), SynthFaces("val").image(i)) for i in range(8))
    assert mixed[replaced[0]]["hr"].shape == (3, 128, 128)


def test_natural_patches_exclude_the_evaluation_photo_and_bad_specs_fail():
    assert "astronaut" not in NATURAL_IMAGES
    patch = natural_patch(np.random.default_rng(0))
    assert patch.shape == (128, 128, 3) and patch.dtype == np.uint8 and patch.std() > 5
    from aminet.data.realfaces import real_face

    astronaut = real_face("astronaut")
    rng = np.random.default_rng(1)
    for _ in range(20):  # no patch is the astronaut's face
        assert np.abs(natural_patch(rng).astype(int) - astronaut).mean() > 10
    with pytest.raises(ValueError, match="natural=P"):
        build_dataset("synthetic:natural=lots", "train")
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        build_dataset("synthetic:natural=1.5", "train")


def test_camera_blur_softens_a_fraction_of_training_faces_only():
    plain = SynthFaces("train", size=100)
    both = build_dataset("synthetic:natural=0.2,blur=0.5", "train", limit=100)
    assert (both.natural_mix, both.camera_blur) == (0.2, 0.5)
    blur_only = build_dataset("synthetic:blur=0.5", "train", limit=100)
    changed = [i for i in range(100) if not np.array_equal(plain.image(i), blur_only.image(i))]
    assert 30 <= len(changed) <= 70  # about half
    i = changed[0]

    # softer: less energy in the pixel-to-pixel differences, the same mean colour
    def roughness(img):
        return np.abs(np.diff(img.astype(float), axis=1)).mean()

    sharp, soft = plain.image(i), blur_only.image(i)
    assert roughness(soft) < 0.95 * roughness(sharp)
    assert abs(soft.astype(float).mean() - sharp.astype(float).mean()) < 1.0
    assert roughness(soften(sharp, 1.2)) < roughness(soften(sharp, 0.4)) < roughness(sharp)
    # the blur decision has its own stream: natural picks are the same with or without blur
    natural = build_dataset("synthetic:natural=0.2", "train", limit=100)
    for j in range(100):
        if not np.array_equal(natural.image(j), plain.image(j)):  # a photo crop
            assert np.array_equal(natural.image(j), both.image(j))
    assert np.array_equal(blur_only.image(i), blur_only.image(i))  # deterministic
    assert build_dataset("synthetic:blur=0.5", "test", limit=4).camera_blur == 0.0


def test_training_accepts_the_synthetic_levers_and_names_bad_ones():
    from aminet.train import TrainConfig

    TrainConfig(data="synthetic:natural=0.15,blur=0.5").validate()
    for bad in ("synthetic:blur=2", "synthetic:sharpen=0.5", "synthetic:blur=0.5,blur=0.2"):
        with pytest.raises(ValueError, match=f"--data {bad}: expected synthetic or"):
            TrainConfig(data=bad).validate()
