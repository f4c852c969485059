"""Grade submissions: execute each notebook headless and score its exercises.

A notebook's exercises are the ``check("<id>", ...)`` calls in its code cells. The notebook is run
top to bottom with nbclient (errors do not stop it, so one broken exercise does not hide the
others) while the environment variable ``AMINET_GRADE_LOG`` points :func:`aminet.course.check` at a
log file; each exercise then scores its points if its check passed, and 0 if it failed, was not
attempted, or never ran. Notebooks run with ``AMINET_PRESET=smoke`` (unless the caller set another
preset) and ``MPLBACKEND=Agg``, so grading stays fast and never opens windows.

Use it as ``aminet course grade SUBMISSION.ipynb... [--json]`` or::

    from aminet.course.grade import grade_notebook, format_table
    result = grade_notebook("alice/01_sa.ipynb")
    print(format_table([result]))
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

import nbformat

from aminet.course.checks import GRADE_LOG_ENV, get_exercise

CHECK_CALL = re.compile(r"""\bcheck\(\s*["']([A-Za-z0-9_.]+)["']""")


@dataclass
class ExerciseScore:
    exercise: str
    status: str  # passed | failed | not_attempted | not_run
    points: int
    max_points: int
    message: str = ""


@dataclass
class NotebookGrade:
    notebook: str
    exercises: list[ExerciseScore] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # cells that raised, "cell N: Error: message"

    @property
    def score(self) -> int:
        return sum(e.points for e in self.exercises)

    @property
    def max_score(self) -> int:
        return sum(e.max_points for e in self.exercises)

    def to_dict(self) -> dict:
        return {
            "notebook": self.notebook,
            "score": self.score,
            "max_score": self.max_score,
            "exercises": [asdict(e) for e in self.exercises],
            "errors": self.errors,
        }


def read_notebook(path: Path | str) -> nbformat.NotebookNode:
    """Read an ``.ipynb`` (or a Jupytext ``.py``) submission; a clear error if it is not one."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"submission {path} does not exist")
    try:
        if path.suffix == ".py":
            import jupytext

            return jupytext.read(path, fmt="py:percent")
        return nbformat.read(path, as_version=4)
    except Exception as err:
        raise ValueError(
            f"{path} is not a readable notebook (.ipynb or Jupytext .py): {err}"
        ) from err


def exercises_in(nb: nbformat.NotebookNode) -> list[str]:
    """The exercise ids a notebook checks, in order of first appearance."""
    seen: list[str] = []
    for cell in nb.cells:
        if cell.cell_type == "code":
            for ex in CHECK_CALL.findall(cell.source):
                if ex not in seen:
                    seen.append(ex)
    return seen


@contextlib.contextmanager
def _grading_env(log_path: str):
    """Set the variables the kernel inherits while a notebook is executed; restore them after."""
    updates = {GRADE_LOG_ENV: log_path, "MPLBACKEND": "Agg", "AMINET_HEADLESS": "1"}
    updates["AMINET_PRESET"] = os.environ.get("AMINET_PRESET", "smoke")
    saved = {k: os.environ.get(k) for k in updates}
    os.environ.update(updates)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _cell_errors(nb: nbformat.NotebookNode) -> list[str]:
    errors = []
    for i, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                value = out.get("evalue", "").strip().splitlines()
                errors.append(f"cell {i}: {out.get('ename')}: {value[0] if value else ''}")
    return errors


def _read_log(path: str) -> dict[str, dict]:
    results: dict[str, dict] = {}
    with contextlib.suppress(FileNotFoundError):
        for line in Path(path).read_text(encoding="utf-8").splitlines():
            if line.strip():
                record = json.loads(line)
                results[record["exercise"]] = record  # the last check of an exercise counts
    return results


def grade_notebook(path: Path | str, *, cell_timeout: int = 600) -> NotebookGrade:
    """Execute the notebook at ``path`` headless and score each exercise it checks."""
    from nbclient import NotebookClient

    path = Path(path)
    nb = read_notebook(path)
    expected = exercises_in(nb)
    with tempfile.TemporaryDirectory() as tmp:
        log_path = os.path.join(tmp, "grade.jsonl")
        with _grading_env(log_path):
            client = NotebookClient(
                nb,
                timeout=cell_timeout,
                kernel_name="python3",
                allow_errors=True,
                resources={"metadata": {"path": str(path.parent.resolve())}},
            )
            client.execute()
        log = _read_log(log_path)
    grade = NotebookGrade(notebook=str(path), errors=_cell_errors(nb))
    for ex_id in expected:
        try:
            max_points = get_exercise(ex_id).points
        except KeyError:
            max_points = 1
        record = log.get(ex_id)
        if record is None:
            grade.exercises.append(
                ExerciseScore(ex_id, "not_run", 0, max_points, "its check never ran")
            )
        else:
            grade.exercises.append(
                ExerciseScore(
                    ex_id, record["status"], int(record["points"]), max_points, record["message"]
                )
            )
    return grade


def format_table(grades: list[NotebookGrade]) -> str:
    """A plain-text table: one row per exercise, a total per notebook."""
    lines = []
    width = max([len(e.exercise) for g in grades for e in g.exercises] + [8])
    for g in grades:
        lines.append(f"{g.notebook}: {g.score}/{g.max_score}")
        for e in g.exercises:
            note = (
                f"  {e.message.splitlines()[0][:90]}" if e.status == "failed" and e.message else ""
            )
            lines.append(
                f"  {e.exercise:<{width}}  {e.status:<13}  {e.points}/{e.max_points}{note}"
            )
        if not g.exercises:
            lines.append("  (no check(...) calls found: nothing to grade)")
        for err in g.errors:
            lines.append(f"  ! {err}")
    return "\n".join(lines)
