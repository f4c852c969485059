"""``aminet course``: release the student notebooks and grade submissions (for instructors)."""

from __future__ import annotations

import json
from pathlib import Path

from aminet.cli import UserError


def add_parser(sub) -> None:
    p = sub.add_parser(
        "course",
        help="instructor tools: release student notebooks, grade submissions",
        description=(
            "Instructor tools for the course notebooks. 'release' regenerates notebooks/ (the "
            "students' copies) and every paired .ipynb from the solutions/NN_name.py sources; "
            "'grade' executes submitted notebooks headless and scores each exercise. "
            "See docs/instructor-guide.md."
        ),
    )
    actions = p.add_subparsers(dest="action", metavar="ACTION")

    rel = actions.add_parser(
        "release",
        help="generate notebooks/ and all .ipynb files from solutions/*.py",
        description=(
            "Turn every '### BEGIN SOLUTION' ... '### END SOLUTION' region of solutions/NN_name.py "
            "into '# YOUR CODE HERE' + 'raise NotImplementedError()' and write notebooks/NN_name.py "
            "and .ipynb, plus solutions/NN_name.ipynb. Output is deterministic (fixed metadata; "
            "the students' copies never have outputs). Solutions keep the outputs of their last "
            "--execute while their code is unchanged. With --check, write nothing and exit 1 if "
            "any file is out of date or any solution's outputs are stale; --execute runs the "
            "stale solutions on this CPU and keeps their outputs."
        ),
    )
    rel.add_argument(
        "--root", default=".", help="repository root holding solutions/ and notebooks/ (default: .)"
    )
    rel.add_argument(
        "--check",
        action="store_true",
        help="only verify that notebooks/ and the .ipynb files are up to date, and that each "
        "solution's stored outputs were made from its current source (executes nothing)",
    )
    rel.add_argument(
        "--execute",
        action="store_true",
        help="also execute every solutions notebook whose outputs are missing or stale (CPU) and "
        "keep the outputs in solutions/NN_name.ipynb, with the measured time in its opening cell",
    )
    rel.add_argument(
        "--preset",
        default=None,
        help="with --execute: the AMINET_PRESET every notebook executes at (default: 'default', "
        "except the training notebooks 07, 08, 10, 11, which execute at 'smoke'; each notebook's "
        "opening line says which)",
    )
    rel.add_argument(
        "--force", action="store_true", help="with --execute: execute all, stale or not"
    )
    rel.add_argument(
        "--only",
        nargs="+",
        metavar="NOTEBOOK",
        help="with --execute: only these notebooks (names like 07_training or numbers like 07)",
    )
    rel.set_defaults(func=run_release)

    grade = actions.add_parser(
        "grade",
        help="execute submissions headless and print a per-exercise score table",
        description=(
            "Run each SUBMISSION notebook top to bottom (errors do not stop it) with "
            "AMINET_PRESET=smoke and score every exercise it checks: its points if the check "
            "passed, 0 if it failed, was not attempted or never ran."
        ),
    )
    grade.add_argument(
        "submissions",
        nargs="+",
        metavar="SUBMISSION",
        help="notebooks to grade (.ipynb or Jupytext .py)",
    )
    grade.add_argument(
        "--json",
        action="store_true",
        help="print a JSON list (one object per notebook) instead of a table",
    )
    grade.add_argument(
        "--cell-timeout", type=int, default=600, help="seconds a single cell may run (default 600)"
    )
    grade.set_defaults(func=run_grade)
    p.set_defaults(func=lambda args: (p.print_help(), 1)[1])


def run_release(args) -> int:
    from aminet.course.release import check_release, execute_solutions, release

    root = Path(args.root)
    if not (root / "solutions").is_dir():
        raise UserError(
            f"{root / 'solutions'} is not a folder: run from the repository root or pass --root"
        )
    if args.check and args.execute:
        raise UserError("--check and --execute exclude each other: --check executes nothing")
    if (args.force or args.only) and not args.execute:
        raise UserError("--force and --only go with --execute")
    if args.execute:
        preset = (args.preset or "").strip().lower() or None
        timings = execute_solutions(root, preset=preset, names=args.only, force=args.force)
        if not timings:
            print("every solutions notebook's outputs are up to date: nothing to execute")
        for name, seconds in timings:
            print(f"{name}: executed in {seconds:.1f} s")
        print(f"released; executed {len(timings)} notebook(s)")
        return 0
    if args.check:
        problems = check_release(root)
        for p in problems:
            print(f"{p.path}: {p.reason}")
        if problems:
            print(
                f"{len(problems)} file(s) out of sync: run 'aminet course release' (or, for "
                "stale outputs, 'aminet course release --execute') and commit the result"
            )
            return 1
        print("notebooks/ and every .ipynb are in sync with solutions/")
        return 0
    written = release(root)
    print(f"released {len(written) // 4} notebook(s): wrote {len(written)} files under {root}")
    return 0


def run_grade(args) -> int:
    from aminet.course.grade import format_table, grade_notebook

    if args.cell_timeout <= 0:
        raise UserError(f"--cell-timeout must be positive, got {args.cell_timeout}")
    grades = [grade_notebook(path, cell_timeout=args.cell_timeout) for path in args.submissions]
    if args.json:
        print(json.dumps([g.to_dict() for g in grades], indent=2))
    else:
        print(format_table(grades))
    return 0
