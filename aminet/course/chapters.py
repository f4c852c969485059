"""The course's chapters and the grader's default limits (no torch import: the CLI reads these)."""

from __future__ import annotations

CHAPTERS: dict[str, str] = {
    "00": "00_setup_and_data",
    "01": "01_self_attention",
    "02": "02_rdfe",
    "03": "03_skaf",
    "04": "04_lgfi",
    "05": "05_edff",
    "06": "06_unet",
    "07": "07_training",
    "08": "08_amigan",
    "09": "09_benchmarking",
    "10": "10_ablations",
}
"""Chapter number -> notebook name (``solutions/<name>.py``, ``notebooks/<name>.ipynb``)."""

DEFAULT_CELL_TIMEOUT = 60.0
"""Seconds one exercise (or defining the notebook's code) may take in the grader's sandbox."""
DEFAULT_NOTEBOOK_TIMEOUT = 300.0
"""Seconds one submission may take in all."""
LIBRARY_POLICIES = ("zero", "warn")
"""What an answer that runs aminet's own implementation (or the answer key) scores."""
