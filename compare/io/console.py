"""Terminal output with rich: progress bars over epochs and the comparison tables."""

from __future__ import annotations

import math
import sys
from contextlib import contextmanager

import pandas as pd
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

console = Console(width=None if sys.stdout.isatty() else 160)


def fmt(value) -> str:
    """Numbers in scientific notation, booleans as pass/FAIL, missing values as '-'."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if isinstance(value, bool):
        return "pass" if value else "FAIL"
    if isinstance(value, float):
        return f"{value:.3g}" if 1e-3 <= abs(value) < 1e4 or value == 0 else f"{value:.2e}"
    return str(value)


def print_table(title: str, frame: pd.DataFrame) -> None:
    table = Table(title=title, title_justify="left", header_style="bold")
    for column in frame.columns:
        table.add_column(str(column), justify="right" if frame[column].dtype.kind in "fi" else "left")
    for row in frame.itertuples(index=False):
        table.add_row(*(fmt(v.item() if hasattr(v, "item") else v) for v in row))
    console.print(table)


@contextmanager
def progress_bars(names: list[str], epochs: int):
    """A context giving on_epoch(name, epoch) that advances one bar per framework."""
    with Progress(TextColumn("{task.description:>12}"), BarColumn(), MofNCompleteColumn(), TextColumn("epochs"),
                  TimeElapsedColumn(), console=console, transient=False) as progress:  # fmt: skip
        tasks = {name: progress.add_task(name, total=epochs) for name in names}

        def on_epoch(name: str, epoch: int) -> None:
            progress.update(tasks[name], completed=epoch)

        yield on_epoch


def _md(frame: pd.DataFrame) -> str:
    return frame.to_markdown(index=False, floatfmt=".3g") if len(frame) else "_(none)_"


def verdict_lines(result, tables: dict) -> list[str]:
    """One sentence per finding: failing tensors, diverging pairs, stopped runs, missing frameworks."""
    lines = []
    for pair, tensor in result.first_failing_tensor().items():
        if tensor:
            lines.append(f"- **{pair}**: gradients differ; walking back from the output, the first failing tensor is `{tensor}`.")
    agree = tables["agreement"]
    for _, row in agree[agree["status"] == "ok"].iterrows():
        if row["should_agree"] and not row["pass"]:
            lines.append(f"- **{row['pair']}**: {row['verdict']}.")
        elif not row["should_agree"]:
            lines.append(f"- **{row['pair']}** differ by design ({row['reason']}): max relative loss difference {row['max_rel']:.2e}.")
    for name, h in result.histories.items():
        if not h.ok:
            lines.append(f"- **{name}** stopped: the loss became NaN or infinite at step {h.failed_step}.")
    lines += [f"- **{name}** is not installed: its rows are marked so." for name in result.missing]
    head = "All pairs that should agree do, to round-off." if result.ok else "Some pairs that should agree do not."
    return [head, ""] + lines


def markdown_summary(result, tables: dict) -> str:
    metrics = tables["metrics"]
    return "\n".join(
        [f"# Summary: {result.spec.short()}", "", *verdict_lines(result, tables), "", "## Final metrics", "", _md(metrics), ""]
    )


def markdown_report(result, tables: dict) -> str:
    """The bundle's report.md: spec, verdict, tables and figures, readable on GitHub."""
    spec, env = result.spec, result.environment
    agree = tables["agreement"]
    versions = ", ".join(f"{k} {env[k]}" for k in ("python", "numpy", "torch", "tensorflow", "keras") if env.get(k))
    return "\n".join([
        f"# mlp-compare run: {spec.short()}", "",
        f"{spec.epochs} epochs of {len(result.data.X_train)} training samples in mini-batches of {spec.batch_size}, "
        f"seed {spec.seed}, {spec.dtype}. Every hyperparameter is in `spec.json`; {versions}.", "",
        "## Verdict", "", *verdict_lines(result, tables), "",
        "## Gradients at the initial weights (first mini-batch, output layer first)", "", _md(tables["gradients"]), "",
        "![gradient errors](grad_errors.png)", "",
        "## Loss curves", "", _md(agree), "", "![loss curves](loss_curves.png)", "",
        "## Final metrics", "", _md(tables["metrics"]), "",
        "## Re-verify", "",
        "`data.npz`, `init.npz` (W1, b1, ... in (fan_in, fan_out) layout) and `schedule.npy` (the sample order of each epoch; "
        "mini-batches are consecutive slices of `batch_size`) are all a re-run needs; `curves.csv` holds the loss of each "
        "mini-batch before its update, `grads/` and `final/` the first gradients and the final weights per framework.", "",
    ])  # fmt: skip


def concat(*frames: pd.DataFrame) -> pd.DataFrame:
    """Stack tables that share some columns (empty ones are skipped)."""
    frames = [f for f in frames if len(f)]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
