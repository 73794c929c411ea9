"""Hidden and output activations from keras.activations and keras.ops; GradientTape supplies the derivatives."""

import math

import keras
from keras import ops

ACTIVATIONS = {
    "sigmoid": keras.activations.sigmoid,
    "relu": keras.activations.relu,
    "tanh": keras.activations.tanh,
    "identity": keras.activations.linear,
}


def gelu(z):
    """Exact GELU, z (1 + erf(z / sqrt 2)) / 2, in keras.ops: keras.activations.gelu (tf.nn.gelu) is off by up
    to 5e-9 in float64."""
    return 0.5 * z * (1 + ops.erf(z / math.sqrt(2)))


def gelu_tanh(z):
    """GELU's tanh approximation in keras.ops, for the same reason (tf.nn.gelu(approximate=True): 9e-10 in float64)."""
    return 0.5 * z * (1 + ops.tanh(math.sqrt(2 / math.pi) * (z + 0.044715 * z**3)))


def activation(name: str, leaky_slope: float = 0.01, keras_own: bool = False):
    """The named activation: call it for a = f(z). leaky_slope: leaky_relu's slope for z < 0.

    keras_own=True: keras.activations' own leaky_relu and gelu, whose TF kernels hold the slope as a float32
    attribute and compute GELU to ~1e-9 in float64; otherwise the same formulas in keras.ops, exact in float64."""
    if name == "leaky_relu":
        if keras_own:
            return lambda z: keras.activations.leaky_relu(z, negative_slope=leaky_slope)
        return lambda z: ops.where(z > 0, z, leaky_slope * z)
    if name in ("gelu", "gelu_tanh"):
        if keras_own:
            return lambda z: keras.activations.gelu(z, approximate=name == "gelu_tanh")
        return gelu if name == "gelu" else gelu_tanh
    return ACTIVATIONS[name]
