"""compare.run(spec): build every implementation from the same weights, take their first gradients, train them
on the same schedule, and hand back the Result."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from compare.agree import bounds, finite_diff
from compare.exact import measure
from compare.experiment.result import Result
from compare.shared import environment, harness, implementations, loss_file, native, weights
from compare.shared.data import Dataset
from compare.shared.data import load as load_data
from compare.shared.spec import Spec

DEFAULTS = ("aligned", "native")  # every framework on the spec's values, or torch and TensorFlow on their own
ORDER_WORDS = {"tensorflow": "Keras Model.fit(shuffle=True) after keras.utils.set_random_seed({seed}): orders/tensorflow.npy"}


def prepare(spec: Spec) -> tuple[Dataset, list, harness.Schedule]:
    """Data, initial weights and sample schedule for a spec: what every framework shares."""
    data = load_data(spec)
    return data, weights.init(spec), harness.Schedule(spec, len(data.X_train))


def first_batch(spec: Spec, data: Dataset, order) -> tuple[np.ndarray, np.ndarray]:
    """The first epoch's first mini-batch (X, y): where gradients are compared."""
    idx = next(harness.batches(order, spec.batch_size))[2]
    return data.X_train[idx], data.y_train[idx]


def _setting(name: str, spec: Spec, init, defaults: str, order):
    """(spec, initial weights, make() options, sample order) a run is built and trained with: the spec's own, or with
    --defaults native its framework's default hyperparameters and initial weights, Keras given Python floats as a
    learner does and trained on the order its Model.fit(shuffle=True) takes (torch keeps the shared order: a
    DataLoader does not shuffle unless asked)."""
    if defaults == "aligned" or name not in ("torch", "tensorflow"):
        return spec, init, {}, order
    if name == "torch":
        return native.native_spec(name, spec), native.init(name, spec), {}, order
    options = {"python_floats": True, "per_tensor_clipnorm": spec.clip_norm > 0}  # clipnorm, as learners write it
    fit_order = native.keras_fit_order(spec.seed, order.shape[1], spec.epochs)
    return native.native_spec(name, spec), native.init(name, spec), options, fit_order


def _start(spec: Spec, defaults: str, prepared, fd_entries: int | None):
    """The Result fields before training, and the models (at their initial weights: taking gradients changes
    neither them nor their optimizer state), so that run() trains the very models that took the gradients."""
    if defaults not in DEFAULTS:
        raise ValueError(f"defaults: got {defaults!r}; expected one of {', '.join(DEFAULTS)}")
    data, init, order = prepared or prepare(spec)
    X, y = first_batch(spec, data, order)
    masks = harness.Dropout(spec).draw(len(X)) if spec.dropout > 0 else None  # the first training step's masks
    models, specs, grads, missing, used, orders = {}, {}, {}, [], {}, {}
    for name in implementations.runs_for(spec):
        if not implementations.installed(name):
            missing.append(name)
            continue
        specs[name], params, options, own_order = _setting(name, spec, init, defaults, order)
        models[name] = implementations.build(name, specs[name], params, **options)
        Xn, yn = (X, y) if own_order is order else first_batch(spec, data, own_order)  # its own first mini-batch
        grads[name] = models[name].gradients(Xn, yn) if masks is None else models[name].gradients(Xn, yn, masks)
        if specs[name] is not spec:
            used[name] = {**native.hyper(name, spec.optimizer), **native.tricks(name, spec)}
        if own_order is not order:
            orders[name] = own_order
    fields = dict(
        spec=spec,
        data=data,
        init=init,
        schedule=order,
        grads=grads,
        missing=missing,
        native=tuple(used),
        orders=orders,
        environment=environment.record(spec, list(grads)),
    )
    if used:
        fields["environment"].update(defaults="native", native_hyperparameters=used)
    if orders:
        fields["environment"]["native_orders"] = {name: ORDER_WORDS[name].format(seed=spec.seed) for name in orders}
    if "numpy" in spec.frameworks:
        fields["fd"] = finite_differences(spec, init, X, y, fd_entries)
    fields["bounds"] = bounds.gradient_bounds(spec, init, X, y, masks)
    fields["first"] = masks
    return fields, models, specs


def gradients(spec: Spec, fd_entries: int | None = -1, prepared=None, defaults: str = "aligned", exact: str = "auto") -> Result:
    """Gradients of every framework at the initial weights on the first mini-batch, the NumPy backprop against central
    finite differences (fd_entries per tensor; -1: automatic, None: all), and against the exact gradients (exact:
    auto or on; off: none)."""
    fields = _start(spec, defaults, prepared, fd_entries)[0]
    masks = fields.pop("first")
    fields["exact"] = _exact(fields, exact, masks, curve=False)
    return Result(**fields)


def _exact(fields: dict, mode: str, masks, curve: bool = True, stream_to=None):
    """The exact reference of the runs on the spec's own defaults (none for a run on its framework's own)."""
    names = [n for n in fields["grads"] if n not in fields["native"]]
    if not names:
        return None
    spec = fields["spec"]
    return measure.compute(spec, fields["data"], fields["init"], fields["schedule"], names, mode, masks, curve, stream_to)


def run(
    spec: Spec,
    on_epoch=None,
    fd_entries: int | None = -1,
    stream_to: str | Path | None = None,
    defaults: str = "aligned",
    prepared=None,
    exact: str = "auto",
) -> Result:
    """Train each of the spec's frameworks from the same weights on the same schedule.

    on_epoch(name, epoch) is called after each epoch (for progress bars). stream_to: a folder to stream each
    run's per-step losses into (losses/<name>.npy, an epoch at a time), so that memory stays flat however many
    epochs; by default they are kept in memory. defaults="native": torch and TensorFlow start from their own
    initial weights and default hyperparameters, as a learner meets them (the NumPy runs keep the spec).
    prepared: (data, init, schedule) from prepare(spec), if made already. exact: the exact reference's first gradients
    and as many steps of its curve as cost <= 20% of the training (auto), all of them (on), or none (off).
    """
    fields, models, specs = _start(spec, defaults, prepared, fd_entries)
    masks = fields.pop("first")
    order = fields["schedule"]
    steps = spec.epochs * harness.steps_per_epoch(spec, order.shape[1])
    if stream_to is not None:
        (Path(stream_to) / loss_file.LOSSES).mkdir(parents=True, exist_ok=True)
    histories = {}
    for name, model in models.items():
        callback = (lambda epoch, name=name: on_epoch(name, epoch)) if on_epoch else None
        losses = None if stream_to is None else loss_file.LossFile(loss_file.loss_path(stream_to, name), steps)
        own_order = fields["orders"].get(name, order)
        histories[name] = harness.train(name, model, specs[name], fields["data"], own_order, callback, losses)
    return Result(**fields, histories=histories, exact=_exact(fields, exact, masks, stream_to=stream_to))


def finite_differences(spec: Spec, init, X, y, entries: int | None = -1) -> pd.DataFrame:
    """The NumPy reference in float64 against central differences of its own loss."""
    spec64 = spec.replace(dtype="float64")
    model = implementations.build("numpy", spec64, init)
    X64, y64 = X.astype(np.float64), y.astype(spec64.target_dtype)
    _, grads = model.gradients(X64, y64)

    def loss(params) -> float:
        model.set_params(params)
        return model.loss(X64, y64, training=True)  # the loss gradients() differentiates: batch norm on the batch's statistics

    n_params = sum(t.size for t in weights.tensors(init))
    if entries == -1:
        entries = None if n_params <= 2000 else 30
    signs = finite_diff.relu_signs(model, X64) if "relu" in spec.activations else None
    names = weights.spec_names(spec, "d")
    return finite_diff.check(loss, init, grads, names, signs=signs, max_entries=entries, seed=spec.seed)
