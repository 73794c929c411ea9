"""compare.run(spec): train every implementation from the same weights and measure agreement."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from compare.agree import tolerances
from compare.experiment import environment, harness, implementations, weights
from compare.experiment import loss_file as curve_files
from compare.experiment.data import Dataset
from compare.experiment.data import load as load_data
from compare.experiment.spec import Spec

FD_PAIR = "numpy vs finite differences"
FD_TOL = 1e-4  # CS231n's "acceptable": differencing with h = 1e-6 leaves ~1e-10 of noise, more near kinks


@dataclass
class Result:
    """Everything one comparison run produced; the tables are derived from it."""

    spec: Spec
    data: Dataset
    init: list
    schedule: harness.Schedule | np.ndarray  # sample order per epoch
    histories: dict[str, harness.History] = field(default_factory=dict)
    grads: dict[str, tuple[float, list]] = field(default_factory=dict)  # first mini-batch, initial weights
    missing: list[str] = field(default_factory=list)  # frameworks not installed
    fd: pd.DataFrame | None = None  # NumPy backprop vs central differences, one row per tensor
    environment: dict = field(default_factory=dict)

    @property
    def names(self) -> list[str]:
        return list(self.grads)

    def pairs(self) -> list[tuple[str, str]]:
        return list(itertools.combinations(self.names, 2))

    @property
    def curves(self) -> pd.DataFrame:
        """Long format: framework, epoch, step (1-based), loss of that mini-batch before its update
        (the whole table in memory; the bundle streams it with curve_frames)."""
        return _concat(self.curve_frames(), ["framework", "epoch", "step", "loss"])

    def curve_frames(self, size: int | None = None):
        """The curves table a chunk of steps of one run at a time (framework-major, steps ascending)."""
        per_epoch = harness.steps_per_epoch(self.spec, self.schedule.shape[1])
        names = list(self.histories)
        for i, history in enumerate(self.histories.values()):
            for start, stop in curve_files.spans(len(history.losses), size):
                steps = np.arange(start + 1, stop + 1)
                yield pd.DataFrame({"framework": _label(i, names, len(steps)), "epoch": (steps - 1) // per_epoch + 1,
                                    "step": steps, "loss": history.losses[start:stop]})  # fmt: skip

    def _missing_pairs(self) -> list[str]:
        everyone = implementations.runs_for(self.spec)
        return [f"{a} vs {b}" for a, b in itertools.combinations(everyone, 2) if a in self.missing or b in self.missing]

    def gradient_table(self) -> pd.DataFrame:
        """Per pair and tensor: max abs / max rel difference, cosine, tolerance, pass; then the
        finite-difference check; tensors in backward order (output layer first)."""
        tol = tolerances.GRAD_TOL[self.spec.dtype]
        rows = []
        for a, b in self.pairs():
            (_, ga), (_, gb) = self.grads[a], self.grads[b]
            names = weights.names(len(ga), "d")
            flat_a, flat_b = [t for p in ga for t in p], [t for p in gb for t in p]
            for name, ta, tb in reversed(list(zip(names, flat_a, flat_b))):
                d = tolerances.tensor_diff(ta, tb)
                rows.append({"pair": f"{a} vs {b}", "tensor": name, **d, "tolerance": tol, "pass": d["max_rel"] <= tol, "status": "ok"})
        if self.fd is not None:
            for r in self.fd.iloc[::-1].itertuples():
                note = f"{r.grade}; {r.checked} of {r.total} entries" + (f", {r.kinks} at a ReLU kink (skipped)" if r.kinks else "")
                rows.append({"pair": FD_PAIR, "tensor": r.tensor, "max_abs": np.nan, "max_rel": r.max_rel_error, "cosine": np.nan,
                             "tolerance": FD_TOL, "pass": r.max_rel_error <= FD_TOL, "status": note})  # fmt: skip
        rows += [{"pair": p, "tensor": "-", "pass": None, "status": "not installed"} for p in self._missing_pairs()]
        return pd.DataFrame(rows, columns=["pair", "tensor", "max_abs", "max_rel", "cosine", "tolerance", "pass", "status"])

    def first_failing_tensor(self) -> dict[str, str | None]:
        """Per pair, the first tensor that fails walking back from the output layer."""
        table = self.gradient_table()
        out = {}
        for pair, rows in table[table["status"] != "not installed"].groupby("pair", sort=False):
            failing = rows[rows["pass"] == False]  # noqa: E712  (pass is an object column)
            out[pair] = failing["tensor"].iloc[0] if len(failing) else None
        return out

    def curve_diffs(self) -> pd.DataFrame:
        """Long format per pair and step: abs and rel difference and the tolerance at that step
        (the whole table in memory; the bundle streams it with diff_frames)."""
        return _concat(self.diff_frames(), ["pair", "step", "abs_diff", "rel_diff", "tolerance"])

    def curve_pairs(self) -> list[tuple[str, str]]:
        return list(itertools.combinations(self.histories, 2))

    def diff_chunks(self, a: str, b: str, size: int | None = None):
        """(steps, abs_diff, rel_diff, tolerance) of one pair, a chunk of steps at a time."""
        la, lb = self.histories[a].losses, self.histories[b].losses
        for start, stop in curve_files.spans(len(la), size):
            steps = np.arange(start + 1, stop + 1)
            yield (
                steps,
                *tolerances.curve_diff(la[start:stop], lb[start:stop]),
                tolerances.curve_tolerance(self.spec.dtype, steps, self.spec.adaptive),
            )

    def diff_frames(self, size: int | None = None):
        """The curve_diffs table a chunk of steps of one pair at a time."""
        labels = [f"{a} vs {b}" for a, b in self.curve_pairs()]
        for i, (a, b) in enumerate(self.curve_pairs()):
            for steps, abs_diff, rel_diff, tol in self.diff_chunks(a, b, size):
                yield pd.DataFrame({"pair": _label(i, labels, len(steps)), "step": steps, "abs_diff": abs_diff,
                                    "rel_diff": rel_diff, "tolerance": tol})  # fmt: skip

    def curve_summary(self, a: str, b: str) -> dict:
        """One pass over a pair's curves: largest differences, first step past the tolerance, and the
        relative difference and tolerance there."""
        out = {"max_abs": -np.inf, "max_rel": -np.inf, "first": None, "rel_at_first": np.nan, "tol_at_first": np.nan}
        for steps, abs_diff, rel_diff, tol in self.diff_chunks(a, b):
            out["max_abs"] = max(out["max_abs"], np.max(abs_diff[~np.isnan(abs_diff)], initial=-np.inf))
            out["max_rel"] = max(out["max_rel"], np.max(rel_diff[~np.isnan(rel_diff)], initial=-np.inf))
            over = ~(rel_diff <= tol)  # NaN counts as over
            if out["first"] is None and over.any():
                j = int(np.argmax(over))
                out.update(first=int(steps[j]), rel_at_first=float(rel_diff[j]), tol_at_first=float(tol[j]))
        for key in ("max_abs", "max_rel"):
            out[key] = float(out[key]) if out[key] > -np.inf else np.nan
        return out

    def agreement_table(self) -> pd.DataFrame:
        """Per pair: should it agree and why, largest differences, first divergent step, verdict."""
        rows = []
        for a, b in self.curve_pairs():
            ha, hb = self.histories[a], self.histories[b]
            c = self.curve_summary(a, b)
            agree = implementations.should_agree(a, b, self.spec)
            final = max(tolerances.tensor_diff(x, y)["max_abs"] for pa, pb in zip(ha.final, hb.final) for x, y in zip(pa, pb))
            rows.append({"pair": f"{a} vs {b}", "should_agree": agree, "reason": implementations.agreement_reason(a, b, self.spec),
                         "max_abs": c["max_abs"], "max_rel": c["max_rel"], "first_divergent_step": c["first"],
                         "final_weights_max_abs": final, "verdict": verdict(c, agree),
                         "pass": (c["first"] is None) if agree else None, "status": "ok"})  # fmt: skip
        rows += [{"pair": p, "status": "not installed"} for p in self._missing_pairs()]
        columns = [
            "pair",
            "should_agree",
            "reason",
            "max_abs",
            "max_rel",
            "first_divergent_step",
            "final_weights_max_abs",
            "verdict",
            "pass",
            "status",
        ]
        return pd.DataFrame(rows, columns=columns)

    def metrics_table(self) -> pd.DataFrame:
        rows = []
        for name, h in self.histories.items():
            row = {"framework": name, "status": "ok" if h.ok else f"non-finite loss at step {h.failed_step}"}
            row.update(h.metrics)
            rows.append(row)
        rows += [{"framework": name, "status": "not installed"} for name in self.missing]
        return pd.DataFrame(rows)

    @property
    def tables(self) -> dict[str, pd.DataFrame]:
        return {"gradients": self.gradient_table(), "agreement": self.agreement_table(), "metrics": self.metrics_table()}

    @property
    def ok(self) -> bool:
        """Every run finished and every pair that should agree does (gradients and curves)."""
        grads = self.gradient_table()
        agree = self.agreement_table()
        checked = agree[agree["should_agree"] == True]  # noqa: E712
        return bool((grads["pass"] != False).all() and checked["pass"].all() and all(h.ok for h in self.histories.values()))  # noqa: E712

    def save(self, out, force: bool = False):
        """Write the run bundle (see compare/io/bundle.py) to `out`, atomically."""
        from compare.io import bundle

        return bundle.save(self, out, force=force)


def _label(i: int, names: list[str], n: int) -> pd.Categorical:
    """names[i] n times, stored as a category (one byte a row, not a string); chunks concatenate."""
    return pd.Categorical.from_codes(np.full(n, i, np.int8), categories=names)


def _concat(frames, columns: list[str]) -> pd.DataFrame:
    frames = list(frames)
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns)


def verdict(curve: dict, should_agree: bool) -> str:
    """Words for a pair's curve agreement (a curve_summary): round-off, gradual growth, or a real difference at once."""
    first, at_first = curve["first"], curve["rel_at_first"]
    if first is None:
        return "agree to round-off"
    if not np.isfinite(at_first):
        return f"one run stopped at step {first}"
    if first <= 2 or at_first > 1e3 * curve["tol_at_first"]:
        kind = "expected: different update rules" if not should_agree else "a real disagreement"
        return f"differ from step {first} at once ({at_first:.1e}): {kind}"
    kind = "expected: different update rules" if not should_agree else "round-off amplified past the tolerance, or a small real difference"
    return f"drift grows gradually past the tolerance at step {first}: {kind}"


def prepare(spec: Spec) -> tuple[Dataset, list, np.ndarray]:
    """Data, initial weights and sample schedule for a spec: what every framework shares."""
    data = load_data(spec)
    return data, weights.init(spec), harness.Schedule(spec, len(data.X_train))


def first_batch(spec: Spec, data: Dataset, order: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    idx = next(iter(order))[: spec.batch_size]  # the first epoch's first mini-batch
    return data.X_train[idx], data.y_train[idx]


def gradients(spec: Spec, fd_entries: int | None = -1, prepared=None) -> Result:
    """Gradients of every framework at the initial weights on the first mini-batch, and the NumPy
    backprop against central finite differences (fd_entries per tensor; -1: automatic, None: all)."""
    return _first_gradients(spec, fd_entries, prepared)[0]


def _first_gradients(spec: Spec, fd_entries: int | None, prepared=None) -> tuple[Result, dict]:
    """gradients() and the models that computed them, still at their initial weights and optimizer
    state (taking gradients changes neither), so that run() trains the same models."""
    data, init, order = prepared or prepare(spec)
    result = Result(spec, data, init, order)
    X, y = first_batch(spec, data, order)
    models = {}
    for name in implementations.runs_for(spec):
        if not implementations.installed(name):
            result.missing.append(name)
            continue
        models[name] = implementations.build(name, spec, init)
        result.grads[name] = models[name].gradients(X, y)
    if "numpy" in spec.frameworks:
        result.fd = finite_differences(spec, init, X, y, fd_entries)
    result.environment = environment.record(spec, result.names)
    return result, models


def finite_differences(spec: Spec, init, X, y, entries: int | None = -1) -> pd.DataFrame:
    """The NumPy reference in float64 against central differences of its own loss."""
    import scratch
    from compare.agree import finite_diff

    spec64 = spec.replace(dtype="float64")
    model = scratch.MLP(spec64, init)
    X64, y64 = X.astype(np.float64), (y if spec.loss == "ce" else y.astype(np.float64))
    _, grads = model.gradients(X64, y64)

    def loss(params) -> float:
        model.set_weights(params)
        return model.loss(X64, y64)

    n_params = sum(W.size + b.size for W, b in init)
    if entries == -1:
        entries = None if n_params <= 2000 else 30
    return finite_diff.check(loss, init, grads, weights.names(len(init), "d"), spec=spec64, X=X64, max_entries=entries, seed=spec.seed)


def run(spec: Spec, on_epoch=None, fd_entries: int | None = -1, stream_to: str | Path | None = None) -> Result:
    """Train each of the spec's frameworks from the same weights on the same schedule.

    on_epoch(name, epoch) is called after each epoch (for progress bars). stream_to: a folder to
    stream each run's per-step losses into (losses/<name>.npy, an epoch at a time), so that memory
    stays flat however many epochs; by default they are kept in memory.
    """
    result, models = _first_gradients(spec, fd_entries)
    steps = spec.epochs * harness.steps_per_epoch(spec, result.schedule.shape[1])
    if stream_to is not None:
        (Path(stream_to) / curve_files.LOSSES).mkdir(parents=True, exist_ok=True)
    for name, model in models.items():
        callback = (lambda epoch, name=name: on_epoch(name, epoch)) if on_epoch else None
        losses = None if stream_to is None else curve_files.LossFile(curve_files.loss_path(stream_to, name), steps)
        result.histories[name] = harness.train(name, model, spec, result.data, result.schedule, callback, losses)
    return result
