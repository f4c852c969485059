"""Checkpoints: atomic writes, safe loads, clear errors, and models rebuilt from their names."""

from __future__ import annotations

import pickle

import pytest
import torch

from aminet.checkpoint import CheckpointError, load_checkpoint, load_model, save_checkpoint
from aminet.registry import create_model

TINY = dict(base_channels=8, hourglass_channels=8, num_heads=(1, 1, 1, 1))


def _tiny_state():
    torch.manual_seed(0)
    model = create_model("aminet", **TINY)
    return model, {
        "model_name": model.model_name,
        "model_kwargs": model.model_kwargs,
        "model": model.state_dict(),
        "step": 3,
    }


def test_round_trip_keeps_every_tensor_and_leaves_no_temporary_file(tmp_path):
    model, state = _tiny_state()
    path = save_checkpoint(state, tmp_path / "sub" / "last.pt")
    assert sorted(p.name for p in path.parent.iterdir()) == ["last.pt"]
    loaded = load_checkpoint(path)
    assert loaded["format"] == "aminet-checkpoint" and loaded["step"] == 3
    assert loaded["model_kwargs"]["num_heads"] == (1, 1, 1, 1)
    for key, value in model.state_dict().items():
        assert torch.equal(loaded["model"][key], value), key


def test_failed_save_keeps_the_previous_checkpoint(tmp_path):
    _, state = _tiny_state()
    path = save_checkpoint(state, tmp_path / "last.pt")
    before = path.read_bytes()
    with pytest.raises((AttributeError, TypeError, pickle.PicklingError)):  # lambdas do not pickle
        save_checkpoint({**state, "bad": lambda: None}, path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["last.pt"]


def test_load_model_rebuilds_the_same_network(tmp_path):
    model, state = _tiny_state()
    save_checkpoint(state, tmp_path / "best.pt")
    rebuilt = load_model(tmp_path / "best.pt")
    assert not rebuilt.training and rebuilt.model_name == "aminet"
    x = torch.rand(1, 3, 16, 16)
    model.eval()
    with torch.no_grad():
        assert torch.allclose(rebuilt(x), model(x))


def test_missing_file_names_the_path(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.pt"):
        load_checkpoint(tmp_path / "nope.pt")


def test_truncated_file_is_a_clear_error(tmp_path):
    _, state = _tiny_state()
    path = save_checkpoint(state, tmp_path / "last.pt")
    path.write_bytes(path.read_bytes()[:1000])
    with pytest.raises(CheckpointError, match="not a readable checkpoint"):
        load_checkpoint(path)


def test_foreign_files_are_rejected(tmp_path):
    plain = tmp_path / "plain.pt"
    torch.save({"weights": torch.zeros(2)}, plain)
    with pytest.raises(CheckpointError, match="not an aminet checkpoint"):
        load_checkpoint(plain)
    text = tmp_path / "notes.pt"
    text.write_text("hello")
    with pytest.raises(CheckpointError):
        load_checkpoint(text)


class _Payload:
    def __reduce__(self):  # what a malicious pickle does: run code on load
        return (print, ("pwned",))


def test_files_that_are_no_torch_archive_are_not_called_pickles(tmp_path):
    """An image, text or random bytes is not "pickled Python objects": say what it is."""
    cases = {
        "face.png": b"\x89PNG\r\n\x1a\n" + bytes(64),
        "notes.pt": b"hello",  # torch's legacy loader answered a bare KeyError: '104'
        "noise.pt": bytes(range(256)) * 8,
    }
    for name, data in cases.items():
        path = tmp_path / name
        path.write_bytes(data)
        with pytest.raises(CheckpointError) as info:
            load_checkpoint(path)
        message = str(info.value)
        assert str(path) in message and "not the zip archive that torch.save writes" in message
        assert "pickled" not in message


@pytest.mark.skipif(not hasattr(__import__("os"), "mkfifo"), reason="no named pipes here")
def test_a_pipe_is_refused_without_waiting_on_it(tmp_path):
    import os

    pipe = tmp_path / "last.pt"
    os.mkfifo(pipe)  # torch.load would block here until something writes into it
    with pytest.raises(CheckpointError, match="not a regular file"):
        load_checkpoint(pipe)


def test_arbitrary_pickles_are_refused(tmp_path, capsys):
    path = tmp_path / "evil.pt"
    torch.save(
        {"format": "aminet-checkpoint", "model": {}, "x": _Payload()}, path, pickle_module=pickle
    )
    with pytest.raises(CheckpointError):
        load_checkpoint(path)
    assert "pwned" not in capsys.readouterr().out


def test_weights_that_do_not_fit_the_model(tmp_path):
    _, state = _tiny_state()
    state["model_kwargs"] = {**TINY, "base_channels": 16}
    save_checkpoint(state, tmp_path / "x.pt")
    with pytest.raises(CheckpointError, match="do not fit"):
        load_model(tmp_path / "x.pt")


def test_flipped_bytes_in_a_tensor_are_reported_as_corrupted(tmp_path):
    _, state = _tiny_state()
    marker = torch.arange(4096, dtype=torch.float32) + 12345.0  # bytes easy to find in the file
    path = save_checkpoint({**state, "marker": marker}, tmp_path / "last.pt")
    assert torch.equal(load_checkpoint(path)["marker"], marker)
    data = bytearray(path.read_bytes())
    at = data.find(marker.numpy().tobytes()[:64])
    assert at > 0
    data[at + 1001] ^= 0x40  # one bit of one weight, as a bad disk or a bad copy would
    path.write_bytes(bytes(data))
    with pytest.raises(CheckpointError, match="corrupted"):
        load_checkpoint(path)


def test_checkpoints_without_a_checksum_still_load(tmp_path):
    _, state = _tiny_state()
    path = tmp_path / "old.pt"
    torch.save({"format": "aminet-checkpoint", **state}, path)  # written before checksums
    assert load_checkpoint(path)["step"] == 3


def test_a_refused_pickle_is_called_unsafe_without_advice_to_disable_the_check(tmp_path):
    path = tmp_path / "evil.pt"
    torch.save({"format": "aminet-checkpoint", "model": {}, "x": _Payload()}, path)
    with pytest.raises(CheckpointError) as info:
        load_checkpoint(path)
    message = str(info.value)
    assert "not a safe aminet checkpoint" in message and str(path) in message
    assert "weights_only" not in message and "False" not in message


def test_bad_model_options_in_a_checkpoint_are_a_checkpoint_error(tmp_path):
    _, state = _tiny_state()
    save_checkpoint({**state, "model_kwargs": {**TINY, "wings": 2}}, tmp_path / "a.pt")
    with pytest.raises(CheckpointError, match="cannot build model 'aminet'.*wings"):
        load_model(tmp_path / "a.pt")
    save_checkpoint({**state, "model_kwargs": [1, 2]}, tmp_path / "b.pt")
    with pytest.raises(CheckpointError, match="must be a mapping"):
        load_model(tmp_path / "b.pt")


def test_stale_temporaries_are_removed_and_others_kept(tmp_path):
    from aminet.checkpoint import remove_stale_temporaries

    (tmp_path / ".last.pt.x1y2.tmp").write_bytes(b"\0" * 2048)
    (tmp_path / ".best.pt.k3.tmp").write_bytes(b"\0" * 1024)
    (tmp_path / "keep.tmp").write_bytes(b"mine")
    assert remove_stale_temporaries(tmp_path) == (2, 3072)
    assert [p.name for p in tmp_path.iterdir()] == ["keep.tmp"]
