"""Hand-written optimizers, each update rule in the torch and the Keras published form."""

from __future__ import annotations

import math

import numpy as np

from scratch.schedules import Scheduler

CONVENTIONS = ("torch", "keras")


def scalar(arrays: list[np.ndarray]) -> type:
    """The type step sizes and bias corrections are worked out in: Python floats (as torch and Keras work them out), or
    the parameters' own wider type where they are wider than float64 (the exact reference, whose scalars must not pass
    through float64)."""
    return arrays[0].dtype.type if arrays[0].dtype.itemsize > 8 else float


def sqrt(x):
    """The square root of a scalar, in its own precision."""
    return math.sqrt(x) if isinstance(x, float) else np.sqrt(x)


def bias_correction(beta1: float, beta2: float, t: int) -> tuple[float, float]:
    """Adam's (1 - beta1^t, 1 - beta2^t) at step t, the first step being t = 1."""
    return 1 - beta1**t, 1 - beta2**t


def square(g: np.ndarray) -> np.ndarray:
    """What the second moment averages: g^2."""
    return g * g


def root_plus_eps(v: np.ndarray, bc2: float, eps: float) -> np.ndarray:
    """torch's Adam denominator: sqrt(v / bc2) + eps, the root taken before the bias correction."""
    return np.sqrt(v) / sqrt(bc2) + eps


def rms_root_plus_eps(v: np.ndarray, bc2: float, eps: float) -> np.ndarray:
    """torch's RMSprop denominator: sqrt(v) + eps (bc2 is 1: RMSprop has no bias correction)."""
    return np.sqrt(v) + eps


def like(arrays: list[np.ndarray]) -> list[np.ndarray]:
    """One scratch array per parameter, so that an update allocates no temporaries."""
    return [np.empty_like(a) for a in arrays]


class SGD:
    """p <- p - lr g (the same in both conventions)."""

    def __init__(self, lr: float, convention: str = "torch"):
        self.lr, self.convention = lr, convention
        self.tmp: list[np.ndarray] | None = None

    def step(self, params: list[np.ndarray], grads: list[np.ndarray]) -> None:
        self.tmp = self.tmp or like(grads)
        for p, g, tmp in zip(params, grads, self.tmp):
            p -= np.multiply(self.lr, g, out=tmp)  # p -= lr g


class Momentum:
    """Heavy-ball or Nesterov momentum.

    torch: buf = mu buf + g (buf = g at step 1); p -= lr buf;  Nesterov: p -= lr (g + mu buf).
    keras: v = mu v - lr g; p += v;                           Nesterov: p += mu v - lr g.
    """

    def __init__(self, lr: float, momentum: float, nesterov: bool = False, convention: str = "torch"):
        self.lr, self.mu, self.nesterov, self.convention = lr, momentum, nesterov, convention
        self.bufs: list[np.ndarray] | None = None
        self.tmp: list[np.ndarray] | None = None

    def step(self, params: list[np.ndarray], grads: list[np.ndarray]) -> None:
        lr, mu = self.lr, self.mu
        self.tmp = self.tmp or like(grads)
        if self.convention == "torch":
            if self.bufs is None:
                self.bufs = [g.copy() for g in grads]
            else:
                for buf, g in zip(self.bufs, grads):
                    buf *= mu
                    buf += g
            for p, g, buf, tmp in zip(params, grads, self.bufs, self.tmp):
                if self.nesterov:
                    np.multiply(mu, buf, out=tmp)  # mu buf
                    tmp += g  # g + mu buf
                    p -= np.multiply(lr, tmp, out=tmp)  # p -= lr (g + mu buf)
                else:
                    p -= np.multiply(lr, buf, out=tmp)  # p -= lr buf
        else:
            if self.bufs is None:
                self.bufs = [np.zeros_like(g) for g in grads]
            for p, g, v, tmp in zip(params, grads, self.bufs, self.tmp):
                np.multiply(lr, g, out=tmp)  # lr g
                v *= mu
                v -= tmp  # v = mu v - lr g
                p += mu * v - tmp if self.nesterov else v


class Adam:
    """Adam with bias correction.

    torch (the paper's Algorithm 1): p -= (lr / bc1) m / (sqrt(v) / sqrt(bc2) + eps).
    keras (the paper's "efficient" form): alpha = lr sqrt(bc2) / bc1; p -= alpha m / (sqrt(v) + eps).
    corrections (beta1, beta2, t) -> (bc1, bc2), square (g -> what v averages) and, in torch's form,
    denominator (v, bc2, eps) -> what m / bc1 is divided by, are rules a learner's slip can replace
    (compare/optimizer_check/slips.py).
    """

    def __init__(
        self,
        lr: float,
        beta1: float,
        beta2: float,
        eps: float,
        convention: str = "torch",
        corrections=bias_correction,
        square=square,
        denominator=root_plus_eps,
    ):
        self.lr, self.b1, self.b2, self.eps, self.convention = lr, beta1, beta2, eps, convention
        self.corrections, self.square, self.denominator = corrections, square, denominator
        self.t = 0
        self.m: list[np.ndarray] | None = None
        self.v: list[np.ndarray] | None = None

    def step(self, params: list[np.ndarray], grads: list[np.ndarray]) -> None:
        if self.m is None:
            self.m = [np.zeros_like(g) for g in grads]
            self.v = [np.zeros_like(g) for g in grads]
        self.t += 1
        num = scalar(params)
        b1, b2, lr, eps = num(self.b1), num(self.b2), self.lr, self.eps
        bc1, bc2 = self.corrections(b1, b2, self.t)
        for p, g, m, v in zip(params, grads, self.m, self.v):
            m += (1 - b1) * (g - m)  # m = b1 m + (1 - b1) g
            if self.convention == "torch":
                v *= b2
                v += (1 - b2) * self.square(g)  # v = b2 v + (1 - b2) g^2
                p -= (lr / bc1) * (m / self.denominator(v, bc2, eps))  # Python-float scalars keep float32 float32
            else:
                v += (self.square(g) - v) * (1 - b2)
                alpha = lr * sqrt(bc2) / bc1
                p -= (m * alpha) / (np.sqrt(v) + eps)


class RMSprop:
    """RMSprop: v = rho v + (1 - rho) g^2.

    torch: p -= lr g / (sqrt(v) + eps).   keras: p -= lr g / sqrt(v + eps).   square and (torch's form)
    denominator: as Adam's, called with bc2 = 1.
    """

    def __init__(self, lr: float, rho: float, eps: float, convention: str = "torch", square=square, denominator=rms_root_plus_eps):
        self.lr, self.rho, self.eps, self.convention = lr, rho, eps, convention
        self.square, self.denominator = square, denominator
        self.v: list[np.ndarray] | None = None

    def step(self, params: list[np.ndarray], grads: list[np.ndarray]) -> None:
        if self.v is None:
            self.v = [np.zeros_like(g) for g in grads]
        lr, rho, eps = self.lr, scalar(params)(self.rho), self.eps
        for p, g, v in zip(params, grads, self.v):
            v *= rho
            v += (1 - rho) * self.square(g)
            if self.convention == "torch":
                p -= lr * (g / self.denominator(v, 1.0, eps))
            else:
                p -= (lr * g) / np.sqrt(v + eps)


class Decoupled:
    """Decoupled weight decay (AdamW) around another optimizer: before its update, every decayed parameter
    shrinks by lr wd of itself.  torch: p *= 1 - lr wd.   keras: p -= p wd lr."""

    def __init__(self, inner, weight_decay: float, decayed: list[bool], convention: str = "torch"):
        self.inner, self.wd, self.decayed, self.convention = inner, weight_decay, decayed, convention

    def step(self, params: list[np.ndarray], grads: list[np.ndarray]) -> None:
        num = scalar(params)
        lr, wd = num(self.inner.lr), self.wd
        for p, on in zip(params, self.decayed):
            if on and self.convention == "torch":
                p *= 1 - lr * wd
            elif on:
                p -= p * wd * lr
        self.inner.step(params, grads)


CLIPPING = ("torch", "keras", "per_tensor")


def clip(grads: list[np.ndarray], clip_norm: float, clip_value: float, rule: str = "torch") -> None:
    """Clip the gradients in place, to a global norm or to [-clip_value, clip_value] (0: off).

    torch (clip_grad_norm_): g *= min(c / (||g|| + 1e-6), 1), ||g|| the norm of the per-tensor norms.
    keras (global_clipnorm): g *= c min(1 / ||g||, 1 / c).   per_tensor (Keras's clipnorm): g *= c / max(||g_i||, c), each tensor alone.
    """
    if clip_value > 0:
        for g in grads:
            np.clip(g, -clip_value, clip_value, out=g)
    elif clip_norm > 0 and rule == "per_tensor":
        for g in grads:
            norm = sqrt(np.sum(g * g)[()])
            g *= clip_norm
            g /= max(norm, clip_norm)
    elif clip_norm > 0:
        if rule == "torch":
            total = np.sqrt(np.sum(np.array([np.sqrt(np.sum(g * g)) for g in grads]) ** 2))
            scale = min(clip_norm / (total + 1e-6), 1.0)
        else:
            total = np.sqrt(np.sum([np.sum(g * g) for g in grads]))
            scale = clip_norm * min(1 / total, 1 / scalar(grads)(clip_norm))
        for g in grads:
            g *= scale


class Clipped:
    """Gradient clipping (see clip) before another optimizer's step."""

    def __init__(self, inner, clip_norm: float, clip_value: float, rule: str = "torch"):
        self.inner, self.clip_norm, self.clip_value, self.rule = inner, clip_norm, clip_value, rule

    def step(self, params: list[np.ndarray], grads: list[np.ndarray]) -> None:
        clip(grads, self.clip_norm, self.clip_value, self.rule)
        self.inner.step(params, grads)


class Scheduled:
    """A learning-rate schedule around another optimizer: the rule's rate is set before each step."""

    def __init__(self, inner, scheduler: Scheduler):
        self.inner, self.scheduler = inner, scheduler

    def step(self, params: list[np.ndarray], grads: list[np.ndarray]) -> None:
        self.scheduler.before_step()
        self.inner.step(params, grads)

    def end_epoch(self) -> None:
        self.scheduler.end_epoch()


def optimizer(spec, params: list[np.ndarray], convention: str = "torch", clipping: str | None = None, rule=None):
    """The spec's optimizer: its update rule, with its decoupled weight decay (kernels only unless
    spec.decay_biases), its gradient clipping and its learning-rate schedule, if any. clipping: another rule than
    the convention's own; rule: (spec, params, convention) -> another update rule than the spec's (with .lr and .step)."""
    rule = opt = (rule or update_rule)(spec, params, convention)
    if spec.weight_decay > 0:
        opt = Decoupled(opt, spec.weight_decay, [p.ndim > 1 or spec.decay_biases for p in params], convention)
    if spec.clip_norm > 0 or spec.clip_value > 0:
        opt = Clipped(opt, spec.clip_norm, spec.clip_value, clipping or convention)
    if spec.schedule != "constant":
        opt = Scheduled(opt, Scheduler(spec, rule, convention, scalar(params)))
    return opt


def update_rule(spec, params: list[np.ndarray], convention: str = "torch"):
    """The spec's optimizer for these parameters (a flat list W1, b1, W2, ...), in the given convention
    ("torch" or "keras"); .step(params, grads) updates them in place."""
    if convention not in CONVENTIONS:
        raise ValueError(f"convention: got {convention!r}; expected one of {', '.join(CONVENTIONS)}")
    o = spec.optimizer
    if o == "sgd":
        return SGD(spec.lr, convention)
    if o in ("momentum", "nesterov"):
        return Momentum(spec.lr, spec.momentum, o == "nesterov", convention)
    if o == "adam":
        return Adam(spec.lr, spec.beta1, spec.beta2, spec.eps, convention)
    return RMSprop(spec.lr, spec.rho, spec.eps, convention)
