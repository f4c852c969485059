"""The course around the package: exercise checks, notebook release, grading and an explorer.

What a notebook uses::

    from aminet.course import check, device, preset
    my_fn = check("sa.attention_map", my_fn)   # runs the student's function against aminet's
                                               # reference; falls back to it if not attempted

What instructors use (see docs/instructor-guide.md)::

    aminet course release [--check]            # solutions/ -> notebooks/ (+ paired .ipynb)
    aminet course release --execute            # + run stale solutions, keep their outputs
    aminet course grade SUBMISSIONS [--out grades.csv]  # sandboxed, scored by the grader

Where the notebooks point (the Colab badge and the Colab install cell) is decided when they are
released, by :func:`repository`: the URL from ``--repo-url`` or the git remote, pinned to a tag
(``v`` + the package version, or ``--ref``). When there is no public repository the badge and the
install cell say so and tell the student what to do instead, never a URL that 404s.
"""

from __future__ import annotations

import math
import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

PRESET_ENV = "AMINET_PRESET"
"""Environment variable: ``smoke`` makes every notebook tiny (set by conftest.py and CI)."""


@dataclass(frozen=True)
class Repository:
    """The public repository the notebooks are released for: ``url`` (None: there is none) and ``ref``."""

    url: str | None
    ref: str

    @property
    def github_path(self) -> str | None:
        """``owner/name`` for a github.com repository (Colab opens only those), else None."""
        if self.url and self.url.startswith("https://github.com/"):
            return self.url.removeprefix("https://github.com/")
        return None


def default_ref() -> str:
    """The tag the notebooks are pinned to unless ``--ref`` says otherwise: ``v<version>``."""
    from aminet import __version__

    return f"v{__version__}"


_SCP_LIKE = re.compile(
    r"^(?:[\w.-]+@)?(?P<host>[\w.-]+):(?P<path>[^/].*)$"
)  # git@github.com:o/n.git


def normalize_repo_url(url: str) -> str:
    """An https address for a git remote: ``git@github.com:o/n.git`` -> ``https://github.com/o/n``.

    Credentials (``https://user:token@host/...``) are dropped: they must never reach a notebook.
    Raises ValueError for something that is not a remote address (local paths included).
    """
    url = url.strip()
    m = _SCP_LIKE.match(url)
    if m and "://" not in url:
        url = f"https://{m['host']}/{m['path']}"
    m = re.match(r"^(?:https?|ssh|git)://(?:[^@/]+@)?(?P<host>[^/:]+)(?::\d+)?/(?P<path>.+)$", url)
    if not m:
        raise ValueError(
            f"--repo-url {url!r} is not a repository address (expected https://github.com/OWNER/NAME)"
        )
    path = m["path"].rstrip("/").removesuffix(".git")
    if not path or path.count("/") < 1:
        raise ValueError(f"--repo-url {url!r}: expected https://HOST/OWNER/NAME")
    return f"https://{m['host']}/{path}"


def _git(root: Path, *args: str) -> str | None:
    try:
        done = subprocess.run(
            ["git", "-C", str(root), *args], capture_output=True, text=True, timeout=10
        )
    except (OSError, subprocess.SubprocessError):  # no git on this machine
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def remote_url(root: str | Path = ".") -> str | None:
    """The https address of ``root``'s git remote (``origin``, else the first one), or None."""
    root = Path(root)
    remotes = (_git(root, "remote") or "").split()
    if not remotes:
        return None
    name = "origin" if "origin" in remotes else remotes[0]
    url = _git(root, "remote", "get-url", name)
    if not url:
        return None
    try:
        return normalize_repo_url(url)
    except ValueError:  # a remote on a local path: nothing a student can open
        return None


def ref_exists(root: str | Path, ref: str) -> bool:
    """True when ``ref`` names a tag or commit in ``root``'s git repository."""
    return _git(Path(root), "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}") is not None


def repository(
    root: str | Path = ".", url: str | None = None, ref: str | None = None
) -> Repository:
    """The repository to release for: ``url`` or ``root``'s git remote (None if neither), and ``ref``."""
    found = normalize_repo_url(url) if url else remote_url(root)
    return Repository(found, ref or default_ref())


def colab_url(notebook_path: str, repo: Repository) -> str | None:
    """The Colab address of ``notebook_path`` (e.g. 'notebooks/01_sa.ipynb'); None off GitHub."""
    if repo.github_path is None:
        return None
    return f"https://colab.research.google.com/github/{repo.github_path}/blob/{repo.ref}/{notebook_path}"


COLAB_BADGE_PREFIX = "[![Open In Colab]"
NO_COLAB_LINK_PREFIX = "**Open in Colab:**"


def colab_badge(notebook_path: str, repo: Repository) -> str:
    """The markdown line under each notebook's title: the Colab badge, or what to do without one."""
    url = colab_url(notebook_path, repo)
    if url is not None:
        image = "https://colab.research.google.com/assets/colab-badge.svg"
        return f"{COLAB_BADGE_PREFIX}({image})]({url})"
    return (
        f"{NO_COLAB_LINK_PREFIX} this copy of the course names no public GitHub repository, so "
        "there is no Colab link. In Colab use *File > Upload notebook* to open this file, then run "
        "the setup cell below: it says how to install the course package."
    )


def no_repository_message(version: str | None = None) -> str:
    """What the install cell tells a Colab student when the notebooks name no repository."""
    if version is None:
        from aminet import __version__ as version
    return (
        "These notebooks name no public repository (they were released from a copy without a "
        "git remote), so there is nothing to pip install from. On your computer, in the course "
        "folder, run: pip wheel --no-deps -w dist . ; then upload "
        f"dist/aminet-{version}-py3-none-any.whl with Colab's Files panel (the folder icon on the "
        "left) into /content and run this cell again. (Instructors: publish the repository and "
        "run 'aminet course release --repo-url URL'.)"
    )


INSTALL_CELL_MARKER = "# Colab setup, written by `aminet course release`"


def install_cell(repo: Repository) -> str:
    """The source of every notebook's first code cell: installs the package on Colab only.

    It runs before ``aminet`` can be imported, so it is self-contained. On Colab it marks the
    session (``AMINET_COLAB=1``, inherited by ``!aminet ...`` commands), and, unless ``aminet`` is
    importable already, pip-installs a wheel uploaded to /content if there is one, else the
    repository at the pinned ref; it stops with a message saying what to do when that fails or
    when there is no repository. Elsewhere it does nothing.
    """
    url = f'"{repo.url}"' if repo.url else "None"
    url_note = "the course repository" if repo.url else "none: released without a git remote"
    return _INSTALL_TEMPLATE.format(
        marker=INSTALL_CELL_MARKER,
        url=url,
        url_note=url_note,
        ref=repo.ref,
        no_repo=_python_string(no_repository_message(), indent=4),
    )


def _python_string(text: str, indent: int, width: int = 84) -> str:
    """``text`` as parenthesised, implicitly concatenated string literals (ruff-format stable)."""
    import json
    import textwrap

    pieces = textwrap.wrap(text, width - indent, drop_whitespace=False)
    pad = " " * indent
    return "(\n" + "".join(f"{pad}{json.dumps(piece)}\n" for piece in pieces) + pad[:-4] + ")"


_INSTALL_TEMPLATE = """{marker}
import sys

REPO_URL = {url}  # {url_note}
REPO_REF = "{ref}"  # the tag or commit these notebooks were released for
NO_REPO = {no_repo}
if "google.colab" in sys.modules:  # Colab only
    import glob
    import importlib.util
    import os
    import subprocess

    os.environ["AMINET_COLAB"] = "1"  # `!aminet ...` runs in a subprocess: tell it
    wheels = sorted(glob.glob("/content/aminet-*.whl"))
    if importlib.util.find_spec("aminet") is None:
        if not wheels and REPO_URL is None:
            raise SystemExit(NO_REPO)
        target = wheels[-1] if wheels else f"git+{{REPO_URL}}@{{REPO_REF}}"
        command = [sys.executable, "-m", "pip", "install", "-q", target]
        installed = subprocess.run(command).returncode == 0
        if not installed and wheels:
            raise SystemExit(
                f"pip could not install the uploaded wheel {{target}}. Build it again on your "
                "computer (`pip wheel --no-deps -w dist .` in the course folder), upload the new "
                "dist/aminet-*.whl into /content, delete the old one, and run this cell again."
            )
        if not installed:
            raise SystemExit(
                f"pip could not install {{target}}. Check that this session has internet access "
                f"and that {{REPO_URL}} opens in a browser and has the tag or commit {{REPO_REF}}; "
                "or upload an aminet wheel into /content and run this cell again."
            )"""


def preset() -> str:
    """The size preset the notebooks run at: ``AMINET_PRESET`` ('smoke' in tests), else 'default'."""
    value = os.environ.get(PRESET_ENV, "").strip().lower() or "default"
    if value not in ("smoke", "default"):  # a typo must not silently mean the full size
        raise ValueError(f"{PRESET_ENV}={value!r}: expected smoke, default, or unset")
    return value


def is_smoke() -> bool:
    """True when notebooks should run tiny (tests, CI): ``AMINET_PRESET=smoke``."""
    return preset() == "smoke"


MINUTES_ENV = "AMINET_MINUTES"
AMP_ENV = "AMINET_AMP"
_AMP_CHOICES = ("auto", "bf16", "fp16", "none")


def gpu_options(minutes: float) -> dict:
    """The time budget and mixed precision of a notebook's GPU training run.

    ``minutes`` is what the notebook is sized for (one free Colab session); ``AMINET_MINUTES``
    replaces it (a longer Colab Pro session, or 2 minutes in ``scripts/gpu_bench.sh``) and
    ``AMINET_AMP`` replaces ``amp="auto"`` (``fp16`` to see what a T4 does on a newer GPU,
    ``none`` to rule mixed precision out when a run diverges). Returns ``{"minutes", "amp"}``,
    keyword arguments for :func:`aminet.train.preset_config`.
    """
    text = os.environ.get(MINUTES_ENV, "").strip()
    if text:
        try:
            minutes = float(text)
        except ValueError:
            minutes = float("nan")
        if not math.isfinite(minutes) or minutes <= 0:
            raise ValueError(f"{MINUTES_ENV}={text!r}: expected a positive number of minutes")
    amp = os.environ.get(AMP_ENV, "").strip().lower() or "auto"
    if amp not in _AMP_CHOICES:
        raise ValueError(f"{AMP_ENV}={amp!r}: expected one of {', '.join(_AMP_CHOICES)}")
    return {"minutes": float(minutes), "amp": amp}


def device():
    """The best available torch device (cuda, then mps, then cpu), so notebooks print what they use."""
    from aminet.device import pick_device

    return pick_device(verbose=False)


def check(exercise_id: str, student, **kwargs):
    """Check a student's answer to exercise ``exercise_id``; see :func:`aminet.course.checks.check`."""
    from aminet.course.checks import check as _check

    return _check(exercise_id, student, **kwargs)


def list_exercises() -> list[str]:
    """Every exercise id known to :func:`check`, in course order."""
    from aminet.course.checks import EXERCISES

    return list(EXERCISES)


__all__ = [
    "PRESET_ENV",
    "Repository",
    "check",
    "colab_badge",
    "colab_url",
    "install_cell",
    "ref_exists",
    "repository",
    "device",
    "gpu_options",
    "is_smoke",
    "list_exercises",
    "preset",
]
