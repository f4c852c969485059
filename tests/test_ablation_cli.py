"""`aminet ablate --table I --preset smoke --json` end to end: real trainer, real evaluation.

The smoke preset learns nothing (two steps at a tiny width); the test checks that every variant
of Table I is trained, measured and reported with finite numbers, and that a second run reuses
the stored results instead of training again.
"""

from __future__ import annotations

import json
import math

from aminet.ablation import table_models
from aminet.cli import main


def test_ablate_smoke_json_prints_a_row_per_variant_and_resumes(tmp_path, capsys, one_thread):
    args = [
        "ablate",
        "--table",
        "I",
        "--preset",
        "smoke",
        "--json",
        "--no-progress",
        "--out",
        str(tmp_path),
        "--test-limit",
        "2",
    ]
    assert main(args) == 0
    out = json.loads(capsys.readouterr().out)
    rows = out["rows"]
    assert [r["model"] for r in rows] == table_models("I")
    for row in rows:
        assert row["params"] > 0 and math.isfinite(row["psnr_y"]) and 0 < row["ssim_y"] <= 1
        assert row["paper"]["psnr"] is not None and row["train_seconds"] > 0
    assert len({r["params"] for r in rows}) == 4  # the variants really differ
    results = sorted(tmp_path.glob("smoke-*/*/seed0/result.json"))
    assert len(results) == 4
    stamps = [p.stat().st_mtime_ns for p in results]

    assert main(args) == 0  # everything is stored: nothing is trained or measured again
    again = json.loads(capsys.readouterr().out)
    assert [r["psnr_y"] for r in again["rows"]] == [r["psnr_y"] for r in rows]
    assert [p.stat().st_mtime_ns for p in results] == stamps
