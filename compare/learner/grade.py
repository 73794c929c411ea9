"""Check a learner's backprop against the NumPy reference, the frameworks and finite differences, in the learner's
layout, containers and conventions: their code opened (side.py), called on the spec's first mini-batch (batches.py;
a script on its own), every tensor judged in their convention (per_tensor.py), the mistake named (diagnose.py), the
line found (locate.py). keywords.py calls check() with keywords, as a notebook or a test suite does."""

from __future__ import annotations

import contextlib
import io
from collections.abc import Callable

import numpy as np

from compare.errors import LearnerError
from compare.learner import batches, conventions, diagnose, locate, per_tensor, reference, training
from compare.learner import model as models
from compare.learner.calling import Batch
from compare.learner.case import TOL, Case
from compare.learner.evidence import Evidence
from compare.learner.layouts import Form
from compare.learner.report import Report
from compare.learner.side import Options, Setup, Side
from compare.shared import harness, weights
from compare.shared.spec import Spec

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
        spec, (params, X, y), data_notes = batches.fitting_batch(spec, dataset_given, sizes_given)
    masks = harness.Dropout(spec).draw(len(X)) if spec.dropout > 0 else None
    setup = Setup(
        spec.layers, sizes_given, False if not spec.bias else None, params, X, y, spec.layers[-1], lr, spec.l2, spec.seed, spec.activation
    )
    opened = learner.open(setup)
    spec, notes = batches.opened_spec(spec, opened, sizes_given)
    if opened.step is not None:  # a script: its own weights, batch and step
        params, X, y, masks = opened.step.params, opened.step.X, batches.targets_for(spec, opened.step.y), None
        spec = spec.replace(batch_size=len(X))
    elif not given and (spec.layers != setup.sizes or not spec.bias and params[0][1] is not None):
        spec, (params, X, y), data_notes = batches.fitting_batch(spec.replace(dataset=asked), dataset_given)
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
    fd_result, no_fd = per_tensor.finite_differences(learner, case, got, model, fd, opened)
    fd_agrees = no_fd is None and all(str(g).split(",")[0] in ("good", "acceptable") for g in fd_result["grade"])
    expected = model.grads(ref.grads, params)
    under = ""
    if model.convention is not None and model.c != 1:
        conv = model.convention
        under = f"Under your convention ({conv.name}, {conv.factor_words(case.N, case.outputs)} × the spec's loss): "
    evidence = Evidence(case, loss, got.grads, expected, model.loss(ref.loss, params), ref.grads, model, fd_agrees, under, strength, source)
    diagnosis = diagnose.diagnose(evidence)
    table = per_tensor.table(case, got, loss, expected, evidence.expected_loss, model, ref, fd_result, diagnosis)
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
