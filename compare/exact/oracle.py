"""The exact reference written a second time, independently of NumPy: Python Fractions, every product rounded to 256
bits and every exp, log, sqrt and erf taken to 80 decimal digits. Slow, so for tiny networks: it checks the long-double
reference, and stands in for it where the platform's long double is only float64."""

from __future__ import annotations

import decimal
from fractions import Fraction as F

BITS = 256  # every value kept to this many significant bits: exact far past a long double's 64
DIGITS = 80  # the transcendental functions' precision, in decimal digits
PI = "3.14159265358979323846264338327950288419716939937510582097494459230781640628620899862803482534211706798"
SUPPORTED = ("layers, bias, every activation, loss and optimizer (torch's and Keras's forms), batch norm with or without a "
             "learned scale and shift, L2")  # fmt: skip


def rnd(x: F) -> F:
    """x to BITS significant bits (round half even), so that numbers stay short however many steps are taken."""
    if x == 0:
        return x
    e = x.numerator.bit_length() - x.denominator.bit_length()
    scale = F(2) ** (BITS - e)
    return F(round(x * scale)) / scale


def _dec(x: F) -> decimal.Decimal:
    return decimal.Decimal(x.numerator) / decimal.Decimal(x.denominator)


def _fn(name: str):
    def apply(x: F) -> F:
        with decimal.localcontext() as ctx:
            ctx.prec = DIGITS
            d = _dec(x)
            return rnd(F(getattr(d, name)()))

    return apply


exp, ln, sqrt = _fn("exp"), _fn("ln"), _fn("sqrt")


def erf(x: F) -> F:
    """2/sqrt(pi) e^-x^2 sum 2^n x^(2n+1) / (1 3 5 ... (2n+1)): every term positive, so nothing cancels."""
    with decimal.localcontext() as ctx:
        ctx.prec = DIGITS + 10
        d, total, term, n = _dec(abs(x)), decimal.Decimal(0), _dec(abs(x)), 0
        while term > total * decimal.Decimal(10) ** -(DIGITS + 5) or n < 2:
            total += term
            n += 1
            term = term * 2 * d * d / (2 * n + 1)
        value = 2 / decimal.Decimal(PI).sqrt() * (-d * d).exp() * total
    return rnd(F(value) if x >= 0 else -F(value))


def sigmoid(z: F) -> F:
    return rnd(1 / (1 + exp(-z)))


def tanh(z: F) -> F:
    e = exp(-2 * abs(z))
    t = rnd((1 - e) / (1 + e))
    return t if z >= 0 else -t


def activation(name: str, z: F, slope: F) -> tuple[F, F]:
    """(f(z), f'(z)) from the definitions."""
    if name == "sigmoid":
        a = sigmoid(z)
        return a, rnd(a * (1 - a))
    if name == "tanh":
        a = tanh(z)
        return a, rnd(1 - a * a)
    if name == "relu":
        return max(z, F(0)), F(1 if z > 0 else 0)
    if name == "leaky_relu":
        return (z, F(1)) if z > 0 else (rnd(slope * z), slope)
    if name == "identity":
        return z, F(1)
    if name == "gelu":
        s2 = sqrt(F(2))
        cdf = rnd((1 + erf(rnd(z / s2))) / 2)
        density = rnd(exp(rnd(-z * z / 2)) / sqrt(2 * F(_pi())))
        return rnd(z * cdf), rnd(cdf + z * density)
    c, k = sqrt(rnd(2 / F(_pi()))), F("0.044715")  # gelu_tanh
    t = tanh(rnd(c * (z + k * z**3)))
    return rnd(z * (1 + t) / 2), rnd((1 + t) / 2 + z * (1 - t * t) * c * (1 + 3 * k * z * z) / 2)


def _pi() -> F:
    return F(decimal.Decimal(PI))


def loss(spec, z: list[list[F]], y) -> tuple[F, list[list[F]]]:
    """(mean loss, dL/dz) of a batch of logits z (N rows of O), from the definitions."""
    n, o = len(z), len(z[0])
    if spec.loss == "ce":
        total, dz = F(0), []
        for row, label in zip(z, y):
            e = [exp(v - max(row)) for v in row]
            s = sum(e)
            total += rnd(ln(s) - (row[label] - max(row)))
            dz.append([rnd((ev / s - (j == label)) / n) for j, ev in enumerate(e)])
        return rnd(total / n), dz
    if spec.loss == "bce":  # softplus(z) - y z, from logits
        total = sum(rnd(max(v, F(0)) - v * t + ln(1 + exp(-abs(v)))) for row, yr in zip(z, y) for v, t in zip(row, yr))
        return rnd(total / (n * o)), [[rnd((sigmoid(v) - t) / (n * o)) for v, t in zip(row, yr)] for row, yr in zip(z, y)]
    total, dz = F(0), []  # mse, the output activation applied
    for row, yr in zip(z, y):
        out = []
        for v, t in zip(row, yr):
            a, da = activation(spec.output, v, F(0))
            total += rnd((a - t) ** 2)
            out.append(rnd(2 * (a - t) / (n * o) * da))
        dz.append(out)
    return rnd(total / (n * o)), dz
