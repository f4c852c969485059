"""Which cells of a notebook show a figure, decided from their code alone.

The inline-backend test and the check of the committed, executed solutions both ask "does every
cell that should show a figure carry an image?". Which cells should is read from the code, not from
the outputs under test (a figure that vanished leaves no trace in them). A code cell shows a figure
when, outside any ``def`` or ``class`` in it, it calls:

- a pyplot function that draws or shows (``plt.show()``, ``plt.subplots(...)``, ``plt.imshow(...)``:
  the inline backend shows every figure a cell creates);
- a function defined earlier in the notebook that does (notebook 00's ``show(images, titles)``);
- a course diagram (``diagrams.draw_unet(...)``: a Figure that renders as the cell's value);
- the explorer (``explore(...)``, a static figure in headless runs).

Shell (``!``) and magic (``%``) lines are skipped. Figures drawn inside an ``if`` branch that the
run does not take would count as well; no notebook draws that way today, and the check of the
executed solutions would name such a cell.
"""

from __future__ import annotations

import ast

PYPLOT_DRAWS = frozenset(
    {
        "bar",
        "figure",
        "hist",
        "imshow",
        "loglog",
        "matshow",
        "plot",
        "scatter",
        "semilogy",
        "show",
        "subplots",
    }
)


def _call_name(call: ast.Call) -> str:
    func = call.func
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        base = func.value.id if isinstance(func.value, ast.Name) else ""
        return f"{base}.{func.attr}"
    return ""


def _calls(node: ast.AST):
    return (n for n in ast.walk(node) if isinstance(n, ast.Call))


def _top_level_calls(tree: ast.Module):
    """Calls a cell makes when it runs: everything except the bodies of its defs and classes."""
    todo = list(tree.body)
    while todo:
        stmt = todo.pop()
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        for child in ast.iter_child_nodes(stmt):
            if isinstance(child, ast.stmt):
                todo.append(child)
            else:
                yield from _calls(child)


def _draws_with_pyplot(name: str) -> bool:
    return name.startswith("plt.") and name[4:] in PYPLOT_DRAWS


def _parse(source: str) -> ast.Module:
    python = "\n".join(
        line for line in source.splitlines() if not line.lstrip().startswith(("!", "%"))
    )
    return ast.parse(python)


def figure_cells(cells) -> list[int]:
    """Indices (into ``cells``) of the code cells that show at least one figure when run."""
    drawing_functions: set[str] = set()
    shown = []
    for index, cell in enumerate(cells):
        if cell["cell_type"] != "code":
            continue
        source = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
        tree = _parse(source)
        for stmt in tree.body:
            if isinstance(stmt, ast.FunctionDef) and any(
                _draws_with_pyplot(_call_name(c)) for c in _calls(stmt)
            ):
                drawing_functions.add(stmt.name)
        for call in _top_level_calls(tree):
            name = _call_name(call)
            last = name.rsplit(".", 1)[-1]
            if (
                _draws_with_pyplot(name)
                or name in drawing_functions
                or (name.startswith("diagrams.") and last.startswith("draw_"))
                or last == "explore"
            ):
                shown.append(index)
                break
    return shown


def images(cell) -> int:
    """How many PNG images a cell's outputs hold."""
    return sum("image/png" in out.get("data", {}) for out in cell.get("outputs", []))


def first_line(cell) -> str:
    source = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
    return source.strip().splitlines()[0][:70]
