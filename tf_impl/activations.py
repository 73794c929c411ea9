"""Hidden and output activations from keras.activations; GradientTape supplies the derivatives."""

import keras

ACTIVATIONS = {
    "sigmoid": keras.activations.sigmoid,
    "relu": keras.activations.relu,
    "tanh": keras.activations.tanh,
    "identity": keras.activations.linear,
}


def activation(name: str):
    """The named activation: call it for a = f(z)."""
    return ACTIVATIONS[name]
