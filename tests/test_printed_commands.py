"""Every `aminet ...` command a notebook or a doc tells the reader to run parses with the real CLI.

Commands are taken from inline code spans, from fenced code blocks (Markdown, and the Markdown
cells of solutions/*.py), from `!aminet ...` notebook lines, from 'aminet ...' quoted in
notebook strings, and from what the notebooks printed when they were executed (the committed
solutions' outputs: "Resume with: aminet train --resume ..." comes from the library). They are parsed with ``aminet.cli.build_parser()``, never run. Synopses (with
``[...]``, ``...``, ``a|b`` or ``<...>``) describe a family of commands, and `aminet NAME` alone
names one in prose: for those only the sub-command's existence is checked.
"""

from __future__ import annotations

import contextlib
import io
import re
import shlex
from pathlib import Path

import pytest

from aminet.cli import build_parser

ROOT = Path(__file__).resolve().parents[1]
SOURCES = sorted(
    [
        ROOT / "README.md",
        *(ROOT / "docs").glob("*.md"),
        *(ROOT / "solutions").glob("[0-9][0-9]_*.py"),
    ]
)
INLINE = re.compile(r"`((?:python -m )?aminet [^`]+)`")
QUOTED = re.compile(r"'((?:python -m )?aminet [a-z][^']*)'")
SYNOPSIS = re.compile(r"\[|\.\.\.|\||<|\bCOMMAND\b")


def _markdown_lines(path: Path) -> list[str]:
    """The Markdown text of a doc, or of a notebook's Markdown cells (comment prefix removed)."""
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".md":
        return text.splitlines()
    import jupytext

    lines = []
    for cell in jupytext.reads(text, fmt="py:percent").cells:
        if cell.cell_type == "markdown":
            lines += cell.source.splitlines()
    return lines


def _code_lines(path: Path) -> list[str]:
    if path.suffix == ".md":
        return []
    import jupytext

    cells = jupytext.reads(path.read_text(encoding="utf-8"), fmt="py:percent").cells
    return [line for c in cells if c.cell_type == "code" for line in c.source.splitlines()]


def commands_in(path: Path) -> list[str]:
    found = []
    fenced = False
    lines, pending = [], ""
    for line in _markdown_lines(path):  # join shell continuation lines ("... \\" + next line)
        if line.rstrip().endswith("\\"):
            pending += line.rstrip()[:-1] + " "
            continue
        lines.append(pending + line.lstrip() if pending else line)
        pending = ""
    for line in lines:
        if line.strip().startswith("```"):
            fenced = not fenced
            continue
        if fenced:
            cmd = re.sub(r"^\s*(\$ |!|%)?", "", line)
            if cmd.startswith(("aminet ", "python -m aminet ")):
                found.append(cmd)
        else:
            found += INLINE.findall(line)
    for line in _code_lines(path):
        stripped = line.strip()
        if stripped.startswith("!aminet "):
            found.append(stripped[1:])
        found += QUOTED.findall(line)
    return found


def argv_of(command: str) -> list[str] | None:
    """The argument list after ``aminet``; None for a synopsis."""
    command = command.split(" > ")[0]  # a shell redirection is not part of the command
    if SYNOPSIS.search(command):
        return None
    words = shlex.split(command, comments=True)
    if words[:3] == ["python", "-m", "aminet"]:
        words = words[2:]
    return words[1:]


def parse_error(argv: list[str]) -> str | None:
    """None when ``aminet argv`` parses (``--help`` counts), else what argparse said."""
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        try:
            build_parser().parse_args(argv)
        except SystemExit as stop:
            return None if stop.code == 0 else err.getvalue().strip().splitlines()[-1]
    return None


def _subcommands() -> set[str]:
    return set(next(a for a in build_parser()._actions if a.dest == "command").choices)


def printed_commands(path: Path) -> list[str]:
    """`aminet COMMAND ...` lines in an executed notebook's text outputs (a sub-command must
    follow, so "training aminet seed 0" is a model name, not a command)."""
    import nbformat

    names = "|".join(sorted(_subcommands()))
    pattern = re.compile(r"(?:^|: |\$ )((?:python -m )?aminet (?:" + names + r")\b[^\n]*)", re.M)
    found = []
    for cell in nbformat.read(path, as_version=4).cells:
        for out in cell.get("outputs", []):
            text = out.get("text", "") + out.get("data", {}).get("text/plain", "")
            found += [m.rstrip() for m in pattern.findall(text)]
    return found


EXECUTED = sorted((ROOT / "solutions").glob("[0-9][0-9]_*.ipynb"))
FOUND = [(path, cmd) for path in SOURCES for cmd in commands_in(path)]
FOUND += [(path, cmd) for path in EXECUTED for cmd in printed_commands(path)]
# `aminet upscale` alone in prose names a command; with arguments it is one to run
ALL = [(path, cmd) for path, cmd in FOUND if argv_of(cmd) is not None and len(argv_of(cmd)) > 1]
SYNOPSES = [(path, cmd) for path, cmd in FOUND if (path, cmd) not in ALL]


def test_the_extraction_finds_the_commands():
    assert len(ALL) >= 30
    names = {p.name for p, _ in ALL}
    assert {"README.md", "09_benchmarking.py", "10_ablations.py", "07_training.py"} <= names
    assert "07_training.ipynb" in names  # printed by the library when the run stopped
    assert ("solutions/09_benchmarking.py", True) in {
        (p.relative_to(ROOT).as_posix(), "aminet bench --models" in c) for p, c in ALL
    }


def test_printed_outputs_are_read(tmp_path):
    import nbformat

    cell = nbformat.v4.new_code_cell("train(config)")
    text = "training aminet seed 0\nstopped. Resume with: aminet train --resume runs/l1/last.pt\n"
    cell.outputs = [nbformat.v4.new_output("stream", text=text)]
    path = tmp_path / "99_x.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[cell]), path)
    assert printed_commands(path) == ["aminet train --resume runs/l1/last.pt"]


def test_a_command_that_does_not_parse_is_caught():
    bad = "aminet bench --models aminet aminet-s sparnet --device cuda --batches 1 16"
    assert "unrecognized arguments" in parse_error(argv_of(bad))
    assert (
        parse_error(argv_of("aminet bench --models aminet,aminet-s,sparnet --batch 1,16")) is None
    )
    assert argv_of("aminet demo [--minutes M]") is None  # a synopsis


@pytest.mark.parametrize("path, command", ALL, ids=[f"{p.name}:{c[:60]}" for p, c in ALL])
def test_printed_command_parses(path, command):
    problem = parse_error(argv_of(command))
    assert problem is None, f"{path.relative_to(ROOT)}: `{command}` does not parse: {problem}"


def test_synopses_name_real_commands():
    """A synopsis (or a command named in prose) is not parsed, but its sub-command must exist."""
    sub = next(a for a in build_parser()._actions if a.dest == "command")
    for path, command in SYNOPSES:
        words = command.split()
        rest = [w for w in words[words.index("aminet") + 1 :] if not w.startswith("-")]
        name = rest[0].split("\\")[0] if rest else "..."  # global options (--debug) come first
        if name in ("COMMAND", "..."):
            continue
        assert name in sub.choices, f"{path.relative_to(ROOT)}: `{command}`: no command {name!r}"
