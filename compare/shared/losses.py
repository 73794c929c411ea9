"""What each loss means outside the implementations, in one place: the output activations it takes, the
targets it wants, and how its outputs are scored. (Each implementation computes the loss itself.)"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class LossKind:
    """One loss: the output activations it takes, its targets, its least output count."""

    name: str
    outputs: tuple[str, ...]
    default_output: str
    labels: bool  # targets are int class labels of shape (N,); else floats of shape (N, outputs)
    regression: bool = False  # can fit real-valued targets
    cross_entropy: bool = False  # a cross-entropy from the logits: frameworks also offer it on probabilities
    min_outputs: int = 1

    def target_dtype(self, dtype: str) -> str:
        return "int64" if self.labels else dtype

    def targets(self, y: np.ndarray, n_classes: int | None, outputs: int, dtype: str) -> np.ndarray:
        """Integer labels (or regression values) shaped for this loss: labels (N,), or floats (N, outputs),
        one-hot where there is one output per class."""
        if self.labels:
            return y.astype(np.int64)
        if n_classes is None or outputs == 1:
            return y.astype(dtype).reshape(-1, 1)
        return np.eye(n_classes, dtype=dtype)[y]

    def accuracy(self, probs: np.ndarray, y: np.ndarray) -> float:
        """Share of correct predictions: argmax for labels and one-hot targets, a 0.5 threshold for one output."""
        if self.labels:
            return float(np.mean(probs.argmax(axis=1) == y))
        if y.shape[1] > 1:
            return float(np.mean(probs.argmax(axis=1) == y.argmax(axis=1)))
        return float(np.mean((probs[:, 0] > 0.5) == (y[:, 0] > 0.5)))


LOSSES = {
    "mse": LossKind("mse", ("identity", "sigmoid"), "sigmoid", labels=False, regression=True),  # the classic sigmoid output by default
    "bce": LossKind("bce", ("sigmoid",), "sigmoid", labels=False, cross_entropy=True),  # from the logits
    "ce": LossKind("ce", ("softmax",), "softmax", labels=True, cross_entropy=True, min_outputs=2),  # softmax cross-entropy from the logits
}
