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

Everything is deterministic: no outputs, no execution counts, fixed notebook metadata, cell ids
``cell-000``, ``cell-001``..., so the files only change when a solution changes.
:func:`check_release` regenerates into a temporary folder and lists every file that differs.

The repository is named in one place, :func:`aminet.course.repository`: the ``--repo-url`` option
or the git remote of the repository being released (none: the notebooks say so), pinned to a tag
(``v<version>``, or ``--ref``). From it, a markdown line starting with ``[![Open In Colab]`` (or
``**Open in Colab:**``) becomes the badge of that very notebook, and the code cell that assigns
``REPO_URL = ...`` (the Colab setup cell) is rewritten whole by :func:`aminet.course.install_cell`.
"""

from __future__ import annotations

import filecmp
import re
import tempfile
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

# Cell metadata that survives a release: tags (nbval / nbgrader markers) and Jupytext's blank-line
# count, which keeps two blank lines after a function cell so the .py files stay ruff-formatted.
KEPT_CELL_METADATA = ("tags", "lines_to_next_cell")

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


def release_one(source: Path, out_root: Path, repo: course.Repository | None = None) -> list[Path]:
    """Release one ``solutions/NN_name.py`` into ``out_root``; returns the 4 paths written."""
    repo = repo if repo is not None else course.repository(source.parent)
    name = source.stem
    try:
        nb = jupytext.read(source, fmt="py:percent")
    except Exception as err:  # jupytext's own errors are not user-friendly; name the file
        raise ReleaseError(f"{source}: not a readable Jupytext percent notebook ({err})") from err
    solution = canonical(nb, f"{SOLUTIONS_DIR}/{name}.ipynb", repo)
    student = student_version(nb, name, repo)
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
        written += release_one(source, out_root, repo)
    return written


@dataclass(frozen=True)
class OutOfSync:
    """A file that differs from what ``aminet course release`` would write (or should not exist)."""

    path: str
    reason: str


def check_release(root: Path | str = ".", repo: course.Repository | None = None) -> list[OutOfSync]:
    """Regenerate into a temporary folder and list what differs from ``root``; empty when in sync.

    ``repo`` as for :func:`release` (so a check resolves the same git remote as the release).
    Also lists notebooks in ``notebooks/`` that have no solutions source (stale after a rename).
    """
    root = Path(root)
    problems: list[OutOfSync] = []
    with tempfile.TemporaryDirectory() as tmp:
        written = release(root, tmp, repo)
        expected = {p.relative_to(tmp).as_posix() for p in written}
        for rel in sorted(expected):
            here = root / rel
            if not here.exists():
                problems.append(OutOfSync(rel, "missing"))
            elif not filecmp.cmp(here, Path(tmp) / rel, shallow=False):
                problems.append(OutOfSync(rel, "differs from the released version"))
    for path in sorted((root / NOTEBOOKS_DIR).glob("[0-9][0-9]_*")):
        rel = path.relative_to(root).as_posix()
        if path.suffix in (".py", ".ipynb") and rel not in expected:
            problems.append(OutOfSync(rel, "has no source in solutions/ (stale: delete it)"))
    return problems
