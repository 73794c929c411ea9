"""Check a learner's function against the NumPy reference, the frameworks and finite differences, in the learner's
layout, containers and loss convention; the wrong line found by the tracer."""

from __future__ import annotations

import contextlib
import io
import math
from collections.abc import Callable

import numpy as np
import pandas as pd

from compare.agree import finite_diff
from compare.agree.differences import curve_diff
from compare.agree.tolerances import growth
from compare.errors import LearnerError
from compare.experiment.pipeline import prepare
from compare.learner import conventions, tracer
from compare.learner.conventions import Convention
from compare.learner.diagnose import close, diagnose, rel
from compare.learner.layouts import Form
from compare.learner.loading import call, call_loss, takes_masks
from compare.learner.report import Report
from compare.shared import harness, implementations, weights
from compare.shared.spec import Spec

# Learner against reference, max|a - b| / max|b| per tensor. Another summation order or another
# formula (1 / (1 + e^-z) for the stable sigmoid) moves the last digits (~1e-15 in float64, ~1e-6 in
# float32); every known backprop mistake moves the first.
TOL = {"float64": 1e-7, "float32": 1e-4}
FD_ENTRIES = 40  # finite differences on at most this many entries per tensor (seeded sample)
FD_STEP = {"float64": finite_diff.H, "float32": 1e-2}  # float32: round-off ~1e-7/h against truncation ~h²
FLOAT32_NOTE = (
    f"Your code computes in float32; judged at float32 tolerance ({TOL['float32']:.0e}), finite differences graded at float32 precision."
).replace("e-0", "e-")  # 1e-4
ROWS = Form()
NO_MASKS_NOTE = (
    "Your function takes no dropout masks, so it was checked without dropout (every unit kept). To check your dropout, "
    "add a parameter `masks`: one array per hidden layer, 0 where a unit is dropped and 1 / (1 - p) where it is kept, "
    "shaped like that layer's activations in your layout; multiply by it forward and back (use masks[l] > 0 where your "
    "code divides by keep_prob itself)."
)


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


def finite_differences(loss_of, spec, params, X, grads, names, float32: bool):
    """Central differences of the learner's own loss, graded at the precision their code computes in."""
    with contextlib.redirect_stdout(io.StringIO()):  # their prints once, not once per perturbed entry
        signs = None
        if "relu" in spec.activations:
            signs = finite_diff.relu_signs(implementations.build("numpy", spec.replace(dtype="float64"), params), X.astype(np.float64))
        h = FD_STEP["float32" if float32 else "float64"]
        fd = finite_diff.check(loss_of, params, grads, names, signs=signs, max_entries=FD_ENTRIES, h=h)
    if float32:
        fd["grade"] = [finite_diff.grade(e, float32=True) for e in fd["max_rel_error"]]
    return fd


def check(
    fn: Callable,
    spec: Spec,
    *,
    params=None,
    X=None,
    y=None,
    steps: int = 0,
    fd: bool = True,
    form: Form = ROWS,
    convention: str | Convention | None = None,
    loss_function: Callable | None = None,
    trace: bool = True,
) -> Report:
    """Call fn at the spec's initial weights on its first mini-batch, in the learner's form, and grade every tensor
    (fd=False skips the finite differences of the learner's own loss, the slowest part; trace=False the wrong line)."""
    if params is None:
        params, X, y = first_batch(spec)
    declared = conventions.parse(convention) if isinstance(convention, str) else convention
    classes = spec.layers[-1]
    if spec.dropout == 0 and takes_masks(fn, required=True):
        name = getattr(fn, "__name__", "your function")
        raise LearnerError(f"{name} takes dropout masks, and the spec has no dropout: give --dropout p, the rate your code drops at")
    masks = harness.Dropout(spec).draw(len(X)) if spec.dropout > 0 and takes_masks(fn) else None  # the first step's
    got = call(fn, params, X, y, form, classes, masks)
    loss, grads = got.loss, got.grads
    if loss is None and loss_function is not None:  # gradients only: their loss function says what they descend
        loss = call_loss(loss_function, params, X, y, form, classes, masks)
    ref_loss, ref_grads = implementations.build("numpy", spec, params).gradients(X, y, masks)
    theirs = {n: implementations.build(n, spec, params).gradients(X, y, masks) for n in others(spec)}
    float32 = got.float32 and spec.dtype == "float64"
    tol = TOL["float32" if float32 else spec.dtype]
    names = weights.names(len(params), "d")
    shaped = [[g if g.shape == r.shape else np.zeros_like(r) for g, r in zip(pair, ref)] for pair, ref in zip(grads, ref_grads)]
    N, outputs = len(X), 1 if spec.loss_kind.labels else spec.layers[-1]
    objective = N if conventions.reports_mean(declared, loss, ref_loss, N, outputs, tol) else 1  # what their gradients descend
    no_fd = None
    if fd and (loss is not None or loss_function is not None):
        if loss_function is not None:
            loss_of = lambda p: objective * call_loss(loss_function, p, X, y, form, classes, masks)  # noqa: E731
        else:
            loss_of = lambda p: objective * call(fn, p, X, y, form, classes, masks).loss  # noqa: E731
        fd = finite_differences(loss_of, spec, params, X, shaped, names, float32)
    else:
        no_fd = "- (no loss: --loss-function NAME)" if fd else "-"
        fd = {"max_rel_error": [None] * len(names), "grade": [no_fd] * len(names)}
    fd_agrees = no_fd is None and all(str(g).split(",")[0] in ("good", "acceptable") for g in fd["grade"])
    diagnosis = diagnose(
        spec, params, X, y, loss, grads, ref_loss, ref_grads, tol, masks, form=form, declared=declared, fd_agrees=fd_agrees
    )
    c = diagnosis.scale
    rows = []
    if loss is not None:
        loss_ref = c * ref_loss / objective
        rows.append(
            {
                "tensor": "loss",
                "shape": "()",
                "max_abs": abs(loss - loss_ref),
                "rel_numpy": rel(loss, loss_ref),
                **{f"rel_{n}": rel(loss, loss_ref / ref_loss * lt if ref_loss else c * lt) for n, (lt, _) in theirs.items()},
                "finite_diff": None,
                "fd_grade": "-",
                "verdict": "right" if close(loss, loss_ref, tol) else "WRONG",
            }
        )
    for layer in reversed(range(len(params))):
        for slot in (0, 1):
            k = 2 * layer + slot
            g, r = grads[layer][slot], c * ref_grads[layer][slot]
            row = {"tensor": names[k], "shape": str(got.shapes.get(names[k], g.shape))}
            if g.shape != r.shape:
                rows.append(
                    {
                        **row,
                        "fd_grade": "-",
                        "verdict": "wrong shape, expected " + str(form.weight(r).shape if slot == 0 else form.bias(r).shape),
                    }
                )
                continue
            d = rel(g, r)
            verdict = "right" if close(g, r, tol) else ("convention" if diagnosis.mistake == "relu_zero" else "WRONG")
            rows.append(
                {
                    **row,
                    "max_abs": float(np.max(np.abs(g - r), initial=0.0)),
                    "rel_numpy": d,
                    **{f"rel_{n}": rel(g, c * gs[layer][slot]) for n, (_, gs) in theirs.items()},
                    "finite_diff": fd["max_rel_error"][k],
                    "fd_grade": fd_grade(fd, k),
                    "verdict": verdict,
                }
            )
    table = pd.DataFrame(rows)
    notes = ([FLOAT32_NOTE] if float32 else []) + ([NO_MASKS_NOTE] if spec.dropout > 0 and masks is None else [])
    line = None
    if trace and not diagnosis.ok and diagnosis.first_wrong is not None:
        with contextlib.redirect_stdout(io.StringIO()):
            line = tracer.locate(fn, spec, params, X, y, form, diagnosis, tol, masks)
    with contextlib.redirect_stdout(io.StringIO()):
        curves = train(fn, spec, steps, form, c, c / objective, float32) if steps else None
    return Report(spec, table, diagnosis, curves, line, notes)


def train(
    fn: Callable, spec: Spec, steps: int, form: Form = ROWS, scale: float = 1.0, loss_scale: float | None = None, float32: bool = False
) -> pd.DataFrame:
    """Plain SGD for `steps` mini-batches with the learner's gradients and with each framework, same batches; under a
    convention (scale ≠ 1) the frameworks train with lr × scale, the same update, and their loss is compared × loss_scale
    (the scale, unless the learner reports the mean of a loss whose sum they descend); float32: the learner's code
    computes in float32, judged at its tolerance."""
    loss_scale = scale if loss_scale is None else loss_scale
    spec = spec.replace(optimizer="sgd")
    data, init, _ = prepare(spec)
    params = init
    n = len(data.X_train)
    per_epoch = harness.steps_per_epoch(spec, n)
    order = harness.Schedule(spec.replace(epochs=math.ceil(steps / per_epoch)), n)
    batches = [idx for _, _, idx in harness.batches(order, spec.batch_size)][:steps]
    X, y = data.X_train, data.y_train
    dropout = harness.Dropout(spec) if spec.dropout > 0 and takes_masks(fn) else None
    masks = [dropout.draw(len(idx)) if dropout else None for idx in batches]  # every step's, the same for all
    yours, stopped = np.full(steps, np.nan), None
    for t, idx in enumerate(batches):
        try:
            got = call(fn, params, X[idx], y[idx], form, spec.layers[-1], masks[t])
            grads = got.grads
            if got.loss is None:  # gradients only: the reference's loss at their weights
                yours[t] = loss_scale * implementations.build("numpy", spec, params).loss(X[idx], y[idx], masks[t], training=True)
            else:
                yours[t] = got.loss
            params = [(W - spec.lr * dW, b - spec.lr * db) for (W, b), (dW, db) in zip(params, grads)]
        except LearnerError as e:
            stopped = f"stopped at step {t + 1}: {str(e).splitlines()[0]}"
            break
        except ValueError as e:
            stopped = f"stopped at step {t + 1}: your gradients cannot update the weights ({e})"
            break
    done = int(np.isfinite(yours).sum())  # steps you completed: all of them unless your function stopped
    tol = TOL["float32" if float32 else spec.dtype] * growth(np.arange(1, done + 1))
    rows = []
    for name in ["numpy", *others(spec)]:
        model = implementations.build(name, spec.replace(lr=spec.lr * scale), init)
        curve = loss_scale * np.array([model.train_step(X[idx], y[idx], m) for idx, m in zip(batches, masks)])
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
                **({"reference_lr": f"{spec.lr:g} × {scale:g} (your convention)"} if scale != 1 else {}),
                "note": stopped or "",
            }
        )
    frame = pd.DataFrame(rows)
    return frame if stopped else frame.drop(columns="note")


OPTIONS = ("params", "X", "y", "steps", "fd", "form", "convention", "loss_function", "trace")


def spec_and_options(spec: Spec | None, fields: dict) -> tuple[Spec, dict]:
    """Spec fields and check's options apart; the form given as a Form or as layout=, per_sample=, params=
    (a container name) and targets=."""
    options = {k: fields.pop(k) for k in OPTIONS if k in fields and not (k == "params" and isinstance(fields[k], str))}
    form = {k: fields.pop(k) for k in ("layout", "per_sample", "params", "targets") if k in fields}
    if form:
        options["form"] = Form(**form)
    if "loss" in fields and "output" not in fields:
        fields["output"] = None  # the loss's default output, not the base spec's
    return (spec or Spec()).replace(**fields), options


def check_function(fn: Callable, spec: Spec | None = None, **fields) -> Report:
    """check() for a notebook or a test suite: spec fields and the command line's options as keywords, e.g.
    check_function(fn, layers=(2, 3, 1), layout="columns", params="dict"); the report renders as HTML in Jupyter."""
    spec, options = spec_and_options(spec, fields)
    return check(fn, spec, **options)


def assert_gradients_match(fn: Callable, spec: Spec | None = None, **fields) -> Report:
    """Fail with the per-tensor table and the diagnosis unless fn's loss and gradients match the reference.

    fields are Spec fields, e.g. layers=(2, 3, 1), activation="sigmoid", loss="mse", and check's options
    (layout="columns", params="dict", per_sample=True, convention="half+outputs", ...)."""
    spec, options = spec_and_options(spec, fields)
    result = check(fn, spec, **options)
    if not result.ok:
        raise AssertionError("\n" + result.text())
    return result
