"""The contract the three implementations keep: one MLP interface, its methods in this order, that the harness, the
comparison and the explainer call; scratch/, torch_impl/ and tf_impl/ each define an MLP that satisfies it."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np

Params = list[tuple[np.ndarray, np.ndarray | None]]  # canonical: W (fan_in, fan_out), b (fan_out,), None without biases


@runtime_checkable
class MLP(Protocol):
    """One network of one framework, made from a Spec and initial Params (each folder's make(spec, params))."""

    def set_params(self, params: Params) -> None:
        """Every layer's (W, b), canonical, copied in."""

    def get_params(self) -> Params:
        """Every layer's (W, b), canonical, as float64 copies."""

    def forward(self, X: np.ndarray) -> np.ndarray:
        """Logits (N, outputs), evaluation mode."""

    def gradients(self, X: np.ndarray, y: np.ndarray, masks=None) -> tuple[float, Params]:
        """(the mini-batch's loss, [(dW, db), ...]) at the current weights, training mode, with the step's dropout
        masks if given; batch norm's running statistics left as they were."""

    def train_step(self, X: np.ndarray, y: np.ndarray, masks=None) -> float:
        """One update on a mini-batch; the loss before it."""

    def end_epoch(self) -> None:
        """After an epoch's last step: a per-epoch schedule moves on (nothing else happens)."""

    def loss(self, X: np.ndarray, y: np.ndarray, masks=None, training: bool = False) -> float:
        """The objective at the current weights: the mean loss plus the spec's L2 penalty; training=True: dropout
        with `masks` and batch norm on the batch's statistics, the running ones left as they were."""

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Network outputs: identity or sigmoid values, or softmax probabilities."""

    def evaluate(self, X: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
        """(mean loss, network outputs) from one forward pass."""


METHODS = tuple(name for name in MLP.__dict__ if not name.startswith("_"))  # in the order every MLP defines them
