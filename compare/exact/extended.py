"""The NumPy reference in NumPy's long double (a 64-bit mantissa on x86-64): the same MLP and pieces, its GELUs'
constants and normal CDF in that precision too, and long doubles stored portably as two float64 (hi + lo)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

import scratch
from scratch import losses
from scratch.activations import Activation, activation

LD = np.longdouble
MANTISSA = 63  # bits after the point a long double must carry (x87's 64-bit significand) to serve as the exact reference


def method() -> str | None:
    """'longdouble' where NumPy's long double has a 64-bit (or wider) significand, else None (then the Fraction oracle)."""
    return "longdouble" if np.finfo(LD).nmant >= MANTISSA else None


def unit_roundoff() -> float:
    """u of the long double: 2^-64 on x86-64 (5.4e-20)."""
    return float(np.finfo(LD).epsneg)


def _pi():
    return np.arccos(LD(-1))  # acosl(-1): pi to the long double's precision


def normal_cdf(z: np.ndarray) -> np.ndarray:
    """Phi(z) to the long double's precision, by mpmath (NumPy has no long-double erf), each entry passed exactly."""
    import mpmath

    ctx = mpmath.mp.clone()
    ctx.prec = 96

    def one(x):
        value = ctx.ncdf(ctx.mpf(float(x)) + ctx.mpf(float(x - LD(float(x)))))  # hi + lo: the long double exactly
        hi = float(value)
        return LD(hi) + LD(float(value - hi))

    return np.frompyfunc(one, 1, 1)(z).astype(LD)


def gelu() -> Activation:
    """z Phi(z) and its derivative Phi(z) + z phi(z), in long double."""
    root = np.sqrt(2 * _pi())
    density = lambda z: np.exp(-z * z / 2) / root  # noqa: E731  phi(z)
    return Activation("gelu", lambda z: z * normal_cdf(z), in_z=lambda z: normal_cdf(z) + z * density(z))


def gelu_tanh() -> Activation:
    """z (1 + tanh(u)) / 2, u = sqrt(2/pi) (z + 0.044715 z^3), and its derivative, with the constants in long double."""
    c, k = np.sqrt(2 / _pi()), LD("0.044715")
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


def build(spec, params, convention: str = "torch", pieces: scratch.Pieces | None = None):
    """The spec's NumPy reference computing in long double from `params` (float64 or float32 values, taken exactly),
    in torch's or Keras's update rules; `pieces` (with a convention put in) instead of the spec's own, if given."""
    pieces = pieces or replace(scratch.pieces_for(spec, convention), loss=loss(spec))
    activations = tuple(EXTENDED[a.name]() if a.name in EXTENDED else a for a in pieces.activations)
    return scratch.make(spec, params, pieces=replace(pieces, activations=activations), dtype=LD)


def split(x) -> tuple[np.ndarray, np.ndarray]:
    """A long double array as two float64 arrays, hi = its float64 rounding and lo = the rest, so that hi + lo is it
    exactly (53 + 53 bits hold 64): portable to any machine, unlike NumPy's float128 files."""
    x = np.asarray(x, LD)
    hi = x.astype(np.float64)
    return hi, (x - hi).astype(np.float64)


def join(hi, lo) -> np.ndarray:
    """The long double array that split() stored (a step past a run that blew up: inf + -inf, NaN as stored)."""
    with np.errstate(invalid="ignore"):
        return np.asarray(hi, LD) + np.asarray(lo, LD)
