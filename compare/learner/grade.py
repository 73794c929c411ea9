"""Check a learner's loss_and_grads against the NumPy reference, the frameworks and finite differences."""

from __future__ import annotations

import contextlib
import io
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from compare.agree import finite_diff
from compare.agree.differences import curve_diff
from compare.errors import LearnerError
from compare.experiment.pipeline import prepare
from compare.io import console
from compare.learner.diagnose import Diagnosis, diagnose, rel
from compare.learner.loading import call
from compare.shared import harness, implementations, weights
from compare.shared.spec import Spec

# Learner against reference, max|a - b| / max|b| per tensor. Another summation order or another
# formula (1 / (1 + e^-z) for the stable sigmoid) moves the last digits (~1e-15 in float64, ~1e-6 in
# float32); every known backprop mistake moves the first.
TOL = {"float64": 1e-7, "float32": 1e-4}
FD_ENTRIES = 40  # finite differences on at most this many entries per tensor (seeded sample)


@dataclass
class Report:
    """What check found: the per-tensor table, the diagnosis, and the training curves with --steps."""

    spec: Spec
    table: pd.DataFrame
    diagnosis: Diagnosis
    curves: pd.DataFrame | None = None

    @property
    def ok(self) -> bool:
        curves_ok = self.curves is None or bool(self.curves["pass"].all()) or self.diagnosis.mistake == "relu_zero"
        return self.diagnosis.ok and curves_ok  # another ReLU'(0) may well part the curves: a convention still

    def print(self) -> None:
        console.print_table(f"Your gradients against the reference, {self.spec.short()}, batch {self.spec.batch_size}", self.table)
        if self.curves is not None:
            console.print_table("Training with your gradients and plain SGD against the frameworks", self.curves)
        console.console.print(("[green]Right.[/] " if self.diagnosis.ok else "[red]Wrong.[/] ") + self.diagnosis.message, markup=True)

    def text(self) -> str:
        with console.console.capture() as out:
            self.print()
        return out.get()


def first_batch(spec: Spec):
    """Initial weights and the first mini-batch (X, y) of the spec, as run uses them."""
    data, init, order = prepare(spec)
    idx = next(harness.batches(order, spec.batch_size))[2]
    return init, data.X_train[idx], data.y_train[idx]


def others(spec: Spec) -> list[str]:
    """The installed frameworks of the spec besides the NumPy reference."""
    return [n for n in ("torch", "tensorflow") if n in spec.frameworks and implementations.installed(n)]


def fd_grade(fd, k: int) -> str:
    """The CS231n grade of a tensor, saying how many entries stepped over a ReLU kink and were skipped."""
    n = int(fd["kinks"][k]) if "kinks" in fd else 0
    if n and n == fd["checked"][k]:
        return f"- (all {n} at a ReLU kink)"
    return fd["grade"][k] + (f", {n} ReLU kink{'s' if n > 1 else ''} skipped" if n else "")


def check(fn: Callable, spec: Spec, *, params=None, X=None, y=None, steps: int = 0, fd: bool = True) -> Report:
    """Call fn(params, X, y) at the spec's initial weights on its first mini-batch and grade every tensor
    (fd=False skips the finite differences of the learner's own loss, the slowest part)."""
    if params is None:
        params, X, y = first_batch(spec)
    loss, grads = call(fn, params, X, y)
    ref_loss, ref_grads = implementations.build("numpy", spec, params).gradients(X, y)
    theirs = {n: implementations.build(n, spec, params).gradients(X, y) for n in others(spec)}
    tol = TOL[spec.dtype]
    names = weights.names(len(params), "d")
    shaped = [[g if g.shape == r.shape else np.zeros_like(r) for g, r in zip(pair, ref)] for pair, ref in zip(grads, ref_grads)]
    if fd:
        with contextlib.redirect_stdout(io.StringIO()):  # their prints once, not once per perturbed entry
            signs = None
            if "relu" in spec.activations:
                signs = finite_diff.relu_signs(implementations.build("numpy", spec.replace(dtype="float64"), params), X.astype(np.float64))
            fd = finite_diff.check(lambda p: call(fn, p, X, y)[0], params, shaped, names, signs=signs, max_entries=FD_ENTRIES)
    else:
        fd = {"max_rel_error": [None] * len(names), "grade": ["-"] * len(names)}
    diagnosis = diagnose(spec, params, X, y, loss, grads, ref_loss, ref_grads, tol)
    rows = [
        {
            "tensor": "loss",
            "shape": "()",
            "max_abs": abs(loss - ref_loss),
            "rel_numpy": rel(loss, ref_loss),
            **{f"rel_{n}": rel(loss, lt) for n, (lt, _) in theirs.items()},
            "finite_diff": None,
            "fd_grade": "-",
            "verdict": "right" if rel(loss, ref_loss) <= tol else "WRONG",
        }
    ]
    for layer in reversed(range(len(params))):
        for slot in (0, 1):
            k = 2 * layer + slot
            g, r = grads[layer][slot], ref_grads[layer][slot]
            row = {"tensor": names[k], "shape": str(g.shape)}
            if g.shape != r.shape:
                rows.append({**row, "fd_grade": "-", "verdict": f"wrong shape, expected {r.shape}"})
                continue
            d = rel(g, r)
            verdict = "right" if d <= tol else ("convention" if diagnosis.mistake == "relu_zero" else "WRONG")
            rows.append(
                {
                    **row,
                    "max_abs": float(np.max(np.abs(g - r), initial=0.0)),
                    "rel_numpy": d,
                    **{f"rel_{n}": rel(g, gs[layer][slot]) for n, (_, gs) in theirs.items()},
                    "finite_diff": fd["max_rel_error"][k],
                    "fd_grade": fd_grade(fd, k),
                    "verdict": verdict,
                }
            )
    table = pd.DataFrame(rows)
    with contextlib.redirect_stdout(io.StringIO()):
        curves = train(fn, spec, steps) if steps else None
    return Report(spec, table, diagnosis, curves)


def train(fn: Callable, spec: Spec, steps: int) -> pd.DataFrame:
    """Plain SGD for `steps` mini-batches with the learner's gradients and with each framework, same batches."""
    spec = spec.replace(optimizer="sgd")
    data, init, _ = prepare(spec)
    params = init
    n = len(data.X_train)
    per_epoch = harness.steps_per_epoch(spec, n)
    order = harness.Schedule(spec.replace(epochs=math.ceil(steps / per_epoch)), n)
    batches = [idx for _, _, idx in harness.batches(order, spec.batch_size)][:steps]
    X, y = data.X_train, data.y_train
    yours, stopped = np.full(steps, np.nan), None
    for t, idx in enumerate(batches):
        try:
            yours[t], grads = call(fn, params, X[idx], y[idx])
            params = [(W - spec.lr * dW, b - spec.lr * db) for (W, b), (dW, db) in zip(params, grads)]
        except LearnerError as e:
            stopped = f"stopped at step {t + 1}: {str(e).splitlines()[0]}"
            break
        except ValueError as e:
            stopped = f"stopped at step {t + 1}: your gradients cannot update the weights ({e})"
            break
    done = int(np.isfinite(yours).sum())  # steps you completed: all of them unless your function stopped
    tol = TOL[spec.dtype] * (1 + np.arange(1, done + 1) / 100)
    rows = []
    for name in ["numpy", *others(spec)]:
        model = implementations.build(name, spec, init)
        curve = np.array([model.train_step(X[idx], y[idx]) for idx in batches])
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
                "note": stopped or "",
            }
        )
    frame = pd.DataFrame(rows)
    return frame if stopped else frame.drop(columns="note")


def assert_gradients_match(fn: Callable, spec: Spec | None = None, **fields) -> Report:
    """Fail with the per-tensor table and the diagnosis unless fn's loss and gradients match the reference.

    fields are Spec fields, e.g. layers=(2, 3, 1), activation="sigmoid", loss="mse"."""
    if "loss" in fields and "output" not in fields:
        fields["output"] = None  # the loss's default output, not the base spec's
    spec = (spec or Spec()).replace(**fields)
    result = check(fn, spec)
    if not result.ok:
        raise AssertionError("\n" + result.text())
    return result
