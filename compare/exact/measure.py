"""The exact reference of a run: which update rules it follows for each run, how many steps of the curve it takes
(--exact on|off|auto), its first gradients and its curve, in quad or long double (or by the Fraction oracle), handed on
in long double."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from compare.exact import extended
from compare.shared import harness, implementations, loss_file
from compare.shared.spec import Spec

MODES = ("auto", "on", "off")
# --exact auto takes as many steps of the exact curve as cost at most SHARE of the run's own training, estimated from
# the network's size: per step, a reference step costs about COST[method][0] s plus COST[method][1] s a multiply-add
# (software quad arithmetic; NumPy's long-double matmul is not BLAS), the runs about RUN_STEP s plus RUN_MAC s a
# multiply-add each (measured on a 2-core x86-64: docs/exact.md). The first gradients are always taken (one step).
SHARE = 0.2
COST = {"quad": (3.4e-4, 5.6e-8), "longdouble": (8e-5, 6e-9)}
RUN_STEP, RUN_MAC = 2.5e-4, 2e-10
GELU_ENTRY = 4e-5  # s per GELU entry: its normal CDF by mpmath
ORACLE_STEPS = 20  # the Fraction oracle, where there is no long double: at most this many steps under auto
ORACLE_PARAMS = 200  # and on networks of at most this many parameters


class Curve:
    """A long-double loss per step, held as float64 hi + lo (split/join: exact), in memory or streamed into two .npy
    files (exact/losses-<rules>.npy and .lo.npy) so that a long run keeps nothing per step; read a slice at a time."""

    def __init__(self, steps: int, folder: Path | None = None, rules: str = "torch"):
        if folder is None:
            self.hi, self.lo = np.full(steps, np.nan), np.zeros(steps)
        else:
            folder.mkdir(parents=True, exist_ok=True)
            self.hi, self.lo = (loss_file.LossFile(path, steps) for path in paths(folder, rules))

    def __len__(self) -> int:
        return len(self.hi)

    def __setitem__(self, key: slice, values) -> None:
        self.hi[key], self.lo[key] = extended.split(values)

    def __getitem__(self, key: slice) -> np.ndarray:
        return extended.join(self.hi[key], self.lo[key])


def paths(folder: Path, rules: str) -> tuple[Path, Path]:
    """Where a curve of these update rules lives in a bundle's exact/ folder: its hi and its lo parts."""
    return folder / f"losses-{rules}.npy", folder / f"losses-{rules}.lo.npy"


@dataclass(frozen=True)
class Exact:
    """The exact reference of a run: first gradients and per-step losses under each update rule a run follows."""

    method: str  # "quad", "longdouble" or "fractions" (extended.HOW)
    mode: str  # what --exact asked: auto, on
    grads: dict[str, tuple]  # convention -> (loss, [(dW, db), ...]) in long double, at the initial weights, first mini-batch
    losses: dict[str, Curve] = field(default_factory=dict)  # convention -> long-double loss of each step taken
    steps: int = 0  # steps of the curve taken (the first ones)
    total: int = 0  # steps the runs took
    seconds: float = 0.0
    runs: dict[str, str] = field(default_factory=dict)  # run name -> the update rules (convention) its reference follows


def conventions(spec: Spec, names: list[str]) -> dict[str, str]:
    """Each run's exact reference: its own update rules where torch's and Keras's give different training curves, else
    torch's (one reference serves every run). Batch norm's running statistics do not touch the training curve."""
    training = spec.replace(batch_norm=False, bn_affine=False, dropout=0.0) if spec.batch_norm else spec
    rules = implementations.convention_matters(training)
    return {name: implementations.RUNS[name].convention if rules else "torch" for name in names}


def macs(spec: Spec) -> int:
    """Multiply-adds of one training step: the forward pass, dW and the error sent back, a mini-batch of batch_size."""
    sizes = list(zip(spec.layers[:-1], spec.layers[1:]))
    return spec.batch_size * (2 * sum(i * o for i, o in sizes) + sum(i * o for i, o in sizes[1:]))


def plan(spec: Spec, total: int, mode: str, n_refs: int = 1) -> int:
    """Steps of the exact curve to take: none (off), all (on), or under auto as many as cost at most SHARE of the runs'
    training, estimated (at least the first)."""
    if mode == "off" or total == 0:
        return 0
    if mode == "on":
        return total
    gelu = sum(w for w, a in zip(spec.layers[1:-1], spec.activations) if a == "gelu") * spec.batch_size * GELU_ENTRY
    if extended.method() is None:
        return min(total, ORACLE_STEPS)
    step, mac = COST[extended.method()]
    one = n_refs * (step + mac * macs(spec) + gelu)
    runs = len(spec.frameworks) + 1  # the NumPy reference in both rules, torch, TensorFlow
    budget = SHARE * total * runs * (RUN_STEP + RUN_MAC * macs(spec))
    return max(1, min(total, math.floor(budget / one)))


def available(spec: Spec) -> str | None:
    """Why no exact reference can be taken for this spec on this machine, or None."""
    if extended.method() is not None:
        return None
    from compare.exact.oracle import SUPPORTED

    params = sum(i * o + o for i, o in zip(spec.layers[:-1], spec.layers[1:]))
    tricks = spec.dropout > 0 or spec.clip_norm > 0 or spec.clip_value > 0 or spec.weight_decay > 0 or spec.schedule != "constant"
    if tricks or spec.class_weights is not None or params > ORACLE_PARAMS:
        return (
            f"this platform's long double is float64, and the Fraction oracle takes only networks of <= {ORACLE_PARAMS} "
            f"parameters with {SUPPORTED}"
        )
    return None


def _cast(data_X, data_y):
    y = data_y.astype(np.longdouble) if data_y.dtype.kind == "f" else data_y
    return data_X.astype(np.longdouble), y


def _model(spec: Spec, init, convention: str):
    if extended.method() is not None:
        return extended.build(spec, init, convention)
    from compare.exact.oracle_net import Oracle

    return Oracle(spec, init, convention)


def compute(
    spec: Spec, data, init, order, names: list[str], mode: str = "auto", masks=None, curve: bool = True, stream_to: Path | None = None
) -> Exact | None:
    """The exact reference of the runs `names` (their first gradients on the first mini-batch with its dropout `masks`,
    and, with curve, the first plan() steps of their curves, streamed into stream_to/exact/ if given); None when off,
    or where none can be taken (see available)."""
    if mode not in MODES:
        raise ValueError(f"exact: got {mode!r}; expected one of {', '.join(MODES)}")
    if mode == "off" or available(spec) is not None:
        return None
    start = time.perf_counter()
    runs = conventions(spec, names)
    total = len(order) * harness.steps_per_epoch(spec, order.shape[1])
    steps = plan(spec, total, mode, len(set(runs.values()))) if curve else 0
    X, y = _cast(data.X_train, data.y_train)
    first = next(harness.batches(order, spec.batch_size))[2]
    wide = None if masks is None else [m.astype(np.longdouble) for m in masks]
    grads, losses = {}, {}
    for convention in sorted(set(runs.values()), reverse=True):  # torch first
        model = _model(spec, init, convention)
        grads[convention] = model.gradients(X[first], y[first]) if wide is None else model.gradients(X[first], y[first], wide)
        out = Curve(steps, None if stream_to is None else Path(stream_to) / "exact", convention)
        losses[convention] = _curve(_model(spec, init, convention), spec, X, y, order, out)
    return Exact(extended.method() or "fractions", mode, grads, losses, steps, total, time.perf_counter() - start, runs)


def _curve(model, spec: Spec, X, y, order, out: Curve) -> Curve:
    """The first len(out) losses of the curve, each before its update, in long double, written an epoch at a time."""
    per_epoch = harness.steps_per_epoch(spec, order.shape[1])
    dropout = harness.Dropout(spec) if spec.dropout > 0 else None  # the masks every run took, in its dtype
    epoch = np.full(per_epoch, np.nan, np.longdouble)
    with np.errstate(all="ignore"):
        for k, (_, i, idx) in enumerate(harness.batches(order, spec.batch_size)):
            if k >= len(out):
                break
            masks = None if dropout is None else [m.astype(np.longdouble) for m in dropout.draw(len(idx))]
            epoch[i] = model.train_step(X[idx], y[idx]) if masks is None else model.train_step(X[idx], y[idx], masks)
            if i == per_epoch - 1 and hasattr(model, "end_epoch"):
                model.end_epoch()
            last = k + 1 == len(out) or not np.isfinite(epoch[i])
            if i == per_epoch - 1 or last:
                out[k - i : k + 1] = epoch[: i + 1]
            if not np.isfinite(epoch[i]):
                break
    return out
