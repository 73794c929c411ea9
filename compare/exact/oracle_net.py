"""The oracle's network: a forward pass, a backward pass and every optimizer step written with Python lists of
Fractions from the definitions (compare/exact/oracle.py holds its arithmetic), independently of scratch/."""

from __future__ import annotations

from fractions import Fraction as F

import numpy as np

from compare.exact.oracle import activation, loss, rnd, sqrt
from compare.exact.oracle_steps import step


def _fr(array) -> list:
    """A float array as nested lists of Fractions, each float taken exactly."""
    return [_fr(row) for row in array] if getattr(array, "ndim", 0) > 1 else [F(float(v)) for v in array]


def _flat(t) -> list:
    return [v for row in t for v in row] if t and isinstance(t[0], list) else list(t)


def _shape(values: list, like):
    return [values[i * len(like[0]) : (i + 1) * len(like[0])] for i in range(len(like))] if like and isinstance(like[0], list) else values


class Net:
    """The spec's network on exact values: params [(W, b), ..., (gamma, beta), ...] as scratch takes them."""

    def __init__(self, spec, params, convention: str = "torch"):
        self.spec, self.convention, self.n = spec, convention, len(spec.layers) - 1
        self.tensors = [_fr(t) for pair in params for t in pair if t is not None]  # W1, b1, ..., gamma1, beta1, ...
        self.per = 2 if spec.bias else 1
        self.t, self.state = 0, {}
        self.slope = F(spec.leaky_slope)

    def _W(self, layer):
        return self.tensors[self.per * layer]

    def _b(self, layer):
        return self.tensors[self.per * layer + 1] if self.spec.bias else None

    def _gb(self, layer):
        k = self.per * self.n + 2 * layer
        return (self.tensors[k], self.tensors[k + 1]) if self.spec.bn_affine else None

    def gradients(self, X, y) -> tuple[F, list]:
        """(mean loss, gradients of every tensor in the order of self.tensors) on a batch."""
        s, A, cache = self.spec, _fr(X), []
        y = [int(v) for v in y] if s.loss == "ce" else _fr(y)
        for layer in range(self.n):
            W, b = self._W(layer), self._b(layer)
            Z = [[rnd(sum(a[k] * W[k][j] for k in range(len(a))) + (b[j] if b else 0)) for j in range(len(W[0]))] for a in A]
            if layer == self.n - 1:
                cache.append((A, None, None, None))
                break
            act = s.activations[layer]
            pairs = [[activation(act, z, self.slope) for z in row] for row in Z]
            H, fp = [[p[0] for p in row] for row in pairs], [[p[1] for p in row] for row in pairs]
            bn = self._norm(H, layer) if s.batch_norm else None
            cache.append((A, fp, bn, layer))
            A = bn[0] if bn else H
        value, dZ = loss(s, Z, y)
        grads = [None] * len(self.tensors)
        for layer in reversed(range(self.n)):
            A_prev, _, _, _ = cache[layer]
            W = self._W(layer)
            grads[self.per * layer] = [
                [rnd(sum(A_prev[i][k] * dZ[i][j] for i in range(len(dZ)))) for j in range(len(W[0]))] for k in range(len(W))
            ]
            if s.bias:
                grads[self.per * layer + 1] = [rnd(sum(row[j] for row in dZ)) for j in range(len(W[0]))]
            if layer == 0:
                break
            dA = [[rnd(sum(row[j] * W[k][j] for j in range(len(row)))) for k in range(len(W))] for row in dZ]
            _, fp, bn, _ = cache[layer - 1]
            if bn:
                dA = self._norm_back(dA, bn, layer - 1, grads)
            dZ = [[rnd(d * f) for d, f in zip(rd, rf)] for rd, rf in zip(dA, fp)]
        if s.l2 > 0:
            value, grads = self._l2(value, grads)
        return value, grads

    def _norm(self, H, layer):
        """(B, Y, inv) of batch norm on the batch's statistics, B = gamma Y + beta with a learned scale and shift."""
        n, eps = len(H), F(self.spec.bn_eps)
        cols = list(zip(*H))
        mean = [rnd(sum(c) / n) for c in cols]
        inv = [rnd(1 / sqrt(rnd(sum((v - m) ** 2 for v in c) / n) + eps)) for c, m in zip(cols, mean)]
        Y = [[rnd((v - m) * i) for v, m, i in zip(row, mean, inv)] for row in H]
        gb = self._gb(layer)
        B = [[rnd(g * v + bt) for v, g, bt in zip(row, *gb)] for row in Y] if gb else Y
        return B, Y, inv

    def _norm_back(self, dB, bn, layer, grads):
        _, Y, inv = bn
        n, gb = len(dB), self._gb(layer)
        if gb:
            k = self.per * self.n + 2 * layer
            grads[k] = [rnd(sum(dB[i][j] * Y[i][j] for i in range(n))) for j in range(len(Y[0]))]
            grads[k + 1] = [rnd(sum(dB[i][j] for i in range(n))) for j in range(len(Y[0]))]
            dB = [[rnd(d * g) for d, g in zip(row, gb[0])] for row in dB]
        sd = [sum(dB[i][j] for i in range(n)) for j in range(len(Y[0]))]
        sdy = [sum(dB[i][j] * Y[i][j] for i in range(n)) for j in range(len(Y[0]))]
        return [[rnd(inv[j] / n * (n * dB[i][j] - sd[j] - Y[i][j] * sdy[j])) for j in range(len(Y[0]))] for i in range(n)]

    def _l2(self, value, grads):
        """lam/2 sum W^2 (and b^2 with decay_biases) added to the loss, lam W to the gradients."""
        lam, s = F(self.spec.l2), self.spec
        decayed = [self.per * i for i in range(self.n)] + ([self.per * i + 1 for i in range(self.n)] if s.decay_biases else [])
        for k in decayed:
            flat_p = _flat(self.tensors[k])
            value += rnd(lam / 2 * sum(v * v for v in flat_p))
            grads[k] = _shape([rnd(g + lam * p) for g, p in zip(_flat(grads[k]), flat_p)], grads[k])
        return rnd(value), grads

    def train_step(self, X, y) -> F:
        """One update on a batch; the loss before it."""
        value, grads = self.gradients(X, y)
        self.t += 1
        flat = [step(self, i, _flat(p), _flat(g)) for i, (p, g) in enumerate(zip(self.tensors, grads))]
        self.tensors = [_shape(f, p) for f, p in zip(flat, self.tensors)]
        return value

    def params(self) -> list:
        return self.tensors


def longdouble(x: F) -> np.longdouble:
    """A Fraction to the nearest long double (as float64 hi + lo, which a long double holds exactly)."""
    hi = float(x)
    return np.longdouble(hi) + np.longdouble(float(x - F(hi)))


class Oracle:
    """The oracle behind scratch's interface: gradients(X, y) -> (loss, [(dW, db), ...]) and train_step(X, y) -> loss,
    in long doubles, so that it stands in for the long-double reference."""

    def __init__(self, spec, params, convention: str = "torch"):
        self.net = Net(spec, params, convention)

    def _pairs(self, tensors: list) -> list:
        s, per, n = self.net.spec, self.net.per, self.net.n
        arrays = [np.vectorize(longdouble, otypes=[np.longdouble])(np.array(t, dtype=object)) for t in tensors]
        linear = [(arrays[per * i], arrays[per * i + 1] if s.bias else None) for i in range(n)]
        return linear + [(arrays[per * n + 2 * i], arrays[per * n + 2 * i + 1]) for i in range(len(s.layers) - 2 if s.bn_affine else 0)]

    def gradients(self, X, y) -> tuple:
        value, grads = self.net.gradients(X, y)
        return longdouble(value), self._pairs(grads)

    def train_step(self, X, y):
        return longdouble(self.net.train_step(X, y))
