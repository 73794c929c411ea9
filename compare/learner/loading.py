"""A learner's loss_and_grads(params, X, y): load it from their file, call it, validate what it returns."""

from __future__ import annotations

import contextlib
import importlib.util
import sys
import traceback
from collections.abc import Callable
from pathlib import Path

import numpy as np

from compare.errors import LearnerError

Params = list[tuple[np.ndarray, np.ndarray]]


def _trace(e: BaseException, files: set[str]) -> str:
    """The traceback of e cut down to the frames in the learner's own files."""
    frames = [f for f in traceback.extract_tb(e.__traceback__) if str(Path(f.filename).resolve()) in files]
    if isinstance(e, SyntaxError) and e.filename:
        return f'  File "{e.filename}", line {e.lineno}\n    {(e.text or "").strip()}\nSyntaxError: {e.msg}'
    lines = traceback.format_list(frames) + traceback.format_exception_only(type(e), e)
    return "".join(lines).rstrip()


def load(path: str | Path, function: str = "loss_and_grads") -> Callable:
    """The named function from a learner's Python file; its folder is importable while it loads."""
    path = Path(path)
    if not path.is_file():
        raise LearnerError(f"{path}: no such file; expected a Python file defining {function}(params, X, y)")
    if path.suffix != ".py":
        raise LearnerError(f"{path}: not a .py file; expected a Python file defining {function}(params, X, y)")
    name = f"learner_{abs(hash(str(path.resolve())))}"
    module_spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(module_spec)
    sys.modules[name] = module  # as an import would (dataclasses in their file look themselves up there)
    sys.path.insert(0, str(path.resolve().parent))
    try:
        module_spec.loader.exec_module(module)
    except (Exception, SystemExit) as e:
        raise LearnerError(f"{path} raised {type(e).__name__} while loading (traceback above)", _trace(e, {str(path.resolve())})) from None
    finally:
        with contextlib.suppress(ValueError):  # unless their file took it off itself
            sys.path.remove(str(path.resolve().parent))
    fn = getattr(module, function, None)
    if not callable(fn):
        found = sorted(k for k, v in vars(module).items() if callable(v) and getattr(v, "__module__", None) == name)
        hint = f"; it defines {', '.join(found)} (choose one with --function)" if found else ""
        raise LearnerError(f"{path}: no function {function!r}{hint}")
    with contextlib.suppress(AttributeError, TypeError):  # a callable object may refuse attributes
        fn.learner_file = str(path.resolve())  # whose frames to keep in a traceback
    return fn


def _array(value, what: str) -> np.ndarray:
    try:
        a = np.asarray(value)
    except Exception:
        a = None
    if a is None or a.dtype.kind not in "fiub":
        raise LearnerError(f"{what} is {type(value).__name__}; expected a NumPy array of floats")
    return a


def _finite(a: np.ndarray, what: str) -> None:
    bad = ~np.isfinite(a)
    if bad.any():
        kinds = [k for k, m in (("NaN", np.isnan(a)), ("inf", np.isinf(a))) if m.any()]
        raise LearnerError(
            f"{what} has {int(bad.sum())} {' and '.join(kinds)} entr{'y' if bad.sum() == 1 else 'ies'}; expected finite numbers"
        )


def validate(out, params: Params, n: int, name: str = "loss_and_grads") -> tuple[float, Params]:
    """(loss, grads) as float64, or LearnerError naming what is wrong.

    Shapes that are a known backprop mistake are kept for the diagnosis, not refused: a weight gradient
    of shape (fan_out, fan_in) (transposed), a bias gradient of shape (N, fan_out) (not summed over
    the batch), and a pair (db, dW) (swapped)."""
    if not isinstance(out, (tuple, list)) or len(out) != 2:
        got = f"a {type(out).__name__} of length {len(out)}" if isinstance(out, (tuple, list)) else type(out).__name__
        raise LearnerError(f"{name} returned {got}; expected a pair (loss, grads)")
    loss, grads = out
    if isinstance(loss, (tuple, list)) and not isinstance(grads, (tuple, list)):
        raise LearnerError(f"{name} returned (grads, loss); expected (loss, grads)")
    loss = _array(loss, "the loss")
    if loss.size != 1:
        raise LearnerError(f"the loss has shape {loss.shape}; expected one number (the mean over the batch)")
    _finite(loss, "the loss")
    L = len(params)
    if not isinstance(grads, (tuple, list)):
        raise LearnerError(f"grads is {type(grads).__name__}; expected a list of {L} (dW, db) pairs, one per layer")
    if len(grads) == 2 * L and all(np.ndim(g) in (1, 2) for g in grads):
        raise LearnerError(f"grads is a flat list of {2 * L} arrays; expected {L} (dW, db) pairs: [(dW1, db1), (dW2, db2), ...]")
    if len(grads) != L:
        raise LearnerError(f"grads has {len(grads)} entries; expected {L} (dW, db) pairs, one per layer")
    checked = []
    for i, (pair, (W, b)) in enumerate(zip(grads, params), start=1):
        if not isinstance(pair, (tuple, list)) or len(pair) != 2:
            raise LearnerError(f"grads[{i - 1}] is {type(pair).__name__}; expected a pair (dW{i}, db{i})")
        dW, db = _array(pair[0], f"dW{i}"), _array(pair[1], f"db{i}")
        swapped = dW.shape == b.shape and db.shape == W.shape and W.shape != b.shape
        if not swapped:
            if dW.shape not in (W.shape, W.shape[::-1]):
                raise LearnerError(f"dW{i} has shape {dW.shape}; expected {W.shape}, the shape of W{i}")
            if db.shape not in (b.shape, (n, b.shape[0])):
                hint = " (sum over axis 0 without keepdims)" if db.size == b.size else ""
                raise LearnerError(f"db{i} has shape {db.shape}; expected {b.shape}, the shape of b{i}{hint}")
        _finite(dW, f"dW{i}")
        _finite(db, f"db{i}")
        checked.append((dW.astype(np.float64), db.astype(np.float64)))
    return float(loss.reshape(())), checked


def call(fn: Callable, params: Params, X: np.ndarray, y: np.ndarray) -> tuple[float, Params]:
    """fn(params, X, y) on copies (so the learner cannot change ours), validated."""
    name = getattr(fn, "__name__", "the function")
    copies = [(W.copy(), b.copy()) for W, b in params]
    try:
        out = fn(copies, X.copy(), y.copy())
    except (Exception, SystemExit) as e:
        files = {getattr(fn, "learner_file", ""), str(Path(getattr(getattr(fn, "__code__", None), "co_filename", "")).resolve())}
        raise LearnerError(f"{name} raised {type(e).__name__}: {e}".splitlines()[0], _trace(e, files)) from None
    return validate(out, params, len(X), name)
