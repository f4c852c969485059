"""Colab as it is: one VM per notebook, Drive as the only shared disk, `!aminet` in subprocesses.

No test needs Colab: a fake ``google.colab`` module (whose ``drive.mount`` creates ``MyDrive``)
and a temporary folder standing in for Google Drive (``AMINET_DRIVE``).
"""

from __future__ import annotations

import subprocess
import sys
import types
from pathlib import Path

import pytest

from aminet import colab

ROOT = Path(__file__).resolve().parents[1]
COLAB_VARIABLES = (*colab.COLAB_RUNTIME_VARIABLES, colab.COLAB_ENV, colab.RUNS_ENV, colab.DRIVE_ENV)


@pytest.fixture
def not_colab(monkeypatch):
    for name in COLAB_VARIABLES:
        # setenv first, so monkeypatch restores the variable's absence after the test even when
        # the test's code (mark_colab) sets it directly in os.environ
        monkeypatch.setenv(name, "")
        monkeypatch.delenv(name)
    monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    return monkeypatch


@pytest.fixture
def fake_colab(not_colab, tmp_path):
    """google.colab imported (as Colab does at start-up) and a temporary Google Drive."""
    mounts = []

    def mount(mountpoint, force_remount=False, **kwargs):
        mounts.append(mountpoint)
        (Path(mountpoint) / "MyDrive").mkdir(parents=True, exist_ok=True)

    drive = types.SimpleNamespace(mount=mount)
    package = types.ModuleType("google.colab")
    package.drive = drive
    not_colab.setitem(sys.modules, "google.colab", package)
    not_colab.setitem(sys.modules, "google.colab.drive", drive)
    not_colab.setenv(colab.DRIVE_ENV, str(tmp_path / "drive"))
    return mounts


def test_detection(not_colab):
    assert not colab.on_colab()
    not_colab.setenv("COLAB_RELEASE_TAG", "release-colab_20260101-060000_RC00")
    assert colab.on_colab()  # what Colab's runtime exports to every process
    not_colab.setenv(colab.COLAB_ENV, "0")
    assert not colab.on_colab()  # explicit off wins
    not_colab.delenv("COLAB_RELEASE_TAG")
    not_colab.setenv(colab.COLAB_ENV, "1")
    assert colab.on_colab()


def test_detection_in_a_bang_subprocess(fake_colab):
    """`!aminet ...` runs in a child process that never imported google.colab."""
    probe = "from aminet.colab import on_colab; from aminet.weights import downloads_allowed; print(on_colab(), downloads_allowed())"
    env = {k: v for k, v in __import__("os").environ.items() if k not in COLAB_VARIABLES}
    env["PYTHONPATH"] = str(ROOT)
    env.pop("AMINET_DOWNLOAD", None)

    def child(extra):
        done = subprocess.run(
            [sys.executable, "-c", probe], env={**env, **extra}, capture_output=True, text=True
        )
        assert done.returncode == 0, done.stderr
        return done.stdout.split()

    assert child({}) == ["False", "False"]
    assert child({"COLAB_GPU": "1"}) == ["True", "True"]  # Colab's own variables
    colab.mark_colab()  # what runs_dir() and the setup cell do in the kernel
    import os

    assert os.environ[colab.COLAB_ENV] == "1"
    assert child({colab.COLAB_ENV: os.environ[colab.COLAB_ENV]}) == ["True", "True"]


def test_runs_dir_mounts_drive_once_and_says_why(fake_colab, tmp_path, capsys):
    runs = colab.runs_dir()
    assert runs == tmp_path / "drive" / "MyDrive" / "aminet-runs" and runs.is_dir()
    out = capsys.readouterr().out
    assert "mounting your Google Drive" in out and "07, 08 and 10" in out and "permission" in out
    assert "(on Google Drive: kept across sessions)" in out
    assert fake_colab == [str(tmp_path / "drive")]
    assert colab.runs_dir() == runs and len(fake_colab) == 1  # mounted already: no second prompt
    assert colab.on_drive(runs / "l1" / "best.pt") and not colab.on_drive(tmp_path / "elsewhere")


def test_a_refused_mount_is_one_message_with_the_way_out(fake_colab, not_colab):
    def refuse(mountpoint, **kwargs):
        raise ValueError("mount failed")

    not_colab.setattr(sys.modules["google.colab"].drive, "mount", refuse)
    with pytest.raises(RuntimeError, match="not mounted.*allow access.*AMINET_RUNS"):
        colab.runs_dir()


def test_runs_dir_elsewhere(not_colab, tmp_path):
    not_colab.chdir(tmp_path)
    not_colab.setenv("AMINET_PRESET", "smoke")
    first, second = colab.runs_dir(), colab.runs_dir()
    assert first != second and first.is_dir() and not first.is_relative_to(tmp_path)  # fresh temps
    not_colab.setenv("AMINET_PRESET", "default")
    assert colab.runs_dir() == Path("runs") and (tmp_path / "runs").is_dir()
    not_colab.setenv(colab.RUNS_ENV, str(tmp_path / "mine"))
    assert colab.runs_dir() == tmp_path / "mine"


FAKE_COLAB_PACKAGE = {
    "google/colab/__init__.py": "from google.colab import drive  # noqa: F401\n",
    "google/colab/drive.py": (
        "from pathlib import Path\n\n\n"
        "def mount(mountpoint, force_remount=False, **kwargs):\n"
        "    print('fake Drive mounted at', mountpoint)\n"
        "    (Path(mountpoint) / 'MyDrive').mkdir(parents=True, exist_ok=True)\n"
    ),
}


@pytest.mark.slow
def test_07_then_08_on_two_colab_vms_share_the_checkpoint_through_drive(not_colab, tmp_path):
    """Each notebook on its own VM (own kernel, own disk); only the Drive folder is shared."""
    from test_inline_figures import execute_inline, images, text_of

    fake = tmp_path / "fake-colab"
    for rel, text in FAKE_COLAB_PACKAGE.items():
        (fake / rel).parent.mkdir(parents=True, exist_ok=True)
        (fake / rel).write_text(text)
    drive = tmp_path / "drive"
    env = {colab.DRIVE_ENV: str(drive), "PYTHONPATH": f"{fake}:{ROOT}"}
    prelude = "import google.colab  # Colab imports it at start-up"

    vm1, vm2 = tmp_path / "vm1", tmp_path / "vm2"
    vm1.mkdir()
    vm2.mkdir()
    nb07 = execute_inline(ROOT / "solutions/07_training.py", vm1, env=env, prelude=prelude)
    out07 = "".join(text_of(c) for c in nb07.cells)
    assert "mounting your Google Drive" in out07
    best = drive / "MyDrive" / "aminet-runs" / "l1" / "best.pt"
    assert best.is_file(), "07 must save its checkpoint on Drive"
    assert not (vm1 / "runs").exists()

    nb08 = execute_inline(ROOT / "solutions/08_amigan.py", vm2, env=env, prelude=prelude)
    out08 = "".join(text_of(c) for c in nb08.cells)
    assert f"found notebook 07's checkpoint on Google Drive: {best}" in out08
    assert f"generator starts from {best}" in out08
    assert (drive / "MyDrive" / "aminet-runs" / "amigan" / "last.pt").is_file()
    shown = [c for c in nb08.cells if c.cell_type == "code" and "plt.show()" in c.source]
    assert shown and all(images(c) for c in shown)


def test_a_run_that_reaches_its_time_budget_ends_normally(tmp_path):
    """What notebooks 07 and 08 assert after a GPU run with `minutes=` holds at a budget end."""
    from aminet.train import preset_config, train

    tiny = dict(num_bottleneck=1, hourglass_depths=(1, 1, 1, 1))
    kwargs = dict(preset_config("smoke").model_kwargs, **tiny)
    config = preset_config(
        "smoke", model_kwargs=kwargs, steps=50, minutes=1e-6, val_limit=1, out=str(tmp_path / "l1")
    )
    history = train(config)
    # a budget end is a normal end: "completed", and ended_by says why it stopped
    assert history["status"] == "completed" and history["ended_by"] == "time budget"
    assert 1 <= history["steps"] < 50
    assert len(history["loss"]) == history["steps"]
    assert history["val_step"][-1] == history["steps"]  # a final validation, as at a last step
    for name in ("best.pt", "last.pt", "log.jsonl", "curves.png", "config.json"):
        assert (tmp_path / "l1" / name).is_file(), name


def test_aminet_runs_naming_a_file_is_a_clear_error(not_colab, tmp_path):
    afile = tmp_path / "runs.txt"
    afile.write_text("x")
    not_colab.setenv(colab.RUNS_ENV, str(afile))
    with pytest.raises(NotADirectoryError, match=f"AMINET_RUNS={afile} is a file, not a folder"):
        colab.runs_dir()
