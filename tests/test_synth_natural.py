"""SynthFaces' natural_mix lever: shipped photos (never the evaluation faces) mixed into training."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("skimage", reason="natural_mix uses scikit-image's sample photos (dev extra)")

from aminet.data import SynthFaces, build_dataset  # noqa: E402
from aminet.data.synthfaces import NATURAL_IMAGES, natural_patch  # noqa: E402


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
