"""``aminet course grade``: solutions score full marks, fresh student notebooks zero, mistakes fail.

Grading executes notebooks in a kernel, so most tests use a tiny notebook; one test grades the real
notebook 05 (the quickest module notebook) in both versions.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from aminet.cli import main
from aminet.course.grade import exercises_in, format_table, grade_notebook, read_notebook
from aminet.course.release import release

ROOT = Path(__file__).resolve().parents[1]

TINY = """# %%
from aminet.course import check


# %%
def combine(encoder, decoder, w_enc, w_dec):
    ### BEGIN SOLUTION
    return encoder * w_enc + decoder * w_dec
    ### END SOLUTION


# %%
combine = check("edff.combine", combine)


# %%
def channel_pool(x3):
    ### BEGIN SOLUTION
    import torch

    return torch.cat([x3.mean(1, keepdim=True), x3.amax(1, keepdim=True)], 1)
    ### END SOLUTION


# %%
channel_pool = check("skaf.channel_pool", channel_pool)
"""


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    root = tmp_path_factory.mktemp("course")
    (root / "solutions").mkdir()
    (root / "solutions" / "90_tiny.py").write_text(TINY, encoding="utf-8")
    release(root)
    wrong = root / "wrong.ipynb"
    text = (root / "solutions" / "90_tiny.ipynb").read_text(encoding="utf-8")
    wrong.write_text(
        text.replace("encoder * w_enc + decoder * w_dec", "encoder * w_dec + decoder * w_enc")
    )
    return root


def test_exercises_are_found_in_order(tiny):
    nb = read_notebook(tiny / "solutions" / "90_tiny.ipynb")
    assert exercises_in(nb) == ["edff.combine", "skaf.channel_pool"]


def test_tiny_solution_full_marks_student_zero_wrong_partial(tiny):
    solution = grade_notebook(tiny / "solutions" / "90_tiny.ipynb")
    assert (solution.score, solution.max_score) == (2, 2)
    assert [e.status for e in solution.exercises] == ["passed", "passed"]
    assert solution.errors == []

    student = grade_notebook(tiny / "notebooks" / "90_tiny.py")  # Jupytext .py submissions work too
    assert (student.score, student.max_score) == (0, 2)
    assert [e.status for e in student.exercises] == ["not_attempted", "not_attempted"]
    assert student.errors == [], "a fresh student notebook runs without errors"

    wrong = grade_notebook(tiny / "wrong.ipynb")
    assert wrong.score == 1
    assert wrong.exercises[0].status == "failed" and "values differ" in wrong.exercises[0].message
    assert wrong.exercises[1].status == "passed", "one failing exercise does not hide the next"
    assert any("AssertionError" in e for e in wrong.errors)
    table = format_table([wrong])
    assert "wrong.ipynb: 1/2" in table and "failed" in table


def test_grade_cli_missing_file_is_a_one_line_error(tmp_path, capsys):
    assert main(["course", "grade", str(tmp_path / "missing.ipynb")]) == 2
    err = capsys.readouterr().err
    assert "missing.ipynb" in err and "Traceback" not in err


def test_grade_unreadable_file_is_a_clear_error(tmp_path):
    bad = tmp_path / "bad.ipynb"
    bad.write_text("not json")
    with pytest.raises(ValueError, match="bad.ipynb is not a readable notebook"):
        grade_notebook(bad)


def test_cli_grades_real_notebook_05_solution_full_marks_student_zero(capsys):
    solution_path = ROOT / "solutions" / "05_edff.ipynb"
    student_path = ROOT / "notebooks" / "05_edff.ipynb"
    assert main(["course", "grade", str(solution_path), str(student_path), "--json"]) == 0
    solution, student = json.loads(capsys.readouterr().out)
    assert solution["max_score"] >= 2 and solution["score"] == solution["max_score"], solution
    assert solution["errors"] == []
    assert student["max_score"] == solution["max_score"] and student["score"] == 0, student
    assert {e["status"] for e in student["exercises"]} == {"not_attempted"}
    assert student["errors"] == []
