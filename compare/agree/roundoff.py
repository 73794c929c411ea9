"""Forward-error bounds of floating-point arithmetic (Higham, Accuracy and Stability of Numerical Algorithms, ch. 3): a
quantity carried with a bound on its error, and the operations the MLP's passes are made of, each adding its rounding.
An error may also be carried as an affine form (de Figueiredo and Stolfi's affine arithmetic): signed shares of errors
made once upstream, so that where two paths meet their errors cancel as they do in the exact first-order error."""

from __future__ import annotations

import numpy as np

UNIT = {"float64": 2.0**-53, "float32": 2.0**-24}  # unit roundoff u: half an ulp of 1


def gamma(n: int, u: float) -> float:
    """gamma_n = n u / (1 - n u): the relative error bound of a sum or dot product of n + 1 terms in any order."""
    return n * u / (1 - n * u)


class Err:
    """A computed array's exact value v (float64) and a bound on its error, elementwise: computed - v = sum_k c[k] t_k + s
    for some |t_k| <= 1 and |s| <= r, the t_k shared by every quantity that carries them (c None: no shared part).
    e, the whole bound: r + sum_k |c[k]|."""

    __slots__ = ("v", "r", "c", "_e")

    def __init__(self, v, e, c: np.ndarray | None = None):
        self.v, self.r, self.c, self._e = v, e, c, None

    @property
    def e(self):
        if self._e is None:
            self._e = self.r if self.c is None else self.r + np.abs(self.c).sum(axis=0)
        return self._e


def exact(v) -> Err:
    """A value held exactly (the inputs and the weights, the same bits in every framework)."""
    v = np.asarray(v, np.float64)
    return Err(v, np.zeros_like(v))


def _shares(c: np.ndarray | None, ndim: int, k: int) -> np.ndarray | None:
    """c as (k, ...) of `ndim` value axes: zeros for the shared errors made after it, axes added on the left."""
    if c is None:
        return None
    c = np.concatenate([c, np.zeros((k - c.shape[0], *c.shape[1:]))]) if k != c.shape[0] else c
    return c.reshape((k,) + (1,) * (ndim - (c.ndim - 1)) + c.shape[1:])


def _plus(*terms: tuple[np.ndarray | None, object]) -> np.ndarray | None:
    """sum of w * c over (c, w) terms (w a value array or a scalar, broadcast), or None where none is shared."""
    live = [(c, w) for c, w in terms if c is not None]
    if not live:
        return None
    k = max(c.shape[0] for c, _ in live)
    ndim = max(max(c.ndim - 1 for c, _ in live), max(np.ndim(w) for _, w in live))
    out = None
    for c, w in live:
        term = _shares(c, ndim, k) * np.asarray(w)
        if out is None:
            out = term
        else:  # in place where the sum keeps the shape of what is there (no new array of k shares)
            out = np.add(out, term, out=out) if out.shape == np.broadcast_shapes(out.shape, term.shape) else out + term
    return out


def add(x: Err, y: Err, u: float) -> Err:
    """x + y (broadcasting), one rounding."""
    v = x.v + y.v
    return Err(v, x.r + y.r + u * np.abs(v), _plus((x.c, 1.0), (y.c, 1.0)))


def neg(x: Err) -> Err:
    return Err(-x.v, x.r, None if x.c is None else -x.c)


def mul(x: Err, y: Err, u: float) -> Err:
    """x * y elementwise (broadcasting), one rounding; the product of the two errors kept (no first-order cut)."""
    v = x.v * y.v
    r = np.abs(x.v) * y.r + np.abs(y.v) * x.r + x.e * y.e + u * np.abs(v)
    return Err(v, r, _plus((x.c, y.v), (y.c, x.v)))


def scale(x: Err, c: float, u: float, ops: int = 1) -> Err:
    """c x for an exact scalar c, taken in `ops` roundings (a mean over two axes divides twice)."""
    v = c * x.v
    return Err(v, abs(c) * x.r + gamma(ops, u) * np.abs(v), None if x.c is None else c * x.c)


def total(x: Err, axis: int, u: float) -> Err:
    """The sum along an axis, in any order: gamma_{n-1} times the sum of magnitudes."""
    n = x.v.shape[axis]
    r = x.r.sum(axis=axis) + gamma(max(n - 1, 0), u) * np.abs(x.v).sum(axis=axis)
    return Err(x.v.sum(axis=axis), r, None if x.c is None else x.c.sum(axis=axis + 1))  # c: (k, *v.shape)


def transpose(x: Err) -> Err:
    return Err(x.v.T, x.r.T, None if x.c is None else np.swapaxes(x.c, -1, -2))


def matmul(x: Err, w: Err, u: float, bias: Err | None = None) -> Err:
    """x @ w (+ bias), each entry a dot product of k terms (and the bias): gamma_k times |x| @ |w| (+ |bias|)."""
    k = x.v.shape[1] + (bias is not None)
    v, size = x.v @ w.v, np.abs(x.v) @ np.abs(w.v)
    r = x.r @ np.abs(w.v) + np.abs(x.v) @ w.r + x.e @ w.e
    c = _plus((None if x.c is None else x.c @ w.v, 1.0), (None if w.c is None else x.v @ w.c, 1.0))
    if bias is not None:
        v, size, r, c = v + bias.v, size + np.abs(bias.v), r + bias.r, _plus((c, 1.0), (bias.c, 1.0))
    return Err(v, r + gamma(k, u) * size, c)


def function(x: Err, f, slope: np.ndarray, own: float, u: float, change=0.0) -> Err:
    """f(x) elementwise: the input's error through f and f's own error, `own` ulps of the result. slope: f'(x) (or, with
    no shared error, a bound on |f'| over x +- its error); change: a bound on how far f' moves over x +- its error,
    which takes what the slope at x leaves out: |f(x + d) - f(x) - f'(x) d| <= change |d|."""
    v = f(x.v)
    return Err(v, np.abs(slope) * x.r + change * x.e + own * u * np.abs(v), _plus((x.c, slope)))


def widen(x: Err, extra) -> Err:
    """x with `extra` more error of its own (a rounding not in the operations above)."""
    return Err(x.v, x.r + extra, x.c)


class Shared:
    """The shared errors of one computation: `keep(x)` turns x's own error into shared ones (one per entry), so that
    the operations downstream carry it with its sign. Off, keep does nothing."""

    def __init__(self, on: bool = True):
        self.k, self.on = 0, on

    def keep(self, x: Err) -> Err:
        if not self.on:
            return x
        nonzero = np.flatnonzero(x.r)
        block = np.zeros((nonzero.size, x.v.size))
        block[np.arange(nonzero.size), nonzero] = np.ravel(x.r)[nonzero]
        before = np.zeros((self.k, *x.v.shape)) if x.c is None else _shares(x.c, x.v.ndim, self.k)
        c = np.concatenate([before, block.reshape((nonzero.size, *x.v.shape))])
        self.k += nonzero.size
        return Err(x.v, np.zeros_like(x.r), c)
