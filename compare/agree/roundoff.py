"""Forward-error bounds of floating-point arithmetic (Higham, Accuracy and Stability of Numerical Algorithms, ch. 3): a
quantity carried with a bound on its error, and the operations the MLP's passes are made of, each adding its rounding."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

UNIT = {"float64": 2.0**-53, "float32": 2.0**-24}  # unit roundoff u: half an ulp of 1


def gamma(n: int, u: float) -> float:
    """gamma_n = n u / (1 - n u): the relative error bound of a sum or dot product of n + 1 terms in any order."""
    return n * u / (1 - n * u)


class Err(NamedTuple):
    """A computed array's value (its exact value, in float64) and a bound on its error, elementwise: |computed - v| <= e."""

    v: np.ndarray
    e: np.ndarray


def exact(v) -> Err:
    """A value held exactly (the inputs and the weights, the same bits in every framework)."""
    v = np.asarray(v, np.float64)
    return Err(v, np.zeros_like(v))


def add(x: Err, y: Err, u: float) -> Err:
    """x + y (broadcasting), one rounding."""
    v = x.v + y.v
    return Err(v, x.e + y.e + u * np.abs(v))


def neg(x: Err) -> Err:
    return Err(-x.v, x.e)


def mul(x: Err, y: Err, u: float) -> Err:
    """x * y elementwise (broadcasting), one rounding; the product of the two errors kept (no first-order cut)."""
    v = x.v * y.v
    return Err(v, np.abs(x.v) * y.e + np.abs(y.v) * x.e + x.e * y.e + u * np.abs(v))


def scale(x: Err, c: float, u: float, ops: int = 1) -> Err:
    """c x for an exact scalar c, taken in `ops` roundings (a mean over two axes divides twice)."""
    v = c * x.v
    return Err(v, abs(c) * x.e + gamma(ops, u) * np.abs(v))


def total(x: Err, axis: int, u: float) -> Err:
    """The sum along an axis, in any order: gamma_{n-1} times the sum of magnitudes."""
    n = x.v.shape[axis]
    return Err(x.v.sum(axis=axis), x.e.sum(axis=axis) + gamma(max(n - 1, 0), u) * np.abs(x.v).sum(axis=axis))


def matmul(x: Err, w: Err, u: float, bias: Err | None = None) -> Err:
    """x @ w (+ bias), each entry a dot product of k terms (and the bias): gamma_k times |x| @ |w| (+ |bias|)."""
    k = x.v.shape[1] + (bias is not None)
    v, size = x.v @ w.v, np.abs(x.v) @ np.abs(w.v)
    e = x.e @ (np.abs(w.v) + w.e) + np.abs(x.v) @ w.e
    if bias is not None:
        v, size, e = v + bias.v, size + np.abs(bias.v), e + bias.e
    return Err(v, e + gamma(k, u) * size)


def function(x: Err, f, slope: np.ndarray, own: float, u: float) -> Err:
    """f(x) elementwise: the input's error through f (slope: a bound on |f'| over x +- its error) and f's own error,
    `own` ulps of the result."""
    v = f(x.v)
    return Err(v, slope * x.e + own * u * np.abs(v))


def rounding_only(with_u: Err, without_u: Err, factor: float) -> Err:
    """A bound whose rounding part (with_u - without_u) is widened by `factor`: for a step the frameworks compute by
    other formulas (batch norm's backward), whose roundings are of the same sizes but more of them."""
    return Err(with_u.v, without_u.e + factor * (with_u.e - without_u.e))
