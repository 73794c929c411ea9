"""The learner's optimizer on the real MLP: our backprop's gradients, their update, for N mini-batches, beside
the NumPy reference in each convention, torch and Keras training the same network on the same batches."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from compare.agree.differences import curve_diff
from compare.experiment.pipeline import prepare
from compare.optimizer_check import stepping
from compare.shared import harness, implementations, weights
from compare.shared.spec import Spec

# The MLP's weights after their update and after a framework's, relative to how far they moved; the loss
# curves, relative. Round-off grows a little along a run (Adam amplifies it); a slip shows at once.
TOL = 1e-8


def _flat(pairs) -> list[np.ndarray]:
    return [t for pair in pairs for t in pair]


def _pairs(flat: list[np.ndarray]) -> list[tuple[np.ndarray, np.ndarray]]:
    return list(zip(flat[::2], flat[1::2]))


def train(adapter, spec: Spec, steps: int, same_rule: set[str], gradients=None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(one row per run: weights and loss-curve differences to the learner's, first divergent step; the long
    loss curves: run, step, loss). same_rule: the runs whose update rule the learner's should match;
    gradients: (params, X, y) -> (loss, [(dW, db), ...]), the learner's own backprop (default: ours)."""
    data, init, _ = prepare(spec)
    n = len(data.X_train)
    order = harness.Schedule(spec.replace(epochs=math.ceil(steps / harness.steps_per_epoch(spec, n))), n)
    batches = [idx for _, _, idx in harness.batches(order, spec.batch_size)][:steps]
    X, y = data.X_train, data.y_train
    start = _flat(init)
    names = weights.names(len(init))
    if gradients is None:
        model = implementations.build("numpy", spec, init)  # our backprop, at the learner's weights

        def gradients(params, X, y):
            model.set_params(params)
            return model.gradients(X, y)

    adapter.start(adapter.layout(start))
    current, yours, losses = start, [], []
    with np.errstate(all="ignore"):
        for t, idx in enumerate(batches, start=1):
            loss, grads = gradients(_pairs(current), X[idx], y[idx])
            losses.append(loss)
            current = adapter.restore(adapter.step(adapter.layout(_flat(grads)), names, t), start)
            yours.append(current)
    runs = {"numpy": ("numpy", spec), "numpy-keras": ("numpy-keras", spec)}
    if spec.optimizer == "momentum":  # the EMA form is torch's with lr (1 - mu)
        runs["numpy-ema"] = ("numpy", spec.replace(lr=spec.lr * (1 - spec.momentum)))
    runs |= {f: (f, spec) for f in ("torch", "tensorflow") if f in spec.frameworks and implementations.installed(f)}
    rows, curves = [], [pd.DataFrame({"run": "yours", "step": np.arange(1, steps + 1), "loss": losses})]
    for name, (run, run_spec) in runs.items():
        m = implementations.build(run, run_spec, init)
        theirs, curve = [], []
        for idx in batches:
            curve.append(m.train_step(X[idx], y[idx]))
            theirs.append(_flat(m.get_params()))
        d = stepping.departures(yours, theirs, start).max(axis=1)
        _, dl = curve_diff(losses, curve)
        dl[np.isnan(losses) != np.isnan(curve)] = np.inf  # a curve that became NaN has parted from one that did not
        over = np.flatnonzero(~((d <= TOL) & (dl <= TOL)))
        first = int(over[0]) + 1 if len(over) else None
        should = name in same_rule
        rows.append(
            {
                "run": name,
                "max_rel_weights": float(d.max()),
                "max_rel_loss": float(dl.max()),
                "first_divergent_step": first,
                "your_final_loss": losses[-1],
                "their_final_loss": curve[-1],
                "same_rule": "yes" if should else "no",
                "pass": (first is None) if should else None,
            }
        )
        curves.append(pd.DataFrame({"run": name, "step": np.arange(1, steps + 1), "loss": curve}))
    return pd.DataFrame(rows), pd.concat(curves, ignore_index=True)
