"""Calling a learner's update rule: their exception as one line with their own traceback, their tensors validated."""

from __future__ import annotations

import inspect
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np

from compare.errors import LearnerError
from compare.learner.loading import their_traceback


def files(fn) -> set[str]:
    """The learner's own files, whose frames their traceback keeps."""
    module = sys.modules.get(getattr(fn, "__module__", "") or "")
    try:
        source = inspect.getsourcefile(fn) or ""
    except TypeError:
        source = ""
    return {str(Path(f).resolve()) for f in (source, getattr(module, "__file__", "") or "") if f}


def call(what: str, fn: Callable, *args, **kwargs):
    """fn(*args, **kwargs), their exception as one line plus the traceback of their own file."""
    try:
        return fn(*args, **kwargs)
    except (Exception, SystemExit) as e:
        first = str(e).splitlines()[0].strip() if str(e) else ""
        if isinstance(e, ValueError) and "broadcast" in first:
            first += " (do two tensors of different shapes meet here, e.g. through one state shared between them?)"
        raise LearnerError(
            f"{what} raised {type(e).__name__}: {first}", their_traceback(e, next((Path(f).parent for f in sorted(files(fn))), None))
        ) from None


def array(value, what: str, shape: tuple) -> np.ndarray:
    """Their updated tensor as float64 (the same array when it is one: state keyed by id(p) keeps working)."""
    a = None if value is None else np.asarray(value)
    if a is None or a.dtype.kind not in "fiu":
        raise LearnerError(f"{what} is {type(value).__name__}; expected a NumPy array of shape {shape}")
    if a.shape != shape:
        raise LearnerError(f"{what} has shape {a.shape}; an update keeps each tensor's shape, {shape}")
    return a.astype(np.float64, copy=False)


def flat_layout(canonical: list[np.ndarray]) -> list[np.ndarray]:
    """Biases as (n, 1) columns, a single bias as a scalar: the shapes a per-tensor rule must handle."""
    return [t if t.ndim == 2 else (t.reshape(()) if t.size == 1 else t.reshape(-1, 1)) for t in canonical]


def reshaped(tensors: list[np.ndarray], canonical: list[np.ndarray]) -> list[np.ndarray]:
    """Tensors back in the canonical shapes (the inverse of flat_layout)."""
    return [t.reshape(c.shape) for t, c in zip(tensors, canonical)]


def signature(fn) -> list[str]:
    try:
        return list(inspect.signature(fn).parameters)
    except (TypeError, ValueError):
        return []
