"""The three losses in NumPy, each from the logits, each the mean over the batch, each returning (loss, dL/dlogits)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from scratch.activations import Activation, activation, sigmoid

Loss = Callable[[np.ndarray, np.ndarray], tuple[float, np.ndarray]]  # (logits, y) -> (mean loss, dL/dlogits)


def value(x) -> float:
    """A loss value as a Python float; kept in its own type where the arithmetic is wider than float64 (the exact
    reference)."""
    return x if np.asarray(x).dtype.itemsize > 8 else float(x)


def mse(output: Activation) -> Loss:
    """Mean over batch and outputs of (f(z) - y)^2, f the output activation; y of shape (N, O)."""

    def loss(logits: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
        a = output(logits)  # (N, O)
        diff = a - y  # (N, O)
        dA = (diff.dtype.type(2) / diff.size) * diff  # (N, O): 2 / size in the arithmetic's own precision
        dZ = dA if output.name == "identity" else dA * output.derivative(logits, a)  # (N, O)
        return value(np.mean(diff * diff)), dZ

    return loss


def bce(logits: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean over batch and outputs of -y log sigma(z) - (1 - y) log(1 - sigma(z)), from logits z."""
    z = logits  # (N, O)
    losses = np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z)))  # stable softplus(z) - y z
    dZ = (sigmoid(z) - y) / z.size  # (N, O)
    return value(np.mean(losses)), dZ


def weighted_bce(class_weights, over_weights: bool) -> Loss:
    """sum_i w_i l_i / D, l_i the binary cross-entropy of sample i (one output), w_i = class_weights[y_i];
    D = sum_i w_i (over_weights) or N."""
    w0, w1 = class_weights

    def loss(logits: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
        z = logits  # (N, 1)
        w = np.where(y == 1, w1, w0).astype(z.dtype)  # (N, 1)
        denominator = w.sum() if over_weights else z.size
        losses = np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z)))  # (N, 1)
        dZ = w * (sigmoid(z) - y) / denominator  # (N, 1)
        return value(np.sum(w * losses) / denominator), dZ

    return loss


def ce(logits: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean over the batch of -log softmax(z)[label]; y are int labels of shape (N,)."""
    n, rows = logits.shape[0], np.arange(logits.shape[0])
    shifted = logits - logits.max(axis=1, keepdims=True)  # (N, C), log-sum-exp shift
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))  # (N, C)
    loss = -log_probs[rows, y].sum() / n
    dZ = np.exp(log_probs)  # (N, C) softmax
    dZ[rows, y] -= 1  # softmax - one_hot(y)
    dZ /= n  # (N, C)
    return value(loss), dZ


def weighted_ce(class_weights, over_weights: bool) -> Loss:
    """sum_i w_i l_i / D, l_i = -log softmax(z_i)[y_i], w_i = class_weights[y_i]; D = sum_i w_i (over_weights,
    torch's CrossEntropyLoss(weight)) or N (Keras's class_weight)."""
    cw = np.asarray(class_weights)

    def loss(logits: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
        rows = np.arange(logits.shape[0])
        w = cw[y].astype(logits.dtype)  # (N,)
        denominator = w.sum() if over_weights else logits.shape[0]
        shifted = logits - logits.max(axis=1, keepdims=True)  # (N, C)
        log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))  # (N, C)
        total = -(w * log_probs[rows, y]).sum() / denominator
        dZ = np.exp(log_probs)  # (N, C) softmax
        dZ[rows, y] -= 1  # softmax - one_hot(y)
        dZ *= (w / denominator)[:, None]  # (N, C)
        return value(total), dZ

    return loss


def softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=1, keepdims=True))  # (N, C)
    return e / e.sum(axis=1, keepdims=True)


def loss_fn(spec) -> Loss:
    """The spec's loss: (logits, y) -> (mean loss, dL/dlogits)."""
    if spec.loss == "mse":
        return mse(activation(spec.output))
    if spec.class_weights is not None:
        weighted = weighted_bce if spec.loss == "bce" else weighted_ce
        return weighted(spec.class_weights, spec.weight_reduction == "sum_weights")
    return {"bce": bce, "ce": ce}[spec.loss]


def output_fn(spec) -> Callable[[np.ndarray], np.ndarray]:
    """The network's output from the logits: identity, sigmoid, or softmax."""
    return softmax if spec.output == "softmax" else activation(spec.output)


@dataclass(frozen=True)
class L2:
    """The penalty lam/2 sum W^2 over the kernels (and the biases with biases=True), added to the loss;
    its gradient lam W. (Keras's l2(lam/2); torch's weight_decay=lam gives the same gradient, not the loss.)"""

    lam: float
    biases: bool = False

    def value(self, params) -> float:
        return 0.5 * self.lam * sum(np.sum(W * W) + (np.sum(b * b) if self.biases else 0.0) for W, b in params)

    def add_gradient(self, params, grads) -> None:
        """grads += d penalty / d params, in place."""
        for (W, b), (dW, db) in zip(params, grads):
            dW += self.lam * W  # (fan_in, fan_out)
            if self.biases:
                db += self.lam * b  # (fan_out,)


def penalty_fn(spec) -> L2 | None:
    """The spec's L2 penalty, or None without one."""
    return L2(spec.l2, spec.decay_biases) if spec.l2 > 0 else None
