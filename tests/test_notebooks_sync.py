"""The committed notebooks are exactly what ``aminet course release`` generates, and follow the course's rules.

If this fails after editing ``solutions/NN_name.py``: run ``aminet course release`` and commit (after
changing code cells: ``aminet course release --execute``, which also refreshes the solutions' outputs).
"""

from __future__ import annotations

import re
from pathlib import Path

import jupytext
import pytest

from aminet import course
from aminet.course.checks import EXERCISES
from aminet.course.grade import exercises_in
from aminet.course.release import BEGIN, check_release, solution_sources

ROOT = Path(__file__).resolve().parents[1]
SOURCES = solution_sources(ROOT)
MODULE_NOTEBOOKS = ("01", "02", "03", "04", "05", "06")


def test_there_are_solution_notebooks():
    numbers = {p.name[:2] for p in SOURCES}
    assert set(MODULE_NOTEBOOKS) <= numbers


def test_notebooks_are_in_sync_with_solutions():
    problems = check_release(ROOT)
    assert problems == [], (
        "run 'aminet course release' (--execute for stale outputs) and commit:\n"
        + "\n".join(f"{p.path}: {p.reason}" for p in problems)
    )


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.stem)
def test_notebook_follows_the_course_rules(source):
    solution = jupytext.read(source)
    student_path = ROOT / "notebooks" / source.name
    student = jupytext.read(student_path)
    text = source.read_text(encoding="utf-8")

    # Colab: a badge that opens this very notebook (or, with no public repository, what to do
    # instead), and the setup cell for the same repository, guarded by google.colab
    repo = course.repository(ROOT)
    assert course.colab_badge(f"solutions/{source.stem}.ipynb", repo) in text
    assert course.colab_badge(f"notebooks/{source.stem}.ipynb", repo) in student_path.read_text(
        encoding="utf-8"
    )
    assert course.install_cell(repo) in text
    assert '"google.colab" in sys.modules' in text
    assert "aminet-course/aminet" not in text, "the placeholder repository must not come back"
    assert "device" in text, "print the device"

    # Later notebooks import from aminet, never from earlier notebooks
    for cell in solution.cells:
        if cell.cell_type == "code":
            assert not re.search(
                r"^\s*(from|import)\s+(notebooks|solutions)\b|^\s*%run\b", cell.source, re.M
            )

    # Exercises: known ids; module notebooks have at least two; nothing of a solution is left
    ids = exercises_in(solution)
    assert all(i in EXERCISES for i in ids), ids
    if source.name[:2] in MODULE_NOTEBOOKS:
        assert len(ids) >= 2
    assert ids == exercises_in(student)
    assert all(BEGIN not in c.source for c in student.cells)


@pytest.mark.parametrize(
    "source", [p for p in SOURCES if p.name[:2] in MODULE_NOTEBOOKS], ids=lambda p: p.stem
)
def test_each_exercise_cell_is_followed_by_its_check(source):
    """The pattern that keeps student notebooks runnable: a stubbed function, then check(...)."""
    cells = [
        c for c in jupytext.read(ROOT / "notebooks" / source.name).cells if c.cell_type == "code"
    ]
    for i, cell in enumerate(cells):
        if "raise NotImplementedError()" in cell.source:
            name = re.search(r"^(?:def|class) (\w+)\b", cell.source, re.M).group(1)
            following = cells[i + 1].source
            assert re.search(rf"^{name} = check\(\"[\w.]+\", {name}\)", following, re.M), following
