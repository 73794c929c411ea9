"""The measures of disagreement: per-tensor differences of two gradients or weights, per-step differences of two loss curves."""

from __future__ import annotations

import numpy as np


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


def curve_diff(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-step |a - b| and |a - b| / max(|a|, |b|) of two loss curves (0 where both are 0)."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):  # inf - inf: NaN, reported as such
        diff = np.abs(a - b)
        scale = np.maximum(np.abs(a), np.abs(b))
        rel = np.divide(diff, scale, out=np.zeros_like(diff), where=scale > 0)  # 0 where both are 0
    return diff, rel
