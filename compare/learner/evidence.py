"""What the diagnosis rules look at (Evidence: their loss and gradients beside the reference's in their convention,
which tensors are wrong walking back from the output) and what a rule returns (Diagnosis)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from compare.learner.case import Case
from compare.learner.conventions import Convention
from compare.learner.mistakes import words
from compare.learner.model import Model
from compare.learner.numbers import close
from compare.shared import weights


@dataclass(frozen=True)
class Diagnosis:
    ok: bool  # right, or different only by a convention
    first_wrong: str | None  # walking back from the output: dW_L, db_L, dW_{L-1}, ...; "loss" if only the loss is wrong
    mistakes: tuple[str, ...]  # keys of MISTAKES (a sign and a scale together: two), ("relu_zero",), ("convention",), ...
    message: str
    model: Model = Model(None)  # the reference in their convention: scale, L2 form
    plan: dict | None = None  # the slips that reproduce their gradients (for the tracer)
    factor: float | None = None  # a scale mistake: their gradients = factor × the model's

    @property
    def mistake(self) -> str | None:
        """The mistake's name for display: 'batch', 'sign+batch', or None when no known mistake fits."""
        return "+".join(self.mistakes) or None

    @property
    def convention(self) -> Convention | None:
        return self.model.convention

    @property
    def scale(self) -> float:
        return self.model.c


@dataclass(frozen=True)
class Evidence:
    """What every rule looks at."""

    case: Case
    loss: float | None
    grads: list  # theirs, canonical; a tensor of another shape kept as it came
    expected: list  # the reference's, in their convention (the model)
    expected_loss: float
    data_grads: list  # the reference's data gradients (no penalty), in the spec's own units
    model: Model
    fd_agrees: bool | None
    under: str  # "Under your convention (...): " or ""
    strength: float = 0.0  # the L2 strength they gave: --l2, or found in their code
    source: str = ""  # where that strength was found

    @cached_property
    def order(self) -> list[tuple[int, int]]:
        """(layer, 0 for dW / 1 for db), walking back from the output; biases only where the network has them."""
        return [(i, j) for i in weights.walk_back(self.case.params) for j in (0, 1) if j == 0 or self.expected[i][1] is not None]

    def name(self, i: int, j: int) -> str:
        return weights.pair_names(weights.n_linear(self.case.params), i, "d")[j]

    def shaped(self, i: int, j: int) -> bool:
        return np.shape(self.grads[i][j]) == np.shape(self.expected[i][j])

    @cached_property
    def wrong(self) -> list[tuple[int, int]]:
        return [(i, j) for i, j in self.order if not self.shaped(i, j) or not close(self.grads[i][j], self.expected[i][j], self.case.tol)]

    @property
    def loss_ok(self) -> bool:
        return self.loss is None or close(self.loss, self.expected_loss, self.case.tol)

    def found(self, mistakes: tuple[str, ...], detail: str, **kw) -> Diagnosis:
        """The first wrong tensor named with its mistake and fix."""
        what, fix = words(mistakes, self.case.form.columns)
        first = self.name(*self.wrong[0])
        message = f"{self.under}{first} is the first wrong tensor walking back from the output: {what} ({detail}). Fix: {fix}."
        return Diagnosis(False, first, mistakes, message, self.model, **kw)
