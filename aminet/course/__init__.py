"""The course around the package: exercise checks, notebook release, grading and an explorer.

What a notebook uses::

    from aminet.course import check, device, preset, colab_badge
    my_fn = check("sa.attention_map", my_fn)   # runs the student's function against aminet's
                                               # reference; falls back to it if not attempted

What instructors use (see docs/instructor-guide.md)::

    aminet course release [--check]            # solutions/ -> notebooks/ (+ paired .ipynb)
    aminet course grade SUBMISSION.ipynb...    # execute headless, print a per-exercise table

``REPO_URL`` is the one place that names the repository: ``aminet course release`` writes it into
every notebook's Colab badge and Colab install cell, so a fork changes it here and re-releases.
"""

from __future__ import annotations

import os

REPO_URL = "https://github.com/aminet-course/aminet"
"""The public repository the Colab badges and the Colab install cell point to (no trailing slash)."""

BRANCH = "main"
"""The branch the Colab badges open."""

PRESET_ENV = "AMINET_PRESET"
"""Environment variable: ``smoke`` makes every notebook tiny (set by conftest.py and CI)."""


def colab_url(notebook_path: str) -> str:
    """The Colab address of ``notebook_path`` (relative to the repository root, e.g. 'notebooks/01_sa.ipynb')."""
    repo = REPO_URL.removeprefix("https://github.com/")
    return f"https://colab.research.google.com/github/{repo}/blob/{BRANCH}/{notebook_path}"


def colab_badge(notebook_path: str) -> str:
    """The markdown "Open in Colab" badge for ``notebook_path`` (written by ``aminet course release``)."""
    image = "https://colab.research.google.com/assets/colab-badge.svg"
    return f"[![Open In Colab]({image})]({colab_url(notebook_path)})"


def preset() -> str:
    """The size preset the notebooks run at: ``AMINET_PRESET`` ('smoke' in tests), else 'default'."""
    value = os.environ.get(PRESET_ENV, "").strip().lower() or "default"
    if value not in ("smoke", "default"):  # a typo must not silently mean the full size
        raise ValueError(f"{PRESET_ENV}={value!r}: expected smoke, default, or unset")
    return value


def is_smoke() -> bool:
    """True when notebooks should run tiny (tests, CI): ``AMINET_PRESET=smoke``."""
    return preset() == "smoke"


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
    "BRANCH",
    "PRESET_ENV",
    "REPO_URL",
    "check",
    "colab_badge",
    "colab_url",
    "device",
    "is_smoke",
    "list_exercises",
    "preset",
]
