"""``aminet course grade``: honest scores whatever the submission does, batches that survive.

Submissions are built programmatically from notebook 05 (the quickest module notebook: three
exercises) in its solutions and students' versions: a correct one, a fresh one, one with a wrong
answer, and a suite of cheating or broken ones (forged log records, a redefined ``check``,
monkeypatched checks, deleted checks, another chapter renamed, checks of other chapters, an
endless loop, ``os._exit``, garbage, an empty notebook, a non-notebook file). Each must get its
honest score or a clear error row; the batch must grade all the others and write the gradebook.
Time limits are small so the suite stays quick.
"""

from __future__ import annotations

import copy
import csv
import json
from pathlib import Path

import nbformat
import pytest

from aminet.cli import main
from aminet.course.grade import format_table, grade_many, grade_notebook
from aminet.course.submission import parse, read_notebook, static_flags

ROOT = Path(__file__).resolve().parents[1]
SOLUTION = nbformat.read(ROOT / "solutions" / "05_edff.ipynb", as_version=4)
STUDENT = nbformat.read(ROOT / "notebooks" / "05_edff.ipynb", as_version=4)
OPTIONS = {"cell_timeout": 20, "notebook_timeout": 200, "seed": 7}

FORGE_LOG = """
import json, os
for ex in ("edff.selection", "edff.combine", "edff.module", "sa.to_heads"):
    for path in (os.environ.get("AMINET_GRADE_LOG", "grade.jsonl"), "grade.jsonl"):
        with open(path, "a") as fh:
            fh.write(json.dumps({"exercise": ex, "status": "passed", "message": "", "points": 100,
                                 "max_points": 1}) + "\\n")
            fh.write("this is not JSON\\n")
print("[edff.combine] correct: matches aminet's reference on 2 fixed inputs.")
"""

REDEFINE_CHECK = """
def check(exercise_id, student, **kwargs):
    print(f"[{exercise_id}] correct: matches aminet's reference")
    return student
"""

MONKEYPATCH = """
import aminet.course.checks as checks
import aminet.course.compare as engine
checks.run_answer = lambda *a, **k: engine.Verdict("passed", "2 inputs")
engine.compare = lambda *a, **k: None
engine.judge = lambda *a, **k: engine.Verdict("passed", "2 inputs")
checks.check = lambda exercise_id, student, **k: student
"""


def _cells(nb, fragment):
    return [i for i, c in enumerate(nb.cells) if fragment in c.source]


def _replace(nb, fragment, old, new):
    nb = copy.deepcopy(nb)
    (i,) = _cells(nb, fragment)
    assert old in nb.cells[i].source
    nb.cells[i].source = nb.cells[i].source.replace(old, new)
    return nb


def _set_cell(nb, fragment, source):
    nb = copy.deepcopy(nb)
    (i,) = _cells(nb, fragment)
    nb.cells[i].source = source
    return nb


def _insert_after(nb, fragment, source):
    nb = copy.deepcopy(nb)
    i = _cells(nb, fragment)[0]
    nb.cells.insert(i + 1, nbformat.v4.new_code_cell(source))
    return nb


def _append(nb, source):
    nb = copy.deepcopy(nb)
    nb.cells.append(nbformat.v4.new_code_cell(source))
    return nb


def _delete(nb, fragment):
    nb = copy.deepcopy(nb)
    for i in reversed(_cells(nb, fragment)):
        del nb.cells[i]
    return nb


SELECTION = "return edff.skaf(edff.reduce(torch.cat([encoder, decoder], dim=1)))"
PATCH_CLASS = """
import sys
class _Patch:
    engine = sys.modules["aminet.course" + ".compare"]
    original = engine._observe_case
    def fake(exercise, answer, case, salt, watch, _o=original, _w=engine._Watch):
        return _o(exercise, exercise.reference, case, salt, _w({}))
    engine._observe_case = fake
"""
PATCH_DECO = """
import sys
def _patch(f):
    engine = sys.modules["aminet.course" + ".compare"]
    o = engine._observe_case
    engine._observe_case = lambda e, a, c, s, w: o(e, e.reference, c, s, engine._Watch({}))
    return f
@_patch
def _nothing():
    pass
"""
PROFILER_OFF = (
    "import sys\n    getattr(sys, 'setpro' + 'file')(None)\n"
    "    return edff.selection(encoder, decoder)"
)
IN_A_THREAD = (
    "import threading\n    result = {}\n"
    "    job = threading.Thread(target=lambda: result.update(o=edff.selection(encoder, decoder)))\n"
    "    job.start()\n    job.join()\n    return result['o']"
)

WRONG_COMBINE = _replace(
    SOLUTION,
    "def edff_combine",
    "return encoder * w_enc + decoder * w_dec",
    "return encoder * w_dec + decoder * w_enc",
)


def _write(folder: Path, name: str, nb) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(nb, str):
        path.write_text(nb, encoding="utf-8")
    else:
        nbformat.write(nb, path)
    return path


def _scores(grade):
    return {e.exercise: (e.status, e.points) for e in grade.exercises}


# ----------------------------------------------------------------------------------------------
# Reading submissions
# ----------------------------------------------------------------------------------------------


def test_only_definitions_and_check_cells_are_kept():
    sub = parse(_append(STUDENT, "import os\nos._exit(3)\nx = open('f').read()\n" + MONKEYPATCH))
    kinds = [st["kind"] for st in sub.statements]
    assert kinds.count("capture") == 3
    text = "\n".join(st["source"] for st in sub.statements)
    assert "os._exit" not in text and "checks.run_answer =" not in text and "open(" not in text
    assert [c.exercise for c in sub.checks] == ["edff.selection", "edff.combine", "edff.module"]


def test_static_flags_see_the_answer_key_and_tampering():
    nb = _replace(
        SOLUTION,
        "def edff_combine",
        "return encoder * w_enc + decoder * w_dec",
        "import sys\n    sys.setprofile(None)\n    from aminet.course.reference import edff_combine as "
        "key\n    return key(encoder, decoder, w_enc, w_dec)",
    )
    sub = parse(nb)
    flags = static_flags(sub, sub.check_for("edff.combine"))
    assert any("answer key" in f for f in flags) and any("profiler" in f for f in flags), flags
    assert static_flags(sub, sub.check_for("edff.selection")) == []


# ----------------------------------------------------------------------------------------------
# Honest scores
# ----------------------------------------------------------------------------------------------


def test_solution_full_marks_student_zero_wrong_partial(tmp_path):
    solution = grade_notebook(_write(tmp_path, "alice/05_edff.ipynb", SOLUTION), **OPTIONS)
    assert (solution.score, solution.max_score) == (3, 3), format_table([solution])
    assert not solution.failed and solution.chapter == "05"

    student = grade_notebook(ROOT / "notebooks" / "05_edff.py", **OPTIONS)  # Jupytext .py works
    assert (student.score, student.max_score) == (0, 3)
    assert {s for s, _ in _scores(student).values()} == {"not_attempted"}

    wrong = grade_notebook(_write(tmp_path, "bob_05_edff.ipynb", WRONG_COMBINE), **OPTIONS)
    assert _scores(wrong) == {
        "edff.selection": ("passed", 1),
        "edff.combine": ("failed", 0),
        "edff.module": ("passed", 1),
    }
    combine = next(e for e in wrong.exercises if e.exercise == "edff.combine")
    assert "values differ" in combine.message
    assert wrong.student == "bob"


CHEATS = {
    # name: (notebook, expected score, what must be true)
    "forged log records with points 100": (_append(STUDENT, FORGE_LOG), 0),
    "check redefined to pass everything": (
        _insert_after(STUDENT, "from aminet.course import check", REDEFINE_CHECK),
        0,
    ),
    "checks monkeypatched": (
        _insert_after(STUDENT, "from aminet.course import check", MONKEYPATCH),
        0,
    ),
    "wrong answer then re-checked with the answer key": (
        _insert_after(
            WRONG_COMBINE,
            'check("edff.combine"',
            'import aminet.course.checks\nedff_combine = check("edff.combine", '
            'aminet.course.checks.reference("edff.combine"))',
        ),
        2,
    ),
    "answer that calls the library": (
        _replace(
            SOLUTION,
            "def edff_selection",
            "return edff.skaf(edff.reduce(torch.cat([encoder, decoder], dim=1)))",
            "return edff.selection(encoder, decoder)",
        ),
        2,
    ),
    "module that subclasses the library's": (
        _set_cell(
            SOLUTION,
            "class EDFFModule",
            "from aminet.modules import EDFF\n\n\nclass EDFFModule(EDFF):\n    pass\n",
        ),
        2,
    ),
    "definition-time code that reaches for the grader's machinery": (
        _append(
            SOLUTION,
            "class Sneaky:\n    key = __import__('aminet.course.reference', fromlist=['x'])\n",
        ),
        0,
    ),
    "a process-killing cell outside any function": (
        _insert_after(SOLUTION, "from aminet.course import check", "import os\nos._exit(0)"),
        3,
    ),
    # Code that runs while the notebook is defined (a class body, a decorator) and swaps the
    # observer for one that observes aminet's answer key; no name the static checks know.
    "class body that patches the observer": (
        _insert_after(STUDENT, "import aminet", PATCH_CLASS),
        0,
    ),
    "decorator that patches the observer": (_insert_after(STUDENT, "import aminet", PATCH_DECO), 0),
    # Answers that get out of the profiler's sight before calling the library.
    "answer that switches the profiler off": (
        _replace(SOLUTION, "def edff_selection", SELECTION, PROFILER_OFF),
        2,
    ),
    "answer that calls the library in a thread": (
        _replace(SOLUTION, "def edff_selection", SELECTION, IN_A_THREAD),
        2,
    ),
}
TAMPERED = {
    "class body that patches the observer": 3,
    "decorator that patches the observer": 3,
    "answer that switches the profiler off": 1,
    "answer that calls the library in a thread": 1,
}


@pytest.mark.parametrize("name", list(CHEATS))
def test_cheating_gets_the_honest_score(name, tmp_path):
    nb, honest = CHEATS[name]
    grade = grade_notebook(_write(tmp_path, "05_edff.ipynb", nb), **OPTIONS)
    assert grade.score == honest, format_table([grade])
    assert grade.max_score == 3
    assert all(e.points <= e.max_points for e in grade.exercises)
    tampered = [e for e in grade.exercises if e.status == "tampered"]
    assert len(tampered) == TAMPERED.get(name, 0), format_table([grade])
    flagged = [e for e in grade.exercises if e.status == "library_call"]
    if name in ("answer that calls the library", "module that subclasses the library's") or (
        "answer key" in name
    ):
        assert len(flagged) == 1 and "aminet" in flagged[0].message, format_table([grade])


def test_library_call_policy_warn_keeps_the_points_with_a_flag(tmp_path):
    nb, _ = CHEATS["answer that calls the library"]
    grade = grade_notebook(_write(tmp_path, "05_edff.ipynb", nb), library_calls="warn", **OPTIONS)
    selection = next(e for e in grade.exercises if e.exercise == "edff.selection")
    assert selection.status == "passed" and selection.points == 1
    assert any("EDFF.selection" in f for f in selection.flags)


def test_tampering_scores_zero_whatever_the_library_policy(tmp_path):
    nb, _ = CHEATS["answer that switches the profiler off"]
    grade = grade_notebook(_write(tmp_path, "05_edff.ipynb", nb), library_calls="warn", **OPTIONS)
    selection = next(e for e in grade.exercises if e.exercise == "edff.selection")
    assert (selection.status, selection.points) == ("tampered", 0)
    assert "profiler" in selection.message and "whatever --library-calls" in selection.message


def test_a_detached_process_does_not_outlive_the_sandbox(tmp_path):
    pid_file = tmp_path / "daemon.pid"
    daemon = (
        "import os, time\n    if os.fork() == 0:\n        os.setsid()\n"
        "        if os.fork() == 0:\n"
        f"            open({str(pid_file)!r}, 'w').write(str(os.getpid()))\n"
        "            time.sleep(300)\n"
        "        os._exit(0)\n"
        "    return encoder * w_enc + decoder * w_dec"
    )
    nb = _replace(SOLUTION, "def edff_combine", "return encoder * w_enc + decoder * w_dec", daemon)
    grade = grade_notebook(_write(tmp_path, "05_edff.ipynb", nb), **OPTIONS)
    assert _scores(grade)["edff.combine"] == ("tampered", 0), format_table([grade])
    pid = int(pid_file.read_text())
    assert not Path(f"/proc/{pid}").exists(), "the detached process still runs"


def test_honest_rewrites_get_full_marks(tmp_path):
    # float64 arithmetic, a docstring naming things the tamper checks look for in code
    nb = _replace(
        SOLUTION,
        "def edff_combine",
        "return encoder * w_enc + decoder * w_dec",
        "mixed = encoder.double() * w_enc.double() + decoder.double() * w_dec.double()\n"
        "    return mixed.float()",
    )
    nb = _replace(
        nb,
        "def edff_combine",
        '"""Eq. 16: encoder * w_enc + decoder * w_dec."""',
        '"""No ready-made layer here; aminet.course.check compares it with /proc/-free code."""',
    )
    grade = grade_notebook(_write(tmp_path, "05_edff.ipynb", nb), **OPTIONS)
    assert (grade.score, grade.max_score) == (3, 3), format_table([grade])
    assert all(not e.flags for e in grade.exercises)


def test_deleted_check_scores_zero_and_the_maximum_stays(tmp_path):
    nb = _delete(WRONG_COMBINE, 'check("edff.combine"')
    grade = grade_notebook(_write(tmp_path, "05_edff.ipynb", nb), **OPTIONS)
    assert (grade.score, grade.max_score) == (2, 3)
    assert _scores(grade)["edff.combine"] == ("missing", 0)


def test_checks_of_other_chapters_count_nothing(tmp_path):
    extra = (
        "def to_heads(x, num_heads):\n    n, c, h, w = x.shape\n"
        "    return x.reshape(n, num_heads, c // num_heads, h * w)\n\n\n"
        'to_heads = check("sa.to_heads", to_heads)\n'
    )
    grade = grade_notebook(_write(tmp_path, "05_edff.ipynb", _append(STUDENT, extra)), **OPTIONS)
    assert (grade.score, grade.max_score) == (0, 3)
    assert set(_scores(grade)) == {"edff.selection", "edff.combine", "edff.module"}
    assert any("sa.to_heads" in n for n in grade.notes)


def test_another_chapter_renamed_is_reported_as_such(tmp_path):
    foreign = nbformat.read(ROOT / "solutions" / "01_self_attention.ipynb", as_version=4)
    grade = grade_notebook(_write(tmp_path, "carol/05_edff.ipynb", foreign), **OPTIONS)
    assert grade.score == 0 and grade.max_score == 3 and grade.failed
    assert "is notebook 01 (01_self_attention)" in grade.errors[0]


def test_a_later_exercise_is_graded_on_aminets_earlier_answers(tmp_path):
    # 01: a wrong to_heads, and a sa_forward that is right (it calls to_heads)
    nb = nbformat.read(ROOT / "solutions" / "01_self_attention.ipynb", as_version=4)
    nb = _replace(
        nb,
        "def to_heads",
        "return x.reshape(n, num_heads, c // num_heads, h * w)",
        "return x.reshape(n, c // num_heads, num_heads, h * w).transpose(1, 2)",
    )
    grade = grade_notebook(_write(tmp_path, "01_self_attention.ipynb", nb), **OPTIONS)
    scores = _scores(grade)
    assert scores["sa.to_heads"] == ("failed", 0)
    assert scores["sa.forward"] == ("passed", 1) and scores["sa.module"] == ("passed", 1)
    forward = next(e for e in grade.exercises if e.exercise == "sa.forward")
    assert "earlier answer" in forward.message
    assert grade.score == grade.max_score - 1


# ----------------------------------------------------------------------------------------------
# A batch that survives: hung, dead, broken and empty submissions
# ----------------------------------------------------------------------------------------------


def test_batch_grades_everything_and_writes_the_gradebook(tmp_path, capsys):
    subs = tmp_path / "submitted"
    _write(subs, "alice/05_edff.ipynb", SOLUTION)
    _write(
        subs,
        "bob/05_edff.ipynb",
        _replace(
            SOLUTION,
            "def edff_combine",
            "return encoder * w_enc + decoder * w_dec",
            "while True:\n        pass",
        ),
    )
    _write(
        subs,
        "dave/05_edff.ipynb",
        _replace(
            SOLUTION,
            "def edff_selection",
            "return edff.skaf(edff.reduce(torch.cat([encoder, decoder], dim=1)))",
            "import os\n    os._exit(3)",
        ),
    )
    _write(subs, "erin/05_edff.ipynb", nbformat.v4.new_notebook())
    _write(subs, "frank/05_edff.ipynb", "{ this is not a notebook")
    _write(subs, "grace/05_edff.txt", "my answers are in the email")
    out = tmp_path / "grades.csv"
    code = main(
        [
            "course",
            "grade",
            str(subs),
            "--out",
            str(out),
            "--cell-timeout",
            "8",
            "--notebook-timeout",
            "150",
            "--seed",
            "3",
        ]
    )
    captured = capsys.readouterr()
    assert code == 1, "some submissions could not be graded"
    assert "Traceback" not in captured.out + captured.err

    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert set(rows[0]) >= {"student_id", "assignment", "exercise", "status", "score", "max_score"}
    by = {}
    for row in rows:
        by.setdefault(row["student_id"], []).append(row)
    assert set(by) == {"alice", "bob", "dave", "erin", "frank", "grace"}
    total = {s: sum(int(r["score"]) for r in rs) for s, rs in by.items()}
    assert total == {"alice": 3, "bob": 2, "dave": 2, "erin": 0, "frank": 0, "grace": 0}
    status = {(r["student_id"], r["exercise"]): r["status"] for r in rows}
    assert status[("bob", "edff.combine")] == "error"  # the endless loop was timed out
    assert status[("bob", "edff.module")] == "passed"  # and the next exercise still graded
    assert status[("dave", "edff.selection")] == "error"  # os._exit killed the sandbox
    assert status[("dave", "edff.combine")] == "passed"
    for student in ("erin", "frank", "grace"):
        (row,) = by[student]
        assert row["status"] == "error" and row["message"]
    assert "empty notebook" in by["erin"][0]["message"]
    assert "not a readable notebook" in by["frank"][0]["message"]
    assert "not a notebook" in by["grace"][0]["message"]
    assert all(r["assignment"] == "05_edff" for r in rows)

    book = json.loads(out.with_suffix(".json").read_text(encoding="utf-8"))
    assert len(book) == 6 and {g["student"] for g in book} == set(by)
    assert all(g["seed"] == 3 for g in book)

    # nothing is lost: a second run does not replace the gradebook silently
    assert main(["course", "grade", str(subs), "--out", str(out)]) == 2
    assert "already exists" in capsys.readouterr().err


def test_grade_many_writes_results_as_they_come(tmp_path):
    _write(tmp_path / "subs", "a/05_edff.ipynb", STUDENT)
    _write(tmp_path / "subs", "b/05_edff.ipynb", "not json")
    seen = []

    def on_grade(grade):
        rows = (tmp_path / "book.csv").read_text(encoding="utf-8").splitlines()
        seen.append(len(rows))

    grades = grade_many([tmp_path / "subs"], tmp_path / "book.csv", on_grade=on_grade, **OPTIONS)
    assert [g.failed for g in grades] == [False, True]
    assert seen == [1 + 3, 1 + 3 + 1], "each submission's rows are on disk when it is done"


def test_grade_cli_missing_path_is_a_one_line_error(tmp_path, capsys):
    assert main(["course", "grade", str(tmp_path / "missing.ipynb")]) == 2
    err = capsys.readouterr().err
    assert "missing.ipynb" in err and "Traceback" not in err


def test_unreadable_file_is_a_clear_error_row(tmp_path):
    bad = _write(tmp_path, "05_edff.ipynb", "not json")
    grade = grade_notebook(bad, **OPTIONS)
    assert grade.failed and "05_edff.ipynb is not a readable notebook" in grade.errors[0]
    with pytest.raises(ValueError, match="not a notebook"):
        read_notebook(_write(tmp_path, "notes.md", "# hello"))


def test_cli_real_notebook_05_json(capsys):
    code = main(
        ["course", "grade", str(ROOT / "solutions" / "05_edff.ipynb"), "--json", "--seed", "1"]
    )
    assert code == 0
    (solution,) = json.loads(capsys.readouterr().out)
    assert solution["score"] == solution["max_score"] == 3 and solution["status"] == "graded"


def test_a_cell_with_a_syntax_error_is_named_in_the_message(tmp_path):
    nb = _replace(
        SOLUTION,
        "def edff_combine",
        "return encoder * w_enc + decoder * w_dec",
        "return encoder * w_enc + (decoder * w_dec",
    )
    grade = grade_notebook(_write(tmp_path, "05_edff.ipynb", nb), **OPTIONS)
    combine = next(e for e in grade.exercises if e.exercise == "edff.combine")
    assert combine.status == "failed" and "SyntaxError" in combine.message, combine.message
    assert grade.score == 2
