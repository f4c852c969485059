"""Grade submissions: scores decided in the grader's own process, batches that survive bad files.

How one submission is graded (docs/instructor-guide.md has the instructor's version):

1. **Which chapter.** The file name (or ``--chapter``) says which notebook it claims to be; its
   check cells say which one it is. A notebook of another chapter, renamed, is reported as such and
   scores 0. The exercises expected, and their points, come from the exercise table
   (:mod:`aminet.course.exercises`), never from the submission: a deleted check cell scores 0 for
   its exercise, checks of other chapters' exercises count nothing.
2. **What runs.** Only the code that defines the answers is kept (imports, ``def``, ``class``,
   plain constants, the check cells' answer expressions; :mod:`aminet.course.submission`). It runs
   in a fresh sandbox process (:mod:`aminet.course.sandbox`) with a time limit per exercise and per
   notebook; a hang is killed, a dead process is restarted for the remaining exercises.
3. **Who decides.** The sandbox only reports what each answer did on the grader's inputs (drawn
   from a secret seed per grading run): outputs, gradients, inputs changed in place, library
   calls. This process computes the reference on the same inputs and compares. Nothing the
   student's code writes, prints or patches reaches the comparison.
4. **One mistake costs one exercise.** A later exercise is checked with aminet's answers to the
   earlier exercises of its chapter in place of the student's; when that is what makes it pass, its
   message says so.
5. **Library calls.** An answer that runs aminet's own implementation of the step, or the answer
   key, is flagged (``library_call``): 0 points, or its points with a warning under
   ``library_calls="warn"``.
6. **Tampering.** Code that patches or switches off the sandbox's instruments (its modules, the
   profiler, torch's tensor methods...), or starts threads or processes, scores 0 whatever the
   policy (``tampered``; :mod:`aminet.course.sandbox`). Processes it leaves are killed.

Use it as ``aminet course grade submissions/ --out grades.csv`` or::

    from aminet.course.grade import grade_notebook, format_table
    result = grade_notebook("alice/01_self_attention.ipynb")
    print(format_table([result]))
"""

from __future__ import annotations

import csv
import json
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

from aminet.course.chapters import (
    CHAPTERS,
    DEFAULT_CELL_TIMEOUT,
    DEFAULT_NOTEBOOK_TIMEOUT,
    LIBRARY_POLICIES,
)
from aminet.course.exercises import EXERCISES, chapter_exercises, get_exercise
from aminet.course.submission import (
    SubmissionError,
    chapter_from_content,
    chapter_from_name,
    parse,
    read_notebook,
    static_flags,
    tamper_flags,
)

STARTUP_GRACE = 60.0
"""Extra seconds for the sandbox to start Python and import torch (a loaded machine is slow)."""

STATUSES = (
    "passed",  # points
    "failed",  # 0: the check found a difference
    "not_attempted",  # 0: the answer still raises NotImplementedError
    "missing",  # 0: the notebook has no check cell for this exercise
    "library_call",  # 0 (policy zero) or points (policy warn): runs aminet's own code / the key
    "tampered",  # 0 whatever the policy: the code switched off or patched the grader's instruments
    "error",  # 0: the sandbox timed out, died, or returned something unreadable
)


@dataclass
class ExerciseScore:
    exercise: str
    status: str
    points: int
    max_points: int
    message: str = ""
    flags: list[str] = field(default_factory=list)


@dataclass
class NotebookGrade:
    notebook: str
    student: str = ""
    chapter: str | None = None
    exercises: list[ExerciseScore] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # submission-level problems (error rows)
    notes: list[str] = field(default_factory=list)  # e.g. checks of other chapters, ignored
    seed: int = 0

    @property
    def score(self) -> int:
        return sum(e.points for e in self.exercises)

    @property
    def max_score(self) -> int:
        if self.chapter in CHAPTERS:
            return sum(ex.points for ex in chapter_exercises(self.chapter))
        return sum(e.max_points for e in self.exercises)

    @property
    def failed(self) -> bool:
        """True when the submission could not be graded completely (an error row)."""
        return bool(self.errors) or any(e.status == "error" for e in self.exercises)

    def to_dict(self) -> dict:
        return {
            "notebook": self.notebook,
            "student": self.student,
            "chapter": self.chapter,
            "assignment": CHAPTERS.get(self.chapter or "", ""),
            "score": self.score,
            "max_score": self.max_score,
            "status": "error" if self.failed else "graded",
            "exercises": [asdict(e) for e in self.exercises],
            "errors": self.errors,
            "notes": self.notes,
            "seed": self.seed,
        }


# --------------------------------------------------------------------------------------------
# Running the sandbox
# --------------------------------------------------------------------------------------------


def _sandbox_env() -> dict:
    env = dict(os.environ)
    env.update(
        {
            "MPLBACKEND": "Agg",
            "AMINET_HEADLESS": "1",
            "OMP_NUM_THREADS": env.get("OMP_NUM_THREADS", "1"),
            "AMINET_PRESET": env.get("AMINET_PRESET", "smoke"),
            "PYTHONDONTWRITEBYTECODE": "1",
        }
    )
    root = str(Path(__file__).resolve().parents[2])  # this aminet, whatever the working folder
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH", "")) if p)
    return env


def _limit_resources() -> None:  # pragma: no cover - runs in the child
    try:
        import resource

        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        limit = 512 * 1024 * 1024  # no result file needs more; stops a disk-filling answer
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    except (ImportError, ValueError, OSError):
        pass


def _kill(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError, AttributeError):
            proc.kill()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:  # pragma: no cover
        pass


_PR_SET_CHILD_SUBREAPER, _PR_GET_CHILD_SUBREAPER = 36, 37


def _subreaper(on: bool | None) -> bool | None:
    """Make this process adopt the orphans of its descendants (Linux), so that a process the
    student's code detaches (``fork`` + ``setsid``) cannot outlive its sandbox: returns what it
    was before, or None where that is not possible."""
    if not sys.platform.startswith("linux") or on is None:
        return None
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        before = ctypes.c_int(0)
        if libc.prctl(_PR_GET_CHILD_SUBREAPER, ctypes.byref(before), 0, 0, 0) != 0:
            return None
        if libc.prctl(_PR_SET_CHILD_SUBREAPER, int(on), 0, 0, 0) != 0:
            return None
        return bool(before.value)
    except (OSError, AttributeError):  # pragma: no cover - no libc
        return None


def _children() -> set[int]:
    """The process ids whose parent is this process."""
    me, found = os.getpid(), set()
    try:
        tasks = os.listdir(f"/proc/{me}/task")
    except OSError:
        return found
    for tid in tasks:
        try:
            with open(f"/proc/{me}/task/{tid}/children", encoding="ascii") as fh:
                found.update(int(pid) for pid in fh.read().split())
        except (OSError, ValueError):
            continue
    return found


def _kill_adopted(keep: set[int]) -> None:
    """Kill every child of this process but ``keep``: what a sandbox left behind, adopted here."""
    for _ in range(100):  # killing one hands its own children to this process: repeat
        strays = _children() - keep
        if not strays:
            return
        for pid in strays:
            try:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
            except (ProcessLookupError, ChildProcessError, PermissionError):
                pass


def _stderr_tail(path: Path) -> str:
    try:
        with open(path, "rb") as fh:
            fh.seek(0, os.SEEK_END)
            fh.seek(max(fh.tell() - 600, 0))
            lines = fh.read().decode("utf-8", "replace").strip().splitlines()
    except OSError:
        return ""
    return lines[-1][:200] if lines else ""


def _run_sandbox(
    statements: list[dict],
    runs: list[dict],
    salt: int,
    cell_timeout: float,
    deadline: float,
    workdir: Path,
) -> Iterator[tuple[int, dict | str]]:
    """Yield ``(run index, payload)`` for every run, or ``(index, error message)``."""
    adopting = _subreaper(True)
    keep = _children()
    try:
        yield from _run_sandbox_attempts(statements, runs, salt, cell_timeout, deadline, workdir)
    finally:
        if adopting is not None:
            _kill_adopted(keep)
            _subreaper(adopting)


def _run_sandbox_attempts(statements, runs, salt, cell_timeout, deadline, workdir):
    import torch

    start = 0
    attempt = 0
    while start < len(runs):
        attempt += 1
        out = Path(tempfile.mkdtemp(dir=workdir, prefix=f"o{secrets.token_hex(6)}"))
        cwd = Path(tempfile.mkdtemp(dir=workdir, prefix="cwd"))  # where the student's files go
        token = secrets.token_hex(8)
        for run in runs:
            run["token"] = secrets.token_hex(8)  # result names the student's code cannot guess
        job = {
            "statements": statements,
            "runs": runs,
            "salt": salt,
            "out": str(out),
            "start": start,
            "token": token,
        }
        stderr_path = workdir / f"stderr{attempt}.txt"
        with open(stderr_path, "wb") as stderr:
            proc = subprocess.Popen(
                [sys.executable, "-m", "aminet.course.sandbox"],
                cwd=cwd,
                env=_sandbox_env(),
                stdin=subprocess.PIPE,  # the job goes through a pipe: never on disk to be read
                stdout=subprocess.DEVNULL,
                stderr=stderr,
                start_new_session=True,
                preexec_fn=_limit_resources if os.name == "posix" else None,
            )
        try:
            try:
                proc.stdin.write(json.dumps(job).encode("utf-8"))
                proc.stdin.close()
            except (BrokenPipeError, OSError):
                pass  # it died at start: reported below
            # 1. defining the notebook's code
            ready = out / f"ready-{token}.json"
            limit = min(time.monotonic() + STARTUP_GRACE + cell_timeout, deadline)
            while not ready.exists() and proc.poll() is None and time.monotonic() < limit:
                time.sleep(0.05)
            if not ready.exists():
                if proc.poll() is not None:
                    why = (
                        f"the sandbox died while defining the notebook's code (exit code "
                        f"{proc.returncode}; {_stderr_tail(stderr_path) or 'no message'})"
                    )
                elif time.monotonic() >= deadline:
                    why = "the notebook time limit ran out while defining the notebook's code"
                else:
                    why = f"defining the notebook's code took longer than {cell_timeout:g} s"
                for run in runs[start:]:
                    yield run["index"], why
                return
            # 2. one exercise after the other
            for run in runs[start:]:
                result = out / f"{run['index']}-{run['token']}.pt"
                limit = min(time.monotonic() + cell_timeout, deadline)
                while not result.exists() and proc.poll() is None and time.monotonic() < limit:
                    time.sleep(0.02)
                if result.exists():
                    try:
                        payload = torch.load(result, weights_only=True)
                    except Exception as err:  # noqa: BLE001 - a forged or broken file
                        payload = f"its result could not be read ({type(err).__name__})"
                    yield run["index"], payload
                    continue
                if proc.poll() is not None:
                    yield (
                        run["index"],
                        (
                            f"the process running this answer died (exit code {proc.returncode}): "
                            f"the answer (or code it calls) ended the interpreter, e.g. os._exit or "
                            f"a crash"
                        ),
                    )
                elif time.monotonic() >= deadline:
                    for rest in runs[runs.index(run) :]:
                        yield rest["index"], "the notebook time limit ran out before this exercise"
                    return
                else:
                    yield (
                        run["index"],
                        (f"timed out: still running after {cell_timeout:g} s (an endless loop?)"),
                    )
                start = runs.index(run) + 1
                break
            else:
                return
        finally:
            _kill(proc)


# --------------------------------------------------------------------------------------------
# Grading one submission
# --------------------------------------------------------------------------------------------


class _References:
    """The reference's observations, computed once per exercise and seed in this process."""

    def __init__(self):
        self._cache: dict = {}

    def get(self, exercise, salt: int) -> list[dict]:
        from aminet.course.compare import observe

        key = (exercise.id, salt)
        if key not in self._cache:
            self._cache[key] = observe(exercise, exercise.reference, salt=salt, watch=False)
        return self._cache[key]


_REFERENCES = _References()


def exercises_in(nb) -> list[str]:
    """The exercise ids a notebook's check cells name, in order of first appearance."""
    seen: list[str] = []
    for call in parse(nb).checks:
        if call.exercise not in seen:
            seen.append(call.exercise)
    return seen


def student_name(path: Path, root: Path | None = None) -> str:
    """The student a submission belongs to: its folder below ``root`` (nbgrader's
    ``<student>/<assignment>/<notebook>`` layout), else its file name without the chapter."""
    if root is not None:
        try:
            parts = path.resolve().relative_to(root.resolve()).parts
        except ValueError:
            parts = ()
        if len(parts) > 1:
            return parts[0]
    stem = path.stem
    for name in CHAPTERS.values():
        stem = stem.replace(name, "")
    stem = stem.strip(" _-.")
    return stem or path.parent.name or path.stem


def _judge_payload(exercise, payload, salt: int):
    from aminet.course.compare import Verdict, judge

    if isinstance(payload, str):
        return Verdict("error", payload)
    if not isinstance(payload, dict):
        return Verdict("error", "the sandbox returned something unreadable")
    tampered = payload.get("tampered")
    if tampered:
        return Verdict(
            "tampered",
            f"{exercise.id}: the notebook's code tampered with the grader: " + "; ".join(tampered),
            tampered=list(tampered),
        )
    if payload.get("problem"):
        return Verdict("failed", f"{exercise.id}: {payload['problem']}")
    records = payload.get("records")
    try:
        return judge(exercise, _REFERENCES.get(exercise, salt), records, salt=salt)
    except Exception as err:  # noqa: BLE001 - a malformed record is the sandbox's (student's) doing
        return Verdict("error", f"the sandbox returned an unreadable result ({type(err).__name__})")


def grade_notebook(
    path: Path | str,
    *,
    cell_timeout: float = DEFAULT_CELL_TIMEOUT,
    notebook_timeout: float = DEFAULT_NOTEBOOK_TIMEOUT,
    library_calls: str = "zero",
    chapter: str | None = None,
    seed: int | None = None,
    root: Path | None = None,
) -> NotebookGrade:
    """Grade one submission; never raises for a bad submission (it becomes an error row)."""
    if library_calls not in LIBRARY_POLICIES:
        raise ValueError(f"library_calls must be one of {LIBRARY_POLICIES}, got {library_calls!r}")
    path = Path(path)
    salt = secrets.randbelow(2**30) if seed is None else int(seed)
    grade = NotebookGrade(notebook=str(path), student=student_name(path, root), seed=salt)
    claimed = chapter or chapter_from_name(path)
    grade.chapter = claimed
    try:
        nb = read_notebook(path)
    except SubmissionError as err:
        grade.errors.append(str(err))
        return grade
    sub = parse(nb, path)
    if sub.code_cells == 0:
        grade.errors.append(f"{path.name} is an empty notebook (no code cells)")
        return grade
    content = chapter_from_content(sub)
    if claimed is None:
        claimed = grade.chapter = content
    if claimed is None:
        grade.errors.append(
            f"cannot tell which notebook {path.name} is: name it like 01_self_attention.ipynb "
            f"or pass --chapter"
        )
        return grade
    if content is not None and content != claimed:
        grade.errors.append(
            f"{path.name} was submitted as {CHAPTERS[claimed]} but is notebook {content} "
            f"({CHAPTERS[content]}): its check cells are that chapter's. Resubmit the right "
            f"notebook (or grade it with --chapter {content})."
        )
        for ex in chapter_exercises(claimed):
            grade.exercises.append(
                ExerciseScore(ex.id, "missing", 0, ex.points, "wrong notebook submitted")
            )
        return grade
    grade.notes.extend(sub.problems)
    expected = chapter_exercises(claimed)
    own = {ex.id for ex in expected}
    ignored = sorted({c.exercise for c in sub.checks if c.exercise not in own})
    if ignored:
        grade.notes.append(
            "ignored (not exercises of this notebook): "
            + ", ".join(f"check({i!r})" for i in ignored)
        )

    tampering = tamper_flags(sub)
    runs: list[dict] = []
    plan: dict[str, dict] = {}
    for position, ex in enumerate(expected):
        call = sub.check_for(ex.id)
        if call is None:
            continue
        earlier = {}
        for prior in expected[:position]:
            prior_call = sub.check_for(prior.id)
            names = {prior.name}
            if prior_call is not None:
                names |= set(prior_call.targets)
                if prior_call.plain_name:
                    names.add(prior_call.expression)
            names.discard(call.expression)
            earlier.update({n: prior.id for n in names if n})
        entry = {"own": len(runs), "with_references": None}
        runs.append({"index": len(runs), "exercise": ex.id, "rebind": {}})
        if earlier:
            entry["with_references"] = len(runs)
            runs.append({"index": len(runs), "exercise": ex.id, "rebind": earlier})
        plan[ex.id] = entry

    payloads: dict[int, object] = {}
    if runs:
        deadline = time.monotonic() + notebook_timeout
        with tempfile.TemporaryDirectory(prefix="aminet-grade-") as tmp:
            for index, payload in _run_sandbox(
                sub.statements, runs, salt, cell_timeout, deadline, Path(tmp)
            ):
                payloads[index] = payload

    for ex in expected:
        call = sub.check_for(ex.id)
        if call is None:
            grade.exercises.append(
                ExerciseScore(
                    ex.id,
                    "missing",
                    0,
                    ex.points,
                    f"no check cell for this exercise (expected {ex.name} = check({ex.id!r}, "
                    f"{ex.name})): deleted?",
                )
            )
            continue
        entry = plan[ex.id]
        own = _judge_payload(ex, payloads.get(entry["own"], "it never ran"), salt)
        verdict, note = own, ""
        if entry["with_references"] is not None:
            with_refs = _judge_payload(
                ex, payloads.get(entry["with_references"], "it never ran"), salt
            )
            if with_refs.status == "tampered":
                verdict = with_refs
            elif own.status != "passed" and with_refs.status == "passed":
                verdict = with_refs
                note = (
                    "passes with aminet's answers to the earlier exercises in place of yours: an "
                    "earlier answer it calls is the cause of its failure with your own. "
                )
        flags = static_flags(sub, call) + tampering + [f"runs {name}" for name in verdict.library]
        message = note + verdict.message
        if verdict.status == "failed" and sub.problems and "could not be evaluated" in message:
            message += f" (the notebook has cells the grader cannot read: {sub.problems[0]})"
        if verdict.explanation:
            message += f" Why: {verdict.explanation}"
        status, points = verdict.status, ex.points if verdict.status == "passed" else 0
        if status == "tampered":
            message += (
                " (0 points whatever --library-calls says: an answer has no honest reason to do "
                "this)"
            )
            flags = flags + [f"tampered: {what}" for what in verdict.tampered]
        if status == "passed" and flags:
            if library_calls == "zero":
                status, points = "library_call", 0
                message = (
                    "right result, but not the student's own computation (0 points under "
                    "--library-calls zero): " + "; ".join(flags)
                )
            else:
                message = "passed, but: " + "; ".join(flags)
        grade.exercises.append(
            ExerciseScore(ex.id, status, min(points, ex.points), ex.points, message, flags)
        )
    return grade


# --------------------------------------------------------------------------------------------
# Batches and gradebooks
# --------------------------------------------------------------------------------------------


def find_submissions(paths: Iterable[Path | str]) -> list[tuple[Path, Path | None]]:
    """Every file to grade, with the folder it was found under (for the student's name).

    A folder contributes every file below it except hidden ones and Jupyter checkpoints, so a
    stray non-notebook file gets its own error row rather than vanishing.
    """
    found: list[tuple[Path, Path | None]] = []
    for p in map(Path, paths):
        if p.is_dir():
            for f in sorted(p.rglob("*")):
                rel = f.relative_to(p).parts
                if f.is_file() and not any(
                    part.startswith(".") or part == "__pycache__" for part in rel
                ):
                    found.append((f, p))
        else:
            found.append((p, None))
    return found


CSV_COLUMNS = [
    "student_id",
    "assignment",
    "notebook",
    "exercise",
    "status",
    "score",
    "max_score",
    "flags",
    "message",
]
"""The gradebook's columns: one row per student and exercise (nbgrader's names where it has one),
plus one ``status=error`` row per submission that could not be graded completely."""


def gradebook_rows(grade: NotebookGrade) -> list[dict]:
    assignment = CHAPTERS.get(grade.chapter or "", "")
    rows = [
        {
            "student_id": grade.student,
            "assignment": assignment,
            "notebook": grade.notebook,
            "exercise": e.exercise,
            "status": e.status,
            "score": e.points,
            "max_score": e.max_points,
            "flags": "; ".join(e.flags),
            "message": e.message.replace("\n", " ")[:1000],
        }
        for e in grade.exercises
    ]
    for err in grade.errors:
        rows.append(
            {
                "student_id": grade.student,
                "assignment": assignment,
                "notebook": grade.notebook,
                "exercise": "",
                "status": "error",
                "score": 0,
                "max_score": grade.max_score,
                "flags": "",
                "message": err,
            }
        )
    return rows


class Gradebook:
    """Writes results as they come: CSV rows appended and flushed, JSON rewritten atomically."""

    def __init__(self, out: Path | str | None):
        self.grades: list[NotebookGrade] = []
        self.csv_path = self.json_path = None
        self._csv = None
        if out is None:
            return
        out = Path(out)
        self.csv_path = out if out.suffix.lower() != ".json" else out.with_suffix(".csv")
        self.json_path = out.with_suffix(".json")
        self.csv_path.parent.mkdir(parents=True, exist_ok=True)
        self._fh = open(self.csv_path, "w", newline="", encoding="utf-8")  # noqa: SIM115
        self._csv = csv.DictWriter(self._fh, fieldnames=CSV_COLUMNS)
        self._csv.writeheader()
        self._fh.flush()
        self._write_json()

    def add(self, grade: NotebookGrade) -> None:
        self.grades.append(grade)
        if self._csv is not None:
            self._csv.writerows(gradebook_rows(grade))
            self._fh.flush()
            self._write_json()

    def _write_json(self) -> None:
        tmp = self.json_path.with_name(self.json_path.name + ".tmp")
        tmp.write_text(json.dumps([g.to_dict() for g in self.grades], indent=2), encoding="utf-8")
        os.replace(tmp, self.json_path)

    def close(self) -> None:
        if self._csv is not None:
            self._fh.close()
            self._csv = None


def grade_many(
    paths: Iterable[Path | str], out: Path | str | None = None, *, on_grade=None, **options
) -> list[NotebookGrade]:
    """Grade every submission under ``paths``; one bad submission never stops the others."""
    if options.get("seed") is None:  # one secret seed for the class: the same inputs for all
        options["seed"] = secrets.randbelow(2**30)
    book = Gradebook(out)
    try:
        for path, root in find_submissions(paths):
            try:
                grade = grade_notebook(path, root=root, **options)
            except Exception as err:  # noqa: BLE001 - a grader bug must not lose the batch
                grade = NotebookGrade(notebook=str(path), student=student_name(path, root))
                grade.errors.append(f"the grader failed on this file: {type(err).__name__}: {err}")
            book.add(grade)
            if on_grade is not None:
                on_grade(grade)
    finally:
        book.close()
    return book.grades


def format_table(grades: list[NotebookGrade]) -> str:
    """A plain-text table: one row per exercise, a total per notebook."""
    lines = []
    width = max([len(e.exercise) for g in grades for e in g.exercises] + [8])
    for g in grades:
        who = f" [{g.student}]" if g.student else ""
        lines.append(f"{g.notebook}{who}: {g.score}/{g.max_score}")
        for e in g.exercises:
            note = ""
            if e.status != "passed" or e.flags:
                note = f"  {e.message.splitlines()[0][:100]}" if e.message else ""
            lines.append(
                f"  {e.exercise:<{width}}  {e.status:<13}  {e.points}/{e.max_points}{note}"
            )
        for err in g.errors:
            lines.append(f"  ! error: {err}")
        for note in g.notes:
            lines.append(f"  - {note}")
    return "\n".join(lines)


__all__ = [
    "CSV_COLUMNS",
    "EXERCISES",
    "ExerciseScore",
    "Gradebook",
    "NotebookGrade",
    "exercises_in",
    "find_submissions",
    "format_table",
    "get_exercise",
    "grade_many",
    "grade_notebook",
    "gradebook_rows",
    "student_name",
]
