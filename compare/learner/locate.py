"""Find the line: the learner's code re-run under the tracer on the check's batch (a script's own first step as it
ran), the reference's intermediates put in their layout and convention, and the dataflow searched (dataflow.py, tracer.py)."""

from __future__ import annotations

import linecache
from dataclasses import replace

import numpy as np

from compare.learner import dataflow, naming, reference, tracer
from compare.learner.case import Case
from compare.learner.layouts import Form
from compare.learner.model import L2Form
from compare.learner.numbers import canonical, close
from compare.shared.weights import n_linear, pair_names


def in_layout(form: Form, named: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The canonical intermediates as the learner's code holds them: W and dW in their layout, batch tensors with
    samples as columns where theirs are."""
    out = {}
    for name, value in named.items():
        if name.startswith(("dW", "W")):
            out[name] = form.weight(value)
        elif name.startswith(("db", "b")) or name == "loss" or np.ndim(value) < 2:
            out[name] = value
        else:
            out[name] = form.batch(value)
    return out


def slipped(case: Case, diagnosis, ref, right: dict) -> dict[str, np.ndarray]:
    """The intermediates of the reference with the diagnosed slip put in, in their layout and convention."""
    model, form = diagnosis.model, case.form
    plan = diagnosis.plan or {}
    if "l2" in plan:
        lam = (model.l2.lam if model.l2 else 0.0) or case.spec.l2
        how = plan["l2"]
        changed = {"missing": L2Form(0.0), "double": L2Form(2 * lam), "half": L2Form(lam / 2), "biases": L2Form(lam, lam)}[how]
        return in_layout(form, reference.scaled(ref, replace(model, l2=changed), case.params))
    if plan:
        other = reference.build(case.spec, case.params, case.X, case.y, case.masks, plan)
        return in_layout(form, reference.scaled(other, model, case.params))
    if diagnosis.factor is not None:
        return {}  # a scale slip: where the factor enters is the scale's own search (tracer._scale_culprit)
    if diagnosis.mistakes == ("transposed",):
        return {k: v.T for k, v in right.items() if k.startswith("dW")}
    if diagnosis.mistakes == ("bias_sum",):
        return {f"db{k[2:]}": v for k, v in right.items() if k.startswith("dZ")}
    return {}


def locate(learner, case: Case, batch, diagnosis, got, ref) -> str:
    """The first line whose value departs while what it read was right, in words (or why tracing could not tell:
    it never stops the check)."""
    try:
        return _locate(learner, case, batch, diagnosis, got, ref)
    except Exception as e:  # their code or ours: the tensor-level diagnosis stands either way
        return f"Tracing could not tell the line ({type(e).__name__}: {e}); the tensor-level diagnosis above stands."


def _locate(learner, case: Case, batch, diagnosis, got, ref) -> str:
    linecache.checkcache()  # their file may have changed since this process last read it (a notebook, a watch loop)
    form, model = case.form, diagnosis.model
    if form.per_sample:  # traced on the first sample alone: the reference and the convention for one sample
        one = [m[:1] for m in case.masks] if case.masks is not None else None
        case = replace(case, X=case.X[:1], y=case.y[:1], masks=one)
        ref = reference.build(case.spec, case.params, case.X, case.y, one)
        per = model.convention.per_sample() if model.convention else None
        c = per.factor(1, case.outputs) if per else 1.0
        diagnosis = replace(diagnosis, model=replace(model, convention=per, c=c, c_loss=c))
    right = in_layout(form, reference.scaled(ref, diagnosis.model, case.params))
    bad = slipped(case, diagnosis, ref, right)
    traced = learner.trace(batch)
    lr = traced.got.lr if traced.got is not None and traced.got.step is not None else None
    nodes = dataflow.graph(traced.records, right, bad, case.tol, lr)
    theirs = _theirs(traced.got, form, case) if traced.got is not None else {}
    if traced.got is not None and traced.got.loss is not None:
        theirs["loss"] = traced.got.loss
    final = dataflow.finals(nodes, theirs, lr)
    wrong = {k: v for k, v in final.items() if not _equal(theirs[k], right[k], case.tol)}
    ok = {k: v for k, v in final.items() if k not in wrong}
    node = tracer.culprit(nodes, wrong, ok, diagnosis.factor, case.N, planned=bool(diagnosis.plan))
    if node is None:
        return (
            f"Tracing could not tell the line: {diagnosis.first_wrong}'s wrong value never appears in a variable of your code "
            f"(it may be computed inside a return or in place); the tensor-level diagnosis above stands."
        )
    return naming.describe(node, nodes, right, bad)


def _equal(theirs, ref, tol: float) -> bool:
    if np.ndim(ref) == 0:
        return close(theirs, ref, tol)
    a = canonical(theirs, ref)
    return a is not None and close(a, ref, tol)


def _theirs(got, form: Form, case: Case) -> dict[str, np.ndarray]:
    """The learner's final gradients, as their code holds them (their layout)."""
    out, n = {}, n_linear(case.params)
    for k, (dW, db) in enumerate(got.grads):
        names = pair_names(n, k, "d")
        out[names[0]] = form.weight(dW) if k < n else form.bias(dW)  # what their code held (the reader's transform is its own inverse)
        if db is not None:
            out[names[1]] = form.bias(db) if db.ndim == 1 else form.batch(db)
    return out
