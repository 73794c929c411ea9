"""Why two frameworks disagree: re-run the NumPy reference under each known convention switch, alone
and in small combinations, and report which one reproduces each framework to tolerance."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from compare.agree.differences import curve_diff
from compare.agree.tolerances import curve_tolerance
from compare.explain.attempt import EVAL, Attempt, measure, own_dtype
from compare.explain.catalogue import Natives, switches
from compare.explain.switches import DEFAULTS, Switch, compatible
from compare.io import bundle
from compare.shared import weights
from compare.shared.spec import Spec

MAX_SWITCHES = 3  # combinations of up to this many switches are tried


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
        grads = f", first-batch gradients to {b.grad_rel:.1e} ({b.grad_ratio:.2g} of the round-off bound)" if b.grad_rel is not None else ""
        if b.eval_rel is not None and not b.eval_off:
            grads += f", eval-mode losses after training to {b.eval_rel:.1e}"
        dtype = f" (the tolerance of its own {b.dtype})" if b.dtype != "float64" else ""
        if self.as_is:
            return f"{self.framework}: matches the NumPy reference as is, to {b.max_rel:.1e} over {b.total} steps{dtype}{grads}."
        if self.explained:
            why = "; ".join(s.reason for s in b.switches)
            also = f" (also within tolerance: {', '.join(a.label for a in self.also)})" if self.also else ""
            return (
                f"{self.framework}: explained by {b.label}: the NumPy reference with it matches {self.framework} "
                f"to {b.max_rel:.1e} over {b.total} steps{dtype}{grads}{also}. Why: {why}."
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


def explain_curve(
    spec: Spec, data, init, schedule, target: np.ndarray, target_grads=None, name: str = "?", natives=None, target_eval=None
) -> Finding:
    """Find the smallest set of switches under which the NumPy reference reproduces `target` (per-step losses) to the
    curve tolerance of the framework's own dtype at every step, its first-batch gradients to the round-off bound and,
    for a spec with batch norm, `target_eval` ({"train_loss", "test_loss"} in eval mode after training) too.

    No switch widens the tolerance. A switch whose replay gives the reference's own numbers (it changes nothing on this
    spec) is never named. float32 arithmetic is named only where the framework's losses are float32 numbers, and is
    then part of every explanation. A framework's own defaults (which import torch or Keras) are tried at each size only
    where nothing simpler fits."""
    schedule = np.asarray(schedule)  # replayed many times: drawn once
    natives = natives or Natives(spec, schedule)
    target_eval = target_eval if spec.batch_norm and target_eval and all(k in target_eval for k in EVAL) else None
    own = own_dtype(spec, target)
    available = switches(spec, schedule.shape[1], natives)
    forced = tuple(s for s in available if s.name == "float32" and own == "float32")  # a float32 run of a float64 spec
    candidates = [s for s in available if s.name != "float32"]
    args = (spec, data, init, schedule, target, target_grads)
    tried, closest = 0, None

    def attempt(chosen: tuple, full: bool = False) -> Attempt:
        nonlocal tried, closest
        a = measure(*args, chosen + forced, natives, target_eval, own, full)
        tried += 1
        if not a.matched and (closest is None or (a.steps, -a.max_rel) > (closest.steps, -closest.max_rel)):
            closest = a
        return a

    base = attempt((), full=True)
    if base.matched:
        return Finding(name, base, [], tried)
    effective: list[Switch] = []
    idle: list[Switch] = []  # changes nothing alone, but may once a framework's own defaults set what it acts on
    for frameworks_too in (False, True):  # singles: each switch alone, a full replay, to drop those that change nothing
        singles = [s for s in candidates if s.needs_frameworks == frameworks_too]
        replays = [(s, attempt((s,), full=True)) for s in singles]
        effective += [s for s, a in replays if not a.same_as(base, spec)]
        idle += [s for s, a in replays if a.same_as(base, spec) and s.stage > DEFAULTS]
        matches = sorted((a for s, a in replays if a.matched and s in effective), key=lambda a: a.tol_ratio)
        if matches:
            return Finding(name, matches[0], matches[1:], tried)
    for k in range(2, MAX_SWITCHES + 1 - len(forced)):
        for frameworks_too in (False, True):
            matches = []
            for combo in itertools.combinations(effective + idle, k):
                if any(s.needs_frameworks for s in combo) != frameworks_too or not compatible(combo + forced):
                    continue
                if any(s in idle for s in combo) and not any(s.stage == DEFAULTS for s in combo):
                    continue  # without a framework's own defaults it changes nothing: the combination is a smaller one
                a = attempt(combo)
                if a.matched:
                    matches.append(a)
            if matches:
                matches.sort(key=lambda a: a.tol_ratio)
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


def _names(findings: list[Finding]) -> str:
    names = [f.framework for f in findings]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _pair_sentence(a: list[Finding], b: list[Finding]) -> str:
    """Why two groups of runs differ, said once: each group explained by the same switches (or not explained)."""
    lost = [f for f in a + b if not f.explained]
    if lost:
        return f"{_names(a)} and {_names(b)} differ; not explained: no switch reproduces {_names(lost)}."
    sa, sb = {s.name for s in a[0].best.switches}, {s.name for s in b[0].best.switches}
    diff = [s for s in a[0].best.switches + b[0].best.switches if s.name in sa ^ sb]
    why = "; ".join(dict.fromkeys(s.reason for s in diff)) or "round-off"

    def side(group: list[Finding]) -> str:
        f = group[0]
        how = "as is" if f.as_is else f"with {f.best.label}"
        return f"{_names(group)} {how} to {max(g.best.max_rel for g in group):.0e}"

    pair = f"{_names(a)} and {_names(b)} differ" if len(a) == len(b) == 1 else f"{_names(a)} differ{'s' * (len(a) == 1)} from {_names(b)}"
    return f"{pair} because {why}. The NumPy reference matches {side(b)}, and {side(a)}."


def explain(
    spec: Spec, data, init, schedule, curves: dict[str, np.ndarray], grads: dict | None = None, evals: dict | None = None, orders=None
) -> Explanation:
    """Explain every framework's curve against the NumPy reference, then, once, each difference between runs that are
    explained by different switches (runs grouped by the switches that explain them). evals: {framework: its metrics
    after training} (eval-mode losses, compared where the spec has batch norm); orders: {framework: the sample order it
    trained on} where a run did not train on `schedule` (Keras's fit order, recorded by the run)."""
    grads, evals = grads or {}, evals or {}
    schedule = np.asarray(schedule)
    natives = Natives(spec, schedule, orders)
    curves = {name: np.asarray(losses, np.float64) for name, losses in curves.items()}
    findings = {}
    for name, losses in curves.items():
        if name == "numpy":
            continue
        findings[name] = explain_curve(spec, data, init, schedule, losses, grads.get(name), name, natives, evals.get(name))
    groups: dict = {}
    for f in findings.values():
        key = frozenset(s.name for s in f.best.switches) if f.explained else f.framework
        groups.setdefault(key, []).append(f)
    pairs = []
    for a, b in itertools.combinations(groups.values(), 2):
        if any(_differ(spec, curves, evals, x.framework, y.framework) for x in a for y in b):
            pairs.append(_pair_sentence(a, b))
    return Explanation(spec, findings, pairs)


def _differ(spec: Spec, curves: dict, evals: dict, a: str, b: str) -> bool:
    """Whether two runs' curves (or, with batch norm, their eval-mode losses) differ beyond the curve tolerance."""
    _, rel = curve_diff(curves[a], curves[b])
    tol = curve_tolerance(spec.dtype, np.arange(1, len(rel) + 1), spec.adaptive)
    same_eval = not spec.batch_norm or _same_eval(evals.get(a), evals.get(b), tol[-1])  # running statistics show there only
    return not (np.all(rel <= tol) and same_eval)


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
