"""What a learner's code gives back, recognised without flags: (loss, grads), (loss, dWs, dbs) or the gradients
alone (their container read by reader.py); validated and turned into canonical (dW, db) rows (Returned), with the
precision it computed in; per-sample calls averaged."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from compare.errors import LearnerError
from compare.learner import norms
from compare.learner.layouts import Form, Params
from compare.learner.reader import Reader, array, finite, shape
from compare.shared.weights import n_linear


@dataclass
class Returned:
    """What the learner's code gave back, in canonical rows: the loss (None when it gives gradients only), [(dW, db),
    ...] in float64 (shapes that are a known mistake kept), the shapes as they came, the precision it computed in
    (float64, float32 or float16), and for a step taken in place the learning rate it was read with."""

    loss: float | None
    grads: Params
    shapes: dict[str, tuple]
    dtype: str = "float64"
    step: str | None = None  # None: gradients returned; "in place": weights changed; "returned": new weights returned
    lr: float | None = None  # the learning rate a step was divided by
    lr_words: str = ""  # where that learning rate was found
    changed: tuple[str, ...] = ()  # inputs the code changed in place: "X (all entries, divided by 255)"
    printed: str = ""  # what the code printed during the call

    @property
    def float32(self) -> bool:
        """Computed in less than float64 (float32 or float16)."""
        return self.dtype != "float64"


def precision(dtypes) -> str:
    """The lowest floating precision among what came back: float16, float32 or float64."""
    names = {str(np.dtype(d)) for d in dtypes if np.dtype(d).kind == "f"}
    return next((n for n in ("float16", "float32") if n in names), "float64")


def _number(value) -> bool:
    """A loss: a Python number or an array of one entry (not a gradient that happens to come first)."""
    return isinstance(value, (int, float, np.number)) and not isinstance(value, bool) or isinstance(value, np.ndarray) and value.size == 1


def split(out, name: str, params=None) -> tuple[object, object]:
    """(loss or None, grads) from what the function returned: (loss, grads), (loss, dWs, dbs), or the gradients alone
    (the weights' gradients alone too, [dW1, dW2], for a network without biases)."""
    if isinstance(out, dict):
        return None, out
    if not isinstance(out, (tuple, list)) or len(out) == 0:
        got = f"an empty {type(out).__name__}" if isinstance(out, (tuple, list)) else type(out).__name__
        raise LearnerError(f"{name} returned {got}; expected a pair (loss, grads) or the gradients alone")
    containers = (tuple, list, dict)
    weights = params is not None and len(out) == len(params) and all(shape(g) in (W.shape, W.T.shape) for g, (W, _) in zip(out, params))
    if len(out) == 2 and not isinstance(out[0], containers) and not weights:
        return out
    if len(out) == 3 and _number(out[0]) and all(isinstance(g, containers) for g in out[1:]):
        return out[0], list(out[1:])  # scikit-learn's _backprop: (loss, coef_grads, intercept_grads)
    if len(out) == 2 and isinstance(out[0], containers) and _number(out[1]):
        raise LearnerError(f"{name} returned (grads, loss); expected (loss, grads)")
    return None, out


def per_sample_hint(form: Form, grads: Params, n: int) -> None:
    """Gradients only, and every db with one entry per sample: a function written for one sample at a time."""
    shapes = [db.shape for _, db in grads if db is not None]
    if shapes and n > 1 and not form.per_sample and all(len(s) == 2 and n == s[0] for s in shapes):
        per = f"{'column' if form.columns else 'row'} per sample"
        raise LearnerError(
            f"every db comes back with one {per} ({', '.join(str(s[::-1] if form.columns else s) for s in shapes)}) and no loss: "
            "a function written for one sample at a time? try --per-sample"
        )


def read(out, form: Form, params: Params, n: int, name: str) -> Returned:
    """What one call returned, validated and in canonical rows."""
    loss, grads = split(out, name, params)
    if loss is not None:
        loss = array(loss, "the loss")
        if loss.size != 1:
            raise LearnerError(f"the loss has shape {loss.shape}; expected one number (the mean over the batch)")
        finite(loss, "the loss")
    linear = n_linear(params)
    grads, scale_shift = norms.apart(grads, linear, len(params) - linear) if linear < len(params) else (grads, [])
    reader = Reader(form, params[:linear], 1 if form.per_sample else n)
    canonical = reader.canonical(grads) + norms.canonical(scale_shift, params[linear:], reader.shapes)
    if loss is None:
        per_sample_hint(form, canonical, n)
    dtypes = [np.asarray(a).dtype for pair in reader.pairs(grads) + scale_shift for a in pair if a is not None] + (
        [loss.dtype] if loss is not None else []
    )
    return Returned(None if loss is None else float(loss.reshape(())), canonical, reader.shapes, precision(dtypes))


def mean(calls: list[Returned]) -> Returned:
    """The average of per-sample calls."""
    first = calls[0]
    for k, c in enumerate(calls[1:], start=2):
        for (dW, db), (fW, fb) in zip(c.grads, first.grads):
            if dW.shape != fW.shape or np.shape(db) != np.shape(fb):
                raise LearnerError(f"--per-sample: sample {k} returned gradients of other shapes than sample 1")
    losses = [c.loss for c in calls]
    bias = first.grads[0][1] is not None
    grads = [
        (np.mean([c.grads[i][0] for c in calls], axis=0), np.mean([c.grads[i][1] for c in calls], axis=0) if bias else None)
        for i in range(len(first.grads))
    ]
    loss = None if any(v is None for v in losses) else float(np.mean(losses))
    dtype = precision([c.dtype for c in calls])
    return Returned(
        loss, grads, first.shapes, dtype, first.step, first.lr, first.lr_words, tuple(dict.fromkeys(w for c in calls for w in c.changed))
    )
