"""A check's table, one row per tensor: its differences to the reference and to each framework, the finite
differences of the learner's own loss graded at the precision their code computes in, and the verdict."""

from __future__ import annotations

import contextlib
import io

import numpy as np
import pandas as pd

from compare.agree import finite_diff
from compare.errors import LearnerError
from compare.learner.calling import Batch
from compare.learner.case import Case
from compare.learner.numbers import close, rel
from compare.shared import implementations, weights
from compare.shared.spec import Spec

FD_ENTRIES = 40  # finite differences on at most this many entries per tensor (seeded sample)
FD_STEP = {"float64": finite_diff.H, "float32": 1e-2, "float16": 1e-1}  # round-off ~eps/h against truncation ~h²


def others(spec: Spec) -> list[str]:
    """The installed frameworks of the spec besides the NumPy reference."""
    return [n for n in ("torch", "tensorflow") if n in spec.frameworks and implementations.installed(n)]


def fd_grade(fd, k: int) -> str:
    """The CS231n grade of a tensor, saying how many entries stepped over a ReLU kink and were skipped."""
    n = int(fd["kinks"][k]) if "kinks" in fd else 0
    if n and n == fd["checked"][k]:
        return f"- (all {n} at a ReLU kink)"
    return fd["grade"][k] + (f", {n} ReLU kink{'s' if n > 1 else ''} skipped" if n else "")


def finite_differences(learner, case: Case, got, model, fd: bool, opened):
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


def table(case: Case, got, loss, expected, expected_loss, model, ref, fd, diagnosis) -> pd.DataFrame:
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
