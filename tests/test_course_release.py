"""``aminet course release``: solution regions become stubs, output is deterministic, drift is caught."""

from __future__ import annotations

import json
from pathlib import Path

import jupytext
import pytest

from aminet import course
from aminet.cli import main
from aminet.course.release import (
    TIMING_PREFIX,
    ReleaseError,
    check_release,
    execute_solutions,
    release,
    set_timing_line,
    source_hash,
    strip_solutions,
    sync_links,
    timing_line,
)

SOLUTION = '''# %% [markdown]
# # 99 · A tiny notebook
#
# [![Open In Colab](https://example.org/badge.svg)](https://example.org/old)

# %%
import sys

REPO_URL = "https://example.org/old"  # written by `aminet course release`

# %%
from aminet.course import check


# %% tags=["exercise"]
def combine(encoder, decoder, w_enc, w_dec):
    """Eq. 16."""
    ### BEGIN SOLUTION
    return encoder * w_enc + decoder * w_dec
    ### END SOLUTION


# %%
combine = check("edff.combine", combine)

# %% [markdown]
# Why?
# ### BEGIN SOLUTION
# Because each map weighs its own feature.
# ### END SOLUTION
'''


def _make_repo(root: Path, text: str = SOLUTION, name: str = "99_tiny") -> Path:
    (root / "solutions").mkdir(parents=True, exist_ok=True)
    path = root / "solutions" / f"{name}.py"
    path.write_text(text, encoding="utf-8")
    return path


def test_strip_solutions_keeps_indentation_and_code_around():
    src = "def f(x):\n    y = 1\n    ### BEGIN SOLUTION\n    return x + y\n    ### END SOLUTION\n\nprint(f)"
    assert strip_solutions(src) == (
        "def f(x):\n    y = 1\n    # YOUR CODE HERE\n    raise NotImplementedError()\n\nprint(f)"
    )


def test_strip_solutions_in_markdown_leaves_an_answer_placeholder():
    assert (
        strip_solutions("Q?\n### BEGIN SOLUTION\nA.\n### END SOLUTION", "markdown")
        == "Q?\nYOUR ANSWER HERE"
    )


@pytest.mark.parametrize(
    "src, problem",
    [
        ("### BEGIN SOLUTION\nx = 1", "never closed"),
        ("x = 1\n### END SOLUTION", "without"),
        ("### BEGIN SOLUTION\n### BEGIN SOLUTION\n### END SOLUTION", "nested"),
    ],
)
def test_malformed_regions_are_errors_naming_the_cell(src, problem):
    with pytest.raises(ReleaseError, match=f"notebook X, cell 3: .*{problem}"):
        strip_solutions(src, where="notebook X, cell 3")


def test_sync_links_points_badge_and_repo_url_at_the_constant():
    md = sync_links("[![Open In Colab](a)](b)", "notebooks/01_x.ipynb", "markdown")
    assert md == course.colab_badge("notebooks/01_x.ipynb")
    assert (
        f"{course.REPO_URL.removeprefix('https://github.com/')}/blob/{course.BRANCH}/notebooks/01_x.ipynb"
        in md
    )
    code = sync_links('    REPO_URL = "x"  # note', "n.ipynb", "code")
    assert code == f'    REPO_URL = "{course.REPO_URL}"  # note'
    assert sync_links('REPO_URL = "x"', "n.ipynb", "markdown") == 'REPO_URL = "x"'


def test_release_writes_four_files_and_strips_only_the_student_copy(tmp_path):
    _make_repo(tmp_path)
    written = release(tmp_path)
    rel = sorted(p.relative_to(tmp_path).as_posix() for p in written)
    assert rel == [
        "notebooks/99_tiny.ipynb",
        "notebooks/99_tiny.py",
        "solutions/99_tiny.ipynb",
        "solutions/99_tiny.py",
    ]
    student = (tmp_path / "notebooks/99_tiny.py").read_text()
    solution = (tmp_path / "solutions/99_tiny.py").read_text()
    assert "BEGIN SOLUTION" not in student and "encoder * w_enc" not in student
    assert "    # YOUR CODE HERE\n    raise NotImplementedError()" in student
    assert "YOUR ANSWER HERE" in student and "Because each map" not in student
    assert "encoder * w_enc + decoder * w_dec" in solution and "### BEGIN SOLUTION" in solution
    assert course.colab_badge("notebooks/99_tiny.ipynb") in student
    assert course.colab_badge("solutions/99_tiny.ipynb") in solution
    assert f'REPO_URL = "{course.REPO_URL}"' in student


def test_released_ipynb_has_no_outputs_fixed_ids_and_kept_tags(tmp_path):
    _make_repo(tmp_path)
    release(tmp_path)
    nb = json.loads((tmp_path / "notebooks/99_tiny.ipynb").read_text())
    assert nb["metadata"]["kernelspec"]["name"] == "python3"
    assert nb["metadata"]["jupytext"]["formats"] == "ipynb,py:percent"
    assert [c["id"] for c in nb["cells"]] == [f"cell-{i:03d}" for i in range(len(nb["cells"]))]
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert all(c["outputs"] == [] and c["execution_count"] is None for c in code)
    assert any(c["metadata"].get("tags") == ["exercise"] for c in code)


def test_release_is_deterministic_and_idempotent(tmp_path):
    _make_repo(tmp_path)
    first = {p: p.read_bytes() for p in release(tmp_path)}
    second = {p: p.read_bytes() for p in release(tmp_path)}
    assert first == second
    assert check_release(tmp_path, require_outputs=False) == []


def test_check_release_reports_edits_missing_and_stale_files(tmp_path):
    source = _make_repo(tmp_path)
    release(tmp_path)
    source.write_text(SOLUTION.replace("Eq. 16.", "Eq. 16, edited."), encoding="utf-8")
    (tmp_path / "notebooks/99_tiny.ipynb").unlink()
    (tmp_path / "notebooks/98_renamed.py").write_text("# old\n")
    problems = {p.path: p.reason for p in check_release(tmp_path)}
    assert "notebooks/99_tiny.py" in problems and "differs" in problems["notebooks/99_tiny.py"]
    assert problems["notebooks/99_tiny.ipynb"] == "missing"
    assert "stale" in problems["notebooks/98_renamed.py"]


def test_cli_release_and_check_exit_codes(tmp_path, capsys):
    _make_repo(tmp_path, EXECUTABLE, "98_exec")
    assert main(["course", "release", "--root", str(tmp_path), "--check"]) == 1
    assert "out of sync" in capsys.readouterr().out
    assert main(["course", "release", "--root", str(tmp_path)]) == 0
    # released but never executed: the check names the command that fixes it, in one line
    assert main(["course", "release", "--root", str(tmp_path), "--check"]) == 1
    out = capsys.readouterr().out
    assert (
        "solutions/98_exec.ipynb: has no executed outputs: run 'aminet course release --execute'"
        in out
    )
    assert (
        main(["course", "release", "--root", str(tmp_path), "--execute", "--preset", "smoke"]) == 0
    )
    assert "98_exec: executed in" in capsys.readouterr().out
    assert main(["course", "release", "--root", str(tmp_path), "--check"]) == 0
    assert "in sync" in capsys.readouterr().out
    # nothing stale: a second --execute runs nothing
    assert main(["course", "release", "--root", str(tmp_path), "--execute"]) == 0
    assert "nothing to execute" in capsys.readouterr().out


def test_cli_execute_flags_are_checked(tmp_path, capsys):
    _make_repo(tmp_path, EXECUTABLE, "98_exec")
    assert main(["course", "release", "--root", str(tmp_path), "--check", "--execute"]) == 2
    assert main(["course", "release", "--root", str(tmp_path), "--force"]) == 2
    assert "go with --execute" in capsys.readouterr().err
    assert main(["course", "release", "--root", str(tmp_path), "--execute", "--only", "42"]) == 2
    err = capsys.readouterr().err
    assert "42" in err and "Traceback" not in err


def test_cli_release_without_solutions_is_a_one_line_error(tmp_path, capsys):
    assert main(["course", "release", "--root", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "solutions" in err and "Traceback" not in err


def test_unclosed_region_fails_release_naming_the_file(tmp_path):
    _make_repo(tmp_path, SOLUTION.replace("    ### END SOLUTION\n", ""))
    with pytest.raises(ReleaseError, match="99_tiny, cell"):
        release(tmp_path)


# --- executed solutions: outputs kept, tied to the code by a hash ---------------------------

EXECUTABLE = """# %% [markdown]
# # 98 · Executed
#
# [![Open In Colab](https://example.org/badge.svg)](https://example.org/old)

# %%
import os

print("answer", 6 * 7, "preset", os.environ.get("AMINET_PRESET", "default"))

# %% [markdown]
# Why 42?
# ### BEGIN SOLUTION
# Because.
# ### END SOLUTION
"""


def _cells(path):
    return json.loads(path.read_text())["cells"]


def test_source_hash_follows_code_not_markdown():
    base = jupytext.reads(EXECUTABLE, fmt="py:percent")
    prose = jupytext.reads(EXECUTABLE.replace("Why 42?", "Why forty-two?"), fmt="py:percent")
    code = jupytext.reads(EXECUTABLE.replace("6 * 7", "6 * 8"), fmt="py:percent")
    assert source_hash(base) == source_hash(prose)
    assert source_hash(base) != source_hash(code)
    assert len(source_hash(base)) == 64


def test_execute_keeps_outputs_in_solutions_only_and_check_catches_stale_code(tmp_path):
    source = _make_repo(tmp_path, EXECUTABLE, "98_exec")
    timings = execute_solutions(tmp_path, preset="smoke", progress=False)
    assert [name for name, _ in timings] == ["98_exec"] and timings[0][1] > 0
    solution_ipynb = tmp_path / "solutions/98_exec.ipynb"
    nb = json.loads(solution_ipynb.read_text())
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert "".join(code[0]["outputs"][0]["text"]) == "answer 42 preset smoke\n"
    meta = nb["metadata"]["aminet"]
    assert meta["executed"]["preset"] == "smoke" and meta["executed"]["seconds"] > 0
    assert meta["source_sha256"] == source_hash(jupytext.read(source))
    # the measured time opens both copies; the students' copy has no outputs
    for path in ("solutions/98_exec.py", "notebooks/98_exec.py"):
        assert f"# {TIMING_PREFIX} " in (tmp_path / path).read_text()
    student = [c for c in _cells(tmp_path / "notebooks/98_exec.ipynb") if c["cell_type"] == "code"]
    assert all(c["outputs"] == [] and c["execution_count"] is None for c in student)
    assert check_release(tmp_path) == []
    assert execute_solutions(tmp_path, progress=False) == []  # nothing stale

    # a prose edit keeps the outputs; a plain release leaves them in place
    source.write_text(source.read_text().replace("Why 42?", "Why forty-two?"))
    release(tmp_path)
    assert check_release(tmp_path) == []
    assert json.loads(solution_ipynb.read_text())["metadata"]["aminet"] == meta

    # a code edit makes them stale: --check names the command; a plain release drops them
    source.write_text(source.read_text().replace("6 * 7", "6 * 8"))
    problems = {p.path: p.reason for p in check_release(tmp_path)}
    assert problems["solutions/98_exec.ipynb"] == (
        "outputs are stale (made from an older version of 98_exec.py): "
        "run 'aminet course release --execute'"
    )
    release(tmp_path)
    cells = [c for c in _cells(solution_ipynb) if c["cell_type"] == "code"]
    assert all(c["outputs"] == [] for c in cells)
    assert "has no executed outputs" in check_release(tmp_path)[0].reason


def test_set_timing_line_replaces_the_earlier_line(tmp_path):
    source = _make_repo(tmp_path, EXECUTABLE, "98_exec")
    set_timing_line(source, timing_line(12.3, "default", "2-core x86_64 CPU"))
    set_timing_line(source, timing_line(150.0, "smoke", "2-core x86_64 CPU"))
    text = source.read_text()
    assert text.count(TIMING_PREFIX) == 1
    assert f"# {TIMING_PREFIX} 2.5 min for the solutions, every cell, `AMINET_PRESET=smoke`" in text
    badge = text.index("[![Open In Colab]")
    assert badge < text.index(TIMING_PREFIX) < text.index("# %%\nimport os")


def test_failing_notebook_is_a_one_line_error_naming_it(tmp_path):
    _make_repo(tmp_path, EXECUTABLE.replace("6 * 7", "1 / 0"), "98_exec")
    with pytest.raises(ReleaseError, match=r"98_exec.py: execution failed: .*ZeroDivisionError"):
        execute_solutions(tmp_path, preset="smoke", progress=False)
