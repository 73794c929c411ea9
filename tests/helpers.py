"""Small helpers for the tests: build every implementation and measure relative differences."""

from __future__ import annotations

import numpy as np

from compare.experiment.pipeline import prepare
from compare.shared import harness, implementations, weights

NAMES = ["numpy", "numpy-keras", "torch", "tensorflow"]


def rel(a: np.ndarray, b: np.ndarray) -> float:
    """max |a - b| / max |a|, the per-tensor measure the acceptance criteria state."""
    scale = np.max(np.abs(a))
    return float(np.max(np.abs(a - b)) / scale) if scale > 0 else float(np.max(np.abs(a - b)))


def grads_rel(ga, gb) -> float:
    """Worst per-tensor relative difference between two gradient lists (the tensors present: no db without biases)."""
    return max(rel(x, y) for x, y in zip(weights.tensors(ga), weights.tensors(gb), strict=True))


def first_grads(spec, names=NAMES):
    """{name: (loss, grads)} on the first mini-batch at the initial weights."""
    data, init, order = prepare(spec)
    idx = order[0, : spec.batch_size]
    return {n: implementations.build(n, spec, init).gradients(data.X_train[idx], data.y_train[idx]) for n in names}


def curves(spec, names=NAMES):
    """{name: History} trained by the harness from the same weights and schedule."""
    data, init, order = prepare(spec)
    return {n: harness.train(n, implementations.build(n, spec, init), spec, data, order) for n in names}


def params_rel(pa, pb) -> float:
    return grads_rel(pa, pb)


__all__ = ["NAMES", "rel", "grads_rel", "first_grads", "curves", "params_rel", "weights"]
