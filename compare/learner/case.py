"""One check's inputs, built once: the spec, the weights and batch the learner's code is called on, the dropout
masks of the step, how their code takes its arguments, the tolerance, and the convention they declared."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from compare.learner.conventions import Convention
from compare.learner.layouts import Form, Params
from compare.shared.spec import Spec

# Learner against reference, max|a - b| / max|b| per tensor. Another summation order or another formula
# (1 / (1 + e^-z) for the stable sigmoid) moves the last digits (~1e-15 in float64, ~1e-6 in float32, ~1e-3 in
# float16); every known backprop mistake moves the first.
TOL = {"float64": 1e-7, "float32": 1e-4, "float16": 2e-2}


@dataclass(frozen=True)
class Case:
    spec: Spec
    params: Params  # canonical, (W, None) without biases
    X: np.ndarray  # canonical (N, fan_in)
    y: np.ndarray  # canonical targets: (N, outputs), or labels (N,) for ce
    masks: list | None  # the step's dropout masks, canonical (N, width) each, or None
    form: Form  # how the learner's code takes its arguments
    tol: float  # the check's tolerance, for the precision their code computes in
    declared: Convention | None = None  # --convention

    @property
    def N(self) -> int:
        return len(self.X)

    @property
    def outputs(self) -> int:
        """The loss's outputs per sample: 1 for cross-entropy (one loss per sample), the output layer's width otherwise."""
        return 1 if self.spec.loss_kind.labels else self.spec.layers[-1]

    @property
    def classes(self) -> int:
        return self.spec.layers[-1]
