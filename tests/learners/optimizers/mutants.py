"""One slip each, in the shapes learners write, named after it (compare/optimizer_check/slips.py); MUTANTS gives
the optimizer each is checked as and the slip the check must name."""

import numpy as np


def _adam(w, dw, config, *, correct_m=True, correct_v=True, swap_corrections=False, t_step=1, square=True, swap_betas=False):
    """CS231n's adam with one knob turned."""
    beta1, beta2 = config["beta1"], config["beta2"]
    if swap_betas:
        beta1, beta2 = config["beta2"], config["beta1"]
    config.setdefault("m", np.zeros_like(w))
    config.setdefault("v", np.zeros_like(w))
    config.setdefault("t", 1 - t_step)
    config["t"] += t_step
    t = config["t"]
    config["m"] = beta1 * config["m"] + (1 - beta1) * dw
    config["v"] = beta2 * config["v"] + (1 - beta2) * (dw**2 if square else dw)
    bc1, bc2 = 1 - beta1**t, 1 - beta2**t
    if swap_corrections:
        bc1, bc2 = bc2, bc1
    mt = config["m"] / bc1 if correct_m else config["m"]
    vt = config["v"] / bc2 if correct_v else config["v"]
    return w - config["learning_rate"] * mt / (np.sqrt(vt) + config["epsilon"]), config


def no_bias_correction(w, dw, config=None):
    return _adam(w, dw, config, correct_m=False, correct_v=False)


def no_bias_correction_m(w, dw, config=None):
    return _adam(w, dw, config, correct_m=False)


def no_bias_correction_v(w, dw, config=None):
    return _adam(w, dw, config, correct_v=False)


def bias_correction_swapped(w, dw, config=None):
    return _adam(w, dw, config, swap_corrections=True)


def t_not_incremented(w, dw, config=None):
    return _adam(w, dw, config, t_step=0)


def v_from_g(w, dw, config=None):
    return _adam(w, dw, config, square=False)


def betas_swapped(w, dw, config=None):
    return _adam(w, dw, config, swap_betas=True)


class t_from_zero:  # noqa: N801  (named after its slip)
    """nnfs's Optimizer_Adam without the + 1 on iterations."""

    def __init__(self, learning_rate=0.001, epsilon=1e-7, beta_1=0.9, beta_2=0.999):
        self.lr, self.eps, self.b1, self.b2, self.iterations = learning_rate, epsilon, beta_1, beta_2, 0

    def update_params(self, layer):
        if not hasattr(layer, "weight_cache"):
            layer.weight_momentums, layer.weight_cache = np.zeros_like(layer.weights), np.zeros_like(layer.weights)
            layer.bias_momentums, layer.bias_cache = np.zeros_like(layer.biases), np.zeros_like(layer.biases)
        for p, m, c, g in (
            ("weights", "weight_momentums", "weight_cache", "dweights"),
            ("biases", "bias_momentums", "bias_cache", "dbiases"),
        ):
            setattr(layer, m, self.b1 * getattr(layer, m) + (1 - self.b1) * getattr(layer, g))
            setattr(layer, c, self.b2 * getattr(layer, c) + (1 - self.b2) * getattr(layer, g) ** 2)
            m_hat = getattr(layer, m) / (1 - self.b1**self.iterations)
            c_hat = getattr(layer, c) / (1 - self.b2**self.iterations)
            setattr(layer, p, getattr(layer, p) - self.lr * m_hat / (np.sqrt(c_hat) + self.eps))

    def post_update_params(self):
        self.iterations += 1


def ema_weights_swapped(w, dw, config=None):
    """RMSprop with the decay rate on the new term."""
    config.setdefault("cache", np.zeros_like(w))
    config["cache"] = (1 - config["decay_rate"]) * config["cache"] + config["decay_rate"] * dw**2
    return w - config["learning_rate"] * dw / (np.sqrt(config["cache"]) + config["epsilon"]), config


def lr_twice(w, dw, config=None):
    """Momentum with the learning rate in the velocity and again in the step."""
    v = config.get("velocity", np.zeros_like(w))
    v = config["momentum"] * v - config["learning_rate"] * dw
    config["velocity"] = v
    return w + config["learning_rate"] * v, config


def sign_update(parameters, grads, learning_rate):
    for key in parameters:
        parameters[key] = parameters[key] + learning_rate * grads["d" + key]
    return parameters


def sign_momentum(w, dw, config=None):
    v = config.get("velocity", np.zeros_like(w))
    v = -config["momentum"] * v - config["learning_rate"] * dw
    config["velocity"] = v
    return w + v, config


def state_dropped(w, dw, config=None):
    """CS231n's sgd_momentum that never stores the velocity back."""
    v = config.get("velocity", np.zeros_like(w))
    v = config["momentum"] * v - config["learning_rate"] * dw
    return w + v, config


class state_shared:  # noqa: N801
    """Momentum whose buffers are keyed by the tensor's shape."""

    def __init__(self, lr=0.01, momentum=0.9):
        self.lr, self.momentum, self.v = lr, momentum, {}

    def step(self, params, grads):
        for p, g in zip(params, grads):
            v = self.v.setdefault(p.shape, np.zeros_like(p))
            v *= self.momentum
            v -= self.lr * g
            p += v


class state_crossed:  # noqa: N801
    """Adam that keeps every tensor's moments right, then steps W1 with W2's and b1 with b2's (and back)."""

    def __init__(self, lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8):
        self.lr, self.b1, self.b2, self.eps, self.t, self.m, self.v = lr, beta1, beta2, eps, 0, None, None

    def step(self, params, grads):
        if self.m is None:
            self.m, self.v = [np.zeros_like(p) for p in params], [np.zeros_like(p) for p in params]
        self.t += 1
        for m, v, g in zip(self.m, self.v, grads):
            m[...] = self.b1 * m + (1 - self.b1) * g
            v[...] = self.b2 * v + (1 - self.b2) * g * g
        for k, p in enumerate(params):
            j = {0: 2, 2: 0, 1: 3, 3: 1}.get(k, k)  # the index slip
            p -= self.lr * (self.m[j] / (1 - self.b1**self.t)) / (np.sqrt(self.v[j] / (1 - self.b2**self.t)) + self.eps)


def eps_under_root(w, dw, config=None):
    """eps inside the square root of v̂, as in public course solutions."""
    config.setdefault("m", np.zeros_like(w))
    config.setdefault("v", np.zeros_like(w))
    config["t"] = config.get("t", 0) + 1
    b1, b2, t = config["beta1"], config["beta2"], config["t"]
    config["m"] = b1 * config["m"] + (1 - b1) * dw
    config["v"] = b2 * config["v"] + (1 - b2) * dw**2
    v_hat = config["v"] / (1 - b2**t)
    return w - config["learning_rate"] * config["m"] / (1 - b1**t) / np.sqrt(v_hat + config["epsilon"]), config


def no_sqrt(parameters, grads, v, s, t, learning_rate=0.01, beta1=0.9, beta2=0.999, epsilon=1e-8):
    for key in parameters:
        d = "d" + key
        v[d] = beta1 * v[d] + (1 - beta1) * grads[d]
        s[d] = beta2 * s[d] + (1 - beta2) * grads[d] ** 2
        parameters[key] = parameters[key] - learning_rate * (v[d] / (1 - beta1**t)) / (s[d] / (1 - beta2**t) + epsilon)
    return parameters, v, s


def no_sqrt_rmsprop(w, dw, config=None):
    config.setdefault("cache", np.zeros_like(w))
    config["cache"] = config["decay_rate"] * config["cache"] + (1 - config["decay_rate"]) * dw**2
    return w - config["learning_rate"] * dw / (config["cache"] + config["epsilon"]), config


def two_slips(parameters, grads, v, s, t, learning_rate=0.01, beta1=0.9, beta2=0.999, epsilon=1e-8):
    """Not one known slip but two, as in a public solution: t written as 2 in the correction of s, and no root."""
    for key in parameters:
        d = "d" + key
        v[d] = beta1 * v[d] + (1 - beta1) * grads[d]
        s[d] = beta2 * s[d] + (1 - beta2) * grads[d] ** 2
        parameters[key] = parameters[key] - learning_rate * (v[d] / (1 - beta1**t)) / (s[d] / (1 - beta2**2) + epsilon)
    return parameters, v, s


def lr_config_key(w, dw, config=None):
    """Right SGD that reads its rate under 'lr', not CS231n's 'learning_rate'."""
    return w - config["lr"] * dw, config


MUTANTS = {  # function -> (the optimizer it is checked as, the slip the check must name)
    "no_bias_correction": ("adam", "no_bias_correction"),
    "no_bias_correction_m": ("adam", "no_bias_correction_m"),
    "no_bias_correction_v": ("adam", "no_bias_correction_v"),
    "bias_correction_swapped": ("adam", "bias_correction_swapped"),
    "t_from_zero": ("adam", "t_from_zero"),
    "t_not_incremented": ("adam", "t_not_incremented"),
    "v_from_g": ("adam", "v_from_g"),
    "eps_under_root": ("adam", "eps_under_root"),
    "no_sqrt": ("adam", "no_sqrt"),
    "no_sqrt_rmsprop": ("rmsprop", "no_sqrt"),
    "betas_swapped": ("adam", "betas_swapped"),
    "ema_weights_swapped": ("rmsprop", "ema_weights_swapped"),
    "lr_twice": ("momentum", "lr_twice"),
    "sign_update": ("sgd", "sign_update"),
    "sign_momentum": ("momentum", "sign_momentum"),
    "state_dropped": ("momentum", "state_dropped"),
    "state_shared": ("momentum", "state_shared"),
    "state_crossed": ("adam", "state_crossed"),
}
