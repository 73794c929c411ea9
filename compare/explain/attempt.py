"""One replay of the NumPy reference under some switches, measured against a framework's curve: to the suite's curve
tolerance for the framework's own dtype at every step (never widened), its first-batch gradients to the round-off bound
derived from the network, its eval-mode losses after training (batch norm)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from compare.agree import bounds, ulps
from compare.agree.tolerances import curve_tolerance
from compare.explain.switches import Switch, reference, sample_order
from compare.shared import harness, weights
from compare.shared.spec import Spec

EVAL = ("train_loss", "test_loss")  # eval-mode losses after training: where batch norm's running statistics show


@dataclass
class Attempt:
    """The NumPy reference under some switches, measured against one framework's curve."""

    switches: tuple[Switch, ...]
    steps: int  # steps compared before the first one over tolerance (all of them when matched)
    total: int  # steps the framework recorded
    max_rel: float  # largest per-step relative loss difference over the compared steps
    tol_ratio: float  # largest (relative difference / the curve tolerance of the framework's dtype) over the compared steps
    grad_rel: float | None  # worst per-tensor relative gradient difference on the first mini-batch, if known
    dtype: str  # the framework's own dtype, whose tolerance and bound decide
    grad_ratio: float = 0.0  # largest share of the round-off bound (both sides) the first-batch gradients use
    eval_rel: float | None = None  # largest relative difference of the eval-mode losses after training (batch norm), if compared
    eval_ratio: float = 0.0  # eval_rel / the curve's tolerance at its last step
    curve: np.ndarray | None = None  # the reference's losses (a full replay), to tell a switch that changes nothing
    grads: list | None = None  # the reference's first-batch gradients, likewise
    evals: dict | None = None  # the reference's eval-mode losses after a full replay, likewise

    @property
    def matched(self) -> bool:
        return self.steps == self.total and all(ulps.within(r) for r in (self.tol_ratio, self.grad_ratio, self.eval_ratio))

    @property
    def eval_off(self) -> bool:
        """The whole curve followed, but not the eval-mode losses after training."""
        return self.steps == self.total and ulps.within(self.tol_ratio) and not ulps.within(self.eval_ratio)

    @property
    def label(self) -> str:
        return " + ".join(s.label for s in self.switches) or "no switch"

    def same_as(self, other: Attempt, spec: Spec) -> bool:
        """Whether two full replays give the same numbers to round-off (the tolerance, the bound): a switch whose replay is
        the same as the reference's changes nothing on this spec."""
        if self.curve is None or other.curve is None or len(self.curve) != len(other.curve):
            return False
        with np.errstate(all="ignore"):
            a, b = self.curve, other.curve
            rel = np.where(np.isfinite(a) | np.isfinite(b), np.abs(a - b) / np.maximum(np.maximum(np.abs(a), np.abs(b)), 1e-300), 0.0)
        tol = curve_tolerance(self.dtype, np.arange(1, len(a) + 1), spec.adaptive)
        same_grads = (
            self.grads is None
            or other.grads is None
            or all(np.array_equal(x, y) or rel_close(x, y) for x, y in zip(self.grads, other.grads))
        )
        same_evals = self.evals is None or other.evals is None or eval_rel(self.evals, other.evals) <= tol[-1]
        return bool(np.all(np.nan_to_num(rel, nan=np.inf) <= tol)) and same_grads and same_evals


def rel_close(x, y) -> bool:
    scale = float(np.max(np.abs(x), initial=0.0))
    return float(np.max(np.abs(np.asarray(x, np.float64) - y), initial=0.0)) <= 1e-12 * scale


def own_dtype(spec: Spec, target: np.ndarray) -> str:
    """The dtype a framework computed its curve in: the spec's, or float32 where every loss it recorded is a float32
    number (a float64 computation gives one only by chance, never at every step)."""
    finite = target[np.isfinite(target)]
    if spec.dtype == "float32" or (len(finite) >= 3 and np.array_equal(finite.astype(np.float32).astype(np.float64), finite)):
        return "float32"
    return "float64"


def evals(model, spec: Spec, data, dtype) -> dict[str, float]:
    """The reference's eval-mode losses (EVAL) after training."""
    pairs = (("train_loss", data.X_train, data.y_train), ("test_loss", data.X_test, data.y_test))
    return {key: model.evaluate(X.astype(dtype), y.astype(spec.loss_kind.target_dtype(dtype)))[0] for key, X, y in pairs}


def eval_rel(mine: dict, theirs: dict) -> float:
    """Largest relative difference of two runs' eval-mode losses."""
    rel = [abs(mine[k] - theirs[k]) / max(abs(mine[k]), abs(theirs[k]), 1e-300) for k in EVAL]
    return max(rel) if all(math.isfinite(r) for r in rel) else math.inf


def _first_grads(model, spec: Spec, X, y, first, own: str, target_grads, probabilities: bool = False):
    """(relative difference, share of the bound, the reference's gradients) on the first mini-batch; probabilities: the
    loss is taken on probabilities, and so is its bound (compare/agree/bounds.py). The bound is the entry-by-entry one:
    carrying errors with their signs would cost a replay up to a second, and the explainer replays hundreds of times."""
    masks = harness.Dropout(spec.replace(dtype=model.dtype.name)).draw(len(first)) if spec.dropout > 0 else None  # as the run took them
    Xb, yb = X[first], y[first]
    B = bounds.gradient_bounds(model.spec.replace(dtype=own), model.get_params(), Xb, yb, masks, probabilities, carried=False)
    _, g = model.gradients(Xb, yb) if masks is None else model.gradients(Xb, yb, masks)
    if target_grads is None:
        return None, 0.0, weights.tensors(g)
    mine, theirs, limit = weights.tensors(g), weights.tensors(target_grads), [2 * e.e for pair in B for e in pair if e is not None]
    if len(mine) != len(theirs):  # another parameter set (a learned scale and shift on one side only)
        return math.inf, math.inf, mine
    rel = max(float(np.max(np.abs(t - r), initial=0.0)) / max(float(np.max(np.abs(t), initial=0.0)), 1e-300) for t, r in zip(theirs, mine))
    ratio = max(ulps.ratio(np.asarray(t, np.float64) - r, b) for t, r, b in zip(theirs, mine, limit))
    return rel, ratio, mine


def measure(
    spec: Spec, data, init, schedule, target, target_grads, chosen, natives, target_eval=None, own: str = "float64", full: bool = False
) -> Attempt:
    """The reference under `chosen` replayed on its sample order against `target`; full: replay every step (to compare
    replays with each other), else stop at the first step over tolerance."""
    model, dtype = reference(spec, init, chosen, natives)
    schedule = sample_order(chosen, schedule, natives)
    X, y = data.X_train, data.y_train
    if dtype != X.dtype:
        X, y = X.astype(dtype), y.astype(spec.loss_kind.target_dtype(dtype))
    first = next(harness.batches(schedule, spec.batch_size))[2]
    probabilities = any(s.meta.get("probabilities") for s in chosen)
    grad_rel, grad_ratio, grads = _first_grads(model, spec, X, y, first, own, target_grads, probabilities)
    finite = np.isfinite(target)
    total = len(target) if finite.all() else int(np.argmin(finite)) + 1  # up to and including a blow-up
    tol = curve_tolerance(own, np.arange(1, len(target) + 1), spec.adaptive)
    curve = np.full(len(target), np.nan)
    max_rel, ratio, mismatch = 0.0, 0.0, None  # mismatch: (step index, relative difference) of the first step over tolerance
    with np.errstate(all="ignore"):
        per_epoch = harness.steps_per_epoch(spec, schedule.shape[1])
        dropout = harness.Dropout(spec.replace(dtype=dtype)) if spec.dropout > 0 else None  # the reference's dtype
        for k, (_, i, idx) in enumerate(harness.batches(schedule, spec.batch_size)):
            if k >= total or (mismatch is not None and not full):
                break
            a = curve[k] = harness.step(model, X[idx], y[idx], dropout)
            if i == per_epoch - 1:
                model.end_epoch()
            if mismatch is not None:
                continue
            b = target[k]
            if not math.isfinite(b):  # the framework blew up here: reproduced only by a blow-up at the same step
                rel = 0.0 if not math.isfinite(a) else math.inf
            else:
                rel = abs(a - b) / max(abs(a), abs(b)) if max(abs(a), abs(b)) > 0 else 0.0
            if not rel <= tol[k]:
                mismatch = (k, rel if math.isfinite(rel) else math.inf)
                continue
            max_rel, ratio = max(max_rel, rel), max(ratio, rel / tol[k])
        steps = total if mismatch is None else mismatch[0]
        max_rel, ratio = (max_rel, ratio) if mismatch is None else (mismatch[1], math.inf)
        out = Attempt(tuple(chosen), steps, total, max_rel, ratio, grad_rel, own, grad_ratio, curve=curve if full else None, grads=grads)
        if target_eval is not None and (mismatch is None or full) and total == len(target):
            out.evals = evals(model, spec, data, dtype)  # the running statistics, which no training step uses
            out.eval_rel = eval_rel(out.evals, target_eval)
            out.eval_ratio = out.eval_rel / tol[total - 1]
    return out
