"""The one training loop for all implementations: seeded sample order, the mini-batches drawn from it, metrics."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from compare.shared.data import Dataset
from compare.shared.spec import Spec


class Schedule:
    """The sample order of every epoch, drawn from the spec's seed one epoch at a time as it is
    iterated, so that a long run never holds all of it; np.asarray gives the (epochs, n_train) array."""

    def __init__(self, spec: Spec, n_train: int):
        self.seed, self.shape = spec.seed, (spec.epochs, n_train)

    def __iter__(self):
        rng = np.random.default_rng([self.seed, 3])
        for _ in range(self.shape[0]):
            yield rng.permutation(self.shape[1])

    def __len__(self) -> int:
        return self.shape[0]

    def __getitem__(self, key):
        """schedule[epoch] or schedule[epoch, columns]: draws the epochs up to it."""
        epoch, columns = key if isinstance(key, tuple) else (key, slice(None))
        epoch = range(self.shape[0])[epoch]  # IndexError past the last epoch, as for the array
        for e, order in enumerate(self):
            if e == epoch:
                return order[columns]

    def __array__(self, dtype=None, copy=None) -> np.ndarray:
        return np.stack(list(self)).astype(dtype or np.int64, copy=False)  # spec.epochs >= 1


def schedule(spec: Spec, n_train: int) -> np.ndarray:
    """Sample order of every epoch, int array (epochs, n_train), from the spec's seed."""
    return np.asarray(Schedule(spec, n_train))


class Dropout:
    """The inverted-dropout masks of every training step, drawn by NumPy from the spec's seed one step at a time
    and handed to each implementation like the sample order, so that all three drop the same units."""

    def __init__(self, spec: Spec):
        self.rate, self.widths, self.dtype = spec.dropout, spec.layers[1:-1], np.dtype(spec.dtype)
        self.rng = np.random.default_rng([spec.seed, 4])

    def draw(self, n: int) -> list[np.ndarray]:
        """The next step's masks, one (n, width) array per hidden layer: 0 (dropped) or 1 / (1 - p) (kept)."""
        scale = self.dtype.type(1 / (1 - self.rate))
        return [(self.rng.random((n, width)) >= self.rate).astype(self.dtype) * scale for width in self.widths]


def step(model, X: np.ndarray, y: np.ndarray, dropout: Dropout | None) -> float:
    """model.train_step on one mini-batch, with the step's dropout masks when the spec has dropout."""
    return model.train_step(X, y) if dropout is None else model.train_step(X, y, dropout.draw(len(X)))


def steps_per_epoch(spec: Spec, n_train: int) -> int:
    return math.ceil(n_train / spec.batch_size)


def batches(order, batch_size: int):
    """(epoch, i, sample indices) of every mini-batch: consecutive slices of each epoch's order, the last one
    of an epoch possibly smaller. The one batch loop: training, the explainer's replays and the benchmark use it."""
    for epoch, sample_order in enumerate(order):
        for i, start in enumerate(range(0, len(sample_order), batch_size)):
            yield epoch, i, sample_order[start : start + batch_size]


@dataclass
class History:
    """What one implementation did: per-step losses, the metrics after its last epoch, how it ended."""

    name: str
    losses: np.ndarray  # (steps,) mini-batch loss before each update, NaN after a failure (or a curves.LossFile)
    metrics: dict[str, float] = field(default_factory=dict)  # train/test loss (and accuracy) after the last epoch
    failed_step: int | None = None  # 1-based step whose loss was NaN or infinite
    final: list | None = None  # final weights, canonical layout

    @property
    def ok(self) -> bool:
        return self.failed_step is None


def evaluate(model, spec: Spec, data: Dataset) -> dict[str, float]:
    """Loss (and accuracy for classification) on the whole training and test sets, one forward pass each."""
    (train_loss, train_out), (test_loss, test_out) = model.evaluate(data.X_train, data.y_train), model.evaluate(data.X_test, data.y_test)
    out = {"train_loss": train_loss, "test_loss": test_loss}
    if data.classification:
        out["train_acc"] = spec.loss_kind.accuracy(train_out, data.y_train)
        out["test_acc"] = spec.loss_kind.accuracy(test_out, data.y_test)
    return out


def train(name: str, model, spec: Spec, data: Dataset, order, on_epoch=None, losses=None) -> History:
    """Train `model` over the epochs of `order` (a Schedule or an (epochs, n_train) array); stop at the
    first NaN or infinite loss. Each epoch's losses go into `losses` as the epoch ends: an array of
    epochs * steps_per_epoch NaNs by default, or a loss_file.LossFile to stream them to disk."""
    steps = order.shape[0] * steps_per_epoch(spec, order.shape[1])
    history = History(name, np.full(steps, np.nan) if losses is None else losses)
    with np.errstate(over="ignore", invalid="ignore"):  # a blow-up is reported by step, not as warnings
        return _epochs(history, model, spec, data, order, on_epoch)


def _epochs(history: History, model, spec: Spec, data: Dataset, order, on_epoch) -> History:
    X, y = data.X_train, data.y_train
    per_epoch = steps_per_epoch(spec, order.shape[1])
    epoch_losses = np.full(per_epoch, np.nan)
    last_complete = None  # the weights after the last whole epoch: the metrics of a run that blows up are theirs
    dropout = Dropout(spec) if spec.dropout > 0 else None
    for epoch, i, idx in batches(order, spec.batch_size):
        loss = step(model, X[idx], y[idx], dropout)
        epoch_losses[i] = loss
        done = epoch * per_epoch  # steps of the epochs before this one
        if not math.isfinite(loss):
            history.losses[done : done + i + 1] = epoch_losses[: i + 1]
            history.failed_step = done + i + 1
            history.final = model.get_params()
            if last_complete is not None:
                model.set_params(last_complete)
                history.metrics = evaluate(model, spec, data)
            return history
        if i == per_epoch - 1:
            model.end_epoch()  # a per-epoch learning-rate schedule moves on
            history.losses[done : done + per_epoch] = epoch_losses
            last_complete = model.get_params() if epoch + 1 < order.shape[0] else None
            if on_epoch is not None:
                on_epoch(epoch + 1)
    history.final = model.get_params()
    history.metrics = evaluate(model, spec, data)  # once, after the last epoch: the only metrics a run reports
    return history
