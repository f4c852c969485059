"""The grader's sandbox: a throw-away process that runs a student's answers on the grader's inputs.

``python -m aminet.course.sandbox JOB.json`` (started by :mod:`aminet.course.grade`, never by
hand). It executes the code the grader kept from the submission (imports, definitions, the
check cells' answer expressions; see :mod:`aminet.course.submission`), then, for each run the job
lists, calls :func:`aminet.course.compare.observe` on the student's answer and writes what the
answer *did* (outputs, gradients, changed inputs, library calls) as plain tensors to
``<out>/<index>.pt``. It decides nothing: the grader's own process reads those files with
``torch.load(..., weights_only=True)`` and compares them with the reference it computed itself, so
nothing the student's code does here (forged logs, a redefined ``check``, monkeypatched checks)
can change a verdict. A run that hangs or kills this process is timed out or restarted by the
grader.
"""

from __future__ import annotations

import builtins
import json
import os
import sys


def _write(out_dir: str, name: str, payload: dict) -> None:
    import torch

    path = os.path.join(out_dir, f"{name}.pt")
    tmp = path + ".tmp"
    torch.save(payload, tmp)
    os.replace(tmp, path)


def main(job_path: str) -> int:
    with open(job_path, encoding="utf-8") as fh:
        job = json.load(fh)
    # What the student's code could use to forge results (the seed of the inputs, where results
    # go and under which names) lives only in this function's locals from here on.
    os.remove(job_path)
    del sys.argv[1:]
    import torch

    torch.set_num_threads(1)
    from aminet.course.compare import observe
    from aminet.course.exercises import get_exercise

    out_dir, salt = job["out"], int(job["salt"])
    namespace: dict = {"__name__": "__main__", "__builtins__": builtins}
    answers: dict = {}
    notes: list[str] = []
    for st in job["statements"]:
        where = f"cell {st['cell']}"
        try:
            if st["kind"] == "capture":
                if st["plain"]:
                    answers[st["exercise"]] = eval(st["source"], namespace)  # noqa: S307
                else:
                    answers[st["exercise"]] = ("deferred", st["source"])
            else:
                exec(compile(st["source"], f"<{where}>", "exec"), namespace)  # noqa: S102
        except BaseException as err:  # noqa: BLE001 - a student's error is a note, not a crash
            if st["kind"] == "capture":
                answers[st["exercise"]] = ("error", f"{type(err).__name__}: {err}")
            else:
                notes.append(f"{where}: {type(err).__name__}: {str(err)[:200]}")
    ready = os.path.join(out_dir, f"ready-{job['token']}.json")
    with open(ready + ".tmp", "w", encoding="utf-8") as fh:
        json.dump({"notes": notes}, fh)
    os.replace(ready + ".tmp", ready)

    for run in job["runs"][int(job.get("start", 0)) :]:
        exercise = get_exercise(run["exercise"])
        payload: dict = {"records": None, "problem": None}
        answer = answers.get(exercise.id)
        saved = {name: namespace.get(name) for name in run["rebind"]}
        try:
            for name, other in run["rebind"].items():
                namespace[name] = get_exercise(other).reference
            if isinstance(answer, tuple) and answer and answer[0] == "deferred":
                answer = eval(answer[1], namespace)  # noqa: S307
            if answer is None:
                payload["problem"] = "its check cell's answer is not defined"
            elif isinstance(answer, tuple) and answer and answer[0] == "error":
                payload["problem"] = f"its answer could not be evaluated: {answer[1]}"
            else:
                payload["records"] = observe(exercise, answer, salt=salt)
        except BaseException as err:  # noqa: BLE001
            payload["problem"] = f"{type(err).__name__}: {str(err)[:300]}"
        finally:
            for name, value in saved.items():
                if value is None:
                    namespace.pop(name, None)
                else:
                    namespace[name] = value
        _write(out_dir, f"{int(run['index'])}-{run['token']}", payload)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
