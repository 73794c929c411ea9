"""Right update rules in CS231n's shape, next_w, config = rule(w, dw, config), as assignment 2's optim.py writes them."""

import numpy as np


def sgd(w, dw, config=None):
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-2)
    w -= config["learning_rate"] * dw
    return w, config


def sgd_momentum(w, dw, config=None):
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("momentum", 0.9)
    v = config.get("velocity", np.zeros_like(w))
    v = config["momentum"] * v - config["learning_rate"] * dw
    next_w = w + v
    config["velocity"] = v
    return next_w, config


def nesterov(w, dw, config=None):
    """The lecture notes' form: x += -mu v_prev + (1 + mu) v."""
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("momentum", 0.9)
    mu = config["momentum"]
    v_prev = config.get("velocity", np.zeros_like(w))
    v = mu * v_prev - config["learning_rate"] * dw
    config["velocity"] = v
    return w - mu * v_prev + (1 + mu) * v, config


def rmsprop(w, dw, config=None):
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("decay_rate", 0.99)
    config.setdefault("epsilon", 1e-8)
    config.setdefault("cache", np.zeros_like(w))
    config["cache"] = config["decay_rate"] * config["cache"] + (1 - config["decay_rate"]) * dw**2
    next_w = w - config["learning_rate"] * dw / (np.sqrt(config["cache"]) + config["epsilon"])
    return next_w, config


def rmsprop_eps_inside(w, dw, config=None):
    """Keras's placement: eps under the square root."""
    config = {} if config is None else config
    config.setdefault("cache", np.zeros_like(w))
    config["cache"] = config["decay_rate"] * config["cache"] + (1 - config["decay_rate"]) * dw**2
    return w - config["learning_rate"] * dw / np.sqrt(config["cache"] + config["epsilon"]), config


def adam(w, dw, config=None):
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-3)
    config.setdefault("beta1", 0.9)
    config.setdefault("beta2", 0.999)
    config.setdefault("epsilon", 1e-8)
    config.setdefault("m", np.zeros_like(w))
    config.setdefault("v", np.zeros_like(w))
    config.setdefault("t", 0)
    beta1, beta2 = config["beta1"], config["beta2"]
    config["t"] += 1
    config["m"] = beta1 * config["m"] + (1 - beta1) * dw
    mt = config["m"] / (1 - beta1 ** config["t"])
    config["v"] = beta2 * config["v"] + (1 - beta2) * (dw**2)
    vt = config["v"] / (1 - beta2 ** config["t"])
    next_w = w - config["learning_rate"] * mt / (np.sqrt(vt) + config["epsilon"])
    return next_w, config


def adam_eps_hat(w, dw, config=None):
    """Keras's form (Kingma and Ba's "efficient" version): the bias correction folded into the step size."""
    config = {} if config is None else config
    for key in ("m", "v"):
        config.setdefault(key, np.zeros_like(w))
    config["t"] = config.get("t", 0) + 1
    b1, b2, t = config["beta1"], config["beta2"], config["t"]
    config["m"] = b1 * config["m"] + (1 - b1) * dw
    config["v"] = b2 * config["v"] + (1 - b2) * dw * dw
    alpha = config["learning_rate"] * np.sqrt(1 - b2**t) / (1 - b1**t)
    return w - alpha * config["m"] / (np.sqrt(config["v"]) + config["epsilon"]), config
