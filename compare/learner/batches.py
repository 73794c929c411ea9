"""The spec and the first mini-batch a check runs on, fitted to the learner's code: the data set that fits the layers,
the layers and biases their weights say, a script's targets as the spec's loss takes them."""

from __future__ import annotations

import numpy as np

from compare.errors import SpecError
from compare.experiment.pipeline import prepare
from compare.shared import harness
from compare.shared.data import fitting_layers
from compare.shared.spec import Spec


def first_batch(spec: Spec):
    """Initial weights and the first mini-batch (X, y) of the spec, as run uses them."""
    data, init, order = prepare(spec)
    idx = next(harness.batches(order, spec.batch_size))[2]
    return init, data.X_train[idx], data.y_train[idx]


def fitting_batch(spec: Spec, dataset_given: bool, sizes_given: bool = True) -> tuple[Spec, tuple, list[str]]:
    """The first batch of the spec's data set; where none was named and the default does not fit the layers, of
    blobs with as many features and classes as the layers have (and a note saying so); where one was named and the
    layers were not, with the layers its data needs."""
    try:
        return spec, first_batch(spec), []
    except SpecError:
        if dataset_given and not sizes_given:  # the data set named: the layers read from it (their code says the rest)
            spec = spec.replace(layers=fitting_layers(spec))
            return spec, first_batch(spec), []
        if dataset_given:
            raise
    spec = spec.replace(dataset="blobs")
    words = f"Data: blobs with {spec.layers[0]} feature{'s' if spec.layers[0] > 1 else ''} (your layers do not fit the default data set; --dataset names another)."
    return spec, first_batch(spec), [words]


def targets_for(spec: Spec, y: np.ndarray) -> np.ndarray:
    """A script's targets as the spec's loss takes them: class labels one-hot for several sigmoid or mse outputs,
    one-hot rows as labels for softmax cross-entropy."""
    outputs = spec.layers[-1]
    if y.ndim == 1 and y.dtype.kind in "iu" and outputs > 1 and not spec.loss_kind.labels:
        return np.eye(outputs)[y]
    if spec.loss_kind.labels and y.ndim == 2 and y.shape[1] == outputs > 1 and np.all(y.sum(axis=1) == 1) and np.all((y == 0) | (y == 1)):
        return np.argmax(y, axis=1)
    return y


def opened_spec(spec: Spec, opened, sizes_given: bool) -> tuple[Spec, list[str]]:
    """The spec as the learner's code has it: the layers its weights chain into (when --layers was not given), no
    biases where it has none; and what was changed, in words."""
    notes = []
    if not sizes_given and tuple(opened.sizes) != spec.layers:
        spec = spec.replace(layers=tuple(opened.sizes))
        notes.append(f"Layers {'-'.join(map(str, opened.sizes))}, read from your weights' shapes.")
    if spec.bias and not opened.bias:
        spec = spec.replace(bias=False)
        notes.append("Your network has no biases: checked as one without (--no-bias).")
    return spec, notes
