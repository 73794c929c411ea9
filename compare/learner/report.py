"""What check found, shown two ways: the rich table and diagnosis in a terminal, an HTML table in Jupyter."""

from __future__ import annotations

import html
from dataclasses import dataclass, field

import pandas as pd
from rich.markup import escape

from compare.io import console
from compare.learner.evidence import Diagnosis
from compare.shared.spec import Spec


@dataclass
class Report:
    """The per-tensor table, the diagnosis, the line of their code that first goes wrong, notes (float32,
    the convention), and the training curves with --steps."""

    spec: Spec
    table: pd.DataFrame
    diagnosis: Diagnosis
    curves: pd.DataFrame | None = None
    line: str | None = None  # FILE:LINE  source  ← what departs there, or why tracing could not tell
    notes: list[str] = field(default_factory=list)
    printed: str = ""  # what the learner's code printed while loading and on its first call

    @property
    def ok(self) -> bool:
        curves_ok = self.curves is None or bool(self.curves["pass"].all()) or self.diagnosis.mistake == "relu_zero"
        return self.diagnosis.ok and curves_ok  # another ReLU'(0) may well part the curves: a convention still

    @property
    def title(self) -> str:
        return f"Your gradients against the reference, {self.spec.short()}, batch {self.spec.batch_size}"

    def verdict(self) -> str:
        return ("Right. " if self.diagnosis.ok else "Wrong. ") + self.diagnosis.message

    def print(self) -> None:
        if self.printed:
            console.console.print(self.printed.rstrip("\n"), markup=False, highlight=False)
        console.print_table(self.title, self.table)
        if self.curves is not None:
            console.print_table("Training with your gradients and plain SGD against the frameworks", self.curves)
        for note in self.notes:
            console.console.print(note, markup=False)
        console.console.print(
            ("[green]Right.[/] " if self.diagnosis.ok else "[red]Wrong.[/] ") + escape(self.diagnosis.message),
            markup=True,
        )
        if self.line:
            console.console.print(self.line, markup=False, highlight=False)

    def text(self) -> str:
        with console.console.capture() as out:
            self.print()
        return out.get()

    def _repr_html_(self) -> str:
        """The table, the verdict and the wrong line, for Jupyter."""
        fmt = {c: console.fmt for c in self.table.columns}
        parts = [f"<p><b>{html.escape(self.title)}</b></p>", self.table.to_html(index=False, formatters=fmt, na_rep="-")]
        if self.curves is not None:
            parts.append(self.curves.to_html(index=False, formatters={c: console.fmt for c in self.curves.columns}))
        parts += [f"<p>{html.escape(note)}</p>" for note in self.notes]
        color = "green" if self.diagnosis.ok else "red"
        parts.append(
            f'<p><b style="color:{color}">{"Right." if self.diagnosis.ok else "Wrong."}</b> {html.escape(self.diagnosis.message)}</p>'
        )
        if self.line:
            parts.append(f"<pre>{html.escape(self.line)}</pre>")
        return "\n".join(parts)
