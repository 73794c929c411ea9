"""Hidden and output activations in NumPy: each one a piece holding f and its derivative, written in z and in a."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.special import erf  # the one special function NumPy lacks


def sigmoid(z: np.ndarray) -> np.ndarray:
    """1 / (1 + e^-z), computed without overflow for large |z|."""
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0, e) / (1.0 + e)


def relu(z: np.ndarray) -> np.ndarray:
    return np.maximum(z, 0)


def identity(z: np.ndarray) -> np.ndarray:
    return z


def leaky_relu(slope: float) -> Activation:
    """f(z) = z for z > 0, slope z otherwise; f'(z) = 1 or slope (slope at the kink z = 0, as torch and TF)."""
    return Activation(
        "leaky_relu",
        lambda z: np.where(z > 0, z, slope * z),
        in_z=lambda z: np.where(z > 0, 1.0, slope).astype(z.dtype),
    )


SQRT_2_OVER_PI = math.sqrt(2 / math.pi)
GELU_CUBIC = 0.044715


def gelu(z: np.ndarray) -> np.ndarray:
    """z Phi(z) = z (1 + erf(z / sqrt 2)) / 2, Phi the standard normal CDF."""
    return 0.5 * z * (1 + erf(z / math.sqrt(2)))


def gelu_in_z(z: np.ndarray) -> np.ndarray:
    """Phi(z) + z phi(z), phi the standard normal density."""
    return 0.5 * (1 + erf(z / math.sqrt(2))) + z * np.exp(-0.5 * z * z) / math.sqrt(2 * math.pi)


def gelu_tanh(z: np.ndarray) -> np.ndarray:
    """The tanh approximation: z (1 + tanh(u)) / 2 with u = sqrt(2/pi) (z + 0.044715 z^3)."""
    return 0.5 * z * (1 + np.tanh(SQRT_2_OVER_PI * (z + GELU_CUBIC * z**3)))


def gelu_tanh_in_z(z: np.ndarray) -> np.ndarray:
    """(1 + t) / 2 + z (1 - t^2) u' / 2, t = tanh(u), u' = sqrt(2/pi) (1 + 3 * 0.044715 z^2)."""
    t = np.tanh(SQRT_2_OVER_PI * (z + GELU_CUBIC * z**3))
    du = SQRT_2_OVER_PI * (1 + 3 * GELU_CUBIC * z * z)
    return 0.5 * (1 + t) + 0.5 * z * (1 - t * t) * du


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
    "gelu": Activation("gelu", gelu, in_z=gelu_in_z),
    "gelu_tanh": Activation("gelu_tanh", gelu_tanh, in_z=gelu_tanh_in_z),
}


def activation(name: str, leaky_slope: float = 0.01) -> Activation:
    """The named activation: call it for a = f(z); .derivative(z, a) for f'(z). leaky_slope: leaky_relu's
    slope for z < 0."""
    return leaky_relu(leaky_slope) if name == "leaky_relu" else ACTIVATIONS[name]
