"""compare.run(spec): train every implementation from the same weights and measure agreement."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from compare import checks, frameworks, harness, weights
from compare.data import Dataset
from compare.data import load as load_data
from compare.spec import Spec


@dataclass
class Result:
    """Everything one comparison run produced; `.tables` derives the comparison tables."""

    spec: Spec
    data: Dataset
    init: list
    schedule: np.ndarray
    histories: dict[str, harness.History] = field(default_factory=dict)
    grads: dict[str, tuple[float, list]] = field(default_factory=dict)  # first mini-batch, initial weights
    missing: list[str] = field(default_factory=list)  # frameworks not installed

    @property
    def names(self) -> list[str]:
        return list(self.histories)

    def pairs(self) -> list[tuple[str, str]]:
        return list(itertools.combinations(self.names, 2))

    @property
    def curves(self) -> pd.DataFrame:
        """Long format: framework, epoch, step (1-based), loss before that step's update."""
        per_epoch = harness.steps_per_epoch(self.spec, self.schedule.shape[1])
        frames = []
        for name, h in self.histories.items():
            steps = np.arange(1, len(h.losses) + 1)
            frames.append(pd.DataFrame({"framework": name, "epoch": (steps - 1) // per_epoch + 1, "step": steps, "loss": h.losses}))
        return pd.concat(frames, ignore_index=True)

    def gradient_table(self) -> pd.DataFrame:
        tol = checks.GRAD_TOL[self.spec.dtype]
        rows = []
        for a, b in self.pairs():
            (_, ga), (_, gb) = self.grads[a], self.grads[b]
            flat_a = [t for pair in ga for t in pair]
            flat_b = [t for pair in gb for t in pair]
            for name, ta, tb in zip(weights.names(len(ga), "d"), flat_a, flat_b):
                d = checks.tensor_diff(ta, tb)
                rows.append({"pair": f"{a} vs {b}", "tensor": name, **d, "tolerance": tol, "pass": d["max_rel"] <= tol})
        return pd.DataFrame(rows)

    def agreement_table(self) -> pd.DataFrame:
        rows = []
        for a, b in self.pairs():
            ha, hb = self.histories[a], self.histories[b]
            diff, rel = checks.curve_diff(ha.losses, hb.losses)
            steps = np.arange(1, len(rel) + 1)
            tol = checks.curve_tolerance(self.spec.dtype, steps, self.spec.adaptive)
            over = np.flatnonzero(~(rel <= tol))  # NaN counts as over
            agree = frameworks.should_agree(a, b, self.spec)
            final = max(checks.tensor_diff(x, y)["max_abs"] for pa, pb in zip(ha.final, hb.final) for x, y in zip(pa, pb))
            rows.append(
                {
                    "pair": f"{a} vs {b}",
                    "should_agree": agree,
                    "max_abs": float(np.nanmax(diff)),
                    "max_rel": float(np.nanmax(rel)),
                    "first_divergent_step": int(steps[over[0]]) if len(over) else None,
                    "final_weights_max_abs": final,
                    "pass": (len(over) == 0) if agree else None,
                }
            )
        return pd.DataFrame(rows)

    def metrics_table(self) -> pd.DataFrame:
        rows = []
        for name, h in self.histories.items():
            row = {"framework": name, "status": "ok" if h.ok else f"non-finite loss at step {h.failed_step}"}
            row.update({k: v[-1] if v else np.nan for k, v in h.metrics.items()})
            rows.append(row)
        rows += [{"framework": name, "status": "not installed"} for name in self.missing]
        return pd.DataFrame(rows)

    @property
    def tables(self) -> dict[str, pd.DataFrame]:
        return {"gradients": self.gradient_table(), "agreement": self.agreement_table(), "metrics": self.metrics_table()}

    @property
    def ok(self) -> bool:
        """Every run finished and every pair that should agree does (gradients and curves)."""
        grads_ok = self.gradient_table()["pass"].all() if len(self.pairs()) else True
        agree = self.agreement_table()
        curves_ok = agree[agree["should_agree"]]["pass"].all() if len(agree) else True
        return bool(grads_ok and curves_ok and all(h.ok for h in self.histories.values()))


def prepare(spec: Spec) -> tuple[Dataset, list, np.ndarray]:
    """Data, initial weights and sample schedule for a spec: what every framework shares."""
    data = load_data(spec)
    return data, weights.init(spec), harness.schedule(spec, len(data.X_train))


def run(spec: Spec, on_epoch=None) -> Result:
    """Train each of the spec's frameworks from the same weights on the same schedule.

    on_epoch(name, epoch) is called after each epoch (for progress bars).
    """
    data, init, order = prepare(spec)
    result = Result(spec, data, init, order)
    first = order[0, : spec.batch_size]
    for name in frameworks.runs_for(spec):
        if not frameworks.installed(name):
            result.missing.append(name)
            continue
        model = frameworks.build(name, spec, init)
        result.grads[name] = model.gradients(data.X_train[first], data.y_train[first])
        callback = (lambda epoch, name=name: on_epoch(name, epoch)) if on_epoch else None
        result.histories[name] = harness.train(name, model, spec, data, order, callback)
    return result
