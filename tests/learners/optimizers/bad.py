"""Update rules the check must refuse (exit 2, one line): each breaks the contract, not the arithmetic."""

import numpy as np


def returns_none(w, dw, config=None):
    w -= config["learning_rate"] * dw  # in place, and forgets to return


def changes_shape(parameters, grads, learning_rate):
    for key in parameters:
        g = grads["d" + key].ravel() if key.startswith("b") else grads["d" + key]
        parameters[key] = parameters[key] - learning_rate * g  # b (n, 1) - (n,) broadcasts to (n, n)
    return parameters


def nan_at_step_3(w, dw, config=None):
    config["t"] = config.get("t", 0) + 1
    scale = np.nan if config["t"] == 3 else 1.0
    return w - config["learning_rate"] * scale * dw, config


def drops_keys(w, dw, config=None):
    v = config.get("velocity", np.zeros_like(w))
    v = config["momentum"] * v - config["learning_rate"] * dw
    return w + v, {"velocity": v}  # a new dict: learning_rate and momentum are gone


class NoStep:
    def __init__(self, lr=0.1):
        self.lr = lr

    def update(self, params, grads):
        pass


def adam(w, dw):  # no config
    return w - 0.001 * dw
