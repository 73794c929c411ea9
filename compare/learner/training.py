"""--steps: plain SGD with the learner's gradients beside each framework on the same mini-batches, in the learner's
convention (their loss scale, their L2 penalty), the first step where the curves part named."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from compare.agree.differences import curve_diff
from compare.agree.tolerances import growth
from compare.errors import LearnerError
from compare.experiment.pipeline import prepare
from compare.learner.calling import Batch
from compare.learner.case import TOL
from compare.shared import harness, implementations


def train(learner, spec, steps: int, model, dtype: str = "float64", takes_masks: bool = False) -> pd.DataFrame:
    """steps mini-batches of plain SGD with their gradients and with each framework; the frameworks train the
    learner's objective: lr × c (their loss's scale) and their L2 penalty, and their losses are compared × c_loss."""
    spec = spec.replace(optimizer="sgd")
    data, init, _ = prepare(spec)
    params = init
    n = len(data.X_train)
    per_epoch = harness.steps_per_epoch(spec, n)
    order = harness.Schedule(spec.replace(epochs=math.ceil(steps / per_epoch)), n)
    batches = [idx for _, _, idx in harness.batches(order, spec.batch_size)][:steps]
    X, y = data.X_train, data.y_train
    dropout = harness.Dropout(spec) if spec.dropout > 0 and takes_masks else None
    masks = [dropout.draw(len(idx)) if dropout else None for idx in batches]  # every step's, the same for all
    theirs_spec = spec.replace(l2=model.l2.lam if model.l2 else 0.0, decay_biases=bool(model.l2 and model.l2.lam_b))
    yours, stopped = np.full(steps, np.nan), None
    for t, idx in enumerate(batches):
        try:
            got = learner.call(Batch(params, X[idx], y[idx], masks[t], spec.layers[-1], None, spec.l2))
            if got.loss is None:  # gradients only: the reference's loss at their weights, in their units
                yours[t] = model.c_loss * implementations.build("numpy", theirs_spec, params).loss(X[idx], y[idx], masks[t], training=True)
            else:
                yours[t] = got.loss
            params = [(W - spec.lr * dW, None if b is None else b - spec.lr * db) for (W, b), (dW, db) in zip(params, got.grads)]
        except LearnerError as e:
            stopped = f"stopped at step {t + 1}: {str(e).splitlines()[0]}"
            break
        except ValueError as e:
            stopped = f"stopped at step {t + 1}: your gradients cannot update the weights ({e})"
            break
    done = int(np.isfinite(yours).sum())  # steps completed: all of them unless their code stopped
    tol = TOL[dtype if spec.dtype == "float64" else spec.dtype] * growth(np.arange(1, done + 1))
    rows = []
    for name in ["numpy", *[f for f in ("torch", "tensorflow") if f in spec.frameworks and implementations.installed(f)]]:
        reference = implementations.build(name, theirs_spec.replace(lr=spec.lr * model.c), init)
        curve = model.c_loss * np.array([reference.train_step(X[idx], y[idx], m) for idx, m in zip(batches, masks)])
        _, diff = curve_diff(yours[:done], curve[:done])
        over = np.flatnonzero(~(diff <= tol))
        first = int(over[0]) + 1 if len(over) else (done + 1 if stopped else None)
        rows.append(
            {
                "framework": name,
                "max_rel": float(diff.max()) if done else np.nan,
                "first_divergent_step": first,
                "your_final_loss": yours[done - 1] if done else np.nan,
                "their_final_loss": curve[-1],
                "pass": first is None,
                **({"reference_lr": f"{spec.lr:g} × {model.c:g} (your convention)"} if model.c != 1 else {}),
                "note": stopped or "",
            }
        )
    frame = pd.DataFrame(rows)
    return frame if stopped else frame.drop(columns="note")
