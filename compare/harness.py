"""The one training loop for all implementations: seeded sample order, mini-batches, metrics."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from compare.data import Dataset
from compare.spec import Spec


def schedule(spec: Spec, n_train: int) -> np.ndarray:
    """Sample order of every epoch, int array (epochs, n_train), from the spec's seed."""
    rng = np.random.default_rng([spec.seed, 3])
    return np.stack([rng.permutation(n_train) for _ in range(spec.epochs)])


def steps_per_epoch(spec: Spec, n_train: int) -> int:
    return math.ceil(n_train / spec.batch_size)


def accuracy(spec: Spec, probs: np.ndarray, y: np.ndarray) -> float:
    """Share of correct predictions: argmax for ce and one-hot targets, a 0.5 threshold otherwise."""
    if spec.loss == "ce":
        return float(np.mean(probs.argmax(axis=1) == y))
    if y.shape[1] > 1:
        return float(np.mean(probs.argmax(axis=1) == y.argmax(axis=1)))
    return float(np.mean((probs[:, 0] > 0.5) == (y[:, 0] > 0.5)))


@dataclass
class History:
    """What one implementation did: per-step losses, per-epoch metrics, how it ended."""

    name: str
    losses: np.ndarray  # (steps,) mini-batch loss before each update; NaN after a failure
    metrics: dict[str, list[float]] = field(default_factory=dict)  # train/test loss (and accuracy) per epoch
    failed_step: int | None = None  # 1-based step whose loss was NaN or infinite
    final: list | None = None  # final weights, canonical layout

    @property
    def ok(self) -> bool:
        return self.failed_step is None


def evaluate(model, spec: Spec, data: Dataset) -> dict[str, float]:
    """Loss (and accuracy for classification) on the whole training and test sets."""
    out = {"train_loss": model.loss(data.X_train, data.y_train), "test_loss": model.loss(data.X_test, data.y_test)}
    if data.classification:
        out["train_acc"] = accuracy(spec, model.predict(data.X_train), data.y_train)
        out["test_acc"] = accuracy(spec, model.predict(data.X_test), data.y_test)
    return out


def train(name: str, model, spec: Spec, data: Dataset, order: np.ndarray, on_epoch=None) -> History:
    """Train `model` over the epochs of `order`; stop at the first NaN or infinite loss."""
    n = order.shape[1]
    per_epoch = steps_per_epoch(spec, n)
    history = History(name, np.full(order.shape[0] * per_epoch, np.nan))
    with np.errstate(over="ignore", invalid="ignore"):  # a blow-up is reported by step, not as warnings
        return _epochs(history, model, spec, data, order, on_epoch)


def _epochs(history: History, model, spec: Spec, data: Dataset, order: np.ndarray, on_epoch) -> History:
    n = order.shape[1]
    X, y = data.X_train, data.y_train
    step = 0
    for epoch in range(order.shape[0]):
        for start in range(0, n, spec.batch_size):
            idx = order[epoch, start : start + spec.batch_size]
            loss = model.train_step(X[idx], y[idx])
            history.losses[step] = loss
            step += 1
            if not math.isfinite(loss):
                history.failed_step = step
                history.final = model.get_weights()
                return history
        for key, value in evaluate(model, spec, data).items():
            history.metrics.setdefault(key, []).append(value)
        if on_epoch is not None:
            on_epoch(epoch + 1)
    history.final = model.get_weights()
    return history
