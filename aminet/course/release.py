"""Release the course: generate the students' ``notebooks/`` from the instructors' ``solutions/``.

The source of truth is ``solutions/NN_name.py`` (Jupytext percent format). Code the students must
write sits between nbgrader's markers::

    def attention_map(q, k, temperature):
        ### BEGIN SOLUTION
        q, k = F.normalize(q, dim=-1), F.normalize(k, dim=-1)
        ...
        ### END SOLUTION

and :func:`release` writes, for every ``solutions/NN_*.py``:

- ``solutions/NN_name.py``     the same notebook in canonical Jupytext form (badge, repo URL synced)
- ``solutions/NN_name.ipynb``  its paired notebook
- ``notebooks/NN_name.py``     the students' version: each region becomes ``# YOUR CODE HERE`` and
                               ``raise NotImplementedError()`` at the marker's indentation
                               (markdown regions become ``YOUR ANSWER HERE``)
- ``notebooks/NN_name.ipynb``  its paired notebook

Everything is deterministic: fixed notebook metadata, cell ids ``cell-000``, ``cell-001``..., no
outputs or execution counts (the students' copies never; the solutions only those of their last
execution, below), so the files only change when a solution changes.
:func:`check_release` regenerates into a temporary folder and lists every file that differs.

The repository is named in one place, :func:`aminet.course.repository`: the ``--repo-url`` option
or the git remote of the repository being released (none: the notebooks say so), pinned to a tag
(``v<version>``, or ``--ref``). From it, a markdown line starting with ``[![Open In Colab]`` (or
``**Open in Colab:**``) becomes the badge of that very notebook, and the code cell that assigns
``REPO_URL = ...`` (the Colab setup cell) is rewritten whole by :func:`aminet.course.install_cell`.

Executed solutions (``aminet course release --execute``): :func:`execute_solutions` runs each
solutions notebook whose stored outputs are missing or stale, on this machine's CPU, and keeps the
outputs in ``solutions/NN_name.ipynb`` with the hash of the code that made them
(:func:`source_hash`, stored under ``metadata["aminet"]``). A plain release keeps those outputs
while the hash still matches and drops them otherwise; the students' copies never have outputs.
The measured time is written into the notebook's opening cell (:data:`TIMING_PREFIX`) and, by
every release, into the README's course table (:func:`readme_with_times`), so ``--check`` also
catches a README whose times are not the notebooks' latest.
"""

from __future__ import annotations

import contextlib
import filecmp
import hashlib
import json
import math
import os
import platform
import re
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import jupytext
import nbformat

from aminet import course

BEGIN = "### BEGIN SOLUTION"
END = "### END SOLUTION"
STUDENT_CODE = ("# YOUR CODE HERE", "raise NotImplementedError()")
STUDENT_ANSWER = "YOUR ANSWER HERE"
SOLUTIONS_DIR = "solutions"
NOTEBOOKS_DIR = "notebooks"
NOTEBOOK_GLOB = "[0-9][0-9]_*.py"

NOTEBOOK_METADATA = {
    "jupytext": {
        "formats": "ipynb,py:percent",
        "notebook_metadata_filter": "-jupytext.text_representation.jupytext_version",
    },
    "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
    "language_info": {"name": "python"},
}

# Cell metadata that survives a release: tags (nbval / nbgrader markers), nbgrader's cell metadata
# (the hand-graded written answers of the open experiments: grade, solution, points, grade_id) and
# Jupytext's blank-line count, which keeps two blank lines after a function cell so the .py files
# stay ruff-formatted.
KEPT_CELL_METADATA = ("tags", "nbgrader", "lines_to_next_cell")

_BADGE_LINE = re.compile(r"^(\[!\[Open In Colab\]\(|\*\*Open in Colab:\*\*).*$")
_INSTALL_CELL = re.compile(r"^REPO_URL\s*=", re.M)


class ReleaseError(ValueError):
    """A solutions notebook cannot be released (e.g. an unclosed solution region)."""


def strip_solutions(source: str, cell_type: str = "code", where: str = "cell") -> str:
    """Replace every ``### BEGIN SOLUTION`` ... ``### END SOLUTION`` region of one cell's source.

    Code regions become ``# YOUR CODE HERE`` + ``raise NotImplementedError()`` indented like the
    BEGIN marker; markdown regions become ``YOUR ANSWER HERE``. Raises :class:`ReleaseError` for
    an unclosed region, an END without BEGIN, or nested regions (``where`` names the cell).
    """
    out: list[str] = []
    inside = False
    for line in source.split("\n"):
        marker = line.strip()
        if marker.startswith(BEGIN):
            if inside:
                raise ReleaseError(f"{where}: nested '{BEGIN}'")
            inside = True
            indent = line[: len(line) - len(line.lstrip())]
            if cell_type == "code":
                out.extend(indent + s for s in STUDENT_CODE)
            else:
                out.append(indent + STUDENT_ANSWER)
        elif marker.startswith(END):
            if not inside:
                raise ReleaseError(f"{where}: '{END}' without '{BEGIN}'")
            inside = False
        elif not inside:
            out.append(line)
    if inside:
        raise ReleaseError(f"{where}: '{BEGIN}' is never closed by '{END}'")
    return "\n".join(out)


def has_solutions(source: str) -> bool:
    """True when a cell's source holds a solution region."""
    return any(line.strip().startswith(BEGIN) for line in source.split("\n"))


def sync_links(
    source: str, notebook_path: str, cell_type: str, repo: course.Repository | None = None
) -> str:
    """Rewrite the Colab badge line (markdown) and the Colab setup cell (code) for ``repo``.

    ``repo`` defaults to :func:`aminet.course.repository` of the working folder.
    """
    repo = repo if repo is not None else course.repository()
    if cell_type == "code":
        return course.install_cell(repo) if _INSTALL_CELL.search(source) else source
    if cell_type != "markdown":
        return source
    lines = source.split("\n")
    for i, line in enumerate(lines):
        if _BADGE_LINE.match(line):
            lines[i] = course.colab_badge(notebook_path, repo)
    return "\n".join(lines)


def canonical(
    nb: nbformat.NotebookNode, notebook_path: str, repo: course.Repository | None = None
) -> nbformat.NotebookNode:
    """A copy of ``nb`` with fixed metadata, no outputs, ids by position and links synced."""
    repo = repo if repo is not None else course.repository()
    cells = []
    for i, cell in enumerate(nb.cells):
        source = sync_links(cell.source, notebook_path, cell.cell_type, repo)
        metadata = {k: cell.metadata[k] for k in KEPT_CELL_METADATA if k in cell.metadata}
        if cell.cell_type == "code":
            new = nbformat.v4.new_code_cell(source, metadata=metadata)
        elif cell.cell_type == "markdown":
            new = nbformat.v4.new_markdown_cell(source, metadata=metadata)
        else:
            new = nbformat.v4.new_raw_cell(source, metadata=metadata)
        new.id = f"cell-{i:03d}"
        cells.append(new)
    out = nbformat.v4.new_notebook(cells=cells, metadata=NOTEBOOK_METADATA)
    out.nbformat, out.nbformat_minor = 4, 5
    return out


def student_version(
    nb: nbformat.NotebookNode, name: str = "notebook", repo: course.Repository | None = None
) -> nbformat.NotebookNode:
    """The students' copy of a canonical solutions notebook (regions stripped, badge re-pointed)."""
    student = canonical(nb, f"{NOTEBOOKS_DIR}/{name}.ipynb", repo)
    for i, cell in enumerate(student.cells):
        if has_solutions(cell.source):
            cell.source = strip_solutions(cell.source, cell.cell_type, f"{name}, cell {i}")
    return student


def _write_text(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if not text.endswith("\n"):
        text += "\n"
    path.write_text(text, encoding="utf-8")


def _write_pair(nb: nbformat.NotebookNode, py_path: Path) -> list[Path]:
    _write_text(py_path, jupytext.writes(nb, fmt="py:percent"))
    ipynb_path = py_path.with_suffix(".ipynb")
    _write_text(ipynb_path, nbformat.writes(nb))
    return [py_path, ipynb_path]


def solution_sources(root: Path | str = ".") -> list[Path]:
    """The solutions notebooks ``solutions/NN_*.py`` under ``root``, sorted."""
    return sorted((Path(root) / SOLUTIONS_DIR).glob(NOTEBOOK_GLOB))


def _read_source(source: Path) -> nbformat.NotebookNode:
    try:
        return jupytext.read(source, fmt="py:percent")
    except Exception as err:  # jupytext's own errors are not user-friendly; name the file
        raise ReleaseError(f"{source}: not a readable Jupytext percent notebook ({err})") from err


def release_one(
    source: Path,
    out_root: Path,
    repo: course.Repository | None = None,
    executed: Path | None = None,
) -> list[Path]:
    """Release one ``solutions/NN_name.py`` into ``out_root``; returns the 4 paths written.

    ``repo``: what the badges and setup cells point to (default: the git remote of the source's
    repository). ``executed``: a previously executed ``solutions/NN_name.ipynb`` whose outputs are
    kept when they were made from the same code (:func:`with_outputs`).
    """
    repo = repo if repo is not None else course.repository(source.parent)
    name = source.stem
    nb = _read_source(source)
    solution = canonical(nb, f"{SOLUTIONS_DIR}/{name}.ipynb", repo)
    student = student_version(nb, name, repo)
    if executed is not None:
        solution = with_outputs(solution, read_executed(executed))
    written = _write_pair(solution, out_root / SOLUTIONS_DIR / f"{name}.py")
    written += _write_pair(student, out_root / NOTEBOOKS_DIR / f"{name}.py")
    return written


def release(
    root: Path | str = ".",
    out_root: Path | str | None = None,
    repo: course.Repository | None = None,
) -> list[Path]:
    """Release every solutions notebook under ``root`` into ``out_root`` (default: ``root``).

    ``repo`` (default: :func:`aminet.course.repository` of ``root``, i.e. its git remote) is what
    the badges and setup cells point to. Returns the paths written. Raises :class:`ReleaseError`
    (a ValueError) when there is nothing to release or a notebook is malformed.
    """
    root = Path(root)
    repo = repo if repo is not None else course.repository(root)
    out_root = Path(out_root) if out_root is not None else root
    sources = solution_sources(root)
    if not sources:
        raise ReleaseError(
            f"no solutions notebooks found: expected {root / SOLUTIONS_DIR}/NN_name.py files"
        )
    written: list[Path] = []
    for source in sources:
        executed = root / SOLUTIONS_DIR / f"{source.stem}.ipynb"
        written += release_one(source, out_root, repo, executed if executed.exists() else None)
    written += release_readme(root, out_root)
    return written


def release_readme(root: Path, out_root: Path) -> list[Path]:
    """Write ``root``'s README.md into ``out_root`` with its course table's times taken from the
    executed solutions (:func:`readme_with_times`); returns ``[path]``, or ``[]`` without one."""
    readme = Path(root) / README
    if not readme.exists():
        return []
    text = readme_with_times(readme.read_text(encoding="utf-8"), executed_timings(root))
    _write_text(Path(out_root) / README, text)
    return [Path(out_root) / README]


# ---------------------------------------------------------------------------------------------
# The README's course table: one row per notebook, its last column the measured time.
# ---------------------------------------------------------------------------------------------
README = "README.md"
_README_ROW = re.compile(r"\]\(notebooks/(?P<stem>[0-9][0-9]_[\w-]+)\.ipynb\)")


def took_text(seconds: float) -> str:
    """A measured time as the notebooks and the README print it: ``21 s`` or ``2.5 min``."""
    # halves round up (Python's round() goes to even): 20.5 s, as stored, reads 21 s everywhere
    return f"{seconds / 60:.1f} min" if seconds >= 90 else f"{math.floor(seconds + 0.5)} s"


def executed_timings(root: Path | str = ".") -> dict[str, tuple[float, str]]:
    """``{stem: (seconds, preset)}`` of every executed ``solutions/NN_name.ipynb`` under ``root``."""
    timings = {}
    for source in solution_sources(root):
        executed = read_executed(Path(root) / SOLUTIONS_DIR / f"{source.stem}.ipynb")
        run = executed.metadata.get(EXECUTION_KEY, {}).get("executed") if executed else None
        if run and "seconds" in run:
            timings[source.stem] = (float(run["seconds"]), str(run.get("preset", "")))
    return timings


def readme_with_times(text: str, timings: dict[str, tuple[float, str]]) -> str:
    """``text`` with the last cell of each course-table row (a Markdown table row that links
    ``notebooks/NN_name.ipynb`` in its second cell) set to that notebook's measured time, as
    ``21 s (default)``; rows of notebooks without a measurement are left as they are."""
    lines = text.split("\n")
    for i, line in enumerate(lines):
        cells = line.split("|")
        if len(cells) < 5 or cells[0].strip() or cells[-1].strip():
            continue  # not a table row
        found = _README_ROW.search(cells[2])
        if not found or found["stem"] not in timings:
            continue
        seconds, preset = timings[found["stem"]]
        cells[-2] = f" {took_text(seconds)} ({preset}) "
        lines[i] = "|".join(cells)
    return "\n".join(lines)


@dataclass(frozen=True)
class OutOfSync:
    """A file that differs from what ``aminet course release`` would write (or should not exist)."""

    path: str
    reason: str


def check_release(
    root: Path | str = ".",
    repo: course.Repository | None = None,
    require_outputs: bool = True,
) -> list[OutOfSync]:
    """Regenerate into a temporary folder and list what differs from ``root``; empty when in sync.

    ``repo`` as for :func:`release` (so a check resolves the same git remote as the release).
    Also lists notebooks in ``notebooks/`` that have no solutions source (stale after a rename),
    and, with ``require_outputs``, every ``solutions/NN_name.ipynb`` whose outputs are missing or
    were made from other code than its source's (:func:`output_problem`). Executes nothing.
    """
    root = Path(root)
    repo = repo if repo is not None else course.repository(root)
    problems: list[OutOfSync] = []
    stale = set()
    if require_outputs:
        for source in solution_sources(root):
            rel = f"{SOLUTIONS_DIR}/{source.stem}.ipynb"
            problem = output_problem(source, root / rel, repo)
            if problem:
                problems.append(OutOfSync(rel, problem))
                stale.add(rel)
    with tempfile.TemporaryDirectory() as tmp:
        written = release(root, tmp, repo)
        expected = {p.relative_to(tmp).as_posix() for p in written}
        for rel in sorted(expected):
            here = root / rel
            if rel in stale:
                continue  # already reported, with what to run
            if not here.exists():
                problems.append(OutOfSync(rel, "missing"))
            elif not filecmp.cmp(here, Path(tmp) / rel, shallow=False):
                problems.append(OutOfSync(rel, "differs from the released version"))
    for path in sorted((root / NOTEBOOKS_DIR).glob("[0-9][0-9]_*")):
        rel = path.relative_to(root).as_posix()
        if path.suffix in (".py", ".ipynb") and rel not in expected:
            problems.append(OutOfSync(rel, "has no source in solutions/ (stale: delete it)"))
    return problems


# ---------------------------------------------------------------------------------------------
# Executed solutions: outputs kept in solutions/NN_name.ipynb, tied to their code by a hash.
# ---------------------------------------------------------------------------------------------
EXECUTION_KEY = "aminet"
"""Notebook metadata key of an executed solution: ``{"source_sha256": ..., "executed": {...}}``."""

TIMING_PREFIX = "**Measured time on a CPU:**"
"""The opening cell's line that ``--execute`` writes (replaced on every execution)."""

EXECUTE_COMMAND = "aminet course release --execute"

DEFAULT_EXECUTION_PRESET = "default"
EXECUTION_PRESETS = {
    # The notebooks that train execute at the smoke size: at the default preset, on the loaded
    # 2-core CPU sandbox, 07 ran for 6.2 min, 08 for 3.8 min and 10 for 11.6 min as plain scripts
    # (docs/course.md), beyond a release's ~15 minutes together. Their opening line says so.
    "07_training": "smoke",
    "08_amigan": "smoke",
    "10_ablations": "smoke",
    "11_capstone": "smoke",
}
"""The preset each solutions notebook executes at (:data:`DEFAULT_EXECUTION_PRESET` otherwise)."""


def execution_preset(name: str, override: str | None = None) -> str:
    """The preset ``name`` (e.g. '07_training') executes at: ``override``, else its table entry."""
    if override:
        return override
    return EXECUTION_PRESETS.get(name, DEFAULT_EXECUTION_PRESET)


EXECUTION_ENV = {
    # Figures must reach the outputs: the inline backend, whatever the caller's MPLBACKEND says.
    "MPLBACKEND": "module://matplotlib_inline.backend_inline",
    # The explorer draws a static figure; widgets would not render on GitHub.
    "AMINET_HEADLESS": "1",
    # tqdm.auto draws ipywidgets in a kernel, which GitHub shows as "Loading widget...".
    "TQDM_DISABLE": "1",
    "PYTHONHASHSEED": "0",
}


def source_hash(nb: nbformat.NotebookNode) -> str:
    """SHA-256 of a notebook's code cells, in order: what its outputs depend on.

    Markdown is left out on purpose, so fixing a sentence (or the measured-time line) does not make
    the outputs stale; any change to any code cell does.
    """
    digest = hashlib.sha256()
    for cell in nb.cells:
        if cell.cell_type == "code":
            digest.update(cell.source.encode("utf-8"))
            digest.update(b"\n\x00cell\x00\n")
    return digest.hexdigest()


def read_executed(path: Path) -> nbformat.NotebookNode | None:
    """An executed notebook, or None when it cannot be read (it is then simply not reused)."""
    try:
        return nbformat.read(path, as_version=4)
    except (OSError, ValueError, json.JSONDecodeError):
        return None


def _code_cells(nb) -> list:
    return [c for c in nb.cells if c.cell_type == "code"]


def with_outputs(
    solution: nbformat.NotebookNode, executed: nbformat.NotebookNode | None
) -> nbformat.NotebookNode:
    """``solution`` (canonical, no outputs) with the outputs of ``executed`` when both have the same
    code (same :func:`source_hash`); otherwise ``solution`` unchanged. Outputs go to the code cells
    in order, so markdown cells may be added or edited without re-executing."""
    if executed is None:
        return solution
    stored = executed.metadata.get(EXECUTION_KEY, {})
    code_hash = source_hash(solution)
    if stored.get("source_sha256") != code_hash or not any(
        c.get("outputs") for c in _code_cells(executed)
    ):
        return solution
    out = nbformat.from_dict(json.loads(json.dumps(solution)))  # a deep copy
    for cell, done in zip(_code_cells(out), _code_cells(executed)):
        cell.outputs = done.get("outputs", [])
        cell.execution_count = done.get("execution_count")
    out.metadata[EXECUTION_KEY] = {
        "source_sha256": code_hash,
        "executed": dict(stored.get("executed", {})),
    }
    return out


def output_problem(
    source: Path, executed_path: Path, repo: course.Repository | None = None
) -> str | None:
    """None when ``executed_path`` holds outputs made from ``source``'s current code, else one line.

    ``repo`` as for :func:`release`: the setup cell's code depends on it."""
    fix = f"run '{EXECUTE_COMMAND}'"
    repo = repo if repo is not None else course.repository(source.parent)
    if not executed_path.exists():
        return f"missing: {fix}"
    executed = read_executed(executed_path)
    if executed is None:
        return f"not a readable notebook: {fix}"
    stored = executed.metadata.get(EXECUTION_KEY, {}).get("source_sha256")
    if stored is None:
        return f"has no executed outputs: {fix}"
    current = source_hash(canonical(_read_source(source), executed_path.as_posix(), repo))
    if stored != current:
        return f"outputs are stale (made from an older version of {source.name}): {fix}"
    return None


def stale_solutions(root: Path | str = ".", repo: course.Repository | None = None) -> list[Path]:
    """The solutions sources whose executed ``.ipynb`` is missing, unreadable or stale."""
    root = Path(root)
    return [
        s
        for s in solution_sources(root)
        if output_problem(s, root / SOLUTIONS_DIR / f"{s.stem}.ipynb", repo)
    ]


@contextlib.contextmanager
def _environment(updates: dict[str, str | None]):
    saved = {k: os.environ.get(k) for k in updates}
    try:
        for k, v in updates.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def machine_description() -> str:
    """What the timing was measured on, as far as Python can tell (cores, architecture, load)."""
    text = f"{os.cpu_count()}-core {platform.machine() or 'unknown'} CPU"
    with contextlib.suppress(OSError, AttributeError):
        text += f", load average {os.getloadavg()[0]:.1f}"
    return text


def timing_line(seconds: float, preset: str, machine: str) -> str:
    """The opening cell's measured-time line."""
    text = (
        f"{TIMING_PREFIX} {took_text(seconds)} for the solutions, every cell, `AMINET_PRESET={preset}` "
        f"({machine}; written by `{EXECUTE_COMMAND}`). No GPU time has been measured."
    )
    if preset == "smoke":
        text += (
            " The outputs below are from the smoke size (tiny networks, a few steps); at the "
            "default preset this notebook trains for minutes (docs/course.md gives measured times)."
        )
    return text


def set_timing_line(source: Path, line: str) -> None:
    """Write ``line`` into the first markdown cell of ``source`` (replacing an earlier one), after
    the Colab badge when there is one, else after the title."""
    text = source.read_text(encoding="utf-8")
    lines = text.split("\n")
    prefix = "# " + TIMING_PREFIX
    for i, old in enumerate(lines):
        if old.startswith(prefix):
            lines[i] = "# " + line
            source.write_text("\n".join(lines), encoding="utf-8")
            return
    start = next((i for i, x in enumerate(lines) if x.startswith("# %% [markdown]")), None)
    if start is None:
        raise ReleaseError(f"{source}: no markdown cell to write the measured time into")
    end = start + 1
    while end < len(lines) and lines[end].startswith("#"):
        end += 1
    cell = range(start + 1, end)
    anchor = next((i for i in cell if _BADGE_LINE.match(lines[i][2:])), None)
    if anchor is None:
        anchor = next((i for i in cell if lines[i].startswith("# #")), start)
    lines[anchor + 1 : anchor + 1] = ["#", "# " + line]
    source.write_text("\n".join(lines), encoding="utf-8")


def execute_notebook(
    nb: nbformat.NotebookNode, preset: str, cell_timeout: int = 1800
) -> nbformat.NotebookNode:
    """Run ``nb`` top to bottom in a fresh kernel in an empty temporary folder (runs it writes are
    thrown away) at ``AMINET_PRESET=preset``; raises ``nbclient`` errors naming the failing cell."""
    from nbclient import NotebookClient

    env = dict(EXECUTION_ENV)
    env["AMINET_PRESET"] = None if preset == "default" else preset
    env.setdefault("OMP_NUM_THREADS", os.environ.get("OMP_NUM_THREADS"))
    nb = nbformat.from_dict(json.loads(json.dumps(nb)))
    with tempfile.TemporaryDirectory(prefix="aminet-execute-") as workdir, _environment(env):
        client = NotebookClient(
            nb,
            timeout=cell_timeout,
            kernel_name="python3",
            resources={"metadata": {"path": workdir}},
            record_timing=False,
        )
        client.execute()
    return nb


def execute_solutions(
    root: Path | str = ".",
    preset: str | None = None,
    names: list[str] | None = None,
    force: bool = False,
    cell_timeout: int = 1800,
    progress: bool = True,
    repo: course.Repository | None = None,
) -> list[tuple[str, float]]:
    """Release, then execute every stale solutions notebook (all of ``names`` with ``force``).

    ``preset``: the ``AMINET_PRESET`` for every notebook; None uses :func:`execution_preset`.

    Each executed notebook gets its outputs and :func:`source_hash` in ``solutions/NN_name.ipynb``
    and its measured time in its opening cell (then everything is released again, so the students'
    copies show the time too). Returns ``(name, seconds)`` per executed notebook.
    """
    from tqdm.auto import tqdm

    root = Path(root)
    repo = repo if repo is not None else course.repository(root)
    release(root, repo=repo)
    sources = solution_sources(root) if force else stale_solutions(root, repo)
    if names:
        unknown = (
            set(names)
            - {s.stem for s in solution_sources(root)}
            - {s.stem[:2] for s in solution_sources(root)}
        )
        if unknown:
            raise ReleaseError(
                f"no solutions notebook named {sorted(unknown)} in {root / SOLUTIONS_DIR}"
            )
        sources = [s for s in sources if s.stem in names or s.stem[:2] in names]
    timings: list[tuple[str, float]] = []
    bar = tqdm(sources, desc="executing solutions", unit="notebook", disable=not progress)
    for source in bar:
        bar.set_postfix_str(source.stem)
        ipynb = root / SOLUTIONS_DIR / f"{source.stem}.ipynb"
        solution = nbformat.read(ipynb, as_version=4)
        run_preset = execution_preset(source.stem, preset)
        start = time.perf_counter()
        try:
            executed = execute_notebook(solution, run_preset, cell_timeout)
        except Exception as err:
            raise ReleaseError(
                f"{source}: execution failed: {str(err).strip().splitlines()[-1]}"
            ) from err
        seconds = round(time.perf_counter() - start, 1)  # as stored: the README reads it back
        machine = machine_description()
        executed.metadata[EXECUTION_KEY] = {
            "source_sha256": source_hash(solution),
            "executed": {"preset": run_preset, "seconds": seconds, "machine": machine},
        }
        _write_text(ipynb, nbformat.writes(executed))
        set_timing_line(source, timing_line(seconds, run_preset, machine))
        release_one(
            source, root, repo, ipynb
        )  # the time line reaches both copies; outputs are kept
        timings.append((source.stem, seconds))
        tqdm.write(f"{source.stem}: {seconds:.1f} s at AMINET_PRESET={run_preset}")
    release_readme(root, root)  # the course table's times follow
    return timings
