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
    readme_with_times,
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


GITHUB = course.Repository("https://github.com/someone/aminet", "v9.9")
NO_REPO = course.Repository(None, "v9.9")


def test_sync_links_points_badge_and_setup_cell_at_the_repository():
    md = sync_links("[![Open In Colab](a)](b)", "notebooks/01_x.ipynb", "markdown", GITHUB)
    assert md == course.colab_badge("notebooks/01_x.ipynb", GITHUB)
    assert md.endswith(
        "(https://colab.research.google.com/github/someone/aminet/blob/v9.9/notebooks/01_x.ipynb)"
    )
    # the whole setup cell is rewritten, whatever it held before
    code = sync_links('import sys\n\nREPO_URL = "x"  # note\nprint(1)', "n.ipynb", "code", GITHUB)
    assert code == course.install_cell(GITHUB)
    assert 'REPO_URL = "https://github.com/someone/aminet"' in code and 'REPO_REF = "v9.9"' in code
    assert sync_links('REPO_URL = "x"', "n.ipynb", "markdown", GITHUB) == 'REPO_URL = "x"'
    assert sync_links("x = 1  # REPO_URL = 2", "n.ipynb", "code", GITHUB) == "x = 1  # REPO_URL = 2"
    # and back: a release without a repository replaces the badge by what to do instead
    none = sync_links(md, "notebooks/01_x.ipynb", "markdown", NO_REPO)
    assert none.startswith(course.NO_COLAB_LINK_PREFIX) and "http" not in none
    assert sync_links(none, "notebooks/01_x.ipynb", "markdown", GITHUB) == md
    assert "REPO_URL = None" in sync_links(code, "n.ipynb", "code", NO_REPO)


@pytest.mark.parametrize(
    "remote, expected",
    [
        ("git@github.com:someone/aminet.git", "https://github.com/someone/aminet"),
        ("https://github.com/someone/aminet.git", "https://github.com/someone/aminet"),
        (
            "https://user:secret-token@github.com/someone/aminet/",
            "https://github.com/someone/aminet",
        ),
        ("ssh://git@github.com/someone/aminet", "https://github.com/someone/aminet"),
        ("https://gitlab.com/group/sub/aminet.git", "https://gitlab.com/group/sub/aminet"),
    ],
)
def test_remote_urls_become_https_without_credentials(remote, expected):
    assert course.normalize_repo_url(remote) == expected


@pytest.mark.parametrize("bad", ["", "aminet", "/home/me/aminet", "https://github.com"])
def test_bad_repo_urls_are_one_line_errors(bad):
    with pytest.raises(ValueError, match="repo-url"):
        course.normalize_repo_url(bad)


def test_repository_comes_from_the_git_remote_pinned_to_the_version_tag(tmp_path):
    import subprocess

    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    assert course.repository(tmp_path) == course.Repository(None, course.default_ref())
    subprocess.run(
        ["git", "-C", str(tmp_path), "remote", "add", "origin", "git@github.com:o/n.git"],
        check=True,
    )
    repo = course.repository(tmp_path)
    assert repo.url == "https://github.com/o/n" and repo.ref == f"v{aminet_version()}"
    assert course.repository(tmp_path, url="https://github.com/x/y", ref="abc1234") == (
        course.Repository("https://github.com/x/y", "abc1234")
    )
    assert course.colab_url("notebooks/a.ipynb", repo).endswith(
        "/o/n/blob/v0.1.0/notebooks/a.ipynb"
    )
    # a non-GitHub host: pip can install from it, Colab cannot open it
    other = course.Repository("https://gitlab.com/o/n", "v1")
    assert course.colab_url("notebooks/a.ipynb", other) is None
    assert "git+{REPO_URL}@{REPO_REF}" in course.install_cell(other)


def aminet_version():
    from aminet import __version__

    return __version__


def _run_install_cell(monkeypatch, repo, returncode=0, wheels=()):
    """Execute the setup cell as Colab would: google.colab imported, aminet not installed yet."""
    import glob
    import importlib.util
    import subprocess
    import sys
    import types

    calls = []
    monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: None if name == "aminet" else real_find_spec(name, *a),
    )
    monkeypatch.setattr(glob, "glob", lambda pattern: list(wheels))
    monkeypatch.setattr(
        subprocess,
        "run",
        lambda command, **kw: calls.append(command) or types.SimpleNamespace(returncode=returncode),
    )
    monkeypatch.delenv("AMINET_COLAB", raising=False)
    exec(compile(course.install_cell(repo), "<setup cell>", "exec"), {})
    return calls


def test_install_cell_on_colab_pip_installs_the_pinned_repository(monkeypatch):
    import os
    import sys

    calls = _run_install_cell(monkeypatch, GITHUB)
    assert calls == [
        [sys.executable, "-m", "pip", "install", "-q", "git+https://github.com/someone/aminet@v9.9"]
    ]
    assert os.environ["AMINET_COLAB"] == "1"  # inherited by `!aminet ...` subprocesses


def test_install_cell_stops_with_a_message_when_pip_fails(monkeypatch):
    with pytest.raises(
        SystemExit, match="pip could not install git\\+https://github.com/someone/aminet@v9.9"
    ):
        _run_install_cell(monkeypatch, GITHUB, returncode=1)


def test_install_cell_names_a_broken_uploaded_wheel(monkeypatch):
    wheel = "/content/aminet-0.1.0-py3-none-any.whl"
    for repo in (NO_REPO, GITHUB):  # a wheel was tried: the repository is beside the point
        with pytest.raises(SystemExit) as stop:
            _run_install_cell(monkeypatch, repo, returncode=1, wheels=[wheel])
        message = str(stop.value)
        assert f"could not install the uploaded wheel {wheel}" in message
        assert "pip wheel --no-deps -w dist ." in message
        assert "None" not in message and "github" not in message


def test_install_cell_without_a_repository_says_what_to_do(monkeypatch):
    with pytest.raises(SystemExit) as stop:
        _run_install_cell(monkeypatch, NO_REPO)
    message = str(stop.value)
    assert "no public repository" in message and "pip wheel --no-deps -w dist ." in message
    assert f"aminet-{aminet_version()}-py3-none-any.whl" in message and "/content" in message


def test_install_cell_prefers_an_uploaded_wheel(monkeypatch):
    import sys

    wheel = "/content/aminet-0.1.0-py3-none-any.whl"
    for repo in (NO_REPO, GITHUB):
        calls = _run_install_cell(monkeypatch, repo, wheels=[wheel])
        assert calls == [[sys.executable, "-m", "pip", "install", "-q", wheel]]


def test_install_cell_does_nothing_off_colab(monkeypatch):
    import subprocess
    import sys

    monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    monkeypatch.setattr(subprocess, "run", lambda *a, **k: pytest.fail("must not install"))
    exec(compile(course.install_cell(NO_REPO), "<setup cell>", "exec"), {})


def test_release_cli_takes_repo_url_and_ref(tmp_path, capsys):
    _make_repo(tmp_path)
    url = "https://github.com/someone/aminet"
    assert (
        main(["course", "release", "--root", str(tmp_path), "--repo-url", url, "--ref", "v2"]) == 0
    )
    out = capsys.readouterr().out
    assert f"point to {url} at v2" in out and "git tag v2" in out
    student = (tmp_path / "notebooks/99_tiny.py").read_text()
    assert "github/someone/aminet/blob/v2/notebooks/99_tiny.ipynb" in student
    # --check also wants the solutions' outputs made from their current code
    execute = ["--execute", "--repo-url", url, "--ref", "v2"]
    assert main(["course", "release", "--root", str(tmp_path), *execute]) == 0
    # the check compares against the same repository; without the option it finds none here
    assert (
        main(
            [
                "course",
                "release",
                "--root",
                str(tmp_path),
                "--check",
                "--repo-url",
                url,
                "--ref",
                "v2",
            ]
        )
        == 0
    )
    assert main(["course", "release", "--root", str(tmp_path), "--check"]) == 1
    assert main(["course", "release", "--root", str(tmp_path), "--repo-url", "nonsense"]) == 2


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
    repo = course.repository(tmp_path)  # not a git repository: no remote, the notebooks say so
    assert repo.url is None
    assert course.colab_badge("notebooks/99_tiny.ipynb", repo) in student
    assert course.colab_badge("solutions/99_tiny.ipynb", repo) in solution
    assert course.install_cell(repo) in student and "REPO_URL = None" in student
    assert "example.org" not in student


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


README = """# A course

| # | notebook | measured time |
|---|---|---|
| 98 | [exec](notebooks/98_exec.ipynb): a | b | 99 s (default) |
| 97 | [not executed](notebooks/97_none.ipynb): c | 5 s (smoke) |

Prose that names notebooks/98_exec.ipynb | and a pipe | stays.
"""


def test_readme_rows_take_the_stored_times():
    timings = {"98_exec": (20.5, "smoke")}
    text = readme_with_times(README, timings)
    assert "| 98 | [exec](notebooks/98_exec.ipynb): a | b | 21 s (smoke) |" in text  # halves up
    assert "| 97 | [not executed](notebooks/97_none.ipynb): c | 5 s (smoke) |" in text
    assert text.replace("21 s (smoke)", "99 s (default)") == README  # nothing else changes
    long = readme_with_times(README, {"98_exec": (150.0, "default")})
    assert "| 2.5 min (default) |" in long


def test_execute_writes_the_readme_time_and_check_catches_an_edited_one(tmp_path):
    _make_repo(tmp_path, EXECUTABLE, "98_exec")
    (tmp_path / "README.md").write_text(README)
    execute_solutions(tmp_path, preset="smoke", progress=False)
    seconds = json.loads((tmp_path / "solutions/98_exec.ipynb").read_text())["metadata"]["aminet"]
    row = next(line for line in (tmp_path / "README.md").read_text().splitlines() if "98 |" in line)
    stored = seconds["executed"]["seconds"]
    assert row.endswith(f"| {int(stored + 0.5)} s (smoke) |"), row
    assert (
        f"{int(stored + 0.5)} s for the solutions"
        in (tmp_path / "solutions/98_exec.py").read_text()
    )
    assert check_release(tmp_path) == []
    (tmp_path / "README.md").write_text(
        (tmp_path / "README.md")
        .read_text()
        .replace(row, row.rsplit("|", 2)[0] + "| 999 s (smoke) |")
    )
    assert {p.path for p in check_release(tmp_path)} == {"README.md"}
    release(tmp_path)  # a plain release copies the stored time back
    assert check_release(tmp_path) == []


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
