"""What one comparison run produced: the data it holds; its tables are measured once, by compare/agree/tables.py."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd

from compare.agree import exact_rows, tables
from compare.exact.measure import Exact
from compare.io import bundle
from compare.shared import harness, loss_file
from compare.shared.data import Dataset
from compare.shared.spec import Spec


@dataclass(frozen=True)
class Result:
    """Everything one run produced, complete when made (so its tables, measured on first use, never go stale)."""

    spec: Spec
    data: Dataset
    init: list  # canonical initial weights [(W, b), ...]
    schedule: harness.Schedule | np.ndarray  # sample order per epoch
    grads: dict[str, tuple[float, list]]  # per run: (loss, [(dW, db), ...]) on the first mini-batch at the initial weights
    histories: dict[str, harness.History] = field(default_factory=dict)  # per run: its training (empty for gradients only)
    missing: list[str] = field(default_factory=list)  # runs whose framework is not installed
    fd: pd.DataFrame | None = None  # NumPy backprop vs central differences, one row per tensor
    environment: dict = field(default_factory=dict)
    native: tuple[str, ...] = ()  # runs on their framework's own defaults (run --defaults native)
    orders: dict[str, np.ndarray] = field(default_factory=dict)  # runs trained on a sample order of their own (epochs, n_train)
    bounds: list | None = None  # the round-off bound of every first-gradient entry, [(dW, db), ...] as roundoff.Err
    exact: Exact | None = None  # the exact reference (compare/exact/measure.py), None with --exact off

    @property
    def names(self) -> list[str]:
        return list(self.grads)

    @cached_property
    def tables(self) -> dict[str, pd.DataFrame]:
        """ "gradients", "agreement" and "metrics" (see compare/agree/tables.py), and "exact" (each run's distance from the
        exact reference in ulps: compare/agree/exact_rows.py) where the exact reference was taken."""
        out = {"gradients": tables.gradient_table(self), "agreement": tables.agreement_table(self), "metrics": tables.metrics_table(self)}
        if self.exact is not None:
            out["exact"] = exact_rows.summary_table(self)
        return out

    @property
    def ok(self) -> bool:
        """Every run finished and every pair that should agree does (gradients and curves)."""
        return tables.passed(self, self.tables)

    def first_failing_tensor(self) -> dict[str, str | None]:
        """Per compared pair, the first tensor whose gradient fails walking back from the output layer (None: all agree)."""
        return tables.first_failing_tensor(self.tables["gradients"])

    def curve_frames(self, size: int | None = None):
        """The curves table (framework, epoch, step, loss) a chunk of steps of one run at a time."""
        per_epoch = harness.steps_per_epoch(self.spec, self.schedule.shape[1])
        names = list(self.histories)
        for i, history in enumerate(self.histories.values()):
            for start, stop in loss_file.spans(len(history.losses), size):
                steps = np.arange(start + 1, stop + 1)
                frame = {"framework": loss_file.label(i, names, len(steps)), "epoch": (steps - 1) // per_epoch + 1, "step": steps}
                yield pd.DataFrame({**frame, "loss": history.losses[start:stop]})

    @property
    def curves(self) -> pd.DataFrame:
        """Long format: framework, epoch, step (1-based), loss of that mini-batch before its update, all in memory
        (the bundle streams it with curve_frames)."""
        return loss_file.concat(self.curve_frames(), ["framework", "epoch", "step", "loss"])

    def save(self, out: str | Path | None = None, force: bool = False) -> Path:
        """Write the run bundle (see compare/io/bundle.py) to `out`, atomically; an existing non-empty folder needs force=True."""
        return bundle.save(self, out, force=force)
