"""Exercise checks: the notebook-facing :func:`check`.

The pattern every notebook follows (two cells)::

    # %% exercise cell: the student writes the body
    def attention_map(q, k, temperature):
        ### BEGIN SOLUTION
        ...
        ### END SOLUTION

    # %% check cell
    attention_map = check("sa.attention_map", attention_map)

:func:`check` returns the function (or class) the rest of the notebook should use:

- correct: prints a one-line confirmation and returns the student's answer;
- not attempted (the released notebook's body is ``raise NotImplementedError()``): prints a
  friendly note and returns aminet's reference, so every later cell still runs (and nbval passes);
- wrong: raises ``AssertionError`` saying what differs (type, shape, values, gradients, an input
  changed in place) and on which input, why when it recognises the mistake, whether an earlier
  exercise's answer is the cause, and a hint toward the idea. aminet's solution is shown only with
  ``check(..., reveal=True)`` (or when the instructor sets ``AMINET_REVEAL_SOLUTIONS=1``);
- an answer that runs aminet's own implementation of the step, or the answer key, fails: the
  exercise is to write it.

The exercises live in :mod:`aminet.course.exercises`, the comparison in
:mod:`aminet.course.compare`. ``check`` only gives feedback: ``aminet course grade`` never reads
what it prints; it re-runs every answer itself (:mod:`aminet.course.grade`).
"""

from __future__ import annotations

import os
from collections.abc import Callable

from aminet.course.compare import ATOL, RTOL, Verdict, compare, judge, observe, run_answer
from aminet.course.exercises import (
    CHAPTERS,
    EXERCISES,
    Case,
    Exercise,
    _randomize,
    _tiny_unet,
    chapter_exercises,
    get_exercise,
    reference,
)

REVEAL_ENV = "AMINET_REVEAL_SOLUTIONS"
"""Set to 1 by an instructor who wants every failed check to show aminet's solution."""


def run_cases(exercise: Exercise, student: Callable) -> int:
    """Run ``student`` on every input of ``exercise``; raise AssertionError at the first difference.

    Raises ``NotImplementedError`` when the answer is not attempted. Returns the number of inputs.
    """
    verdict = run_answer(exercise, student)
    if verdict.status == "not_attempted":
        raise NotImplementedError(exercise.id)
    if verdict.status in ("failed", "tampered"):
        raise AssertionError(verdict.message)
    return verdict.cases


def _reveal_wanted(reveal: bool) -> bool:
    return reveal or os.environ.get(REVEAL_ENV, "").strip().lower() in ("1", "true", "yes")


def _answer_globals(answer) -> dict | None:
    """The module namespace an answer looks its helpers up in (a function's, or a class method's)."""
    if isinstance(answer, type):
        for attr in ("forward", "__init__"):
            fn = getattr(answer.__dict__.get(attr), "__globals__", None)
            if fn is not None:
                return fn
        return None
    return getattr(answer, "__globals__", None)


def names_used(answer) -> set[str]:
    """Global names an answer's code refers to (its functions, nested functions, class methods)."""
    codes = []
    if isinstance(answer, type):
        codes = [v.__code__ for v in vars(answer).values() if hasattr(v, "__code__")]
    elif hasattr(answer, "__code__"):
        codes = [answer.__code__]
    names: set[str] = set()
    while codes:
        code = codes.pop()
        names.update(code.co_names)
        codes.extend(c for c in code.co_consts if hasattr(c, "co_names"))
    return names


def _earlier_cause(exercise: Exercise, answer) -> str:
    """When an earlier exercise's wrong answer is what makes this one fail, say so."""
    namespace = _answer_globals(answer)
    if namespace is None:
        return ""
    earlier = []
    used = names_used(answer)
    for ex in chapter_exercises(exercise.notebook):
        if ex.id == exercise.id:
            break
        if ex.name not in used:
            continue
        value = namespace.get(ex.name)
        if value is None or value is ex.reference or value is answer:
            continue
        if run_answer(ex, value).status != "passed":
            earlier.append(ex)
    if not earlier:
        return ""
    saved = {ex.name: namespace[ex.name] for ex in earlier}
    try:
        namespace.update({ex.name: ex.reference for ex in earlier})
        with_references = run_answer(exercise, answer)
    finally:
        namespace.update(saved)
    names = " and ".join(f"{ex.name} ({ex.id})" for ex in earlier)
    one = len(earlier) == 1
    if with_references.status == "passed":
        return (
            f"Your answer itself is right: it passes with aminet's {names}. It calls "
            f"{'that earlier answer, which fails its own check' if one else 'those earlier answers, which fail their own checks'}: "
            f"fix {'it' if one else 'them'} first."
        )
    return (
        f"Note: it also calls {names}, which "
        f"{'fails its own check' if one else 'fail their own checks'}: fix "
        f"{'it' if one else 'them'} first."
    )


def _failure_message(exercise: Exercise, verdict: Verdict, answer, reveal: bool) -> str:
    parts = [verdict.message]
    if verdict.explanation:
        parts.append(f"Why: {verdict.explanation}")
    cause = _earlier_cause(exercise, answer)
    if cause:
        parts.append(cause)
    if exercise.hint:
        parts.append(f"Hint: {exercise.hint}")
    if _reveal_wanted(reveal) and exercise.solution:
        parts.append(f"aminet's solution: {exercise.solution}")
    elif exercise.solution:
        parts.append(f'(check("{exercise.id}", ..., reveal=True) shows aminet\'s solution)')
    return "\n".join(parts)


def check(exercise_id: str, student, *, quiet: bool = False, reveal: bool = False):
    """Check ``student`` against exercise ``exercise_id``; return the answer to use from now on.

    Returns ``student`` when it matches aminet's reference (values, gradients, inputs left
    untouched) on every fixed input, and the reference when ``student`` raises
    ``NotImplementedError`` (not attempted yet: a note is printed, nothing fails). Raises
    ``AssertionError`` saying what differs, on which input, with a hint, otherwise; with
    ``reveal=True`` the message also shows aminet's solution.
    """
    exercise = get_exercise(exercise_id)
    if student is exercise.reference:
        if not quiet:
            print(
                f"[{exercise.id}] this is aminet's own reference, not an answer: write yours in "
                f"the exercise cell and run it and this cell again."
            )
        return exercise.reference
    verdict = run_answer(exercise, student)
    if verdict.status == "not_attempted":
        if not quiet:
            print(
                f"[{exercise.id}] not attempted yet: using aminet's reference so the rest of the "
                f"notebook runs. Fill in the exercise cell and run it and this cell again."
            )
        return exercise.reference
    if verdict.status == "failed":
        raise AssertionError(_failure_message(exercise, verdict, student, reveal)) from None
    if verdict.status == "tampered":
        raise AssertionError(
            f"[{exercise.id}] while it ran, your answer " + "; ".join(verdict.tampered) + ": "
            "answers must not do that (the grader scores it 0)."
        ) from None
    if verdict.library:
        used = ", ".join(verdict.library)
        raise AssertionError(
            f"[{exercise.id}] your answer gives the right result by running aminet's own "
            f"implementation ({used}). The exercise is to write it yourself (graders see this "
            f"too)." + (f"\nHint: {exercise.hint}" if exercise.hint else "")
        ) from None
    if not quiet:
        print(
            f"[{exercise.id}] correct: matches aminet's reference on {verdict.cases} fixed inputs."
        )
    return student


__all__ = [
    "ATOL",
    "CHAPTERS",
    "EXERCISES",
    "RTOL",
    "REVEAL_ENV",
    "Case",
    "Exercise",
    "Verdict",
    "_randomize",
    "_tiny_unet",
    "check",
    "compare",
    "get_exercise",
    "judge",
    "observe",
    "reference",
    "run_cases",
]
