"""Distance from the exact reference in ulps of a run's dtype: how many float64 (or float32) spacings a computed value
lies from the exact one, entry by entry or step by step."""

from __future__ import annotations

import numpy as np

MANTISSA = {"float64": 52, "float32": 23}  # stored significand bits
TINY = {"float64": 2.0**-1074, "float32": 2.0**-149}  # the least subnormal: the spacing at and near 0


def ulp(exact, dtype: str) -> np.ndarray:
    """The spacing of `dtype` at each exact value: 2^(e - p) for |x| in [2^e, 2^(e + 1)), p the significand bits."""
    x = np.abs(np.asarray(exact, np.float64))
    _, e = np.frexp(x)  # |x| = m 2^e, m in [0.5, 1)
    return np.where(x > 0, np.maximum(np.ldexp(1.0, e - 1 - MANTISSA[dtype]), TINY[dtype]), TINY[dtype])


def distance(computed, exact, dtype: str) -> np.ndarray:
    """|computed - exact| / ulp(exact), elementwise, the difference taken in long double (exact for float64 inputs)."""
    gap = np.abs(np.asarray(computed, np.longdouble) - np.asarray(exact, np.longdouble))
    with np.errstate(invalid="ignore", over="ignore"):
        return (gap / ulp(exact, dtype)).astype(np.float64)


def summary(computed, exact, dtype: str) -> dict[str, float]:
    """{'ulps_max', 'ulps_median'} over the entries (NaN entries, where a run stopped, count as infinitely far; no entry:
    NaN, nothing measured)."""
    d = np.nan_to_num(distance(computed, exact, dtype).ravel(), nan=np.inf, posinf=np.inf)
    return {"ulps_max": float(d.max()), "ulps_median": float(np.median(d))} if d.size else {"ulps_max": np.nan, "ulps_median": np.nan}


def ratio(diff: np.ndarray, bound: np.ndarray) -> float:
    """max |diff| / bound over the entries: how much of what round-off can explain a difference uses (> 1: more than it
    can). An entry both exact and bounded by 0 uses none of it; a nonzero difference where the bound is 0 is infinitely
    beyond it."""
    diff, bound = np.abs(np.asarray(diff, np.float64)), np.asarray(bound, np.float64)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        r = np.divide(diff, bound, out=np.where(diff > 0, np.inf, 0.0), where=bound > 0)  # a zero bound: inf or none
    return float(np.nan_to_num(r, nan=np.inf, posinf=np.inf).max()) if r.size else 0.0


def within(ratio: float) -> bool:
    """A difference round-off can explain: at most all of the bound (a share of exactly 1 included; NaN is not)."""
    return bool(ratio <= 1)
