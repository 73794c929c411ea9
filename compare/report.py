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
