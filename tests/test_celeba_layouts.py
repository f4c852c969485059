"""CelebA the way students get it: official/torchvision, Kaggle (nested, CSV) and an exported
Hugging Face mirror, each as a small fake tree; ``celeba:DIR`` and ``prepare-celeba`` on all."""

from __future__ import annotations

import json
import sys

import numpy as np
import pytest
import torch
from PIL import Image

from aminet.cli import main
from aminet.data import build_dataset, celeba_split_files
from aminet.data.prepare import bicubic_psnr_y, prepare_celeba

PARTITION = (4, 2, 3)  # train, val, test images of the fake trees


def _face(k: int) -> np.ndarray:
    rng = np.random.default_rng(k)
    arr = np.zeros((218, 178, 3), np.uint8)
    yy, xx = np.mgrid[0:178, 0:178]
    face = 120 + 60 * np.sin(xx / (5 + k)) * np.cos(yy / 7)
    arr[20:198] = np.clip(face[..., None] + rng.integers(0, 30, (178, 178, 3)), 0, 255)
    return arr  # rows 0-19 and 198-217 black: outside the crop


def _images(folder, names):
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        Image.fromarray(_face(int(name[:6]))).save(folder / name, quality=95)


def _names():
    names, parts, k = [], [], 0
    for partition, n in enumerate(PARTITION):
        for _ in range(n):
            k += 1
            names.append(f"{k:06d}.jpg")
            parts.append(partition)
    return names, parts


def official(root):
    names, parts = _names()
    _images(root / "img_align_celeba", names)
    (root / "Eval").mkdir(parents=True)
    lines = [f"{n} {p}" for n, p in zip(names, parts)]
    (root / "Eval" / "list_eval_partition.txt").write_text("\n".join(lines) + "\n")
    return root


def torchvision_layout(root):
    names, parts = _names()
    _images(root / "celeba" / "img_align_celeba", names)
    lines = [f"{n} {p}" for n, p in zip(names, parts)]
    (root / "celeba" / "list_eval_partition.txt").write_text("\n".join(lines) + "\n")
    return root


def kaggle(root):
    names, parts = _names()
    _images(root / "img_align_celeba" / "img_align_celeba", names)
    lines = ["image_id,partition"] + [f"{n},{p}" for n, p in zip(names, parts)]
    (root / "list_eval_partition.csv").write_text("\n".join(lines) + "\n")
    return root


def hf_export(root):
    """What the notebook cell writes from a Hugging Face mirror: split folders, no partition."""
    names, parts = _names()
    folders = {0: "train", 1: "valid", 2: "test"}
    for name, part in zip(names, parts):
        _images(root / folders[part], [name])
    return root


LAYOUTS = [official, torchvision_layout, kaggle, hf_export]


@pytest.mark.parametrize("layout", LAYOUTS, ids=lambda f: f.__name__)
def test_celeba_spec_reads_every_layout_with_the_same_crop(tmp_path, layout):
    root = layout(tmp_path / "celeba")
    reference = official(tmp_path / "reference")
    for split, n in zip(("train", "val", "test"), PARTITION):
        ds = build_dataset(f"celeba:{root}", split)
        ref = build_dataset(f"celeba:{reference}", split)
        assert len(ds) == n
        assert [ds[i]["name"] for i in range(n)] == [ref[i]["name"] for i in range(n)]
        torch.testing.assert_close(ds[0]["hr"], ref[0]["hr"])
        assert ds[0]["hr"][:, :3].mean() > 0.2  # the black bands were outside the crop


@pytest.mark.parametrize("layout", [official, torchvision_layout, kaggle], ids=lambda f: f.__name__)
def test_split_files_follow_the_partition(tmp_path, layout):
    root = layout(tmp_path / "celeba")
    assert [p.name for p in celeba_split_files(root, "test")] == [
        "000007.jpg",
        "000008.jpg",
        "000009.jpg",
    ]


@pytest.mark.parametrize("layout", LAYOUTS, ids=lambda f: f.__name__)
def test_prepare_celeba_from_every_layout_gives_the_same_files(tmp_path, layout, capsys):
    root = layout(tmp_path / "celeba")
    out = tmp_path / "out"
    code = main(
        ["prepare-celeba", str(root), str(out), "--train", "2", "--val", "1", "--test", "3"]
    )
    assert code == 0
    printed = capsys.readouterr().out
    assert "bicubic x8 on the prepared test split: PSNR-Y" in printed and "23.61 dB" in printed
    reference = prepare_celeba(
        official(tmp_path / "ref"),
        tmp_path / "ref_out",
        counts={"train": 2, "val": 1, "test": 3},
        progress=False,
    )
    for split in ("train", "val", "test"):
        mine = sorted(p.name for p in (out / split).iterdir())
        theirs = sorted(p.name for p in (tmp_path / "ref_out" / split).iterdir())
        assert mine == theirs
        for name in mine:
            assert (out / split / name).read_bytes() == (
                tmp_path / "ref_out" / split / name
            ).read_bytes()
    info = json.loads((out / "prepare_celeba.json").read_text())
    assert info["bicubic_psnr_y_test"] == pytest.approx(reference["bicubic_psnr_y_test"])
    assert info["bicubic_psnr_y_test"] == pytest.approx(bicubic_psnr_y(out / "test"))
    assert 10 < info["bicubic_psnr_y_test"] < 40


def test_bicubic_psnr_y_is_the_evaluation_protocol(tmp_path):
    from aminet.data import FaceFolder
    from aminet.evaluation import evaluate
    from aminet.registry import create_model

    root = official(tmp_path / "celeba")
    prepare_celeba(root, tmp_path / "out", counts={"train": 0, "val": 0, "test": 3}, progress=False)
    expected = evaluate(
        create_model("bicubic"), FaceFolder(tmp_path / "out" / "test"), vif=False, progress=False
    )["psnr_y"]
    assert bicubic_psnr_y(tmp_path / "out" / "test") == pytest.approx(expected, abs=1e-4)


def test_kaggle_csv_with_a_bad_line_names_it(tmp_path):
    root = kaggle(tmp_path / "celeba")
    (root / "list_eval_partition.csv").write_text("image_id,partition\n000001.jpg,0\n000002.jpg\n")
    with pytest.raises(ValueError, match=r"list_eval_partition.csv:3"):
        build_dataset(f"celeba:{root}", "train")


def test_download_celeba_refuses_offline(tmp_path, monkeypatch):
    from aminet.data.prepare import download_celeba

    monkeypatch.delenv("AMINET_DOWNLOAD", raising=False)
    monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    with pytest.raises(RuntimeError, match="AMINET_DOWNLOAD=1"):
        download_celeba(tmp_path)
    with pytest.raises(ValueError, match="source"):
        download_celeba(tmp_path, source="drive")


def test_download_celeba_kaggle_then_hf_fallback(tmp_path, monkeypatch):
    """The two routes with stand-ins for kagglehub and datasets (no network): Kaggle's tree is
    returned as is; when Kaggle fails, the Hugging Face export is a tree prepare-celeba reads."""
    import types

    from aminet.data.prepare import download_celeba

    monkeypatch.setenv("AMINET_DOWNLOAD", "1")
    kaggle_root = kaggle(tmp_path / "kaggle_cache")
    fake_kagglehub = types.SimpleNamespace(dataset_download=lambda handle: str(kaggle_root))
    monkeypatch.setitem(sys.modules, "kagglehub", fake_kagglehub)
    assert download_celeba(tmp_path / "x") == kaggle_root

    def no_token(handle):
        raise PermissionError("401: no Kaggle token")

    monkeypatch.setitem(sys.modules, "kagglehub", types.SimpleNamespace(dataset_download=no_token))
    asked = []

    def load_dataset(name, split):
        asked.append((name, split))
        n = int(split.split(":")[1].rstrip("]"))
        first = {"train": 1, "valid": 162_771, "test": 182_638}[split.split("[")[0]]
        return [{"image": Image.fromarray(_face((first + i) % 97))} for i in range(n)]

    monkeypatch.setitem(sys.modules, "datasets", types.SimpleNamespace(load_dataset=load_dataset))
    root = download_celeba(
        tmp_path / "hf", counts={"train": 2, "val": 1, "test": 2}, progress=False
    )
    assert ("flwrlabs/celeba", "test[:2]") in asked
    assert sorted(p.name for p in (root / "test").iterdir()) == ["182638.png", "182639.png"]
    summary = prepare_celeba(
        root, tmp_path / "prepared", counts={"train": 2, "val": 1, "test": 2}, progress=False
    )
    assert summary["splits"]["test"]["count"] == 2 and "bicubic_psnr_y_test" in summary
