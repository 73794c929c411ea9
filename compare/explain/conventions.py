"""Pieces that put a framework's convention into the NumPy reference: the losses on probabilities as Keras clips them
and as torch clamps them, a loss summed over the batch, and update rules of another form: Adam with float32-rounded
powers, torch's momentum dampening, weight decay coupled into the step (torch's weight_decay)."""

from __future__ import annotations

import numpy as np

from scratch.activations import sigmoid
from scratch.losses import Loss, softmax
from scratch.optimizers import Adam, Momentum

KERAS_EPS = 1e-7  # keras.config.epsilon(): the clip of probabilities in Keras's cross-entropies
TORCH_LOG_MIN = -100.0  # torch BCELoss clamps log(p) and log(1 - p) at -100
TORCH_BCE_EPS = 1e-12  # torch BCELoss backward divides by max(p (1 - p), 1e-12)


def keras_probs(loss: str) -> Loss:
    """Keras's cross-entropy on probabilities (from_logits=False): p clipped to [eps, 1 - eps]."""

    def bce(z: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
        p = sigmoid(z)  # (N, O)
        pc = np.clip(p, KERAS_EPS, 1 - KERAS_EPS)
        loss_el = -(y * np.log(pc) + (1 - y) * np.log(1 - pc))
        dpc = -(y / pc - (1 - y) / (1 - pc)) / z.size
        inside = (p >= KERAS_EPS) & (p <= 1 - KERAS_EPS)  # clip passes the gradient inside only
        return float(np.mean(loss_el)), dpc * inside * (p * (1 - p))

    def ce(z: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
        n, rows = z.shape[0], np.arange(z.shape[0])
        p = softmax(z)  # (N, C)
        q = np.clip(p, KERAS_EPS, 1 - KERAS_EPS)
        total = q.sum(axis=1, keepdims=True)  # Keras takes log(q) as logits: renormalised
        value = -np.mean(np.log(q[rows, y]) - np.log(total[:, 0]))
        dq = np.broadcast_to(1 / total, q.shape).copy()
        dq[rows, y] -= 1 / q[rows, y]
        dp = dq * ((p >= KERAS_EPS) & (p <= 1 - KERAS_EPS)) / n
        return float(value), p * (dp - (dp * p).sum(axis=1, keepdims=True))

    return bce if loss == "bce" else ce


def torch_probs(loss: str) -> Loss:
    """torch's BCELoss(sigmoid(z)) or nll_loss(log(softmax(z))): the log clamped at -100."""

    def bce(z: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
        p = sigmoid(z)
        with np.errstate(divide="ignore"):
            loss_el = -(y * np.maximum(np.log(p), TORCH_LOG_MIN) + (1 - y) * np.maximum(np.log(1 - p), TORCH_LOG_MIN))
        dp = (p - y) / np.maximum(p * (1 - p), TORCH_BCE_EPS) / z.size
        return float(np.mean(loss_el)), dp * (1 - p) * p

    def ce(z: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
        n, rows = z.shape[0], np.arange(z.shape[0])
        p = softmax(z)
        with np.errstate(divide="ignore"):
            value = -np.mean(np.log(p[rows, y]))
        dp = np.zeros_like(p)
        dp[rows, y] = -1 / (n * p[rows, y])
        return float(value), p * (dp - (dp * p).sum(axis=1, keepdims=True))

    return bce if loss == "bce" else ce


def summed(loss: Loss) -> Loss:
    """The loss summed over the mini-batch instead of averaged: value and gradient N times larger."""

    def piece(z: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
        value, dZ = loss(z, y)
        return value * z.shape[0], dZ * z.shape[0]

    return piece


class Rule:
    """An update rule around the spec's own (the learning rate a schedule sets passes through to it)."""

    def __init__(self, inner):
        self.inner = inner

    @property
    def lr(self):
        return self.inner.lr

    @lr.setter
    def lr(self, value) -> None:
        self.inner.lr = value


class Coupled(Rule):
    """torch's Adam(weight_decay=wd) where AdamW was meant: wd p added to the gradient (L2, coupled), then the update."""

    def __init__(self, inner, wd: float, decayed: list[bool]):
        super().__init__(inner)
        self.wd, self.decayed = wd, decayed

    def step(self, params, grads) -> None:
        grads = [g + self.wd * p if on else g for p, g, on in zip(params, grads, self.decayed)]
        self.inner.step(params, grads)


class Dampened(Rule):
    """torch's SGD(momentum=mu, dampening=d): buf = mu buf + (1 - d) g from the second step (buf = g at the first)."""

    def __init__(self, inner: Momentum, dampening: float):
        super().__init__(inner)
        self.d, self.t = dampening, 0

    def step(self, params, grads) -> None:
        self.t += 1
        self.inner.step(params, grads if self.t == 1 else [(1 - self.d) * g for g in grads])


def coupled(wd: float, biases: bool):
    """rule -> the rule with weight decay wd coupled in (the kernels', and the biases' with biases=True)."""
    return lambda rule: lambda spec, params, convention: Coupled(rule(spec, params, convention), wd, [p.ndim > 1 or biases for p in params])


def dampened(rule):
    """rule -> the momentum rule with torch's dampening = the momentum coefficient (buf an average of the gradients)."""
    return lambda spec, params, convention: Dampened(rule(spec, params, convention), spec.momentum)


class RoundedPowersAdam(Rule):
    """scratch's Adam with the bias corrections 1 - beta^t taken from float32-rounded betas, as Keras computes them
    from Python floats (ops.cast(beta, dtype)); 1 - beta in the moment updates stays exact."""

    def __init__(self, inner: Adam):
        super().__init__(inner)
        self.r1, self.r2 = float(np.float32(inner.b1)), float(np.float32(inner.b2))

    def step(self, params, grads) -> None:
        inner, t = self.inner, self.inner.t + 1
        # scratch's Adam computes bc = 1 - beta**t from inner.b1/b2; rescale lr and eps so its step equals
        # the one with rounded powers: torch form p -= (lr/bc1) m / (sqrt(v)/sqrt(bc2) + eps).
        bc1, bc2 = 1 - inner.b1**t, 1 - inner.b2**t
        rc1, rc2 = 1 - self.r1**t, 1 - self.r2**t
        lr, eps = inner.lr, inner.eps
        if inner.convention == "torch":  # (lr/rc1) m / (sqrt(v)/sqrt(rc2) + eps) = (lr k) m / (sqrt(v)/sqrt(bc2) + eps k')
            s = np.sqrt(rc2 / bc2)
            inner.lr, inner.eps = lr * (bc1 / rc1) * s, eps * s
        else:  # alpha = lr sqrt(bc2) / bc1: scale lr so alpha uses the rounded powers
            inner.lr = lr * (np.sqrt(rc2) / rc1) / (np.sqrt(bc2) / bc1)
        inner.step(params, grads)
        inner.lr, inner.eps = lr, eps


def rounded_powers(rule):
    """(spec, params, convention) -> the rule, Adam's powers from float32-rounded betas."""
    return lambda spec, params, convention: RoundedPowersAdam(rule(spec, params, convention))
