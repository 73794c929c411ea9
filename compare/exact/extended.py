"""The NumPy reference in a wider type than float64: IEEE quadruple precision (numpy-quaddtype: a 113-bit significand)
where it imports, else NumPy's long double (a 64-bit significand on x86-64); the same MLP and pieces, its GELUs'
constants and normal CDF in that precision too; results handed on as long doubles, stored portably as two float64."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

import scratch
from scratch import losses
from scratch.activations import Activation, activation

try:
    from numpy_quaddtype import QuadPrecDType
except ImportError:  # pragma: no cover - a platform without its wheel: the long double alone
    QuadPrecDType = None

LD = np.longdouble
MANTISSA = 63  # bits after the point a long double must carry (x87's 64-bit significand) to hold the exact reference
QUAD = None if QuadPrecDType is None else np.dtype(QuadPrecDType())


def method() -> str | None:
    """'quad' where numpy-quaddtype imports and the long double that holds its results has a 64-bit significand,
    'longdouble' where only the latter, else None (then the Fraction oracle)."""
    if np.finfo(LD).nmant < MANTISSA:
        return None
    return "longdouble" if QUAD is None else "quad"


def wide() -> np.dtype:
    """The dtype the reference computes in: quad, or the long double."""
    return QUAD if method() == "quad" else np.dtype(LD)


HOW = {
    "quad": "IEEE quadruple precision (numpy-quaddtype, a 113-bit significand), rounded to long double",
    "longdouble": "NumPy's long double (a 64-bit significand)",
    "fractions": "Python Fractions",
}  # what each method computes in, for the tables and the report


def unit_roundoff() -> float:
    """u of the type the reference computes in: 2^-113 in quad (9.6e-35), 2^-64 in an x86-64 long double (5.4e-20)."""
    return float(np.finfo(wide()).epsneg)


def _w(x):
    """A constant in the reference's type, from a decimal string (rounded once) or a float64 (exactly)."""
    return np.asarray([x], wide())[0]


def _pi():
    return np.arccos(_w(-1.0))  # pi to the reference's precision


def normal_cdf(z: np.ndarray) -> np.ndarray:
    """Phi(z) to the reference's precision, by mpmath at 160 bits (NumPy has no wide erf), each entry passed exactly as
    the sum of three float64 (113 bits fit in 3 x 53)."""
    import mpmath

    ctx = mpmath.mp.clone()
    ctx.prec = 160
    dtype = z.dtype

    def one(parts):
        value = ctx.ncdf(sum((ctx.mpf(float(p)) for p in parts), ctx.mpf(0)))  # the wide entry exactly
        total = np.asarray([0.0], dtype)[0]
        for _ in range(3):
            p = float(value)
            total, value = total + np.asarray([p], dtype)[0], value - p
        return total

    parts = _float64_parts(z, 3)
    return np.array([one(entry) for entry in zip(*(p.ravel() for p in parts))], dtype).reshape(z.shape)


def gelu() -> Activation:
    """z Phi(z) and its derivative Phi(z) + z phi(z), in long double."""
    root = np.sqrt(2 * _pi())
    density = lambda z: np.exp(-z * z / 2) / root  # noqa: E731  phi(z)
    return Activation("gelu", lambda z: z * normal_cdf(z), in_z=lambda z: normal_cdf(z) + z * density(z))


def gelu_tanh() -> Activation:
    """z (1 + tanh(u)) / 2, u = sqrt(2/pi) (z + 0.044715 z^3), and its derivative, with the constants in long double."""
    c, k = np.sqrt(2 / _pi()), _w("0.044715")
    u = lambda z: c * (z + k * z**3)  # noqa: E731

    def in_z(z):
        t = np.tanh(u(z))
        return (1 + t) / 2 + z * (1 - t * t) * (c * (1 + 3 * k * z * z)) / 2

    return Activation("gelu_tanh", lambda z: z * (1 + np.tanh(u(z))) / 2, in_z=in_z)


def sigmoid() -> Activation:
    """sigma(z) with its derivative sigma(z) sigma(-z): a (1 - a) loses the digits of 1 - a where a is near 1."""
    return Activation("sigmoid", losses.sigmoid, in_z=lambda z: losses.sigmoid(z) * losses.sigmoid(-z))


def tanh() -> Activation:
    """tanh(z) with its derivative 1 / cosh(z)^2: 1 - a^2 loses the digits of 1 - a^2 where tanh saturates."""
    return Activation("tanh", np.tanh, in_z=lambda z: 1 / np.cosh(z) ** 2)


EXTENDED = {"sigmoid": sigmoid, "tanh": tanh, "gelu": gelu, "gelu_tanh": gelu_tanh}  # forms that lose nothing to cancellation


def bce(z: np.ndarray, y: np.ndarray):
    """scratch's mean binary cross-entropy from logits, its gradient sigma(z) - y taken as -sigma(-z) where y is 1."""
    value, _ = losses.bce(z, y)
    return value, np.where(y == 1, -losses.sigmoid(-z), losses.sigmoid(z) - y) / z.size  # (N, O)


def ce(z: np.ndarray, y: np.ndarray):
    """scratch's mean cross-entropy from logits, its gradient's p_y - 1 taken as minus the other classes' share."""
    value, dZ = losses.ce(z, y)
    rows = np.arange(len(z))
    e = np.exp(z - z.max(axis=1, keepdims=True))  # (N, C)
    others = np.where(np.arange(z.shape[1]) == y[:, None], 0, e).sum(axis=1)  # (N,)
    dZ[rows, y] = -others / e.sum(axis=1) / len(z)
    return value, dZ


def loss(spec):
    """The spec's loss with the gradients above (a weighted loss: scratch's own)."""
    if spec.loss == "mse":
        return losses.mse(EXTENDED.get(spec.output, lambda: activation(spec.output))())
    if spec.class_weights is not None:
        return losses.loss_fn(spec)
    return bce if spec.loss == "bce" else ce


class Quad(np.ndarray):
    """A quad array whose matmuls take their operands C-contiguous: numpy-quaddtype 1.0.0's matmul is wrong on any
    other layout (A.T @ dZ; numpy/numpy-quaddtype issue 89). Every NumPy operation on one returns one, so that each
    array the reference derives from its inputs and weights carries the fix (tests/test_exact.py: the Fraction oracle)."""

    def __array_ufunc__(self, ufunc, method, *inputs, out=None, **kwargs):
        if ufunc is np.matmul:
            result = np.matmul(*(np.ascontiguousarray(_plain(x)) for x in inputs), **kwargs)
            if out is None:
                return result.view(Quad)
            out[0][...] = result
            return out[0]
        inputs = tuple(_plain(x) for x in inputs)
        if out is not None:
            getattr(ufunc, method)(*inputs, out=tuple(_plain(o) for o in out), **kwargs)
            return out[0] if len(out) == 1 else out
        return _wrap(getattr(ufunc, method)(*inputs, **kwargs))

    def __array_function__(self, func, types, args, kwargs):
        args = [[_plain(a) for a in x] if isinstance(x, (list, tuple)) else _plain(x) for x in args]
        kwargs = {k: _plain(v) for k, v in kwargs.items()}
        return _wrap(_OWN.get(func, func)(*args, **kwargs))

    def mean(self, axis=None, keepdims=False):
        return _wrap(_mean(self.view(np.ndarray), axis, keepdims=keepdims))


def _mean(a, axis=None, keepdims=False):
    """The sum over the count: numpy-quaddtype 1.0.0's mean loses the quad's last digits."""
    total = np.sum(a, axis=axis, keepdims=keepdims)
    return total / (a.size // max(1, np.size(total)))


def _clip(a, a_min, a_max, out=None):
    """np.clip as max then min: numpy-quaddtype 1.0.0 has no clip loop."""
    return np.minimum(np.maximum(a, a_min), a_max, out=out)


_OWN = {np.mean: _mean, np.clip: _clip}  # NumPy functions numpy-quaddtype 1.0.0 gets wrong or lacks, done here


def _plain(x):
    return x.view(np.ndarray) if type(x) is Quad else x


def _wrap(x):
    if type(x) is tuple:
        return tuple(_wrap(v) for v in x)
    return x.view(Quad) if type(x) is np.ndarray else x


def _float64_parts(x, n: int) -> list[np.ndarray]:
    """A long double or quad array as n float64 arrays whose sum is it (2 hold a long double's 64 bits, 3 a quad's 113):
    how it crosses to another wide type exactly, numpy-quaddtype 1.0.0 casting between them through one double."""
    rest, parts = np.asarray(x).view(np.ndarray), []
    for _ in range(n):
        parts.append(rest.astype(np.float64))
        rest = rest - parts[-1].astype(rest.dtype)
    return parts


def to_quad(x) -> np.ndarray:
    """A long double or float64 array as a Quad array, exactly (through its two float64 parts)."""
    x = np.asarray(x)
    if x.dtype.kind != "f":
        return x
    hi, lo = _float64_parts(x, 2)
    return (hi.astype(QUAD) + lo.astype(QUAD)).view(Quad)


class Rounded:
    """The reference computing in quad, taking long-double inputs (exactly) and handing its losses and gradients on
    rounded to long double (half a long-double ulp, 2.7e-20 relative, from the quad value)."""

    def __init__(self, mlp):
        self.mlp = mlp

    def _in(self, args):
        return [None if a is None else [to_quad(m) for m in a] if isinstance(a, list) else to_quad(a) for a in args]

    def gradients(self, *args):
        value, grads = self.mlp.gradients(*self._in(args))
        return _ld(value), [tuple(None if g is None else _ld(g) for g in pair) for pair in grads]

    def train_step(self, *args):
        return _ld(self.mlp.train_step(*self._in(args)))

    def end_epoch(self):
        self.mlp.end_epoch()


def _ld(x):
    """A quad value or array rounded to long double (within a long-double ulp), through its three float64 parts."""
    hi, mid, lo = (p.astype(LD) for p in _float64_parts(x, 3))
    out = hi + mid + lo
    return out[()] if out.ndim == 0 else out


def build(spec, params, convention: str = "torch", pieces: scratch.Pieces | None = None):
    """The spec's NumPy reference computing in quad (or long double) from `params` (float64 or float32 values, taken
    exactly), in torch's or Keras's update rules, its results in long double; `pieces` (with a convention put in)
    instead of the spec's own, if given."""
    pieces = pieces or replace(scratch.pieces_for(spec, convention), loss=loss(spec))
    activations = tuple(EXTENDED[a.name]() if a.name in EXTENDED else a for a in pieces.activations)
    mlp = scratch.make(spec, params, pieces=replace(pieces, activations=activations), dtype=wide())
    if method() != "quad":
        return mlp
    mlp.params, mlp.grads = _quad_views(mlp.params), _quad_views(mlp.grads)  # the weights and the gradient buffers
    return Rounded(mlp)


def _quad_views(pairs: list[tuple]) -> list[tuple]:
    """Each array of (W, b) pairs seen as a Quad array, in place (the same memory)."""
    return [tuple(None if p is None else p.view(Quad) for p in pair) for pair in pairs]


def split(x) -> tuple[np.ndarray, np.ndarray]:
    """A long double array as two float64 arrays, hi = its float64 rounding and lo = the rest, so that hi + lo is it
    exactly (53 + 53 bits hold 64): portable to any machine, unlike NumPy's float128 files."""
    hi, lo = _float64_parts(np.asarray(x, LD), 2)
    return hi, lo


def join(hi, lo) -> np.ndarray:
    """The long double array that split() stored (a step past a run that blew up: inf + -inf, NaN as stored)."""
    with np.errstate(invalid="ignore"):
        return np.asarray(hi, LD) + np.asarray(lo, LD)
