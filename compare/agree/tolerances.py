"""Agreement measures: per-tensor gradient differences and per-step loss-curve differences."""

from __future__ import annotations

import numpy as np

# Gradient tolerance on max|a - b| / max|a| per tensor. float64: the three compute the same sums
# in different orders, ~10 ulp (2e-15) in practice; 1e-12 leaves room for deep or wide layers.
# float32: ulp is 1.2e-7 and sigmoid/tanh differ by up to 6 ulp between frameworks; 1e-5.
GRAD_TOL = {"float64": 1e-12, "float32": 1e-5}
# Loss-curve tolerance at step 0; it grows with the step count (see curve_tolerance).
CURVE_TOL = {"float64": 1e-10, "float32": 1e-4}


def tensor_diff(a: np.ndarray, b: np.ndarray) -> dict[str, float]:
    """max |a - b|, max |a - b| / max |a|, and the cosine similarity of two tensors."""
    a = np.asarray(a, np.float64).ravel()
    b = np.asarray(b, np.float64).ravel()
    with np.errstate(invalid="ignore", over="ignore"):  # weights that blew up to inf compare as NaN
        max_abs = float(np.max(np.abs(a - b))) if a.size else 0.0
        scale = float(np.max(np.abs(a))) if a.size else 0.0
        max_rel = max_abs / scale if scale > 0 else (0.0 if max_abs == 0 else np.inf)
        norm = np.linalg.norm(a) * np.linalg.norm(b)
        cosine = float(a @ b / norm) if norm > 0 else (1.0 if max_abs == 0 else 0.0)
    return {"max_abs": max_abs, "max_rel": max_rel, "cosine": cosine}


def curve_tolerance(dtype: str, steps: np.ndarray, adaptive: bool) -> np.ndarray:
    """Per-step relative tolerance: round-off grows linearly with the step count, and Adam and
    RMSprop amplify it exponentially (doubling every 100 steps measured on these versions), while
    a real disagreement shows at once. steps are 1-based."""
    steps = np.asarray(steps, np.float64)
    tol = CURVE_TOL[dtype] * (1 + steps / 100)
    return tol * 2 ** (steps / 100) if adaptive else tol


def curve_diff(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-step |a - b| and |a - b| / max(|a|, |b|) of two loss curves (0 where both are 0)."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):  # inf - inf: NaN, reported as such
        diff = np.abs(a - b)
        scale = np.maximum(np.abs(a), np.abs(b))
        rel = np.where(scale > 0, diff / np.where(scale > 0, scale, 1), 0.0)
    return diff, rel
