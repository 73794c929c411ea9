"""How close a learner's tensor is to the reference's: one relative difference for the whole check."""

from __future__ import annotations

import numpy as np


def rel(a, b) -> float:
    """max |a - b| / max |b|, b the reference (the absolute difference where b is all zeros)."""
    scale = float(np.max(np.abs(b), initial=0.0))
    diff = float(np.max(np.abs(np.asarray(a, dtype=np.float64) - b), initial=0.0))
    return diff / scale if scale > 0 else diff


def close(a, b, tol: float) -> bool:
    """a equals the reference b to the check's tolerance: rel(a, b) <= tol."""
    return rel(a, b) <= tol


def scale_of(pairs) -> float:
    """The least-squares scalar c in g ≈ c × r over the (g, r) pairs; 0 where every r is zero."""
    den = sum(float((r * r).sum()) for _, r in pairs)
    return sum(float((g * r).sum()) for g, r in pairs) / den if den else 0.0


def cosine(a, b) -> float:
    """The cosine between two tensors (0 where either is all zeros)."""
    na, nb = float(np.linalg.norm(a)), float(np.linalg.norm(b))
    return float(np.sum(a * b)) / (na * nb) if na * nb > 0 else 0.0


def canonical(value, like: np.ndarray):
    """value compared with a reference tensor of like's shape: squeezed, or broadcast (a bias (n,) against (1, n))."""
    a = np.asarray(value, dtype=np.float64)
    if a.shape == like.shape:
        return a
    if a.ndim == like.ndim == 2 and a.shape == like.shape[::-1]:
        return None  # a (1, n) against an (n, 1): a transposed vector (dW of a one-unit layer), not the same tensor
    if np.squeeze(a).shape == np.squeeze(like).shape:
        return np.squeeze(a).reshape(like.shape)
    return None
