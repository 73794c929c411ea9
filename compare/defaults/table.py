"""The defaults table: every known default and convention difference between PyTorch, TensorFlow/Keras
and the NumPy reference, measured live on the installed versions (no number is a constant)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from compare.defaults import keras_fit, losses, norms, tricks
from compare.defaults import numerics as runtime_rows
from compare.defaults import optimizers as rows
from compare.defaults.probe import Probe
from compare.io import formats
from compare.shared.native import load_keras

COLUMNS = {
    "what": "what",
    "torch": "PyTorch",
    "keras": "TensorFlow/Keras",
    "numpy": "our NumPy reference",
    "align": "how to align",
    "effect": "measured effect (max |Δ| of parameters, torch vs Keras)",
}


@dataclass(frozen=True)
class Row:
    """One row: its anchor (for links from docs), how it is measured, and the probe field a test moves."""

    key: str
    measure: Callable[..., dict]
    knob: dict  # a Probe change that must move the row's 'default' number
    runtime: bool = False  # needs the oneDNN/threads subprocesses


ROWS = [
    Row("weight-layout", rows.weight_layout, {"seed": 1}),
    Row("default-init", rows.default_init, {"seed": 1}),
    Row("default-lr", rows.default_lr, {"steps": 2}),
    Row("momentum", rows.momentum, {"steps": 2}),
    Row("nesterov", rows.nesterov, {"steps": 2}),
    Row("adam", rows.adam, {"steps": 2}),
    Row("rmsprop", rows.rmsprop, {"steps": 2}),
    Row("rmsprop-centered", rows.rmsprop_centered, {"steps": 2}),
    Row("weight-decay", rows.weight_decay, {"steps": 2}),
    Row("bce-probabilities", losses.bce_probabilities, {"steps": 2}),
    Row("ce-probabilities", losses.ce_probabilities, {"steps": 2}),
    Row("mse-shapes", losses.mse_shapes, {"steps": 2}),
    Row("float32-rounding", runtime_rows.float32_rounding, {"lr": 0.07}),
    Row("float32-vs-float64", runtime_rows.dtypes, {"seed": 1}),
    Row("onednn", runtime_rows.onednn, {"steps": 2}, runtime=True),
    Row("threads", runtime_rows.threads, {"seed": 1}),
    Row("leaky-relu", tricks.leaky_relu, {"steps": 2}),
    Row("gelu", tricks.gelu, {"steps": 2}),
    Row("l2", tricks.l2, {"steps": 2}),
    Row("class-weights", tricks.class_weights, {"steps": 2}),
    Row("clipping", tricks.clipping, {"steps": 2}),
    Row("lr-schedule", tricks.schedules, {"steps": 9}),
    Row("dropout", tricks.dropout, {"steps": 2}),
    Row("batch-norm", tricks.batch_norm, {"steps": 2}),
    Row("batch-norm-affine", norms.batch_norm_affine, {"steps": 2}),
    Row("data-order", tricks.data_order, {"steps": 9}),
    Row("fit-running-mean", keras_fit.fit_running_mean, {"seed": 1}),
    Row("accuracy-metric", keras_fit.accuracy_metric, {"seed": 1}),
]
KEYS = [r.key for r in ROWS]


def measure(probe: Probe | None = None, only: list[str] | None = None, runtime: dict | None = None) -> pd.DataFrame:
    """Measure every row (or the named ones) on the probe network; one DataFrame row each, indexed by key.

    runtime: the oneDNN/threads subprocess results, if measured already."""
    load_keras()  # torch first, then TensorFlow without its start-up banner

    probe = probe or Probe()
    wanted = [r for r in ROWS if only is None or r.key in only]
    if runtime is None and any(r.key == "onednn" for r in wanted):
        runtime = runtime_rows.runtime_subprocesses(probe)
    out = []
    for r in wanted:
        values = r.measure(probe, runtime) if r.runtime else r.measure(probe)
        out.append({"key": r.key, **values})
    return pd.DataFrame(out).set_index("key")


def table(frame: pd.DataFrame) -> pd.DataFrame:
    """The six reader-facing columns, renamed."""
    return frame[list(COLUMNS)].rename(columns=COLUMNS).reset_index(drop=True)


def render(frame: pd.DataFrame, fmt: str, anchors: bool = False) -> str:
    """The table as markdown, csv (every measured number too), latex or html.
    anchors: markdown rows start with <a id="key"></a>, so documents can link to a row."""
    if fmt == "csv":
        return formats.render(frame.reset_index(), "csv", csv_floats="%.6g")
    shown = table(frame)
    if fmt == "markdown" and anchors:
        shown.iloc[:, 0] = [f'<a id="{key}"></a>{what}' for key, what in zip(frame.index, shown.iloc[:, 0])]
    if fmt == "latex":  # columns wide enough to wrap their words
        escaped = shown.map(formats.latex_escape)
        escaped.columns = [formats.latex_escape(c) for c in shown.columns]
        return escaped.to_latex(index=False, column_format="p{2.2cm}" * len(shown.columns))
    return formats.render(shown, fmt, floats=None, border=1)


def versions() -> str:
    import numpy
    import tensorflow
    import torch

    keras = load_keras()

    return f"torch {torch.__version__}, tensorflow {tensorflow.__version__}, keras {keras.__version__}, numpy {numpy.__version__}"
