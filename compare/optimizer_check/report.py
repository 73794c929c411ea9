"""What check_optimizer found, as a terminal table (rich) and as HTML in a notebook."""

from __future__ import annotations

import html
from dataclasses import dataclass

import pandas as pd
from rich.markup import escape

from compare.io import console
from compare.optimizer_check.diagnose import Finding
from compare.shared.spec import Spec


@dataclass
class Report:
    """The learner's optimizer against the references: the shape recognised, what was passed, the per-step
    differences, the finding, and with steps the MLP runs and their loss curves."""

    spec: Spec
    name: str  # their function or class
    their_gradients: bool  # the MLP trained on the learner's own backprop, not ours
    shape: str
    passed: dict  # their hyperparameter names -> the values given
    left: list[str]  # their parameters this check does not know, left at their defaults
    tensors: dict[str, str]  # tensor name -> the shape it was passed in
    table: pd.DataFrame  # step, then the max relative difference to each run
    finding: Finding
    runs: pd.DataFrame | None = None
    curves: pd.DataFrame | None = None

    @property
    def ok(self) -> bool:
        runs_ok = self.runs is None or bool(self.runs["pass"].dropna().all())
        return self.finding.ok and runs_ok

    def header(self) -> list[str]:
        passed = ", ".join(f"{k}={v:g}" for k, v in self.passed.items()) or "none"
        lines = [f"{self.name} as {self.spec.optimizer}: {self.shape}; hyperparameters passed as {passed}."]
        if self.left:
            lines.append(f"Left at your defaults (this check does not know them): {', '.join(self.left)}.")
        lines.append(
            "Tensors: " + ", ".join(f"{k} {v}" for k, v in self.tensors.items()) + "; the same random gradients for every run, float64."
        )
        return lines

    def message(self) -> str:
        """The finding, and where training the MLP parts from a run that follows the same rule, if it does."""
        text = self.finding.message
        if self.finding.ok and not self.ok:
            parted = self.runs[self.runs["pass"] == False]  # noqa: E712  (None: a run of another rule)
            text += (
                " But training the MLP, your weights part from "
                + ", ".join(f"{r.run} at step {r.first_divergent_step}" for r in parted.itertuples())
                + ", which follow the same rule: something in your update depends on more than these random gradients show."
            )
        return text

    def verdict(self) -> str:
        return ("Right. " if self.ok else "Wrong. ") + self.message()

    def print(self) -> None:
        for line in self.header():
            console.say(line)
        console.say("Per step, max |yours - theirs| / max |theirs - start| over your tensors, against each run:")
        console.print_table("Your weights against each run", self.table)
        if self.runs is not None:
            whose = "your gradients" if self.their_gradients else "our gradients"
            console.print_table(f"Training {self.spec.short()} with your {self.spec.optimizer} and {whose}", self.runs)
        console.console.print(("[green]Right.[/] " if self.ok else "[red]Wrong.[/] ") + escape(self.message()), markup=True)

    def text(self) -> str:
        with console.console.capture() as out:
            self.print()
        return out.get()

    def _repr_html_(self) -> str:
        color = "green" if self.ok else "red"
        parts = [f"<p>{html.escape(line)}</p>" for line in self.header()]
        parts.append(self.table.to_html(index=False, float_format=lambda x: f"{x:.3g}"))
        if self.runs is not None:
            parts.append(self.runs.to_html(index=False, float_format=lambda x: f"{x:.3g}", na_rep="-"))
        parts.append(f'<p style="color:{color}"><b>{html.escape(self.verdict())}</b></p>')
        return "\n".join(parts)
