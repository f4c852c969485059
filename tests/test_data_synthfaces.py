"""SynthFaces: deterministic, varied, face-shaped, with detail that bicubic cannot recover."""

import numpy as np
import pytest
import torch

from aminet.data import SPLIT_SIZES, SynthFaces, build_dataset, degrade


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    """Tiny tensors: a second intra-op thread only adds overhead (and spins on a busy machine)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def test_split_sizes_follow_the_paper():
    assert SPLIT_SIZES == {"train": 18_000, "val": 200, "test": 1_000}
    assert len(SynthFaces("train")) == 18_000 and len(SynthFaces("test")) == 1_000
    assert len(build_dataset("synthetic", "val")) == 200


def test_items_have_the_contract_shapes_and_range():
    item = SynthFaces("test")[3]
    assert item["name"] == "synth_test_00003"
    assert item["lr"].shape == (3, 16, 16)
    assert item["input"].shape == item["hr"].shape == (3, 128, 128)
    for key in ("lr", "input", "hr"):
        assert item[key].dtype == torch.float32
        assert 0 <= item[key].min() and item[key].max() <= 1
    lr, up = degrade(item["hr"], quantize=True)
    torch.testing.assert_close(item["lr"], lr)
    torch.testing.assert_close(item["input"], up)


def test_deterministic_by_seed_split_and_index():
    a, b = SynthFaces("test"), SynthFaces("test")
    np.testing.assert_array_equal(a.image(7), b.image(7))
    assert not np.array_equal(a.image(7), a.image(8))
    assert not np.array_equal(a.image(7), SynthFaces("train").image(7))
    assert not np.array_equal(a.image(7), SynthFaces("test", seed=1).image(7))
    # order of access does not matter
    first = SynthFaces("val").image(5)
    fresh = SynthFaces("val")
    fresh.image(0)
    np.testing.assert_array_equal(fresh.image(5), first)


def test_faces_are_varied():
    imgs = np.stack([SynthFaces("test").image(i) for i in range(12)]).astype(np.float32)
    # mean colours differ between faces, and no two faces are near duplicates
    assert imgs.reshape(12, -1, 3).mean(1).std(0).min() > 5
    flat = imgs.reshape(12, -1)
    dists = np.abs(flat[:, None] - flat[None]).mean(-1)
    assert dists[~np.eye(12, dtype=bool)].min() > 10


def test_average_face_has_eyes_and_mouth_where_a_face_has_them():
    """Structure check on the mean of 24 faces (pose jitter averages out): the two eye regions
    and the mouth are darker than the cheeks between them."""
    mean = (
        np.stack([SynthFaces("test").image(i) for i in range(24)]).astype(np.float32).mean((0, 3))
    )
    cheeks = mean[70:78, 50:78].mean()
    left_eye, right_eye = mean[56:66, 44:56].mean(), mean[56:66, 72:84].mean()
    mouth = mean[88:96, 56:72].mean()
    assert max(left_eye, right_eye, mouth) < cheeks - 15


def test_fine_detail_is_lost_by_bicubic():
    """SR has something to learn: the bicubic input misses clearly more high-frequency energy."""
    item = SynthFaces("test")[0]
    lap = torch.tensor([[0, 1, 0], [1, -4, 1], [0, 1, 0]], dtype=torch.float32).view(1, 1, 3, 3)

    def hf(x):
        return torch.nn.functional.conv2d(x.mean(0, keepdim=True)[None], lap).abs().mean()

    assert hf(item["hr"]) > 3 * hf(item["input"])


def test_flip_augmentation_mirrors_the_face():
    torch.manual_seed(0)
    plain = SynthFaces("train", size=4)[2]["hr"]
    flipped = SynthFaces("train", size=4, augment=True)
    seen = {bool(torch.equal(flipped[2]["hr"], plain.flip(-1))) for _ in range(12)}
    assert seen == {True, False}


def test_bad_arguments():
    with pytest.raises(ValueError, match="unknown split"):
        SynthFaces("training")
    with pytest.raises(IndexError):
        SynthFaces("test", size=3).image(3)
    with pytest.raises(ValueError, match="unknown dataset spec"):
        build_dataset("imagenet", "test")
    with pytest.raises(ValueError, match="limit"):
        build_dataset("synthetic", "test", limit=0)


def test_limit_caps_the_split():
    assert len(build_dataset("synthetic", "test", limit=5)) == 5
    assert len(build_dataset("synthetic", "val", limit=10_000)) == 200


def test_speed_and_grid_tool(tmp_path, capsys):
    from PIL import Image

    from aminet.data.__main__ import main

    main(
        [
            "--n",
            "2",
            "--repeat",
            "1",
            "--rows",
            "1",
            "--cols",
            "2",
            "--with-lr",
            "--grid",
            str(tmp_path / "g.png"),
        ]
    )
    out = capsys.readouterr().out
    assert "faces per CPU-second" in out and "render + degrade" in out
    with Image.open(tmp_path / "g.png") as grid:
        assert grid.size == (256, 256)  # 2 faces wide, HR above its bicubic input
