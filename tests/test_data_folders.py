"""Real-data loaders on folders built on the fly: odd modes, odd sizes, broken files, CelebA layout."""

import json
import warnings

import numpy as np
import pytest
import torch
from PIL import Image

from aminet.cli import main
from aminet.data import BadImageError, FaceFolder, build_dataset, celeba_split_files, load_rgb
from aminet.data.prepare import prepare_celeba


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    """Tiny tensors: a second intra-op thread only adds overhead (and spins on a busy machine)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def _face(seed: int, h: int = 128, w: int = 128) -> np.ndarray:
    return (np.random.default_rng(seed).random((h, w, 3)) * 255).astype(np.uint8)


def _save(arr, path, mode=None):
    img = Image.fromarray(arr) if mode is None else Image.fromarray(arr, mode)
    img.save(path)
    return path


@pytest.fixture
def messy_folder(tmp_path):
    """Good files in several modes and sizes, plus broken, too-small and non-image files."""
    _save(_face(0), tmp_path / "a_rgb.png")
    _save(_face(1, 200, 150), tmp_path / "b_large.jpg")
    _save(np.full((128, 128), 77, np.uint8), tmp_path / "c_gray.png")
    rgba = np.zeros((128, 128, 4), np.uint8)
    rgba[:64, :, :] = [255, 0, 0, 255]  # opaque red top half, transparent bottom half
    _save(rgba, tmp_path / "d_rgba.png")
    sixteen = np.full((128, 128), 32896, np.uint16)  # 32896 / 65535 = 128 / 255
    Image.fromarray(sixteen).save(tmp_path / "e_16bit.png")
    (tmp_path / "f_corrupt.png").write_bytes(b"\x89PNG\r\n\x1a\n this is not an image")
    good_jpg = tmp_path / "tmp.jpg"
    _save(_face(2), good_jpg)
    (tmp_path / "g_truncated.jpg").write_bytes(good_jpg.read_bytes()[:600])
    good_jpg.unlink()
    _save(_face(3, 64, 64), tmp_path / "h_small.png")
    (tmp_path / "notes.txt").write_text("not an image")
    return tmp_path


def test_messy_folder_loads_the_good_files_and_names_the_bad_ones(messy_folder):
    with pytest.warns(UserWarning) as record:
        ds = build_dataset(f"folder:{messy_folder}", "test")
    messages = " ".join(str(w.message) for w in record)
    for bad in ("f_corrupt.png", "g_truncated.jpg", "h_small.png"):
        assert bad in messages
    assert "64x64 is smaller than 128x128" in messages
    assert [p.name for p in ds.files] == [
        "a_rgb.png",
        "b_large.jpg",
        "c_gray.png",
        "d_rgba.png",
        "e_16bit.png",
    ]
    assert {p.name for p, _ in ds.skipped} == {"f_corrupt.png", "g_truncated.jpg", "h_small.png"}
    for i in range(len(ds)):
        item = ds[i]
        assert item["hr"].shape == item["input"].shape == (3, 128, 128)
        assert item["lr"].shape == (3, 16, 16)
        assert 0 <= item["hr"].min() and item["hr"].max() <= 1
    gray = ds[2]["hr"]
    torch.testing.assert_close(gray, torch.full_like(gray, 77 / 255))
    rgba = ds[3]["hr"]
    torch.testing.assert_close(rgba[:, 10, 10], torch.tensor([1.0, 0.0, 0.0]))
    torch.testing.assert_close(rgba[:, 100, 10], torch.ones(3))  # transparent -> white
    torch.testing.assert_close(ds[4]["hr"], torch.full((3, 128, 128), 128 / 255))


def test_other_sizes_are_centre_cropped_then_resized(tmp_path):
    arr = np.zeros((300, 200, 3), np.uint8)
    arr[50:250] = 255  # the central 200x200 square is white, the top and bottom bands black
    _save(arr, tmp_path / "tall.png")
    hr = build_dataset(f"folder:{tmp_path}", "test")[0]["hr"]
    assert hr.shape == (3, 128, 128)
    assert hr.min() > 0.99  # the black bands were cropped away


def test_load_rgb_errors_name_the_file(messy_folder):
    with pytest.raises(BadImageError, match="f_corrupt.png"):
        load_rgb(messy_folder / "f_corrupt.png")
    with pytest.raises(BadImageError, match="g_truncated.jpg"):
        load_rgb(messy_folder / "g_truncated.jpg")
    with pytest.raises(FileNotFoundError):
        load_rgb(messy_folder / "missing.png")


def test_unchecked_folder_fails_with_the_file_name_when_read(messy_folder):
    ds = FaceFolder(messy_folder, check=False)
    index = [p.name for p in ds.files].index("f_corrupt.png")
    with pytest.raises(BadImageError, match="f_corrupt.png"):
        ds[index]


def test_empty_and_all_bad_folders(tmp_path):
    with pytest.raises(FileNotFoundError, match="no usable images"):
        build_dataset(f"folder:{tmp_path}", "test")
    (tmp_path / "x.png").write_bytes(b"garbage")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(FileNotFoundError, match="1 unusable files skipped"):
            build_dataset(f"folder:{tmp_path}", "test")


def test_split_subfolders_are_used_when_present(tmp_path):
    for split, n in (("train", 3), ("test", 2)):
        (tmp_path / split).mkdir()
        for i in range(n):
            _save(_face(i), tmp_path / split / f"{i}.png")
    assert len(build_dataset(f"folder:{tmp_path}", "train")) == 3
    assert len(build_dataset(f"folder:{tmp_path}", "test")) == 2
    assert len(build_dataset(f"folder:{tmp_path}", "test", limit=1)) == 1


def test_flip_augmentation_on_folders(tmp_path):
    _save(_face(0), tmp_path / "0.png")
    plain = build_dataset(f"folder:{tmp_path}", "train")[0]["hr"]
    ds = build_dataset(f"folder:{tmp_path}", "train", augment=True)
    torch.manual_seed(0)
    seen = {bool(torch.equal(ds[0]["hr"], plain.flip(-1))) for _ in range(12)}
    assert seen == {True, False}


def test_lr_only_folder_for_inference(tmp_path):
    _save(_face(0, 16, 16), tmp_path / "tiny.png")
    _save(_face(1, 30, 40), tmp_path / "other.png")
    ds = build_dataset(f"lr:{tmp_path}", "test")
    for i in range(2):
        item = ds[i]
        assert set(item) == {"lr", "input", "name"}
        assert item["lr"].shape == (3, 16, 16) and item["input"].shape == (3, 128, 128)
    tiny = ds[[p.name for p in ds.files].index("tiny.png")]["lr"]
    torch.testing.assert_close(tiny, torch.from_numpy(_face(0, 16, 16)).permute(2, 0, 1) / 255)


def _fake_celeba(root, n_per_partition=(4, 2, 3)):
    """A miniature of CelebA's layout: 178x218 JPEGs and the official partition file."""
    images = root / "img_align_celeba"
    images.mkdir(parents=True)
    lines, k = [], 0
    for partition, n in enumerate(n_per_partition):
        for _ in range(n):
            k += 1
            name = f"{k:06d}.jpg"
            arr = _face(k, 218, 178)
            arr[:20] = 0  # the rows the crop removes
            arr[198:] = 0
            _save(arr, images / name)
            lines.append(f"{name} {partition}")
    (root / "list_eval_partition.txt").write_text("\n".join(lines) + "\n")
    return root


def test_raw_celeba_split_selection_and_crop(tmp_path):
    root = _fake_celeba(tmp_path / "celeba")
    assert [p.name for p in celeba_split_files(root, "train")] == [
        f"{i:06d}.jpg" for i in range(1, 5)
    ]
    assert [p.name for p in celeba_split_files(root, "test")] == [
        "000007.jpg",
        "000008.jpg",
        "000009.jpg",
    ]
    ds = build_dataset(f"celeba:{root}", "val")
    assert len(ds) == 2
    item = ds[0]
    assert item["hr"].shape == (3, 128, 128) and item["name"] == "000005"
    assert item["hr"][:, :3].mean() > 0.2  # the black bands were outside the crop


def test_celeba_missing_or_broken_partition_file(tmp_path):
    root = _fake_celeba(tmp_path / "celeba")
    (root / "list_eval_partition.txt").unlink()
    with pytest.raises(FileNotFoundError, match="list_eval_partition.txt"):
        build_dataset(f"celeba:{root}", "test")
    (root / "list_eval_partition.txt").write_text("000001.jpg 0\n000002.jpg train\n")
    with pytest.raises(ValueError, match=r"list_eval_partition.txt:2"):
        build_dataset(f"celeba:{root}", "train")
    (tmp_path / "empty").mkdir()  # (tmp_path itself is torchvision's layout: celeba/ inside)
    with pytest.raises(FileNotFoundError, match="neither a prepared CelebA folder"):
        build_dataset(f"celeba:{tmp_path / 'empty'}", "test")


def test_prepare_celeba_writes_deterministic_128px_splits(tmp_path):
    root = _fake_celeba(tmp_path / "celeba")
    (root / "img_align_celeba" / "000002.jpg").write_bytes(b"broken")  # skipped, next one used
    with pytest.warns(UserWarning, match="000002.jpg"):
        summary = prepare_celeba(
            root, tmp_path / "out", counts={"train": 3, "val": 1, "test": 2}, progress=False
        )
    assert summary["splits"]["train"]["count"] == 3
    train = sorted(p.name for p in (tmp_path / "out" / "train").iterdir())
    assert train == ["000001.png", "000003.png", "000004.png"]
    assert sorted(p.name for p in (tmp_path / "out" / "test").iterdir()) == [
        "000007.png",
        "000008.png",
    ]
    with Image.open(tmp_path / "out" / "train" / "000001.png") as img:
        assert img.size == (128, 128) and img.mode == "RGB"
    # the prepared folder is what celeba:DIR then reads; the crop matches the raw loader's
    prepared = build_dataset(f"celeba:{tmp_path / 'out'}", "test")
    raw = build_dataset(f"celeba:{root}", "test")
    assert len(prepared) == 2
    torch.testing.assert_close(prepared[0]["hr"], raw[0]["hr"])
    info = json.loads((tmp_path / "out" / "prepare_celeba.json").read_text())
    assert info["splits"]["train"]["skipped"][0].endswith("000002.jpg")


def test_prepare_celeba_cli(tmp_path, capsys):
    root = _fake_celeba(tmp_path / "celeba")
    out = tmp_path / "out"
    assert (
        main(["prepare-celeba", str(root), str(out), "--train", "2", "--val", "0", "--test", "1"])
        == 0
    )
    assert "train: 2 faces" in capsys.readouterr().out
    first = (out / "train" / "000001.png").read_bytes()
    # a second run refuses to mix with existing files, and --overwrite reproduces them exactly
    assert main(["prepare-celeba", str(root), str(out)]) == 2
    assert "not empty" in capsys.readouterr().err
    assert (
        main(
            [
                "prepare-celeba",
                str(root),
                str(out),
                "--train",
                "2",
                "--val",
                "0",
                "--test",
                "1",
                "--overwrite",
            ]
        )
        == 0
    )
    assert (out / "train" / "000001.png").read_bytes() == first
    assert main(["prepare-celeba", str(tmp_path / "nowhere"), str(tmp_path / "o2")]) == 2
    assert "img_align_celeba" in capsys.readouterr().err


def test_precropped_flat_celeba_folder(tmp_path):
    """A folder of faces already cropped to 128 (PNG, CelebA names) with the partition file."""
    for k in range(1, 5):
        _save(_face(k), tmp_path / f"{k:06d}.png")
    (tmp_path / "list_eval_partition.txt").write_text(
        "000001.jpg 0\n000002.jpg 0\n000003.jpg 2\n000004.jpg 1\n"
    )
    train = build_dataset(f"celeba:{tmp_path}", "train")
    assert [p.name for p in train.files] == ["000001.png", "000002.png"]
    torch.testing.assert_close(train[0]["hr"], torch.from_numpy(_face(1)).permute(2, 0, 1) / 255)
    assert [p.name for p in build_dataset(f"celeba:{tmp_path}", "test").files] == ["000003.png"]
    (tmp_path / "list_eval_partition.txt").unlink()
    with pytest.raises(FileNotFoundError, match="folder:"):
        build_dataset(f"celeba:{tmp_path}", "test")


def test_a_gif_in_a_folder_is_an_image_read_from_its_first_frame(tmp_path):
    from PIL import Image

    from aminet.data.datasets import load_rgb, scan_images

    frames = [Image.new("RGB", (40, 40), colour) for colour in ((200, 30, 30), (30, 200, 30))]
    frames[0].save(tmp_path / "anim.gif", save_all=True, append_images=frames[1:])
    (tmp_path / "notes.txt").write_text("not an image")
    found, skipped = scan_images(tmp_path)
    assert found == [tmp_path / "anim.gif"] and skipped == []
    first = load_rgb(tmp_path / "anim.gif")
    assert first.shape == (40, 40, 3) and first[..., 0].mean() > 150 > first[..., 1].mean()
