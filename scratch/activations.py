"""Hidden and output activations in NumPy, with their derivatives written by hand."""

import numpy as np


def sigmoid(z: np.ndarray) -> np.ndarray:
    """1 / (1 + e^-z), computed without overflow for large |z|."""
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0, e) / (1.0 + e)


def relu(z: np.ndarray) -> np.ndarray:
    return np.maximum(z, 0)


def tanh(z: np.ndarray) -> np.ndarray:
    return np.tanh(z)


def identity(z: np.ndarray) -> np.ndarray:
    return z


ACTIVATIONS = {"sigmoid": sigmoid, "relu": relu, "tanh": tanh, "identity": identity}


def activate(name: str, z: np.ndarray) -> np.ndarray:
    """a = f(z) for the named activation."""
    return ACTIVATIONS[name](z)


def derivative(name: str, z: np.ndarray, a: np.ndarray) -> np.ndarray:
    """da/dz elementwise, from the pre-activation z and the activation a = f(z)."""
    if name == "sigmoid":
        return a * (1 - a)  # sigma'(z) = a (1 - a)
    if name == "tanh":
        return 1 - a * a  # tanh'(z) = 1 - a^2
    if name == "relu":
        return (z > 0).astype(z.dtype)  # 1 where z > 0; 0 at the kink z = 0, as torch and TF
    return np.ones_like(z)
