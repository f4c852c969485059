"""The package's import structure: no cycles among aminet's modules, the registry imports no model
code, the GAN needs only the trainer's public step, and the training loop knows no GAN."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "aminet"


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _import_nodes(tree: ast.Module, top_level_only: bool):
    """Import statements that run when the module is imported (module body, and the bodies of
    top-level if/try blocks, TYPE_CHECKING blocks excluded); with ``top_level_only=False``, also
    those inside functions and classes (lazy imports)."""
    if not top_level_only:
        yield from (n for n in ast.walk(tree) if isinstance(n, ast.Import | ast.ImportFrom))
        return
    todo = list(tree.body)
    while todo:
        node = todo.pop()
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        elif isinstance(node, ast.If) and not _is_type_checking(node):
            todo += node.body + node.orelse
        elif isinstance(node, ast.Try):
            todo += node.body + node.orelse + node.finalbody
            todo += [n for handler in node.handlers for n in handler.body]


def imported_modules(name: str, top_level_only: bool = True) -> set[str]:
    """The aminet modules that module ``name`` imports (a ``from pkg import sub`` counts ``sub``
    when it is a module, else ``pkg``)."""
    path = MODULES[name]
    tree = ast.parse(path.read_text(), filename=str(path))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in _import_nodes(tree, top_level_only):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        else:
            base = node.module or ""
            if node.level:  # relative import
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            targets = [
                f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base
                for alias in node.names
            ]
        found |= {t for t in targets if t in MODULES and t != name}
    return found


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_the_cycle_finder_finds_a_cycle_and_accepts_a_tree():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b", "c"}, "b": {"c"}, "c": set()}) == []


def test_the_import_reader_sees_the_packages_edges():
    assert "aminet.registry" in imported_modules("aminet.model")
    assert "aminet.modules" in imported_modules("aminet.model")
    assert "aminet.modules.skaf" in imported_modules("aminet.modules")  # from pkg import sub


@pytest.mark.parametrize("lazy", [False, True], ids=["top-level", "with-lazy-imports"])
def test_no_import_cycles_among_aminet_modules(lazy):
    graph = {name: imported_modules(name, top_level_only=not lazy) for name in MODULES}
    assert cycles(graph) == []


@pytest.mark.parametrize("lazy", [False, True], ids=["top-level", "with-lazy-imports"])
def test_the_registry_imports_no_model_code(lazy):
    # create_model(weights=...) loads a file through aminet.weights (no model code) when asked
    allowed = set() if not lazy else {"aminet.weights"}
    assert imported_modules("aminet.registry", top_level_only=not lazy) <= allowed


def test_gan_needs_only_the_pixel_step_from_the_trainer():
    # AMIGAN's step extends the trainer's public PixelStep; nothing else of the trainer
    trainer = {n for n in MODULES if n == "aminet.train" or n.startswith("aminet.training")}
    used = imported_modules("aminet.gan", top_level_only=False) & trainer
    assert used == {"aminet.training.steps"}


def test_the_training_package_is_read_from_the_import_graph():
    assert "aminet.training.steps" in imported_modules("aminet.training.config")
    assert "aminet.training.distributed" in imported_modules("aminet.training.loop")  # from pkg
    # the facade re-exports the package and holds no code of its own
    assert "aminet.training" in imported_modules("aminet.train")


def test_the_training_steps_import_nothing_else_of_the_trainer():
    # the step is shared by the loop, AMIGAN and aminet bench: it must not pull in the loop
    assert not any(
        n.startswith("aminet.train")
        for n in imported_modules("aminet.training.steps", top_level_only=False)
    )


def test_the_training_loop_knows_no_gan():
    # the loop calls whatever step build.py made; only build.py chooses AMIGAN's
    for name in MODULES:
        if name.startswith("aminet.training") and name != "aminet.training.build":
            assert "aminet.gan" not in imported_modules(name, top_level_only=False), name
