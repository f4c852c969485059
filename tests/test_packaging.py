"""Packaging: environment.yml and pyproject.toml list the same dependencies; both entry points work."""

import re
import subprocess
import sys
from pathlib import Path

import tomllib
import yaml

ROOT = Path(__file__).resolve().parents[1]


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~\[ ;]", requirement.strip(), maxsplit=1)[0].lower()


def test_environment_yml_matches_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip_section = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict) and "pip" in d)
    from_env = {r for r in pip_section if not r.startswith("-e")}
    assert {_name(r) for r in from_env} == {_name(r) for r in project["dependencies"]}
    assert set(from_env) == set(project["dependencies"])  # same lower bounds too
    assert not any("==" in r for r in project["dependencies"]), "lower bounds only, no exact pins"
    assert "-e ." in pip_section


def test_python_dash_m_aminet_and_help():
    out = subprocess.run([sys.executable, "-m", "aminet", "--help"], capture_output=True, text=True)
    assert out.returncode == 0 and "summary" in out.stdout and "list" in out.stdout


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    command = 'python -m pip install -e ".[dev]" && python -m pytest'
    assert command in readme
    assert command in (ROOT / ".ci" / "run").read_text()
