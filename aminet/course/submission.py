"""Reading a submitted notebook: which chapter it is, its check cells, and the code the grader runs.

The grader never executes a submission as a whole. From its code cells it keeps only what defines
the student's answers, in notebook order: imports, ``def`` and ``class`` statements, and
assignments of plain values (``EPS = 1e-6``). Everything else (training loops, plots, a cell that
writes a fake log or monkeypatches the checks) is dropped. Each check cell
``name = check("<id>", <answer>)`` becomes a *capture*: the value its answer expression had at that
point of the notebook is what gets graded. :func:`static_flags` then reads the answer's code (and
the helpers it calls) for signs of the answer key or of tampering with the grader's instruments.
"""

from __future__ import annotations

import ast
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from aminet.course.exercises import CHAPTERS, EXERCISES

NOTEBOOK_API = {
    "check",
    "device",
    "is_smoke",
    "preset",
    "colab_badge",
    "colab_url",
    "list_exercises",
    "REPO_URL",
    "BRANCH",
    "PRESET_ENV",
    "explorer",
}
"""What a notebook may import from ``aminet.course``; anything else there is the answer key."""

_KEY_MODULES = (
    "aminet.course.reference",
    "aminet.course.checks",
    "aminet.course.exercises",
    "aminet.course.compare",
    "aminet.course.grade",
    "aminet.course.sandbox",
    "aminet.course.submission",
)
_TAMPER_NAMES = {
    "setprofile": "replaces the profiler the grader watches answers with",
    "settrace": "replaces the tracer",
    "_getframe": "reads the caller's frames",
    "f_back": "reads the caller's frames",
    "f_globals": "reads another frame's globals",
    "f_locals": "reads another frame's locals",
    "ctypes": "uses ctypes",
    "get_referrers": "searches the interpreter's objects",
    "get_objects": "searches the interpreter's objects",
    "__code__": "rewrites code objects",
    "__import__": "imports modules by name",
    "importlib": "imports modules by name",
    "argv": "reads the grader's command line",
    "__subclasses__": "searches the interpreter's classes",
}
_TAMPER_STRINGS = ("/proc/", "aminet.course.")
"""Strings used as values (a path, a module name to look up), not in docstrings or comments."""
_TAMPER_BUILTINS = {
    "exec": "runs generated code (exec)",
    "eval": "runs generated code (eval)",
    "compile": "compiles generated code",
    "getsource": "reads source code (inspect.getsource)",
}


class SubmissionError(ValueError):
    """A submission the grader cannot read (not a notebook, empty, unreadable)."""


@dataclass
class CheckCall:
    exercise: str
    expression: str  # the answer argument's source
    targets: list[str]  # names the check's result is assigned to
    cell: int
    plain_name: bool  # the answer is a bare name (evaluated where the check cell stands)


@dataclass
class Submission:
    path: Path
    statements: list[dict] = field(default_factory=list)  # what the sandbox runs, in order
    checks: list[CheckCall] = field(default_factory=list)
    defs: dict[str, ast.AST] = field(default_factory=dict)  # last top-level def/class per name
    key_imports: dict[str, str] = field(default_factory=dict)  # alias -> answer-key module
    problems: list[str] = field(default_factory=list)  # cells that could not be parsed
    title: str = ""
    code_cells: int = 0

    def check_for(self, exercise_id: str) -> CheckCall | None:
        """The last check cell of ``exercise_id`` (a re-run after a fix counts, like the kernel)."""
        found = [c for c in self.checks if c.exercise == exercise_id]
        return found[-1] if found else None


def read_notebook(path: Path | str):
    """Read an ``.ipynb`` (or a Jupytext ``.py``); :class:`SubmissionError` if it is not one."""
    import nbformat

    path = Path(path)
    if not path.is_file():
        raise SubmissionError(f"{path} does not exist or is not a file")
    if path.suffix not in (".ipynb", ".py"):
        raise SubmissionError(f"{path.name} is not a notebook (expected .ipynb or a Jupytext .py)")
    try:
        if path.suffix == ".py":
            import jupytext

            return jupytext.read(path, fmt="py:percent")
        return nbformat.read(path, as_version=4)
    except Exception as err:  # noqa: BLE001 - any parse failure is the same user mistake
        first = str(err).strip().splitlines()[0][:160] if str(err).strip() else type(err).__name__
        raise SubmissionError(
            f"{path.name} is not a readable notebook (.ipynb or Jupytext .py): {first}"
        ) from err


_MAGIC = re.compile(r"^\s*[%!?]")


def _python_source(source: str) -> str:
    """IPython magics and shell escapes become ``pass`` (same line numbers)."""
    return "\n".join(
        "pass" if _MAGIC.match(line) else line for line in source.replace("\r\n", "\n").split("\n")
    )


def _is_plain_value(node: ast.AST) -> bool:
    allowed = (
        ast.Constant,
        ast.Name,
        ast.Attribute,
        ast.Tuple,
        ast.List,
        ast.Dict,
        ast.Set,
        ast.BinOp,
        ast.UnaryOp,
        ast.operator,
        ast.unaryop,
        ast.Load,
        ast.keyword,
    )
    return all(isinstance(n, allowed) for n in ast.walk(node))


def _check_aliases(tree: ast.Module) -> set[str]:
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module in (
            "aminet.course",
            "aminet.course.checks",
        ):
            for alias in node.names:
                if alias.name == "check":
                    names.add(alias.asname or "check")
    return names


def _as_check(node: ast.AST, aliases: set[str]) -> tuple[str, ast.AST] | None:
    if not isinstance(node, ast.Call) or len(node.args) < 2:
        return None
    func = node.func
    is_check = (isinstance(func, ast.Name) and func.id in aliases) or (
        isinstance(func, ast.Attribute) and func.attr == "check"
    )
    first = node.args[0]
    if is_check and isinstance(first, ast.Constant) and isinstance(first.value, str):
        return first.value, node.args[1]
    return None


def parse(nb, path: Path | str = "notebook") -> Submission:
    """What the grader needs from a notebook: see the module docstring."""
    sub = Submission(Path(path))
    cells = [c for c in nb.get("cells", [])]
    aliases = {"check"}
    for i, cell in enumerate(cells):
        source = cell.get("source", "")
        if isinstance(source, list):
            source = "".join(source)
        if cell.get("cell_type") == "markdown" and not sub.title:
            m = re.search(r"^#\s+(\d\d)\b", source, re.M)
            if m:
                sub.title = m.group(1)
        if cell.get("cell_type") != "code" or not source.strip():
            continue
        sub.code_cells += 1
        text = _python_source(source)
        try:
            tree = ast.parse(text)
        except SyntaxError as err:
            sub.problems.append(f"cell {i}: SyntaxError: {err.msg} (line {err.lineno})")
            continue
        aliases |= _check_aliases(tree)
        for node in tree.body:
            call = None
            targets: list[str] = []
            if isinstance(node, ast.Assign):
                call = _as_check(node.value, aliases)
                targets = [t.id for t in node.targets if isinstance(t, ast.Name)]
            elif isinstance(node, ast.Expr):
                call = _as_check(node.value, aliases)
            if call is not None:
                exercise, answer = call
                expr = ast.get_source_segment(text, answer) or ast.unparse(answer)
                plain = isinstance(answer, ast.Name)
                sub.checks.append(CheckCall(exercise, expr, targets, i, plain))
                sub.statements.append(
                    {
                        "kind": "capture",
                        "exercise": exercise,
                        "source": expr,
                        "cell": i,
                        "plain": plain,
                    }
                )
                continue
            keep = isinstance(
                node,
                (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef),
            )
            if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
                targets_ok = all(
                    isinstance(t, ast.Name)
                    for t in (node.targets if isinstance(node, ast.Assign) else [node.target])
                )
                keep = targets_ok and _is_plain_value(node.value)
            if not keep:
                continue
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                sub.defs[node.name] = node
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                _note_key_imports(node, sub.key_imports)
            segment = ast.get_source_segment(text, node, padded=False) or ast.unparse(node)
            if getattr(node, "decorator_list", None):
                first = min(d.lineno for d in node.decorator_list)
                lines = text.split("\n")[first - 1 : node.end_lineno]
                segment = "\n".join(lines)
                indent = len(segment) - len(segment.lstrip())
                segment = "\n".join(line[indent:] for line in segment.split("\n"))
            sub.statements.append(
                {"kind": "code", "source": segment, "cell": i, "line": getattr(node, "lineno", 1)}
            )
    return sub


def _note_key_imports(node: ast.AST, found: dict[str, str]) -> None:
    if isinstance(node, ast.Import):
        for alias in node.names:
            if alias.name.startswith(_KEY_MODULES):
                found[(alias.asname or alias.name).split(".")[0]] = alias.name
    elif isinstance(node, ast.ImportFrom) and node.module:
        if node.module.startswith(_KEY_MODULES):
            for alias in node.names:
                found[alias.asname or alias.name] = f"{node.module}.{alias.name}"
        elif node.module == "aminet.course":
            for alias in node.names:
                if alias.name not in NOTEBOOK_API:
                    found[alias.asname or alias.name] = f"aminet.course.{alias.name}"


def _names_in(node: ast.AST) -> set[str]:
    names = set()
    for n in ast.walk(node):
        if isinstance(n, ast.Name):
            names.add(n.id)
        elif isinstance(n, ast.Attribute):
            names.add(n.attr)
    return names


def static_flags(sub: Submission, call: CheckCall) -> list[str]:
    """What the answer's code (and the notebook helpers it uses) says about how it was written."""
    try:
        roots = [ast.parse(call.expression, mode="eval")]
    except SyntaxError:
        roots = []
    seen: set[str] = set()
    nodes: list[ast.AST] = []
    while roots:
        node = roots.pop()
        nodes.append(node)
        for name in _names_in(node):
            if name in sub.defs and name not in seen:
                seen.add(name)
                roots.append(sub.defs[name])
    flags: list[str] = []
    for node in nodes:
        for n in ast.walk(node):
            if isinstance(n, (ast.Import, ast.ImportFrom)):
                modules = (
                    [a.name for a in n.names] if isinstance(n, ast.Import) else [n.module or ""]
                )
                for module in modules:
                    if module.startswith(_KEY_MODULES) or (
                        module == "aminet.course"
                        and any(a.name not in NOTEBOOK_API for a in n.names)
                    ):
                        flags.append(f"imports the course's answer key ({module})")
            elif isinstance(n, ast.Name) and n.id in sub.key_imports:
                flags.append(f"uses {sub.key_imports[n.id]} (the course's answer key)")
            elif isinstance(n, ast.Attribute) and n.attr in (
                "reference",
                "checks",
                "exercises",
                "compare",
                "EXERCISES",
            ):
                chain = ast.unparse(n)
                if "course" in chain:
                    flags.append(f"uses {chain} (the course's answer key)")
            name = _node_name(n)
            if name in _TAMPER_NAMES:
                flags.append(f"{_TAMPER_NAMES[name]} ({name})")
    return sorted(set(flags))


def _node_name(node: ast.AST) -> str | None:
    """The name a node refers to: ``x`` for ``x`` and for ``a.b.x``; None for anything else."""
    if isinstance(node, ast.Name):
        return node.id
    return node.attr if isinstance(node, ast.Attribute) else None


def tamper_flags(sub: Submission) -> list[str]:
    """Signs, anywhere in the code the grader runs, of reaching for the grader's own machinery.

    Class bodies, decorators and default arguments run while the notebook's code is defined, so
    the whole kept code is read, not only the answers.
    """
    flags = set()
    for st in sub.statements:
        if st["kind"] != "code":
            continue
        try:
            tree = ast.parse(st["source"])
        except SyntaxError:
            continue
        prose = {id(n.value) for n in ast.walk(tree) if isinstance(n, ast.Expr)}  # docstrings
        for n in ast.walk(tree):
            name = _node_name(n)
            if name in _TAMPER_NAMES:
                flags.add(f"cell {st['cell']}: {_TAMPER_NAMES[name]} ({name})")
            if isinstance(n, ast.Name) and n.id in _TAMPER_BUILTINS or name == "getsource":
                flags.add(f"cell {st['cell']}: {_TAMPER_BUILTINS[name]}")
            if isinstance(n, ast.alias) and n.name.split(".")[0] in ("importlib", "ctypes", "gc"):
                flags.add(f"cell {st['cell']}: imports {n.name}")
            if isinstance(n, ast.Constant) and isinstance(n.value, str) and id(n) not in prose:
                if any(t in n.value for t in _TAMPER_STRINGS):
                    flags.add(f"cell {st['cell']}: names {n.value[:40]!r}")
    return sorted(flags)


def chapter_from_name(path: Path) -> str | None:
    """The chapter a file name (or its folders) says it is: ``01_self_attention.ipynb`` -> "01"."""
    for part in [path.stem, *[p.name for p in path.parents][:3]]:
        low = part.lower()
        for number, stem in CHAPTERS.items():
            if stem in low:
                return number
        m = re.search(r"(?:^|[^0-9])(\d\d)(?:[_\- .]|$)", low)
        if m and m.group(1) in CHAPTERS:
            return m.group(1)
    return None


def chapter_from_content(sub: Submission) -> str | None:
    """The chapter most of the notebook's check cells belong to (else its title's number)."""
    votes = Counter(EXERCISES[c.exercise].notebook for c in sub.checks if c.exercise in EXERCISES)
    if votes:
        return votes.most_common(1)[0][0]
    return sub.title if sub.title in CHAPTERS else None
