"""Why two frameworks disagree: re-run the NumPy reference under each known convention switch, alone
and in small combinations, and report which one reproduces each framework to tolerance."""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from compare.agree.differences import curve_diff, tensor_diff
from compare.agree.tolerances import GRAD_TOL, curve_tolerance
from compare.explain.switches import Natives, Switch, compatible, order, reference, switches
from compare.io import bundle
from compare.shared import harness, weights
from compare.shared.spec import Spec

MAX_SWITCHES = 3  # combinations of up to this many switches are tried
# A loss on probabilities is ill-conditioned: log(1 - p) loses log10(1 / (1 - p)) digits, so two correct
# implementations drift apart by more than float64 round-off; their curves are compared 1000x more loosely.
PROBS_WIDEN = 1e3
NEEDS_FRAMEWORKS = {"torch_defaults", "keras_defaults", "keras_shuffle"}
EVAL = ("train_loss", "test_loss")  # eval-mode losses after training: where batch norm's running statistics show
TIGHT = 1e-3  # a match using more than this share of its tolerance is loose: one more switch may fit far better


@dataclass
class Attempt:
    """The NumPy reference under some switches, measured against one framework's curve."""

    switches: tuple[Switch, ...]
    steps: int  # steps compared before the first one over tolerance (all of them when matched)
    total: int  # steps the framework recorded
    max_rel: float  # largest per-step relative loss difference over the compared steps
    tol_ratio: float  # largest (relative difference / the suite's curve tolerance) over the compared steps
    grad_rel: float | None  # worst per-tensor gradient difference on the first mini-batch, if known
    dtype: str
    widen: float = 1.0  # the tolerance is widened this much for this attempt (losses on probabilities)
    eval_rel: float | None = None  # largest relative difference of the eval-mode losses after training (batch norm), if compared
    eval_ratio: float = 0.0  # eval_rel / the curve's tolerance at its last step

    @property
    def matched(self) -> bool:
        grads_ok = self.grad_rel is None or self.grad_rel <= GRAD_TOL[self.dtype]
        return self.steps == self.total and self.tol_ratio <= self.widen and grads_ok and self.eval_ratio <= 1

    @property
    def eval_off(self) -> bool:
        """The whole curve followed, but not the eval-mode losses after training (never widened: the widening of losses on
        probabilities times float32's tolerance would pass a 10% gap)."""
        return self.steps == self.total and self.eval_ratio > 1

    @property
    def label(self) -> str:
        return " + ".join(s.label for s in self.switches) or "no switch"


@dataclass
class Finding:
    """What explains one framework's curve: the best matching attempt, or the closest miss."""

    framework: str
    best: Attempt
    also: list[Attempt] = field(default_factory=list)  # other minimal matches
    tried: int = 0

    @property
    def explained(self) -> bool:
        return self.best.matched

    @property
    def as_is(self) -> bool:
        return self.explained and not self.best.switches

    def sentence(self) -> str:
        b = self.best
        grads = f", first-batch gradients to {b.grad_rel:.1e}" if b.grad_rel is not None else ""
        if b.eval_rel is not None and not b.eval_off:
            grads += f", eval-mode losses after training to {b.eval_rel:.1e}"
        if self.as_is:
            return f"{self.framework}: matches the NumPy reference as is, to {b.max_rel:.1e} over {b.total} steps{grads}."
        if self.explained:
            why = "; ".join(s.reason for s in b.switches)
            also = f" (also within tolerance: {', '.join(a.label for a in self.also)})" if self.also else ""
            return (
                f"{self.framework}: explained by {b.label}: the NumPy reference with it matches {self.framework} "
                f"to {b.max_rel:.1e} over {b.total} steps{grads}{also}. Why: {why}."
            )
        drift = ""
        if b.steps >= 5 and b.max_rel < 1e-6:
            drift = " It drifts off gradually, as amplified round-off does (a real difference shows at once): try fewer steps."
        if b.eval_off:
            return (
                f"{self.framework}: not explained. None of the {self.tried} switch combinations (up to {MAX_SWITCHES} switches) "
                f"reproduces it; the closest, {b.label}, follows its whole curve ({b.total} steps, to {b.max_rel:.1e}){grads} "
                f"but not its eval-mode losses after training (relative difference {b.eval_rel:.1e}): batch norm's running "
                "statistics differ, and the training curve cannot show them."
            )
        return (
            f"{self.framework}: not explained. None of the {self.tried} switch combinations (up to {MAX_SWITCHES} switches) "
            f"reproduces it; the closest, {b.label}, follows it for {b.steps} of {b.total} steps "
            f"(relative difference {b.max_rel:.1e} at step {b.steps + 1}){grads}.{drift}"
        )


def _eval_rel(model, spec: Spec, data, dtype, target_eval: dict) -> float:
    """Largest relative difference of the reference's eval-mode losses (EVAL) from a framework's, both after training."""
    mine = {}
    for key, X, y in (("train_loss", data.X_train, data.y_train), ("test_loss", data.X_test, data.y_test)):
        mine[key] = model.evaluate(X.astype(dtype), y.astype(spec.loss_kind.target_dtype(dtype)))[0]
    rel = [abs(mine[k] - target_eval[k]) / max(abs(mine[k]), abs(target_eval[k]), 1e-300) for k in EVAL]
    return max(rel) if all(math.isfinite(r) for r in rel) else math.inf


def _measure(spec, data, init, schedule, target, target_grads, names, natives, target_eval=None) -> Attempt:
    keys = {s.name for s in names}
    model, dtype = reference(spec, init, keys, natives)
    schedule = order(spec, schedule, keys, natives)
    X, y = data.X_train, data.y_train
    if dtype != X.dtype:
        X, y = X.astype(dtype), y.astype(spec.loss_kind.target_dtype(dtype))
    first = next(harness.batches(schedule, spec.batch_size))[2]
    grad_rel = None
    if target_grads is not None:
        masks = harness.Dropout(spec.replace(dtype=dtype)).draw(len(first)) if spec.dropout > 0 else None  # as the run took them
        _, g = model.gradients(X[first], y[first]) if masks is None else model.gradients(X[first], y[first], masks)
        grad_rel = max(tensor_diff(t, r)["max_rel"] for t, r in zip(weights.tensors(target_grads), weights.tensors(g)))
    finite = np.isfinite(target)
    total = len(target) if finite.all() else int(np.argmin(finite)) + 1  # up to and including a blow-up
    tol = curve_tolerance(dtype, np.arange(1, len(target) + 1), spec.adaptive)
    widen = PROBS_WIDEN if {"keras_probs", "torch_probs"} & {s.name for s in names} else 1.0
    steps, max_rel, ratio = 0, 0.0, 0.0
    with np.errstate(all="ignore"):
        per_epoch = harness.steps_per_epoch(spec, schedule.shape[1])
        dropout = harness.Dropout(spec.replace(dtype=dtype)) if spec.dropout > 0 else None  # the reference's dtype
        for _, i, idx in harness.batches(schedule, spec.batch_size):
            if steps >= total:
                break
            a, b = harness.step(model, X[idx], y[idx], dropout), target[steps]
            if i == per_epoch - 1:
                model.end_epoch()
            if not math.isfinite(b):  # the framework blew up here: reproduced only by a blow-up at the same step
                if math.isfinite(a):
                    return Attempt(tuple(names), steps, total, math.inf, math.inf, grad_rel, dtype, widen)
                steps += 1
                break
            rel = abs(a - b) / max(abs(a), abs(b)) if max(abs(a), abs(b)) > 0 else 0.0
            if not math.isfinite(rel) or rel > tol[steps] * widen:
                max_rel = rel if math.isfinite(rel) else math.inf
                return Attempt(tuple(names), steps, total, max_rel, math.inf, grad_rel, dtype, widen)
            max_rel, ratio = max(max_rel, rel), max(ratio, rel / tol[steps])
            steps += 1
        if target_eval is None or total < len(target):
            return Attempt(tuple(names), steps, total, max_rel, ratio, grad_rel, dtype, widen)
        eval_rel = _eval_rel(model, spec, data, dtype, target_eval)  # the running statistics, which no training step uses
    return Attempt(tuple(names), steps, total, max_rel, ratio, grad_rel, dtype, widen, eval_rel, eval_rel / tol[total - 1])


def explain_curve(
    spec: Spec, data, init, schedule, target: np.ndarray, target_grads=None, name: str = "?", natives=None, target_eval=None
) -> Finding:
    """Find the smallest set of switches under which the NumPy reference reproduces `target` (per-step losses) and,
    for a spec with batch norm, `target_eval` ({"train_loss", "test_loss"} in eval mode after training) too.

    Combinations without float32 arithmetic come first, by size: float32's loose tolerance would
    otherwise "explain" any small float64 gap."""
    schedule = np.asarray(schedule)  # replayed many times: drawn once
    natives = natives or Natives(spec, schedule)
    target_eval = target_eval if spec.batch_norm and target_eval and all(k in target_eval for k in EVAL) else None
    available = switches(spec, schedule.shape[1], natives)
    exact = [s for s in available if s.name != "float32"]
    loose = [s for s in available if s.name == "float32"]
    tried, closest = 0, None

    def level(k: int, extra: tuple, frameworks_too: bool) -> list[Attempt]:
        nonlocal tried, closest
        matches = []
        for combo in itertools.combinations(exact, k):
            names = combo + extra
            keys = {s.name for s in names}
            if not compatible(keys) or ((matches or not frameworks_too) and keys & NEEDS_FRAMEWORKS):
                continue  # a framework's own defaults need torch or Keras imported: only when nothing simpler fits
            attempt = _measure(spec, data, init, schedule, target, target_grads, names, natives, target_eval)
            tried += 1
            if attempt.matched:
                matches.append(attempt)
            elif closest is None or (attempt.steps, -attempt.max_rel) > (closest.steps, -closest.max_rel):
                closest = attempt
        return sorted(matches, key=lambda a: a.tol_ratio)

    for extra in [()] + ([tuple(loose)] if loose else []):
        for k in range(MAX_SWITCHES + 1 - len(extra)):
            matches = level(k, extra, True)
            if not matches:
                continue
            if matches[0].tol_ratio > TIGHT and k + 1 <= MAX_SWITCHES - len(extra):
                # a loose fit (float32 tolerance hides small conventions): prefer one more switch that fits far tighter
                tighter = [m for m in level(k + 1, extra, False) if m.tol_ratio < matches[0].tol_ratio / 10]
                matches = tighter[:1] + matches + tighter[1:]
            return Finding(name, matches[0], matches[1:], tried)
    return Finding(name, closest, [], tried)


@dataclass
class Explanation:
    """Findings per framework and a sentence per disagreeing pair."""

    spec: Spec
    findings: dict[str, Finding]
    pairs: list[str]

    @property
    def table(self) -> pd.DataFrame:
        rows = []
        for f in self.findings.values():
            b = f.best
            rows.append(
                {
                    "framework": f.framework,
                    "explained_by": (b.label if f.explained else "not explained"),
                    "curve_max_rel": b.max_rel,
                    "steps_matched": f"{b.steps}/{b.total}",
                    "grad_max_rel": b.grad_rel,
                    "eval_max_rel": b.eval_rel,
                }
            )
        return pd.DataFrame(rows)

    @property
    def explained(self) -> bool:
        """Whether a switch (or none) reproduces every framework."""
        return all(f.explained for f in self.findings.values())

    def text(self) -> str:
        lines = [f.sentence() for f in self.findings.values()] + self.pairs
        return "\n".join(lines)


def _pair_sentence(a: Finding, b: Finding) -> str:
    if not (a.explained and b.explained):
        lost = " and ".join(f.framework for f in (a, b) if not f.explained)
        return f"{a.framework} and {b.framework} differ; not explained: no switch reproduces {lost}."
    sa, sb = {s.name for s in a.best.switches}, {s.name for s in b.best.switches}
    diff = [s for s in a.best.switches + b.best.switches if s.name in sa ^ sb]
    why = "; ".join(dict.fromkeys(s.reason for s in diff)) or "round-off"

    def side(f: Finding) -> str:
        how = "as is" if f.as_is else f"with {f.best.label}"
        return f"{f.framework} {how} to {f.best.max_rel:.0e}"

    return f"{a.framework} and {b.framework} differ because {why}. The NumPy reference matches {side(b)}, and {side(a)}."


def explain(
    spec: Spec, data, init, schedule, curves: dict[str, np.ndarray], grads: dict | None = None, evals: dict | None = None, orders=None
) -> Explanation:
    """Explain every framework's curve against the NumPy reference, then every pair that disagrees. evals: {framework:
    its metrics after training} (eval-mode losses, compared where the spec has batch norm); orders: {framework: the
    sample order it trained on} where a run did not train on `schedule` (Keras's fit order, recorded by the run)."""
    grads, evals = grads or {}, evals or {}
    schedule = np.asarray(schedule)
    natives = Natives(spec, schedule, orders)
    curves = {name: np.asarray(losses, np.float64) for name, losses in curves.items()}
    findings = {}
    for name, losses in curves.items():
        if name == "numpy":
            continue
        findings[name] = explain_curve(spec, data, init, schedule, losses, grads.get(name), name, natives, evals.get(name))
    pairs = []
    names = list(curves)
    for a, b in itertools.combinations(names, 2):
        _, rel = curve_diff(curves[a], curves[b])
        tol = curve_tolerance(spec.dtype, np.arange(1, len(rel) + 1), spec.adaptive)
        same_eval = not spec.batch_norm or _same_eval(evals.get(a), evals.get(b), tol[-1])  # running statistics show there only
        if (np.all(rel <= tol) and same_eval) or a == "numpy" or b == "numpy":
            continue
        pairs.append(_pair_sentence(findings[a], findings[b]))
    return Explanation(spec, findings, pairs)


def _same_eval(a: dict | None, b: dict | None, tol: float) -> bool:
    """Whether two runs' eval-mode losses after training agree to `tol` (relative); True where one is not known."""
    if not a or not b or not all(k in a and k in b for k in EVAL):
        return True
    return all(abs(a[k] - b[k]) <= tol * max(abs(a[k]), abs(b[k])) for k in EVAL)


def load_bundle(folder: str | Path):
    """(spec, data, init, schedule, {framework: losses}, {framework: first-batch grads}, {framework: metrics after
    training}, {framework: its own sample order}) from a run bundle."""
    folder = Path(folder)
    spec, data, init, schedule, frame = bundle.load(folder)
    curves = {name: g.sort_values("step")["loss"].to_numpy(np.float64) for name, g in frame.groupby("framework", sort=False)}
    grads = {}
    for name in curves:
        path = folder / "grads" / f"{name}.npz"
        if path.is_file():
            grads[name] = weights.load(path, prefix="d")
    metrics = folder / "metrics.csv"
    evals = {r["framework"]: r for r in pd.read_csv(metrics).to_dict("records")} if metrics.is_file() else {}
    return spec, data, init, schedule, curves, grads, evals, bundle.orders(folder)


def explain_dir(folder: str | Path) -> Explanation:
    return explain(*load_bundle(folder))


def explain_result(result) -> Explanation:
    """Explain a Result (compare/experiment/result.py) in memory."""
    curves = {name: h.losses for name, h in result.histories.items()}
    grads = {name: g for name, (_, g) in result.grads.items()}
    evals = {name: h.metrics for name, h in result.histories.items()}
    return explain(result.spec, result.data, result.init, result.schedule, curves, grads, evals, result.orders)
