"""The comparison engine: run an answer on an exercise's inputs, then judge it against the reference.

Checking is split in two so that ``aminet course grade`` can run the two halves in different
processes:

- :func:`observe` runs one answer (the student's, or the reference) on every input of an exercise
  and records what it did as plain data (tensors, numbers, lists, dicts): its output, the gradients
  of a fixed random loss through it, which arguments it modified in place, and whether it ran the
  package's own implementation of the step (``Exercise.forbidden``) or the answer key. An
  observation holds no code, so the grader can read one written by a sandboxed process with
  ``torch.load(..., weights_only=True)``.
- :func:`judge` compares the student's observation with the reference's and returns a
  :class:`Verdict`: what differs, on which input, and why (a typical mistake it recognises).

Outputs agree when ``|got - expected| <= ATOL + RTOL * |expected|`` everywhere; gradients the same
with the tolerance scaled to the gradient's size (float32 round-off of a re-ordered but equivalent
computation stays far below both; every typical mistake is far above).
"""

from __future__ import annotations

import math
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

import torch
from torch import nn

from aminet.course.exercises import Exercise, _resolve

ATOL = 1e-4
RTOL = 1e-3
GRAD_RTOL = 1e-3
GRAD_ATOL = 1e-4  # relative to the largest |expected gradient| (or 1, if larger)

_ERROR_CHARS = 400


@dataclass
class Verdict:
    """The outcome of comparing an answer with the reference.

    ``status``: ``passed``, ``failed`` or ``not_attempted``. ``library``: the package functions
    (or the answer key) the answer ran, e.g. ``["aminet.modules.sa:SelfAttention.forward"]``.
    ``explanation``: what a recognised typical mistake means (empty when none matched).
    """

    status: str
    message: str = ""
    library: list[str] = field(default_factory=list)
    explanation: str = ""
    cases: int = 0
    tampered: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------------------------
# Watching what an answer calls
# --------------------------------------------------------------------------------------------


def _code_key(code) -> tuple:
    """Where a code object was written: a copy made with ``__code__.replace()`` keeps it."""
    return (code.co_filename, code.co_firstlineno, code.co_name)


_FORBIDDEN: dict[tuple, dict] = {}


def forbidden_code(exercise: Exercise) -> dict:
    """Code whose execution means "this answer ran the library's (or the key's) version", keyed by
    :func:`_code_key` so that a copied code object is recognised too. Remembered per exercise: the
    sandbox looks them up before the student's code runs, which could swap the library's methods.
    """
    key = (exercise.id, exercise.forbidden, id(exercise.reference))
    if key in _FORBIDDEN:
        return _FORBIDDEN[key]
    codes = _FORBIDDEN[key] = {}
    targets: list[tuple[str, object]] = []
    for path in exercise.forbidden:
        try:
            targets.append((path, _resolve(path)))
        except (ImportError, AttributeError):
            continue  # the package moved it: nothing to watch for
    if not isinstance(exercise.reference, type):
        targets.append((f"the answer key ({exercise.reference.__qualname__})", exercise.reference))
    for name, obj in targets:
        code = getattr(getattr(obj, "__func__", obj), "__code__", None)
        if code is not None:
            codes[_code_key(code)] = name
    return codes


def _escape_hatches() -> tuple[dict, dict]:
    """Builtins that let an answer leave the watch's sight, bound before any student code runs.

    The first dict is flagged whoever calls it (switching the profiler off); the second only when
    the student's own code calls it directly (library code reads frames for honest reasons,
    e.g. ``collections.namedtuple``)."""
    import _thread
    import gc
    import os

    always = {sys.setprofile: "switches the grader's profiler off (sys.setprofile)"}
    direct = {
        sys.settrace: "installs a tracer (sys.settrace)",
        sys._getframe: "reads the grader's frames (sys._getframe)",
        sys._current_frames: "reads the grader's frames (sys._current_frames)",
        gc.get_objects: "searches the interpreter's objects (gc.get_objects)",
        gc.get_referrers: "searches the interpreter's objects (gc.get_referrers)",
        gc.get_referents: "searches the interpreter's objects (gc.get_referents)",
        _thread.start_new_thread: "starts a raw thread the profiler does not see",
    }
    for name in ("fork", "forkpty", "kill", "killpg", "system", "execv", "execve", "posix_spawn"):
        if hasattr(os, name):
            direct[getattr(os, name)] = f"starts or signals processes (os.{name})"
    try:
        import _posixsubprocess

        direct[_posixsubprocess.fork_exec] = "starts processes (subprocess)"
    except ImportError:  # pragma: no cover - Windows
        pass
    return always, direct


def _escape_functions() -> dict:
    """Python functions that start threads or processes or read frames: flagged when the student's
    own code calls them (keyed like :func:`forbidden_code`)."""
    import concurrent.futures
    import inspect
    import multiprocessing.process
    import subprocess
    import threading

    found = {
        threading.Thread.start: "starts a thread (threading)",
        multiprocessing.process.BaseProcess.start: "starts a process (multiprocessing)",
        subprocess.Popen.__init__: "starts a process (subprocess)",
        subprocess.run: "starts a process (subprocess)",
        concurrent.futures.ThreadPoolExecutor.submit: "runs code in a thread pool",
        concurrent.futures.ProcessPoolExecutor.submit: "runs code in a process pool",
        inspect.currentframe: "reads the grader's frames (inspect)",
        inspect.stack: "reads the grader's frames (inspect)",
        inspect.getouterframes: "reads the grader's frames (inspect)",
    }
    return {_code_key(f.__code__): why for f, why in found.items()}


_ALWAYS, _DIRECT = _escape_hatches()
_DIRECT_CODE = _escape_functions()
# Bound now, before any student code runs: a notebook that replaces sys.setprofile or
# threading.setprofile with a do-nothing function changes nothing here.
_SETPROFILE, _GETPROFILE = sys.setprofile, sys.getprofile
_THREAD_SETPROFILE = threading.setprofile
_THREAD_GETPROFILE = threading.getprofile


def _students(frame) -> bool:
    """Whether ``frame`` runs code from the submission (the sandbox compiles it as ``<cell N>``)."""
    return frame is not None and frame.f_code.co_filename.startswith("<cell")


class _Watch:
    """A profile hook that notes, while ``active``, every call of a watched code object (a library
    call) and every escape hatch (``tampered``): switching the profiler off, reading frames,
    starting threads or processes. It also follows threads started with :mod:`threading`."""

    def __init__(self, codes: dict, on: bool = True):
        self.codes, self.on = codes, on
        self.seen, self.tampered, self.active = set(), set(), False
        self._previous = self._previous_threads = None
        self._bound = self._hook  # one bound method, to tell whether it is still installed

    def _hook(self, frame, event, arg):
        if not self.active:
            return
        if event == "call":
            key = _code_key(frame.f_code)
            name = self.codes.get(key)
            if name is not None:
                self.seen.add(name)
            why = _DIRECT_CODE.get(key)
            if why and _students(frame.f_back):
                self.tampered.add(why)
        elif event == "c_call":
            try:
                why = _ALWAYS.get(arg) or (_DIRECT.get(arg) if _students(frame) else None)
            except TypeError:  # an unhashable callable
                why = None
            if why:
                self.tampered.add(why)

    def __enter__(self):
        self._previous = _GETPROFILE()
        self._previous_threads = _THREAD_GETPROFILE()
        if self.on:
            _THREAD_SETPROFILE(self._bound)
            _SETPROFILE(self._bound)
        return self

    def __exit__(self, *exc):
        self.active = False
        if self.on and _GETPROFILE() is not self._bound:
            self.tampered.add("replaced the grader's profiler")
        _SETPROFILE(self._previous)
        _THREAD_SETPROFILE(self._previous_threads)
        return False


# --------------------------------------------------------------------------------------------
# observe(): run an answer, record what it did
# --------------------------------------------------------------------------------------------


def _describe_error(err: BaseException) -> str:
    text = f"{type(err).__name__}: {err}"
    return text if len(text) <= _ERROR_CHARS else text[:_ERROR_CHARS] + "..."


def plain(value):
    """``value`` as data ``torch.load(weights_only=True)`` can read: tensors, numbers, lists..."""
    if isinstance(value, torch.Tensor):  # a plain tensor, whatever subclass the answer returned
        return value.detach().cpu().clone().as_subclass(torch.Tensor)
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, (tuple, list)):
        items = [plain(v) for v in value]
        return tuple(items) if isinstance(value, tuple) else items
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    try:  # numpy scalars and arrays
        import numpy as np

        if isinstance(value, np.generic):
            return value.item()
        if isinstance(value, np.ndarray):
            return torch.from_numpy(value.copy())
    except ImportError:  # pragma: no cover - numpy ships with torch
        pass
    return {"__type__": type(value).__name__, "repr": repr(value)[:200]}


def _tensors(value, path: str):
    """(path, tensor) for every tensor in a nest of tuples, lists and dicts."""
    if isinstance(value, torch.Tensor):
        yield path, value
    elif isinstance(value, (tuple, list)):
        for i, v in enumerate(value):
            yield from _tensors(v, f"{path}[{i}]")
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _tensors(v, f"{path}[{k!r}]")


def _with_grad_leaves(value, path: str, leaves: dict):
    """A copy of ``value`` whose float tensors are fresh (non-leaf) tensors of recorded leaves."""
    if isinstance(value, torch.Tensor) and value.is_floating_point():
        leaf = value.detach().clone().requires_grad_(True)
        leaves[path] = leaf
        return leaf.clone()  # a non-leaf: an in-place write is allowed by autograd, and seen
    if isinstance(value, list):
        return [_with_grad_leaves(v, f"{path}[{i}]", leaves) for i, v in enumerate(value)]
    if isinstance(value, tuple):
        return tuple(_with_grad_leaves(v, f"{path}[{i}]", leaves) for i, v in enumerate(value))
    return value


def _snapshot(args: tuple, names: list[str]) -> dict:
    state = {}
    for i, arg in enumerate(args):
        name = names[i] if i < len(names) else f"argument {i + 1}"
        for path, t in _tensors(arg, name):
            state[(i, path)] = t.detach().clone()
        if isinstance(arg, nn.Module):
            for key, t in arg.state_dict().items():
                state[(i, f"{name}.{key}")] = t.detach().clone()
    return state


def _changed(args: tuple, names: list[str], before: dict, allowed: tuple[int, ...]) -> list[str]:
    after = _snapshot(args, names)
    changed = []
    for key, old in before.items():
        if key[0] in allowed:
            continue
        new = after.get(key)
        if new is None or new.shape != old.shape or not torch.equal(new, old):
            changed.append(key[1])
    return changed


def _loss_weights(t: torch.Tensor, index: int) -> torch.Tensor:
    """Fixed random weights for output tensor ``index``: the loss is sum(w * output)."""
    gen = torch.Generator().manual_seed(9000 + index)
    return torch.randn(t.shape, generator=gen, dtype=torch.float32).to(t.dtype)


def _gradients(out, leaves: dict, modules: dict) -> tuple[dict | None, str | None, bool]:
    """(gradients by name, backward error, whether any output carries a gradient)."""
    carried = [t for _, t in _tensors(out, "output") if t.requires_grad and t.is_floating_point()]
    if not carried:
        return None, None, False
    loss = sum((t * _loss_weights(t, i)).sum() for i, t in enumerate(carried))
    try:
        loss.backward()
    except Exception as err:  # noqa: BLE001 - any failure of the student's graph is reported
        return None, _describe_error(err), True
    grads = {
        name: None if leaf.grad is None else leaf.grad.detach().clone()
        for name, leaf in leaves.items()
    }
    for prefix, module in modules.items():
        for pname, p in module.named_parameters():
            key = f"{prefix}.{pname}" if prefix else pname
            grads[key] = None if p.grad is None else p.grad.detach().clone()
    return grads, None, True


def _param_shapes(module: nn.Module) -> dict:
    return {k: tuple(v.shape) for k, v in module.state_dict().items()}


def _seeded_reference_module(exercise: Exercise, args: tuple, salt: int) -> nn.Module:
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(12345 + salt)
        return exercise.reference(*args)


def _observe_case(exercise: Exercise, answer, case, salt: int, watch: _Watch) -> dict:
    obs = {
        "output": None,
        "error": None,
        "not_attempted": False,
        "mutated": [],
        "grads": None,
        "carries_grad": False,
        "backward_error": None,
        "params": None,
        "expected_params": None,
    }
    args = case.build(salt)
    names = exercise.arg_names
    module_answer = exercise.kind == "module"
    if module_answer:
        kwargs, call_args, state = args
        names = [f"input {i + 1}" for i in range(len(call_args))] if len(call_args) > 1 else ["x"]
        if exercise.id == "edff.module":
            names = ["encoder", "decoder"]
    else:
        call_args = args
    leaves: dict = {}
    if exercise.differentiable:
        call_args = tuple(
            _with_grad_leaves(a, names[i] if i < len(names) else f"argument {i + 1}", leaves)
            for i, a in enumerate(call_args)
        )
    before = _snapshot(call_args, names)
    modules = {}
    if exercise.differentiable and not module_answer:
        modules = {names[i]: a for i, a in enumerate(call_args) if isinstance(a, nn.Module)}
    grad_mode = (
        torch.enable_grad() if (exercise.grad or exercise.differentiable) else torch.no_grad()
    )
    # The watch stays on whenever the student's code may run: the answer itself, and everything
    # that touches what it returned (a Tensor subclass's __torch_function__, a custom backward, a
    # module's load_state_dict run student code too). It is off only while the grader builds
    # aminet's own module for a probe.
    watch.active = True
    try:
        with grad_mode:
            _observe_call(
                exercise,
                answer,
                args,
                (call_args, names, before),
                leaves,
                modules,
                obs,
                salt,
                watch,
            )
    finally:
        watch.active = False
    return obs


def _observe_call(exercise, answer, args, inputs, leaves, modules, obs, salt, watch) -> None:
    """The part of :func:`_observe_case` that runs the student's code; fills ``obs``."""
    call_args, names, before = inputs
    module_answer = exercise.kind == "module"
    try:
        if module_answer:
            kwargs, _, state = args
            student = answer(**kwargs)
            if not isinstance(student, nn.Module):
                obs["output"] = plain(student)
                obs["error"] = f"your class built a {type(student).__name__}, not an nn.Module"
                return
            obs["params"] = _param_shapes(student)
            obs["expected_params"] = {k: tuple(v.shape) for k, v in state.items()}
            if obs["params"] != obs["expected_params"]:
                return  # judge() names the difference
            student.load_state_dict(state)
            student.eval()
            if exercise.differentiable:
                modules = {"": student}
            out = student(*call_args)
        else:
            out = answer(*call_args)
            if isinstance(out, nn.Module) and exercise.probe is not None:
                watch.active = False  # aminet's module, built by the grader
                expected_module = _seeded_reference_module(exercise, args, salt)
                expected_params = _param_shapes(expected_module)
                expected_state = expected_module.state_dict()
                probe = exercise.probe(args, salt)
                watch.active = True
                obs["params"] = _param_shapes(out)
                obs["expected_params"] = expected_params
                if obs["params"] != obs["expected_params"]:
                    return
                out.load_state_dict(expected_state)
                if exercise.differentiable:
                    probe = _with_grad_leaves(probe, "the probe input", leaves)
                    modules = {"your module": out}
                out = out(probe)
    except NotImplementedError:
        obs["not_attempted"] = True
        return
    except Exception as err:  # noqa: BLE001 - the student's error is the message
        obs["error"] = _describe_error(err)
        return
    obs["mutated"] = _changed(call_args, names, before, exercise.mutable)
    if exercise.differentiable:
        obs["grads"], obs["backward_error"], obs["carries_grad"] = _gradients(out, leaves, modules)
    if exercise.outcome is not None:
        try:
            out = exercise.outcome(call_args, out)
        except Exception as err:  # noqa: BLE001
            obs["error"] = f"its result could not be read: {_describe_error(err)}"
            return
    obs["output"] = plain(out)


def observe(exercise: Exercise, answer, *, salt: int = 0, watch: bool = True) -> list[dict]:
    """Run ``answer`` on every input of ``exercise``; one plain-data record per input.

    Stops at the first input on which the answer raises ``NotImplementedError`` (not attempted).
    With ``watch`` (the default), each record's ``"library"`` lists the package implementations
    of this step (and the answer key) that the answer ran, and ``"tampered"`` what it did to get
    out of the watch's sight (switch the profiler off, read frames, start threads or processes).
    """
    records = []
    for case in exercise.cases:
        with _Watch(forbidden_code(exercise) if watch else {}, on=watch) as watcher:
            rec = _observe_case(exercise, answer, case, salt, watcher)
        rec["library"] = sorted(watcher.seen)
        rec["tampered"] = sorted(watcher.tampered)
        records.append(rec)
        if rec["not_attempted"]:
            break
    return records


# --------------------------------------------------------------------------------------------
# compare(): one value against another
# --------------------------------------------------------------------------------------------


def _shape(t: torch.Tensor) -> tuple[int, ...]:
    return tuple(t.shape)


def _as_number(value):
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, torch.Tensor) and value.numel() == 1 and not value.is_complex():
        return float(value.detach().reshape(()).item())
    return None


def compare(expected, got, where: str = "output", probe: torch.Tensor | None = None) -> None:
    """Raise ``AssertionError`` describing the first difference between ``expected`` and ``got``.

    Tensors: type, shape, then values within ATOL/RTOL; a Python number is accepted where a
    one-element tensor is expected (and the other way round). Tuples and lists: length, then item
    by item (a list where a tuple is expected is fine). ``nn.Module``: parameter names and shapes,
    then outputs on ``probe`` with the expected module's weights loaded into ``got``. Other values:
    equality (numbers within the tolerance).
    """
    if isinstance(expected, nn.Module):
        _compare_modules(expected, got, where, probe)
        return
    if isinstance(expected, torch.Tensor):
        if not isinstance(got, torch.Tensor) and expected.numel() == 1:
            number = _as_number(got)
            if number is not None:
                got = torch.tensor(number, dtype=torch.float64).reshape(expected.shape)
        _compare_tensors(expected, got, where)
        return
    if isinstance(expected, (tuple, list)):
        if not isinstance(got, (tuple, list)):
            raise AssertionError(
                f"{where}: expected a {type(expected).__name__} of {len(expected)} items, "
                f"got {_type_name(got)}"
            )
        if len(got) != len(expected):
            raise AssertionError(f"{where}: expected {len(expected)} items, got {len(got)}")
        for i, (e, g) in enumerate(zip(expected, got)):
            compare(e, g, f"{where}[{i}]", probe)
        return
    e_num, g_num = _as_number(expected), _as_number(got)
    if isinstance(expected, float) and g_num is not None:
        if not math.isclose(g_num, e_num, rel_tol=RTOL, abs_tol=ATOL):
            raise AssertionError(f"{where}: expected {expected!r}, got {g_num!r}")
        return
    if isinstance(got, torch.Tensor) and g_num is not None and e_num is not None:
        got = int(g_num) if float(g_num).is_integer() and isinstance(expected, int) else g_num
    if got != expected:
        raise AssertionError(f"{where}: expected {expected!r}, got {_type_repr(got)}")


def _type_name(value) -> str:
    if isinstance(value, dict) and "__type__" in value:
        return value["__type__"]
    return type(value).__name__


def _type_repr(value) -> str:
    if isinstance(value, dict) and "__type__" in value:
        return f"a {value['__type__']} ({value['repr']})"
    return repr(value)


def _compare_tensors(expected: torch.Tensor, got, where: str) -> None:
    if not isinstance(got, torch.Tensor):
        raise AssertionError(
            f"{where}: expected a torch.Tensor of shape {_shape(expected)}, got {_type_name(got)}"
        )
    if got.shape != expected.shape:
        raise AssertionError(f"{where}: shape {_shape(got)}, expected {_shape(expected)}")
    if got.is_complex() or expected.is_complex():
        got, expected = torch.view_as_real(got.detach()), torch.view_as_real(expected.detach())
    got = got.detach().to(torch.float64)
    exp = expected.detach().to(torch.float64)
    diff = (got - exp).abs()
    bad = ~(diff <= ATOL + RTOL * exp.abs())  # NaN counts as a difference
    if bad.any():
        idx = tuple(int(i) for i in torch.nonzero(bad)[0])
        raise AssertionError(
            f"{where}: values differ at {int(bad.sum())} of {bad.numel()} positions "
            f"(max |difference| {diff.nan_to_num(float('inf')).max().item():.4g}); first at "
            f"index {idx}: got {got[idx].item():.6g}, expected {exp[idx].item():.6g}"
        )


def _compare_modules(expected: nn.Module, got, where: str, probe: torch.Tensor | None) -> None:
    if not isinstance(got, nn.Module):
        raise AssertionError(
            f"{where}: expected an nn.Module ({type(expected).__name__}), got {type(got).__name__}"
        )
    _compare_params(_param_shapes(expected), _param_shapes(got), where)
    if probe is not None:
        got.load_state_dict(expected.state_dict())
        with torch.no_grad():
            _compare_tensors(
                expected(probe), got(probe), f"{where} applied to an input of shape {_shape(probe)}"
            )


def _count(shapes: dict) -> int:
    return sum(math.prod(s) for s in shapes.values())


def _compare_params(expected: dict, got: dict, where: str) -> None:
    """Parameter (and buffer) names and shapes, with counts, so a student can find what is off."""
    if expected == got:
        return
    counts = f"your module has {_count(got):,} parameters, aminet's {_count(expected):,}"
    missing = [k for k in expected if k not in got]
    extra = [k for k in got if k not in expected]
    if missing:
        shapes = ", ".join(f"{k!r} {expected[k]}" for k in missing[:6])
        more = f" (and {len(missing) - 6} more)" if len(missing) > 6 else ""
        hint = f"; yours has {extra[:6]} instead" if extra else ""
        raise AssertionError(
            f"{where}: {counts}. Missing {shapes}{more}{hint}. Name the layers as aminet's "
            f"module does, so its weights load into yours."
        )
    if extra:
        raise AssertionError(f"{where}: {counts}. Unexpected parameters {extra[:8]}")
    for k, shape in expected.items():
        if got[k] != shape:
            raise AssertionError(
                f"{where}: {counts}. Parameter {k!r} has shape {got[k]}, expected {shape}"
            )


# --------------------------------------------------------------------------------------------
# judge(): the student's observation against the reference's
# --------------------------------------------------------------------------------------------


def _same_outputs(a: list[dict], b: list[dict]) -> bool:
    if len(a) != len(b):
        return False
    for x, y in zip(a, b):
        if x["error"] or y["error"] or x["not_attempted"] or y["not_attempted"]:
            return False
        try:
            compare(x["output"], y["output"])
        except AssertionError:
            return False
    return True


def _compare_grads(expected: dict, got: dict | None, where: str) -> None:
    for name, e in expected.items():
        if e is None:
            continue
        g = None if got is None else got.get(name)
        if g is None:
            raise AssertionError(
                f"{where}: the output is right, but no gradient reaches {name!r}: something "
                f"between it and the output is detached (.detach(), .item(), .data, "
                f"torch.no_grad() or a new tensor built from values), so training would not "
                f"learn through it."
            )
        if not isinstance(g, torch.Tensor) or g.shape != e.shape:
            raise AssertionError(f"{where}: the gradient w.r.t. {name!r} has the wrong shape")
        scale = max(1.0, float(e.abs().max()))
        diff = (g.double() - e.double()).abs()
        bad = ~(diff <= GRAD_ATOL * scale + GRAD_RTOL * e.double().abs())
        if bad.any():
            raise AssertionError(
                f"{where}: the output is right, but the gradient of a loss through it w.r.t. "
                f"{name!r} differs (max |difference| {diff.max().item():.4g} at "
                f"{int(bad.sum())} of {bad.numel()} entries): part of the computation is cut "
                f"from the graph (a .detach() or .data in the wrong place) or computed from a "
                f"copy."
            )


def judge(
    exercise: Exercise,
    expected: list[dict],
    got: list[dict],
    *,
    salt: int = 0,
    mistakes: bool = True,
) -> Verdict:
    """Compare the student's observation ``got`` with the reference's ``expected``."""
    library = sorted({name for rec in got for name in rec.get("library", [])})
    tampered = sorted({what for rec in got for what in rec.get("tampered", [])})
    if tampered:
        return Verdict(
            "tampered",
            f"{exercise.id}: while it ran, the answer " + "; ".join(tampered),
            library,
            tampered=tampered,
        )
    if got and got[-1]["not_attempted"]:
        return Verdict("not_attempted", "not attempted yet", library)
    n = len(exercise.cases)
    if len(got) != n or len(expected) != n:
        return Verdict("failed", f"{exercise.id}: the answer did not run on every input", library)
    what = "class" if exercise.kind == "module" else "function"
    for i, (case, e, g) in enumerate(zip(exercise.cases, expected, got), start=1):
        where = f"{exercise.id}, input {i} of {n} ({case.description})"
        try:
            if g["params"] is not None or e["params"] is not None:
                _compare_params(e["params"] or {}, g["params"] or {}, where)
            if g["error"]:
                raise AssertionError(f"{where}: your {what} raised {g['error']}")
            if e["error"]:  # the reference itself failed: a bug in the course, not the student
                raise AssertionError(f"{where}: aminet's reference raised {e['error']}")
            compare(e["output"], g["output"], where)
            if g["mutated"]:
                names = ", ".join(repr(m) for m in g["mutated"][:4])
                raise AssertionError(
                    f"{where}: the result is right, but your {what} changed its input {names} in "
                    f"place (x += ..., x.mul_(...), x[...] = ...). The caller still needs it "
                    f"(training's backward pass reads it): build a new tensor instead."
                )
            if g["backward_error"]:
                raise AssertionError(
                    f"{where}: the result is right, but backpropagating through it fails: "
                    f"{g['backward_error']} (usually an in-place change of a tensor autograd "
                    f"still needs)"
                )
            if e["carries_grad"] and not g["carries_grad"]:
                raise AssertionError(
                    f"{where}: the result is right, but no gradient flows through it: it was "
                    f"detached (.detach(), .item(), torch.no_grad() or a tensor rebuilt from "
                    f"values), so training would not learn through it."
                )
            if e["grads"] is not None:
                _compare_grads(e["grads"], g["grads"], where)
        except AssertionError as err:
            verdict = Verdict("failed", str(err), library, cases=i - 1)
            if mistakes:
                verdict.explanation = _recognise(exercise, got, salt)
            return verdict
    return Verdict("passed", f"{n} inputs", library, cases=n)


def _recognise(exercise: Exercise, got: list[dict], salt: int) -> str:
    for mistake in exercise.mistakes:
        if _same_outputs(observe(exercise, mistake.answer, salt=salt, watch=False), got):
            return mistake.explanation
    return ""


def run_answer(exercise: Exercise, answer: Callable, *, salt: int = 0) -> Verdict:
    """Observe ``answer`` and the reference in this process and judge the answer."""
    expected = observe(exercise, exercise.reference, salt=salt, watch=False)
    return judge(exercise, expected, observe(exercise, answer, salt=salt), salt=salt)
