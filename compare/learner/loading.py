"""A learner's function: load it from their file, call it in the layout and containers it takes (its NumPy
patches kept to its own calls), turn what it returns into canonical gradients."""

from __future__ import annotations

import contextlib
import importlib.util
import inspect
import sys
import traceback
from collections.abc import Callable
from pathlib import Path

import numpy as np

from compare.errors import LearnerError
from compare.learner.layouts import CONTAINERS, Form, Params, Returned, mean, read

WATCHED = (np, np.linalg, np.random)  # what a helper library may patch behind the learner's back (np.dot to float32)
SHAPE_WORDS = ("shape", "broadcast", "matmul", "aligned", "dimension")


def _snapshot() -> list[dict]:
    return [dict(vars(m)) for m in WATCHED]


def _changes(before: list[dict]) -> list[dict]:
    return [{k: v for k, v in vars(m).items() if old.get(k) is not v} for m, old in zip(WATCHED, before)]


def _restore(before: list[dict]) -> None:
    for m, old in zip(WATCHED, before):
        for k in [k for k, v in vars(m).items() if old.get(k) is not v]:
            if k in old:
                setattr(m, k, old[k])
            else:
                delattr(m, k)


@contextlib.contextmanager
def guarded(fn: Callable):
    """Run the learner's code with the NumPy patches its file made on import, and take every patch off afterwards,
    so the references never compute with them."""
    before = _snapshot()
    for m, patches in zip(WATCHED, getattr(fn, "learner_patches", [{}] * len(WATCHED))):
        for k, v in patches.items():
            setattr(m, k, v)
    try:
        yield
    finally:
        _restore(before)


def folder_of(fn: Callable) -> Path | None:
    """The learner's folder: their file's (the cell's, in a notebook)."""
    file = getattr(fn, "learner_file", None) or getattr(getattr(fn, "__code__", None), "co_filename", None)
    return Path(file).resolve().parent if file and not file.startswith("<") else None


def their_traceback(e: BaseException, folder: Path | None) -> str:
    """The traceback of e cut down to the frames of files in the learner's folder (their modules, not only the one
    that holds the function)."""

    def theirs(name: str) -> bool:
        path = Path(name).resolve()
        return folder is not None and path.is_relative_to(folder) and "site-packages" not in path.parts

    frames = [f for f in traceback.extract_tb(e.__traceback__) if theirs(f.filename)]
    if isinstance(e, SyntaxError) and e.filename:
        return f'  File "{e.filename}", line {e.lineno}\n    {(e.text or "").strip()}\nSyntaxError: {e.msg}'
    lines = traceback.format_list(frames) + traceback.format_exception_only(type(e), e)
    return "".join(lines).rstrip()


def load(path: str | Path, function: str = "loss_and_grads") -> Callable:
    """The named function from a learner's Python file; its folder is importable while it loads."""
    return load_all(path, [function])[0]


def load_all(path: str | Path, functions: list[str]) -> list[Callable]:
    """The named functions from a learner's file, loaded once; a dotted name reaches into a class (and is refused
    with a way to wrap it when it is a method)."""
    module, patches = load_module(path, f"a Python file defining {functions[0]}(params, X, y)")
    return [_pick(module, module.__name__, Path(path), f, patches) for f in functions]


def load_module(path: str | Path, expected: str) -> tuple[object, list[dict]]:
    """A learner's file as a module (its folder importable while it loads), and the NumPy patches it made on import
    (taken off again: `guarded` puts them back around each call of theirs)."""
    path = Path(path)
    if not path.is_file():
        raise LearnerError(f"{path}: no such file; expected {expected}")
    if path.suffix != ".py":
        raise LearnerError(f"{path}: not a .py file; expected {expected}")
    name = f"learner_{abs(hash(str(path.resolve())))}"
    module_spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(module_spec)
    sys.modules[name] = module  # as an import would (dataclasses in their file look themselves up there)
    sys.path.insert(0, str(path.resolve().parent))
    before = _snapshot()
    try:
        module_spec.loader.exec_module(module)
    except (Exception, SystemExit) as e:
        raise LearnerError(
            f"{path} raised {type(e).__name__} while loading (traceback above)", their_traceback(e, path.resolve().parent)
        ) from None
    finally:
        patches = _changes(before)
        _restore(before)
        with contextlib.suppress(ValueError):  # unless their file took it off itself
            sys.path.remove(str(path.resolve().parent))
    return module, patches


def _pick(module, name: str, path: Path, function: str, patches: list[dict]) -> Callable:
    fn, owner = module, None
    for part in function.split("."):
        owner, fn = fn, getattr(fn, part, None)
    if not callable(fn):
        found = sorted(k for k, v in vars(module).items() if callable(v) and getattr(v, "__module__", None) == name)
        hint = f"; it defines {', '.join(found)} (choose one with --function)" if found else ""
        raise LearnerError(f"{path}: no function {function!r}{hint}")
    signature(fn, function, method=isinstance(owner, type) and inspect.isfunction(fn))
    with contextlib.suppress(AttributeError, TypeError):  # a callable object may refuse attributes
        fn.learner_file = str(path.resolve())  # whose folder's frames to keep in a traceback
        fn.learner_patches = patches
    return fn


def signature(fn: Callable, function: str, method: bool = False) -> None:
    """Refuse, in one line that says what is accepted and how to wrap, a function the check cannot call."""
    try:
        parameters = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        return
    if any(p.kind == p.VAR_POSITIONAL for p in parameters):
        return
    required = [  # masks: the step's dropout masks, handed over by name
        p.name for p in parameters if p.default is p.empty and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.name != "masks"
    ]
    allowed = [p.name for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    if len(required) <= 3 <= len(allowed) and not method:
        return
    accepted = (
        "the check calls f(params, X, y) (one sample x with --per-sample; f(params, X, y, masks) with dropout) "
        "and takes back (loss, grads) or the gradients alone"
    )
    if method:
        cls, method = function.rsplit(".", 1)
        raise LearnerError(
            f"{function} is a method ({', '.join(required)}); {accepted}; wrap it in three lines of your file: "
            f"net = {cls}(...) / def {method}_of(params, X, y): / "
            f"    net.weights, net.biases = params; return net.{method}(X, y)   (then --function {method}_of --params lists)"
        )
    raise LearnerError(f"{function} takes ({', '.join(required)}); {accepted}")


def takes_masks(fn: Callable, required: bool = False) -> bool:
    """Whether the learner's function takes the step's dropout masks: a parameter named `masks` (without a default,
    where required)."""
    try:
        parameter = inspect.signature(fn).parameters.get("masks")
    except (TypeError, ValueError):  # a builtin or C callable: no signature to read
        return False
    return parameter is not None and not (required and parameter.default is not parameter.empty)


def masks_for(fn: Callable, form: Form, masks, sample: int) -> dict:
    """{"masks": ...} in the learner's layout (the sample's alone with --per-sample), or {} with no masks to hand over."""
    if masks is None or not takes_masks(fn):
        return {}
    return {"masks": form.masks_in(masks, sample if form.per_sample else None)}


def call(fn: Callable, params: Params, X: np.ndarray, y: np.ndarray, form: Form, classes: int, masks=None) -> Returned:
    """fn on copies of params, X and y (and the step's dropout masks, if it takes them) in the learner's layout and
    containers (once per sample with --per-sample), under its own NumPy patches; what it returns validated and in
    canonical rows."""
    name = getattr(fn, "__name__", "the function")
    calls = []
    for i, (Xs, ys) in enumerate(form.samples(X, y, classes)):
        try:
            with guarded(fn):
                out = fn(form.params_in(params), Xs, ys, **masks_for(fn, form, masks, i))
        except (Exception, SystemExit) as e:
            hint = ""
            if isinstance(e, ValueError) and any(w in str(e) for w in SHAPE_WORDS):
                samples = "rows, X of shape (N, fan_in)" if form.columns else "columns, X of shape (fan_in, N)"
                hint = f"; if your code takes samples as {samples}, try --layout {form.other}"
            elif isinstance(e, ValueError) and "values to unpack" in str(e):
                hint = f"; your code unpacks params in another way than --params {form.params} hands them over: try --params {' or '.join(c for c in CONTAINERS if c != form.params)}"
            raise LearnerError(f"{name} raised {type(e).__name__}: {e}".splitlines()[0] + hint, their_traceback(e, folder_of(fn))) from None
        calls.append(read(out, form, params, len(X), name))
    return mean(calls) if form.per_sample else calls[0]


def call_loss(fn: Callable, params: Params, X: np.ndarray, y: np.ndarray, form: Form, classes: int, masks=None) -> float:
    """A loss function of the learner's (--loss-function), called as their gradient function is; the mean over samples."""
    values = []
    for i, (Xs, ys) in enumerate(form.samples(X, y, classes)):
        with guarded(fn):
            out = fn(form.params_in(params), Xs, ys, **masks_for(fn, form, masks, i))
        out = out[0] if isinstance(out, (tuple, list)) else out
        values.append(float(np.asarray(out).reshape(())))
    return float(np.mean(values))
