"""aminet.io: atomic writes leave either the old file or the complete new one."""

from __future__ import annotations

import json

import pytest

from aminet.io import atomic_write, write_json_atomic, write_text_atomic


def test_writes_text_json_and_bytes(tmp_path):
    assert write_text_atomic(tmp_path / "a" / "t.md", "héllo\n").read_text("utf-8") == "héllo\n"
    assert json.loads(write_json_atomic(tmp_path / "r.json", {"x": [1, 2]}).read_text()) == {
        "x": [1, 2]
    }
    with atomic_write(tmp_path / "b.bin") as f:
        f.write(b"\x00\x01")
    assert (tmp_path / "b.bin").read_bytes() == b"\x00\x01"
    assert sorted(p.name for p in tmp_path.rglob("*.tmp")) == []


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path):
    target = write_text_atomic(tmp_path / "result.json", "old")
    with pytest.raises(RuntimeError, match="killed"):
        with atomic_write(target, "w") as f:
            f.write("half of the new")
            raise RuntimeError("killed mid-write")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["result.json"]
    with pytest.raises(TypeError):  # not JSON-serialisable: the old file survives
        write_json_atomic(target, {"bad": object()})
    assert target.read_text() == "old"


def test_mode_is_checked(tmp_path):
    with pytest.raises(ValueError, match="'wb' or 'w'"):
        with atomic_write(tmp_path / "x", "a"):
            pass
