"""``aminet course``: release the student notebooks and grade submissions (for instructors)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from aminet.cli import UserError
from aminet.course.chapters import (
    CHAPTERS,
    DEFAULT_CELL_TIMEOUT,
    DEFAULT_NOTEBOOK_TIMEOUT,
    LIBRARY_POLICIES,
)


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
    rel.add_argument(
        "--repo-url",
        default=None,
        metavar="URL",
        help="the public repository the Colab badges and setup cells point to (default: the git "
        "remote; without one the notebooks say there is no public repository)",
    )
    rel.add_argument(
        "--ref",
        default=None,
        help="the tag or commit they are pinned to (default: v<package version>)",
    )
    rel.set_defaults(func=run_release)

    grade = actions.add_parser(
        "grade",
        help="grade submissions: per-exercise scores, a gradebook CSV/JSON for a class",
        description=(
            "Grade each SUBMISSION (a notebook, or a folder of them, e.g. nbgrader's "
            "submitted/<student>/...): the answers are extracted from the notebook's code, run "
            "in a sandboxed process on inputs drawn from a secret seed, and compared here with "
            "aminet's reference (outputs, gradients, inputs left untouched). The exercises and "
            "their points come from the chapter, not the submission. A submission that cannot "
            "be graded gets an error row; the others are still graded. Exit code 1 when some "
            "submission failed. See docs/instructor-guide.md."
        ),
    )
    grade.add_argument(
        "submissions",
        nargs="+",
        metavar="SUBMISSION",
        help="notebooks (.ipynb or Jupytext .py) or folders of them",
    )
    grade.add_argument(
        "--out",
        metavar="FILE",
        help="write the gradebook: FILE.csv (one row per student and exercise) and FILE.json, "
        "updated after every submission",
    )
    grade.add_argument(
        "--overwrite", action="store_true", help="replace an existing --out gradebook"
    )
    grade.add_argument(
        "--json",
        action="store_true",
        help="print a JSON list (one object per notebook) instead of a table",
    )
    grade.add_argument(
        "--cell-timeout",
        type=float,
        default=DEFAULT_CELL_TIMEOUT,
        help=f"seconds one exercise (or defining the notebook's code) may run "
        f"(default {DEFAULT_CELL_TIMEOUT:g})",
    )
    grade.add_argument(
        "--notebook-timeout",
        type=float,
        default=DEFAULT_NOTEBOOK_TIMEOUT,
        help=f"seconds one submission may take in all (default {DEFAULT_NOTEBOOK_TIMEOUT:g})",
    )
    grade.add_argument(
        "--library-calls",
        choices=LIBRARY_POLICIES,
        default="zero",
        help="an answer that runs aminet's own implementation or the answer key: 'zero' (no "
        "points, the default) or 'warn' (points, flagged)",
    )
    grade.add_argument(
        "--chapter",
        choices=sorted(CHAPTERS),
        help="grade every submission as this chapter (default: from each file's name)",
    )
    grade.add_argument(
        "--seed",
        type=int,
        help="seed of the grading inputs (default: a secret random one, saved in the JSON; "
        "pass it to reproduce a grading run)",
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
    from aminet import course

    try:
        repo = course.repository(root, url=args.repo_url, ref=args.ref)
    except ValueError as err:
        raise UserError(str(err)) from err
    if args.check and args.execute:
        raise UserError("--check and --execute exclude each other: --check executes nothing")
    if (args.force or args.only) and not args.execute:
        raise UserError("--force and --only go with --execute")
    if args.execute:
        preset = (args.preset or "").strip().lower() or None
        timings = execute_solutions(
            root, preset=preset, names=args.only, force=args.force, repo=repo
        )
        if not timings:
            print("every solutions notebook's outputs are up to date: nothing to execute")
        for name, seconds in timings:
            print(f"{name}: executed in {seconds:.1f} s")
        print(f"released; executed {len(timings)} notebook(s)")
        return 0
    if args.check:
        problems = check_release(root, repo)
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
    written = release(root, repo=repo)
    print(f"released {len(written) // 4} notebook(s): wrote {len(written)} files under {root}")
    if repo.url is None:
        print(
            "no git remote and no --repo-url: the notebooks say there is no public repository "
            "and how to install from a wheel instead (no Colab badge)"
        )
    else:
        print(f"Colab badges and setup cells point to {repo.url} at {repo.ref}")
        if not course.ref_exists(root, repo.ref):
            print(
                f"note: {repo.ref} is not a tag or commit here yet: after committing, run "
                f"'git tag {repo.ref} && git push origin {repo.ref}', or the links will 404"
            )
    return 0


def run_grade(args) -> int:
    from aminet.course.grade import format_table, grade_many

    if args.cell_timeout <= 0:
        raise UserError(f"--cell-timeout must be positive, got {args.cell_timeout:g}")
    if args.notebook_timeout <= 0:
        raise UserError(f"--notebook-timeout must be positive, got {args.notebook_timeout:g}")
    from aminet.course.grade import find_submissions

    for path in args.submissions:
        if not Path(path).exists():
            raise UserError(f"submission {path} does not exist")
        if Path(path).is_dir() and not find_submissions([path]):
            raise UserError(
                f"submission folder {path} holds no files to grade (expected notebooks: .ipynb "
                "or Jupytext .py)"
            )
    if args.out:
        out = Path(args.out)
        existing = [
            p for p in (out, out.with_suffix(".csv"), out.with_suffix(".json")) if p.exists()
        ]
        if existing and not args.overwrite:
            raise UserError(
                f"{existing[0]} already exists: choose another --out or pass --overwrite"
            )

    def show(grade) -> None:
        if not args.json:
            print(format_table([grade]), flush=True)

    grades = grade_many(
        args.submissions,
        args.out,
        on_grade=show,
        cell_timeout=args.cell_timeout,
        notebook_timeout=args.notebook_timeout,
        library_calls=args.library_calls,
        chapter=args.chapter,
        seed=args.seed,
    )
    if args.json:
        print(json.dumps([g.to_dict() for g in grades], indent=2))
    failed = [g for g in grades if g.failed]
    total = f"graded {len(grades) - len(failed)} of {len(grades)} submission(s)"
    if args.out:
        total += f"; gradebook: {Path(args.out).with_suffix('.csv')} and .json"
    print(total, file=sys.stderr)
    if failed:
        print(
            f"{len(failed)} submission(s) could not be graded completely (status 'error'): "
            + ", ".join(g.notebook for g in failed[:5]),
            file=sys.stderr,
        )
        return 1
    return 0
