"""Figures show in a live kernel: the notebooks that call the library before drawing, run as JupyterLab runs them.

conftest.py sets ``MPLBACKEND=Agg`` for everything else; these kernels get JupyterLab's inline
backend instead. A library call that switches the backend (``matplotlib.use("Agg")`` inside
``train``, for instance) made every later ``plt.show()`` of notebook 07 draw nothing: its
sample grid, curves and resume plot vanished. Here every cell that shows a figure must carry an
``image/png`` output, and the explorer of notebook 06 must be shown exactly once.

Also a static check: no library module switches the backend at all.
"""

from __future__ import annotations

import re
from pathlib import Path

import jupytext
import pytest

ROOT = Path(__file__).resolve().parents[1]
INLINE = "module://matplotlib_inline.backend_inline"
# the notebooks that train, and those that draw after a library call (06: the explorer)
NOTEBOOKS = ("06_unet", "07_training", "08_amigan", "10_ablations")
SHOWS_A_FIGURE = re.compile(r"^\s*(plt\.show\(\)|view = explore\()", re.M)


def execute_inline(path: Path, workdir: Path, env: dict | None = None, prelude: str = ""):
    """Execute a notebook the way JupyterLab does (inline backend, its own working folder)."""
    import os

    import nbformat
    from nbclient import NotebookClient

    nb = jupytext.read(path)
    if prelude:
        nb.cells.insert(0, nbformat.v4.new_code_cell(prelude))
    kernel_env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
    kernel_env.update(MPLBACKEND=INLINE, AMINET_PRESET="smoke", PYTHONPATH=str(ROOT))
    kernel_env.update(env or {})
    client = NotebookClient(
        nb,
        timeout=600,
        kernel_name="python3",
        resources={"metadata": {"path": str(workdir)}},
    )
    client.execute(env=kernel_env)
    return nb


def images(cell) -> int:
    return sum("image/png" in out.get("data", {}) for out in cell.get("outputs", []))


def text_of(cell) -> str:
    parts = []
    for out in cell.get("outputs", []):
        parts.append(out.get("text", ""))
        parts.append(out.get("data", {}).get("text/plain", ""))
    return "".join(parts)


@pytest.mark.slow
@pytest.mark.parametrize("name", NOTEBOOKS)
def test_every_figure_shows_with_the_inline_backend(name, tmp_path):
    nb = execute_inline(ROOT / "solutions" / f"{name}.py", tmp_path)
    figure_cells = [
        c for c in nb.cells if c.cell_type == "code" and SHOWS_A_FIGURE.search(c.source)
    ]
    assert figure_cells, f"{name}: no cell shows a figure?"
    missing = [c.source.splitlines()[0] for c in figure_cells if images(c) == 0]
    assert not missing, f"{name}: {len(missing)} figure(s) vanished, in cells starting {missing}"
    if name == "06_unet":
        explorer = [c for c in figure_cells if "explore(" in c.source]
        assert len(explorer) == 1 and images(explorer[0]) == 1, "the explorer must show once"


def test_no_library_module_switches_the_plotting_backend():
    switching = re.compile(r"matplotlib\.use\(|switch_backend\(")
    offenders = [
        path.relative_to(ROOT).as_posix()
        for path in (ROOT / "aminet").rglob("*.py")
        if switching.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []


def test_saving_curves_leaves_pyplot_and_the_backend_alone(tmp_path):
    import matplotlib
    import matplotlib.pyplot as plt

    from aminet.train import save_curves

    plt.close("all")
    backend = matplotlib.get_backend()
    fig = plt.figure()  # the student's open figure
    history = {"step": [1, 2, 3], "loss": [1.0, 0.5, 0.4], "val_step": [3], "val_psnr_y": [20.0]}
    path = save_curves(history, tmp_path / "curves.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert matplotlib.get_backend() == backend
    assert plt.get_fignums() == [fig.number], "save_curves must not open or close pyplot figures"
    plt.close(fig)
