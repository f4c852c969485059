"""The grader's sandbox: a throw-away process that runs a student's answers on the grader's inputs.

``python -m aminet.course.sandbox`` with the job as JSON on stdin (started by
:mod:`aminet.course.grade`, never by hand; the job never touches the disk, so nothing the student
starts can read it later). It executes the code the grader kept from the submission (imports,
definitions, the check cells' answer expressions; see :mod:`aminet.course.submission`), then, for
each run the job lists, observes the student's answer (:func:`aminet.course.compare.observe`) and
writes what the answer *did* (outputs, gradients, changed inputs, library calls, tampering) as
plain tensors to ``<out>/<index>-<token>.pt``. It decides nothing: the grader's own process reads
those files with ``torch.load(..., weights_only=True)`` and compares them with the reference it
computed itself. A run that hangs or kills this process is timed out or restarted by the grader.

The student's code runs in this interpreter, so the observer protects itself before any of it
runs: it uses private copies of :mod:`aminet.course.compare` and :mod:`aminet.course.exercises`
(not in ``sys.modules``: patching ``aminet.course.compare`` changes nothing it uses), binds the
functions it writes results with, and seals the namespaces it relies on (torch, builtins, the
course's modules...): a value replaced there, or a thread left running by the definitions, is
reported as tampering and scores 0. This raises the bar far above a monkeypatch; it is not a
security boundary against code that digs the observer's objects out of the interpreter.
"""

from __future__ import annotations

import builtins
import importlib
import json
import os
import sys

_COURSE = ("aminet.course.exercises", "aminet.course.compare")


def _private_observer():
    """Fresh copies of the course's exercise table and comparison engine, not in ``sys.modules``."""
    public = [importlib.import_module(name) for name in _COURSE]  # what the student may import
    package = sys.modules["aminet.course"]
    try:
        for name in _COURSE:
            del sys.modules[name]
        private = [importlib.import_module(name) for name in _COURSE]
    finally:
        for name, module in zip(_COURSE, public):
            sys.modules[name] = module
            setattr(package, name.rsplit(".", 1)[1], module)
    return private


class _Seal:
    """What the observer relies on, by identity; :meth:`broken` names what changed since."""

    def __init__(self, private_modules):
        import pickle

        import torch
        import torch.nn.functional
        import torch.serialization

        self._watched: list[tuple[str, object, dict]] = []
        spaces = {
            "builtins": builtins.__dict__,
            # torch's own lazy imports rebind some top-level names (torch._dynamo wraps
            # torch.manual_seed): only what the observer reads results with is sealed there
            "torch": {name: getattr(torch, name) for name in _TORCH_NAMES if hasattr(torch, name)},
            "torch.Tensor": torch.Tensor.__dict__,
            "torch.nn.Module": torch.nn.Module.__dict__,
            "torch.nn.functional": torch.nn.functional.__dict__,
            "torch.serialization": torch.serialization.__dict__,
            "torch.autograd": torch.autograd.__dict__,
            "pickle": pickle.__dict__,
            "threading": sys.modules["threading"].__dict__,
        }
        base = getattr(torch._C, "TensorBase", None) or getattr(torch._C, "_TensorBase", None)
        if base is not None:  # where tensor methods (clone, detach, ...) live
            spaces["torch._C.TensorBase"] = base.__dict__
        for name in (
            "aminet.course",
            "aminet.course.checks",
            "aminet.course.reference",
            *_COURSE,
        ):
            module = sys.modules.get(name)
            if module is not None:
                spaces[name] = module.__dict__
        for module in private_modules:
            spaces[f"{module.__name__} (the grader's copy)"] = module.__dict__
        for label, space in spaces.items():
            live = torch.__dict__ if label == "torch" else space
            self._watched.append((label, live, dict(space)))
        sys_names = ("setprofile", "getprofile", "settrace", "gettrace", "modules", "_getframe")
        self._sys = {name: getattr(sys, name) for name in sys_names}
        os_names = ("replace", "fsync", "open", "write", "fork", "kill")
        self._os = {name: getattr(os, name) for name in os_names if hasattr(os, name)}

    def broken(self) -> list[str]:
        changed = []
        for label, space, before in self._watched:
            for key, value in before.items():
                if space.get(key, _MISSING) is not value:
                    changed.append(f"{label}.{key}")
        for label, module, names in (("sys", sys, self._sys), ("os", os, self._os)):
            for key, value in names.items():
                if getattr(module, key, _MISSING) is not value:
                    changed.append(f"{label}.{key}")
        return changed


_MISSING = object()
_TORCH_NAMES = (
    "equal",
    "save",
    "load",
    "tensor",
    "from_numpy",
    "is_tensor",
    "nonzero",
    "enable_grad",
    "no_grad",
    "set_grad_enabled",
    "randn",
    "Generator",
    "view_as_real",
    "Tensor",
)


def _live_threads(current_frames) -> int:
    return len(current_frames()) - 1


def main() -> int:
    job = json.loads(sys.stdin.read())
    sys.stdin.close()
    # From here on, what the student's code could use to forge results (the seed of the inputs,
    # where results go and under which names) lives only in this function's locals.
    del sys.argv[1:]
    import torch

    torch.set_num_threads(1)
    exercises, compare = _private_observer()
    observe, get_exercise = compare.observe, exercises.get_exercise
    save, replace, current_frames = torch.save, os.replace, sys._current_frames
    for run in job["runs"]:  # the library's code, found before a notebook can swap it
        compare.forbidden_code(get_exercise(run["exercise"]))
    seal = _Seal([exercises, compare])

    def write(name: str, payload: dict) -> None:
        path = os.path.join(out_dir, f"{name}.pt")
        save(payload, path + ".tmp")
        replace(path + ".tmp", path)

    out_dir, salt = job["out"], int(job["salt"])
    namespace: dict = {"__name__": "__main__", "__builtins__": builtins}
    answers: dict = {}
    notes: list[str] = []
    for st in job["statements"]:
        where = f"cell {st['cell']}"
        try:
            if st["kind"] == "capture":
                if st["plain"]:
                    code = compile(st["source"], f"<{where}>", "eval")
                    answers[st["exercise"]] = eval(code, namespace)  # noqa: S307
                else:
                    answers[st["exercise"]] = ("deferred", st["source"], where)
            else:
                exec(compile(st["source"], f"<{where}>", "exec"), namespace)  # noqa: S102
        except BaseException as err:  # noqa: BLE001 - a student's error is a note, not a crash
            if st["kind"] == "capture":
                answers[st["exercise"]] = ("error", f"{type(err).__name__}: {err}")
            else:
                notes.append(f"{where}: {type(err).__name__}: {str(err)[:200]}")
    # Tampering while the notebook's code was defined spoils every answer.
    tampered = [f"its code replaced {name}" for name in seal.broken()[:5]]
    if _live_threads(current_frames):
        tampered.append("its code left a thread running")
    ready = os.path.join(out_dir, f"ready-{job['token']}.json")
    with open(ready + ".tmp", "w", encoding="utf-8") as fh:
        json.dump({"notes": notes}, fh)
    replace(ready + ".tmp", ready)

    for run in job["runs"][int(job.get("start", 0)) :]:
        exercise = get_exercise(run["exercise"])
        payload: dict = {"records": None, "problem": None, "tampered": []}
        answer = answers.get(exercise.id)
        saved = {name: namespace.get(name) for name in run["rebind"]}
        try:
            for name, other in run["rebind"].items():
                namespace[name] = get_exercise(other).reference
            if isinstance(answer, tuple) and answer and answer[0] == "deferred":
                code = compile(answer[1], f"<{answer[2]}>", "eval")
                answer = eval(code, namespace)  # noqa: S307
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
        if not tampered:
            tampered = [f"its code replaced {name}" for name in seal.broken()[:5]]
            if _live_threads(current_frames):
                tampered.append("its code left a thread running")
        payload["tampered"] = list(tampered)
        write(f"{int(run['index'])}-{run['token']}", payload)
    return 0


if __name__ == "__main__":
    sys.exit(main())
