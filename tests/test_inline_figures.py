"""Figures show in a live kernel: the notebooks that call the library before drawing, run as JupyterLab runs them.

conftest.py sets ``MPLBACKEND=Agg`` for everything else; these kernels get JupyterLab's inline
backend instead. A library call that switches the backend (``matplotlib.use("Agg")`` inside
``train``, for instance) made every later ``plt.show()`` of notebook 07 draw nothing: its
sample grid, curves and resume plot vanished. Here every cell that shows a figure (decided from
its code by ``figure_cells``, never from the outputs under test) must carry an ``image/png``
output, and the explorer of notebook 06 must be shown exactly once.

Executed this way: the notebooks that train (07, 08, 10) and those that draw after calling into the
library's data, benchmark and explorer code (00, 06, 09). The module notebooks 01-05 and the
capstone 11 are covered by the check of the committed solutions below: ``aminet course release
--execute`` runs every notebook with the inline backend, and ``--check`` (tests/
test_notebooks_sync.py) makes sure those outputs come from the current code.

Also a static check: no library module switches the backend at all.
"""

from __future__ import annotations

import re
from pathlib import Path

import jupytext
import nbformat
import pytest
from figure_cells import figure_cells, first_line, images

ROOT = Path(__file__).resolve().parents[1]
INLINE = "module://matplotlib_inline.backend_inline"
# the notebooks that train (07, 08, 10), and those that draw after a library call: 00 (the data
# pipeline and the evaluation), 06 (the explorer), 09 (aminet.bench)
NOTEBOOKS = (
    "00_setup_and_data",
    "06_unet",
    "07_training",
    "08_amigan",
    "09_benchmarking",
    "10_ablations",
)


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
    shown = [nb.cells[i] for i in figure_cells(nb.cells)]
    assert shown, f"{name}: no cell shows a figure?"
    missing = [first_line(c) for c in shown if images(c) == 0]
    assert not missing, f"{name}: {len(missing)} figure(s) vanished, in cells starting {missing}"
    if name == "06_unet":
        explorer = [c for c in shown if "explore(" in c.source]
        assert len(explorer) == 1 and images(explorer[0]) == 1, "the explorer must show once"


EXECUTED = sorted((ROOT / "solutions").glob("[0-9][0-9]_*.ipynb"))


@pytest.mark.parametrize("path", EXECUTED, ids=lambda p: p.stem)
def test_every_figure_is_in_the_committed_solutions(path):
    """Every notebook, as `aminet course release --execute` ran it (inline backend): the figures of
    01-05 and 11 and the diagrams of 01-06 are in the outputs that GitHub shows."""
    nb = nbformat.read(path, as_version=4)
    shown = [nb.cells[i] for i in figure_cells(nb.cells)]
    missing = [first_line(c) for c in shown if images(c) == 0]
    assert not missing, (
        f"solutions/{path.name}: {len(missing)} cell(s) that draw have no image, starting "
        f"{missing}; run 'aminet course release --execute'"
    )


def test_figure_cells_reads_the_code_not_the_outputs():
    cells = [
        nbformat.v4.new_code_cell(src)
        for src in (
            "import matplotlib.pyplot as plt\nfrom aminet.course import diagrams",
            "def show(x):\n    plt.imshow(x)\n    plt.show()",  # defines, shows nothing
            "show(img)",
            "fig, ax = plt.subplots()\nax.plot([1, 2])",  # inline shows the figure it made
            "diagrams.draw_sa(channels=8)",
            "view = explore(model, faces)",
            "for k in range(3):\n    print(k)\n!ls",
            "with torch.no_grad():\n    y = f(x)\nplt.show()",
        )
    ]
    assert figure_cells(cells) == [2, 3, 4, 5, 7]
    # a cell whose figure vanished is named
    cells[3].outputs = [nbformat.v4.new_output("stream", text="no figure")]
    assert [i for i in figure_cells(cells) if images(cells[i]) == 0] == [2, 3, 4, 5, 7]
    cells[3].outputs.append(
        nbformat.v4.new_output("display_data", data={"image/png": "iVBORw0KGgo="})
    )
    assert images(cells[3]) == 1


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
