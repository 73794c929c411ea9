"""check() called with keywords, as a notebook or a test suite calls it: spec fields and the command line's options
apart (spec_and_options), check_function, and assert_gradients_match for a learner's own tests."""

from __future__ import annotations

from collections.abc import Callable

from compare.learner.grade import check
from compare.learner.layouts import Form
from compare.learner.report import Report
from compare.shared.spec import Spec

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
