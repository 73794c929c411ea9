"""Check a learner's backprop against the NumPy reference, the frameworks and finite differences, in the learner's
layout, containers and conventions: their code opened (side.py), called on the spec's first mini-batch (or its own,
for a script), every tensor judged in their convention, the mistake named (diagnose.py), the line found (tracer.py)."""

from __future__ import annotations

import contextlib
import io
from collections.abc import Callable

import numpy as np
import pandas as pd

from compare.agree import finite_diff
from compare.errors import LearnerError, SpecError
from compare.experiment.pipeline import prepare
from compare.learner import conventions, diagnose, locate, reference, training
from compare.learner import model as models
from compare.learner.calling import Batch
from compare.learner.case import TOL, Case
from compare.learner.layouts import Form
from compare.learner.numbers import close, rel
from compare.learner.report import Report
from compare.learner.side import Options, Setup, Side
from compare.shared import harness, implementations, weights
from compare.shared.data import fitting_layers
from compare.shared.spec import Spec

FD_ENTRIES = 40  # finite differences on at most this many entries per tensor (seeded sample)
FD_STEP = {"float64": finite_diff.H, "float32": 1e-2, "float16": 1e-1}  # round-off ~eps/h against truncation ~h²
ROWS = Form()
NO_MASKS_NOTE = (
    "Your function takes no dropout masks, so it was checked without dropout (every unit kept). To check your dropout, "
    "add a parameter `masks`: one array per hidden layer, 0 where a unit is dropped and 1 / (1 - p) where it is kept, "
    "shaped like that layer's activations in your layout; multiply by it forward and back (use masks[l] > 0 where your "
    "code divides by keep_prob itself)."
)


SCALE_SHIFT_NOTE = "Batch norm's gamma and beta drawn off 1 and 0 (seeded): at their start a slip in gamma's path cannot show."


def off_start(params, seed: int) -> list:
    """The layers' weights, and batch norm's (gamma, beta) drawn from U(0.5, 2) and U(-1, 1): a trained network's."""
    rng, n = np.random.default_rng([seed, 24]), weights.n_linear(params)
    return params[:n] + [(rng.uniform(0.5, 2, g.shape).astype(g.dtype), rng.uniform(-1, 1, b.shape).astype(b.dtype)) for g, b in params[n:]]


def precision_note(dtype: str) -> str:
    return f"Your code computes in {dtype}; judged at {dtype} tolerance ({TOL[dtype]:.0e}), finite differences graded at {dtype} precision.".replace(
        "e-0", "e-"
    )


def stateless(first, again, name: str) -> None:
    """Refuse a step that is not plain SGD: from the same weights, a second call steps elsewhere (their momentum or
    Adam keeps state), in one line naming what it looks like and where to check it instead."""
    if all(np.allclose(a, b, rtol=1e-9, atol=0) for pa, pb in zip(first.grads, again.grads) for a, b in zip(pa, pb) if a is not None):
        return
    ratios = np.concatenate([np.abs(g).ravel() for pair in first.grads for g in pair if g is not None])
    ratios = ratios[ratios > 0]
    if len(ratios) and np.allclose(ratios, ratios[0], rtol=1e-3):
        kind = (
            "Adam's first step (±lr in every entry)" if abs(ratios[0] - 1) < 1e-3 else "RMSprop's first step (the same size in every entry)"
        )
    else:
        kind = "momentum (the second step carries some of the first)"
    raise LearnerError(
        f"{name} keeps state between steps: from the same weights its second step differs from its first, like {kind}. "
        "The check reads a step as the gradient only for plain SGD: check your update with mlp-compare check-optimizer, "
        "and your gradients where your code computes them (--function NAME)"
    )


def first_batch(spec: Spec):
    """Initial weights and the first mini-batch (X, y) of the spec, as run uses them."""
    data, init, order = prepare(spec)
    idx = next(harness.batches(order, spec.batch_size))[2]
    return init, data.X_train[idx], data.y_train[idx]


def targets_for(spec: Spec, y: np.ndarray) -> np.ndarray:
    """A script's targets as the spec's loss takes them: class labels one-hot for several sigmoid or mse outputs,
    one-hot rows as labels for softmax cross-entropy."""
    outputs = spec.layers[-1]
    if y.ndim == 1 and y.dtype.kind in "iu" and outputs > 1 and not spec.loss_kind.labels:
        return np.eye(outputs)[y]
    if spec.loss_kind.labels and y.ndim == 2 and y.shape[1] == outputs > 1 and np.all(y.sum(axis=1) == 1) and np.all((y == 0) | (y == 1)):
        return np.argmax(y, axis=1)
    return y


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


def others(spec: Spec) -> list[str]:
    """The installed frameworks of the spec besides the NumPy reference."""
    return [n for n in ("torch", "tensorflow") if n in spec.frameworks and implementations.installed(n)]


def fd_grade(fd, k: int) -> str:
    """The CS231n grade of a tensor, saying how many entries stepped over a ReLU kink and were skipped."""
    n = int(fd["kinks"][k]) if "kinks" in fd else 0
    if n and n == fd["checked"][k]:
        return f"- (all {n} at a ReLU kink)"
    return fd["grade"][k] + (f", {n} ReLU kink{'s' if n > 1 else ''} skipped" if n else "")


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


def check(
    fn,
    spec: Spec,
    *,
    params=None,
    X=None,
    y=None,
    steps: int = 0,
    fd: bool = True,
    form: Form = ROWS,
    convention=None,
    loss_function: Callable | str | None = None,
    trace: bool = True,
    options: Options | None = None,
    learner=None,
    sizes_given: bool = True,
    lr: float | None = None,
    dataset_given: bool = True,
) -> Report:
    """Open the learner's code (fn: a callable, a class, a bound method, or a file path), call it at the spec's initial
    weights on its first mini-batch, judge every tensor, name the mistake and the line; fd=False skips the finite
    differences of their own loss, trace=False the line; steps: also train that many steps with their gradients."""
    declared = conventions.parse(convention) if isinstance(convention, str) else convention
    options = options or Options(form=form, form_given=form != ROWS, loss_function=loss_function)
    learner = learner or Side(fn, options)
    given = params is not None
    data_notes, asked = [], spec.dataset
    if not given:
        spec, (params, X, y), data_notes = fitting_batch(spec, dataset_given, sizes_given)
    masks = harness.Dropout(spec).draw(len(X)) if spec.dropout > 0 else None
    setup = Setup(spec.layers, sizes_given, False if not spec.bias else None, params, X, y, spec.layers[-1], lr, spec.l2, spec.seed)
    opened = learner.open(setup)
    spec, notes = opened_spec(spec, opened, sizes_given)
    if opened.step is not None:  # a script: its own weights, batch and step
        params, X, y, masks = opened.step.params, opened.step.X, targets_for(spec, opened.step.y), None
        spec = spec.replace(batch_size=len(X))
    elif not given and (spec.layers != setup.sizes or not spec.bias and params[0][1] is not None):
        spec, (params, X, y), data_notes = fitting_batch(spec.replace(dataset=asked), dataset_given)
    if spec.bn_affine and not given and opened.step is None:
        params = off_start(params, spec.seed)
        notes.append(SCALE_SHIFT_NOTE)
    if spec.dropout == 0 and opened.requires_masks:
        raise LearnerError(f"{opened.name} takes dropout masks, and the spec has no dropout: give --dropout p, the rate your code drops at")
    masks = masks if opened.takes_masks else None
    notes = (opened.words and [f"Bound: {'; '.join(opened.words)}."] + notes or notes) + (data_notes if opened.step is None else [])
    batch = Batch(params, X, y, masks, spec.layers[-1], lr, spec.l2)
    got = opened.step.got if opened.step is not None else learner.call(batch)
    if got.step is not None and opened.step is None:
        stateless(got, learner.call(batch), opened.name)
    case = Case(spec, params, X, y, masks, opened.form, TOL[got.dtype if spec.dtype == "float64" else spec.dtype], declared)
    ref = reference.build(spec, params, X, y, masks)
    loss = got.loss
    if loss is None and opened.has_loss_function:  # gradients alone: their loss function says what they descend
        loss = learner.losses([batch])[0]
    strength, source = (spec.l2, "--l2") if spec.l2 > 0 else (opened.strength[1], opened.strength[0]) if opened.strength else (0.0, "")
    n_data = opened.step.data_size if opened.step is not None else 0
    shown = _output_delta_scales(opened.step.records, ref, len(params), case.tol) if opened.step is not None else ()
    model = models.fit(
        spec, loss, got.grads, ref.loss, ref.grads, params, case.N, case.outputs, case.tol, declared, strength, n_data, shown
    )
    fd_result, no_fd = _finite_differences(learner, case, got, model, fd, opened)
    fd_agrees = no_fd is None and all(str(g).split(",")[0] in ("good", "acceptable") for g in fd_result["grade"])
    expected = model.grads(ref.grads, params)
    under = ""
    if model.convention is not None and model.c != 1:
        conv = model.convention
        under = f"Under your convention ({conv.name}, {conv.factor_words(case.N, case.outputs)} × the spec's loss): "
    evidence = diagnose.Evidence(
        case, loss, got.grads, expected, model.loss(ref.loss, params), ref.grads, model, fd_agrees, under, strength, source
    )
    diagnosis = diagnose.diagnose(evidence)
    table = _table(case, got, loss, expected, evidence.expected_loss, model, ref, fd_result, diagnosis)
    if got.dtype != "float64" and spec.dtype == "float64":
        notes.append(precision_note(got.dtype))
    if spec.dropout > 0 and not opened.takes_masks:
        notes.append(NO_MASKS_NOTE)
    if got.step is not None:
        notes.append(
            f"Your code takes the step itself: read as gradients = (weights before - after) / lr, lr = {got.lr:g} ({got.lr_words})."
        )
    if got.changed:
        notes.append(f"Your code changed its inputs in place: {', '.join(got.changed)} (the check hands it copies).")
    line = None
    if trace and not diagnosis.ok and diagnosis.first_wrong is not None:
        with contextlib.redirect_stdout(io.StringIO()):
            line = locate.locate(learner, case, batch, diagnosis, got, ref)
    curves = None
    if steps:
        if opened.step is not None:
            notes.append("--steps: a script trains itself; its first step is what was checked.")
        else:
            with contextlib.redirect_stdout(io.StringIO()):
                curves = training.train(learner, spec, steps, model, got.dtype, takes_masks=opened.takes_masks)
    return Report(spec, table, diagnosis, curves, line, notes, opened.printed + got.printed)


def _output_delta_scales(records, ref, layers: int, tol: float) -> tuple[float, ...]:
    """The factors at which a script's recorded values show the reference's output delta dZ (its convention, seen
    where it is computed: with no loss reported, two conventions can explain a step equally well)."""
    dZ = ref.named.get(f"dZ{layers}")
    if dZ is None or not np.all(dZ):
        return ()
    scales = set()
    for r in records:
        if isinstance(r.value, np.ndarray) and r.value.size == dZ.size and r.value.size:
            a = r.value.reshape(dZ.shape) if r.value.shape != dZ.T.shape or dZ.ndim < 2 or dZ.shape[0] == dZ.shape[1] else r.value.T
            ratio = np.ravel(a / dZ)
            if np.allclose(ratio, ratio[0], rtol=tol, atol=0) and ratio[0] != 0:
                scales.add(float(ratio[0]))
    return tuple(scales)


def _finite_differences(learner, case: Case, got, model, fd: bool, opened):
    """Central differences of the learner's own loss (×N where their gradients descend N × the mean they report),
    graded at the precision their code computes in; or why there are none."""
    names = weights.spec_names(case.spec, "d")
    has_loss = got.loss is not None or opened.has_loss_function
    if not fd or not has_loss or opened.step is not None:
        no_fd = "- (no loss: --loss-function NAME)" if fd and opened.step is None else "-"
        return {"max_rel_error": [None] * len(names), "grade": [no_fd] * len(names)}, no_fd
    objective = model.c / model.c_loss
    spec = case.spec

    def loss_of(p):
        value = learner.losses([Batch([(W, b) for W, b in p], case.X, case.y, case.masks, case.classes, None, spec.l2)])[0]
        if value is None:
            raise LearnerError("your loss could not be computed at perturbed weights")
        return objective * value

    shaped = [
        (g if g.shape == r.shape else np.zeros_like(r), gb if gb is None or gb.shape == rb.shape else np.zeros_like(rb))
        for (g, gb), (r, rb) in zip(got.grads, case.params)
    ]
    with contextlib.redirect_stdout(io.StringIO()):
        signs = None
        if "relu" in spec.activations:
            signs = finite_diff.relu_signs(
                implementations.build("numpy", spec.replace(dtype="float64"), case.params), case.X.astype(np.float64)
            )
        fd_result = finite_diff.check(loss_of, case.params, shaped, names, signs=signs, max_entries=FD_ENTRIES, h=FD_STEP[got.dtype])
    if got.dtype != "float64":
        fd_result["grade"] = [finite_diff.grade(e, float32=True) for e in fd_result["max_rel_error"]]
    return fd_result, None


def _table(case: Case, got, loss, expected, expected_loss, model, ref, fd, diagnosis) -> pd.DataFrame:
    """One row per tensor (the loss first, then the output layer's dW, db, walking back): shape, differences to the
    reference and each framework, finite differences, verdict."""
    spec, tol, form = case.spec, case.tol, case.form
    theirs = {n: implementations.build(n, spec, case.params).gradients(case.X, case.y, case.masks) for n in others(spec)}
    names, linear = weights.spec_names(spec, "d"), weights.n_linear(case.params)
    rows = []
    if loss is not None:
        rows.append(
            {
                "tensor": "loss",
                "shape": "()",
                "max_abs": abs(loss - expected_loss),
                "rel_numpy": rel(loss, expected_loss),
                **{
                    f"rel_{n}": rel(loss, expected_loss - model.loss(ref.loss, case.params) + model.c_loss * lt)
                    for n, (lt, _) in theirs.items()
                },
                "finite_diff": None,
                "fd_grade": "-",
                "verdict": "right" if close(loss, expected_loss, tol) else "WRONG",
            }
        )
    k = 0
    index = {n: i for i, n in enumerate(names)}
    for layer in weights.walk_back(case.params):
        for slot in (0, 1) if spec.bias or layer >= linear else (0,):
            name = weights.pair_names(linear, layer, "d")[slot]
            k = index[name]
            g, r = got.grads[layer][slot], expected[layer][slot]
            row = {"tensor": name, "shape": str(got.shapes.get(name, np.shape(g)))}
            if np.shape(g) != r.shape:
                rows.append(
                    {
                        **row,
                        "fd_grade": "-",
                        "verdict": "wrong shape, expected " + str(form.weight(r).shape if slot == 0 else form.bias(r).shape),
                    }
                )
                continue
            verdict = "right" if close(g, r, tol) else ("convention" if diagnosis.mistakes == ("relu_zero",) else "WRONG")
            frames = {}
            for n, (_, gs) in theirs.items():
                data = gs[layer][slot] - (
                    spec.l2 * case.params[layer][slot] if spec.l2 and layer < linear and (slot == 0 or spec.decay_biases) else 0
                )
                frames[f"rel_{n}"] = rel(g, expected[layer][slot] - model.c * ref.grads[layer][slot] + model.c * data)
            rows.append(
                {
                    **row,
                    "max_abs": float(np.max(np.abs(g - r), initial=0.0)),
                    "rel_numpy": rel(g, r),
                    **frames,
                    "finite_diff": fd["max_rel_error"][k],
                    "fd_grade": fd_grade(fd, k),
                    "verdict": verdict,
                }
            )
    return pd.DataFrame(rows)


OPTIONS = ("params", "X", "y", "steps", "fd", "form", "convention", "loss_function", "trace", "lr")


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
