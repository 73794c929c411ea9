"""Hidden and output activations in NumPy: each one a piece holding f and its derivative, written in z and in a."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np


def sigmoid(z: np.ndarray) -> np.ndarray:
    """1 / (1 + e^-z), computed without overflow for large |z|."""
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0, e) / (1.0 + e)


def relu(z: np.ndarray) -> np.ndarray:
    return np.maximum(z, 0)


def identity(z: np.ndarray) -> np.ndarray:
    return z


@dataclass(frozen=True)
class Activation:
    """a = f(z) elementwise, and f'(z) written two ways: from z, and from a where f' is a formula in a.

    Backprop takes the formula in a where there is one (it costs no second exp or tanh); another piece with
    another `derivative` puts a convention or a learner's slip into the reference."""

    name: str
    f: Callable[[np.ndarray], np.ndarray]
    in_z: Callable[[np.ndarray], np.ndarray]  # f'(z) from z
    in_a: Callable[[np.ndarray], np.ndarray] | None = None  # f'(z) from a = f(z)

    def __call__(self, z: np.ndarray) -> np.ndarray:
        return self.f(z)

    def derivative(self, z: np.ndarray, a: np.ndarray) -> np.ndarray:
        """da/dz elementwise, from the pre-activation z and the activation a = f(z)."""
        return self.in_a(a) if self.in_a is not None else self.in_z(z)


ACTIVATIONS = {
    "sigmoid": Activation("sigmoid", sigmoid, in_z=lambda z: sigmoid(z) * (1 - sigmoid(z)), in_a=lambda a: a * (1 - a)),
    "tanh": Activation("tanh", np.tanh, in_z=lambda z: 1 - np.tanh(z) ** 2, in_a=lambda a: 1 - a * a),
    "relu": Activation("relu", relu, in_z=lambda z: (z > 0).astype(z.dtype)),  # 0 at the kink z = 0, as torch and TF
    "identity": Activation("identity", identity, in_z=np.ones_like),
}


def activation(name: str) -> Activation:
    """The named activation: call it for a = f(z); .derivative(z, a) for f'(z)."""
    return ACTIVATIONS[name]
