"""Terminal output with rich: progress bars over epochs and tables."""

from __future__ import annotations

import math
import sys
from contextlib import contextmanager

import pandas as pd
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from compare.io.markdown import verdict_lines

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
    with Progress(
        TextColumn("{task.description:>12}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("epochs"),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    ) as progress:
        tasks = {name: progress.add_task(name, total=epochs) for name in names}

        def on_epoch(name: str, epoch: int) -> None:
            progress.update(tasks[name], completed=epoch)

        yield on_epoch


def say(text: str) -> None:
    """A line as it is: no markup, no highlighting, wrapped only by the terminal."""
    console.print(text, markup=False, highlight=False, soft_wrap=True)


def shown_gradients(grads: pd.DataFrame) -> pd.DataFrame:
    """The gradient table's columns a terminal shows: of_bound is the share of what round-off can explain the difference
    uses (the bound derived from the network); ulps only against the exact reference."""
    columns = ["pair", "tensor", "max_rel", "bound", "bound_ratio", "ulps_median", "ulps_max", "tolerance", "pass", "status"]
    return grads[[c for c in columns if c in grads]].rename(columns={"bound_ratio": "of_bound"})


def print_gradients(result) -> None:
    """The worst tensor per pair, and the first failing tensor walking back from the output."""
    grads = result.tables["gradients"]
    if not len(grads):
        return
    first = result.first_failing_tensor()
    shown = grads[grads["status"] != "not installed"]
    worst = shown.loc[shown.groupby("pair", sort=False)["max_rel"].idxmax()] if len(shown) else shown
    table = worst[["pair", "max_abs", "max_rel", "bound", "bound_ratio", "ulps_median", "tolerance"]].rename(
        columns={"bound_ratio": "of_bound"}
    )
    table["first_failing"] = [first.get(p) or "-" for p in table["pair"]]
    table["pass"] = [first.get(p) is None if p in first else None for p in table["pair"]]
    missing = grads[grads["status"] == "not installed"][["pair"]].assign(first_failing="not installed")
    frames = [f for f in (table, missing) if len(f)]
    print_table("Gradients at the initial weights, first mini-batch (worst tensor per pair)", pd.concat(frames, ignore_index=True))


def print_run(result) -> None:
    """A run in the terminal: the gradient, curve and metrics tables, then the verdict in sentences."""
    print_gradients(result)
    agree = result.tables["agreement"]
    if len(agree):
        columns = ["pair", "should_agree", "max_abs", "max_rel", "first_divergent_step", "final_weights_max_abs", "pass", "status"]
        own = lambda pair: any(name in result.native for name in pair.split(" vs "))  # noqa: E731
        words = [
            "yes" if a is True else "no: own defaults" if own(p) else "no: rules differ"
            for p, a in zip(agree["pair"], agree["should_agree"])
        ]
        print_table("Loss curves, every step", agree.assign(should_agree=words)[columns])
    print_table(f"Final metrics after {result.spec.epochs} epochs", result.tables["metrics"])
    if "exact" in result.tables:
        print_table(f"Distance from the exact reference, in ulps of {result.spec.dtype}", result.tables["exact"])
    for line in verdict_lines(result):
        say(line)


def print_explanation(explanation) -> None:
    """What reproduces each framework, as a table and in sentences."""
    print_table("What reproduces each framework", explanation.table)
    say(explanation.text())
