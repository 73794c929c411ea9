"""The three losses in NumPy, each from the logits, each the mean over the batch, with dL/dlogits."""

import numpy as np

from scratch.activations import activate, sigmoid


def mse(logits: np.ndarray, y: np.ndarray, output: str) -> tuple[float, np.ndarray]:
    """Mean over batch and outputs of (f(z) - y)^2, f the output activation; y of shape (N, O)."""
    a = activate(output, logits)  # (N, O)
    diff = a - y  # (N, O)
    loss = np.mean(diff * diff)
    dA = (2 / diff.size) * diff  # (N, O)
    dZ = dA * (a * (1 - a)) if output == "sigmoid" else dA  # (N, O)
    return float(loss), dZ


def bce(logits: np.ndarray, y: np.ndarray, output: str = "sigmoid") -> tuple[float, np.ndarray]:
    """Mean over batch and outputs of -y log sigma(z) - (1 - y) log(1 - sigma(z)), from logits z."""
    z = logits  # (N, O)
    losses = np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z)))  # stable softplus(z) - y z
    dZ = (sigmoid(z) - y) / z.size  # (N, O)
    return float(np.mean(losses)), dZ


def ce(logits: np.ndarray, y: np.ndarray, output: str = "softmax") -> tuple[float, np.ndarray]:
    """Mean over the batch of -log softmax(z)[label]; y are int labels of shape (N,)."""
    n, rows = logits.shape[0], np.arange(logits.shape[0])
    shifted = logits - logits.max(axis=1, keepdims=True)  # (N, C), log-sum-exp shift
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))  # (N, C)
    loss = -log_probs[rows, y].sum() / n
    dZ = np.exp(log_probs)  # (N, C) softmax
    dZ[rows, y] -= 1  # softmax - one_hot(y)
    dZ /= n  # (N, C)
    return float(loss), dZ


LOSSES = {"mse": mse, "bce": bce, "ce": ce}


def loss_and_grad(loss: str, output: str, logits: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    """(mean loss, dL/dlogits) for the named loss."""
    return LOSSES[loss](logits, y, output)


def output_probs(output: str, logits: np.ndarray) -> np.ndarray:
    """The network's output: identity, sigmoid, or softmax of the logits."""
    if output != "softmax":
        return activate(output, logits)
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)
