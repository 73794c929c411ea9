"""The NumPy reference under one framework convention or more: the switches the explainer tries."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from compare.experiment.spec import Spec

KERAS_EPS = 1e-7  # keras.config.epsilon(): the clip of probabilities in Keras's cross-entropies
TORCH_LOG_MIN = -100.0  # torch BCELoss clamps log(p) and log(1 - p) at -100
TORCH_BCE_EPS = 1e-12  # torch BCELoss backward divides by max(p (1 - p), 1e-12)
ROUNDED = ("lr", "momentum")  # the Python floats Keras casts to a tensor (float32) before use; Adam's betas in beta^t too


@dataclass(frozen=True)
class Switch:
    """One convention the NumPy reference can adopt: a short label and why a framework differs by it."""

    name: str
    label: str
    why: str | Callable[[], str]  # a callable where saying it needs torch or Keras imported

    @property
    def reason(self) -> str:
        return self.why() if callable(self.why) else self.why


def switches(spec: Spec) -> list[Switch]:
    """The switches that can change this spec's numbers, cheapest and most specific first."""
    out = []
    o = spec.optimizer
    if o == "adam":
        out.append(Switch("keras_rules", "Adam eps placement, Keras form",
                          "Adam adds eps to sqrt(v_hat) in torch and to sqrt(v) after folding the bias correction into the step size in Keras"))  # fmt: skip
    elif o == "rmsprop":
        out.append(Switch("keras_rules", "RMSprop eps placement, Keras form",
                          "RMSprop divides by sqrt(v) + eps in torch and by sqrt(v + eps) in Keras"))  # fmt: skip
    elif o in ("momentum", "nesterov"):
        out.append(Switch("keras_rules", "momentum form, Keras's v = mu v - lr g",
                          "torch keeps buf = mu buf + g and steps lr buf, Keras keeps v = mu v - lr g and steps v"))  # fmt: skip
    if spec.dtype == "float64":
        out.append(Switch("float32_hyper", "hyperparameters rounded to float32",
                          "Keras rounds Python-float hyperparameters (and a Python-float learning rate) to float32 even for float64 weights"))  # fmt: skip
    out.append(Switch("sum_loss", "loss summed over the batch", "one side sums the loss over the mini-batch where the other averages it"))
    if spec.loss in ("bce", "ce"):
        out.append(Switch("keras_probs", "loss on probabilities clipped to [1e-7, 1 - 1e-7]",
                          "Keras's cross-entropy on probabilities (from_logits=False) clips them to [1e-7, 1 - 1e-7] where logits need no clip"))  # fmt: skip
        out.append(Switch("torch_probs", "loss on probabilities, log clamped at -100",
                          "torch's BCELoss / nll(log softmax) on probabilities clamps the log at -100 and divides by max(p(1-p), 1e-12)"))  # fmt: skip
    out.append(Switch("torch_defaults", "torch's default initialisation and hyperparameters",
                      lambda: f"torch ran on its own defaults: nn.Linear's kaiming_uniform(a=sqrt(5)) weights and {_defaults('torch', o)}"))  # fmt: skip
    out.append(Switch("keras_defaults", "Keras's default initialisation and hyperparameters",
                      lambda: f"Keras ran on its own defaults: Dense's glorot_uniform kernel, zero bias and {_defaults('tensorflow', o)}"))  # fmt: skip
    if spec.dtype == "float64":
        out.append(Switch("float32", "float32 arithmetic", "one side computes in float32"))
    return out


def _defaults(framework: str, optimizer: str) -> str:
    """'lr 0.001, eps 1e-08, ...' as the installed framework defaults them, where that framework is installed."""
    from compare.experiment import implementations, native

    if not implementations.installed(framework):
        return "its default hyperparameters"
    values = native.hyper(framework, optimizer)
    return ", ".join(f"{k} {v:g}" for k, v in values.items() if not (optimizer == "sgd" and k != "lr") and k != "beta1")


EXCLUSIVE = [{"torch_defaults", "keras_defaults"}, {"keras_probs", "torch_probs"}]


def compatible(names: set[str]) -> bool:
    return not any(pair <= names for pair in EXCLUSIVE)


def _sigmoid(z):
    from scratch.activations import sigmoid

    return sigmoid(z)


def keras_probs(loss: str, z: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    """Keras's cross-entropy on probabilities: p clipped to [eps, 1 - eps]; mean loss and dL/dz."""
    if loss == "bce":
        p = _sigmoid(z)  # (N, O)
        pc = np.clip(p, KERAS_EPS, 1 - KERAS_EPS)
        loss_el = -(y * np.log(pc) + (1 - y) * np.log(1 - pc))
        dpc = -(y / pc - (1 - y) / (1 - pc)) / z.size
        inside = (p >= KERAS_EPS) & (p <= 1 - KERAS_EPS)  # clip passes the gradient inside only
        return float(np.mean(loss_el)), dpc * inside * (p * (1 - p))
    n = z.shape[0]
    p = np.exp(z - z.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)  # (N, C) softmax
    q = np.clip(p, KERAS_EPS, 1 - KERAS_EPS)
    total = q.sum(axis=1, keepdims=True)  # Keras takes log(q) as logits: renormalised
    rows = np.arange(n)
    loss = -np.mean(np.log(q[rows, y]) - np.log(total[:, 0]))
    dq = np.broadcast_to(1 / total, q.shape).copy()
    dq[rows, y] -= 1 / q[rows, y]
    dp = dq * ((p >= KERAS_EPS) & (p <= 1 - KERAS_EPS)) / n
    return float(loss), p * (dp - (dp * p).sum(axis=1, keepdims=True))


def torch_probs(loss: str, z: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    """torch's BCELoss(sigmoid(z)) or nll_loss(log(softmax(z))): mean loss and dL/dz."""
    if loss == "bce":
        p = _sigmoid(z)
        with np.errstate(divide="ignore"):
            loss_el = -(y * np.maximum(np.log(p), TORCH_LOG_MIN) + (1 - y) * np.maximum(np.log(1 - p), TORCH_LOG_MIN))
        dp = (p - y) / np.maximum(p * (1 - p), TORCH_BCE_EPS) / z.size
        return float(np.mean(loss_el)), dp * (1 - p) * p
    n = z.shape[0]
    p = np.exp(z - z.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    rows = np.arange(n)
    with np.errstate(divide="ignore"):
        loss = -np.mean(np.log(p[rows, y]))
    dp = np.zeros_like(p)
    dp[rows, y] = -1 / (n * p[rows, y])
    return float(loss), p * (dp - (dp * p).sum(axis=1, keepdims=True))


class RoundedPowersAdam:
    """scratch's Adam with the bias corrections 1 - beta^t taken from float32-rounded betas, as Keras
    computes them from Python floats (ops.cast(beta, dtype)); 1 - beta in the moment updates stays exact."""

    def __init__(self, lr: float, beta1: float, beta2: float, eps: float, convention: str):
        from scratch.optimizers import Adam

        self.inner = Adam(lr, beta1, beta2, eps, convention)
        self.r1, self.r2 = float(np.float32(beta1)), float(np.float32(beta2))

    def step(self, params, grads) -> None:
        inner, t = self.inner, self.inner.t + 1
        # scratch's Adam computes bc = 1 - beta**t from inner.b1/b2; rescale lr and eps so its step equals
        # the one with rounded powers: torch form p -= (lr/bc1) m / (sqrt(v)/sqrt(bc2) + eps).
        b1, b2 = inner.b1, inner.b2
        bc1, bc2 = 1 - b1**t, 1 - b2**t
        rc1, rc2 = 1 - self.r1**t, 1 - self.r2**t
        lr, eps = inner.lr, inner.eps
        if inner.convention == "torch":  # (lr/rc1) m / (sqrt(v)/sqrt(rc2) + eps) = (lr k) m / (sqrt(v)/sqrt(bc2) + eps k')
            s = np.sqrt(rc2 / bc2)
            inner.lr, inner.eps = lr * (bc1 / rc1) * s, eps * s
        else:  # alpha = lr sqrt(bc2) / bc1: scale lr so alpha uses the rounded powers
            inner.lr = lr * (np.sqrt(rc2) / rc1) / (np.sqrt(bc2) / bc1)
        inner.step(params, grads)
        inner.lr, inner.eps = lr, eps


class Natives:
    """Each framework's default initial weights and hyperparameters for a spec, computed once."""

    def __init__(self, spec: Spec):
        self.spec, self.cache = spec, {}

    def get(self, framework: str):
        if framework not in self.cache:
            from compare.experiment import native

            self.cache[framework] = (native.hyper(framework, self.spec.optimizer), native.init(framework, self.spec))
        return self.cache[framework]


def reference(spec: Spec, init, names: set[str], natives: Natives | None = None):
    """(model, dtype) of the NumPy reference with the named switches; model has train_step and gradients."""
    import scratch

    s, params = spec, init
    for name, framework in (("torch_defaults", "torch"), ("keras_defaults", "tensorflow")):
        if name in names:
            hyper, params = (natives or Natives(spec)).get(framework)
            s = s.replace(**hyper)
    if "float32_hyper" in names:
        with np.errstate(over="ignore"):  # a learning rate beyond float32's range rounds to inf, as in Keras
            s = s.replace(**{f: float(np.float32(getattr(s, f))) for f in ROUNDED})
    if "float32" in names:
        s = s.replace(dtype="float32")
    convention = "keras" if "keras_rules" in names else "torch"
    model = scratch.MLP(s, params, convention=convention)
    if "float32_hyper" in names and s.optimizer == "adam":
        model.optimizer = RoundedPowersAdam(s.lr, s.beta1, s.beta2, s.eps, convention)
    lossfn = None
    if "keras_probs" in names:
        lossfn = lambda z, y: keras_probs(s.loss, z, y)
    elif "torch_probs" in names:
        lossfn = lambda z, y: torch_probs(s.loss, z, y)
    if lossfn is not None or "sum_loss" in names:
        from scratch import losses

        base = lossfn or (lambda z, y: losses.loss_and_grad(s.loss, s.output, z, y))
        scale = (lambda z: z.shape[0]) if "sum_loss" in names else (lambda z: 1)

        def gradients(X, y):
            logits, cache = model.forward(X)
            loss, dZ = base(logits, y)
            k = scale(logits)
            return loss * k, model.backward(dZ * k, cache)

        def train_step(X, y):  # scratch's own train_step calls its loss directly: replace the step too
            loss, grads = gradients(X, y)
            model.optimizer.step([t for pair in model.params for t in pair], [t for pair in grads for t in pair])
            return loss

        model.gradients, model.train_step = gradients, train_step
    return model, s.dtype
