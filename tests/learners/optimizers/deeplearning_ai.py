"""Right update rules in deeplearning.ai's shape (Improving Deep Neural Networks, week 2): dicts W1, b1, ...
and dW1, db1, ..., state v and s made by initialize_velocity / initialize_adam."""
# ruff: noqa: E741  (the course names its layer index l)

import numpy as np


def initialize_velocity(parameters):
    L = len(parameters) // 2
    v = {}
    for l in range(L):
        v["dW" + str(l + 1)] = np.zeros(parameters["W" + str(l + 1)].shape)
        v["db" + str(l + 1)] = np.zeros(parameters["b" + str(l + 1)].shape)
    return v


def initialize_adam(parameters):
    L = len(parameters) // 2
    v, s = {}, {}
    for l in range(L):
        for p in ("W", "b"):
            v["d" + p + str(l + 1)] = np.zeros(parameters[p + str(l + 1)].shape)
            s["d" + p + str(l + 1)] = np.zeros(parameters[p + str(l + 1)].shape)
    return v, s


def update_parameters_with_gd(parameters, grads, learning_rate):
    L = len(parameters) // 2
    for l in range(L):
        parameters["W" + str(l + 1)] = parameters["W" + str(l + 1)] - learning_rate * grads["dW" + str(l + 1)]
        parameters["b" + str(l + 1)] = parameters["b" + str(l + 1)] - learning_rate * grads["db" + str(l + 1)]
    return parameters


def update_parameters_with_momentum(parameters, grads, v, beta, learning_rate):
    """The course's form: v is an exponential moving average of the gradients."""
    L = len(parameters) // 2
    for l in range(L):
        for p in ("W", "b"):
            key = p + str(l + 1)
            v["d" + key] = beta * v["d" + key] + (1 - beta) * grads["d" + key]
            parameters[key] = parameters[key] - learning_rate * v["d" + key]
    return parameters, v


def update_parameters_with_nesterov(parameters, grads, v, beta, learning_rate):
    """torch's form: buf = beta buf + g; p -= lr (g + beta buf)."""
    for key in parameters:
        v["d" + key] = beta * v["d" + key] + grads["d" + key]
        parameters[key] = parameters[key] - learning_rate * (grads["d" + key] + beta * v["d" + key])
    return parameters, v


def update_parameters_with_rmsprop(parameters, grads, s, learning_rate=0.01, beta2=0.99, epsilon=1e-8):
    for key in parameters:
        s["d" + key] = beta2 * s["d" + key] + (1 - beta2) * np.square(grads["d" + key])
        parameters[key] = parameters[key] - learning_rate * grads["d" + key] / (np.sqrt(s["d" + key]) + epsilon)
    return parameters, s


def update_parameters_with_adam(parameters, grads, v, s, t, learning_rate=0.01, beta1=0.9, beta2=0.999, epsilon=1e-8):
    L = len(parameters) // 2
    v_corrected = {}
    s_corrected = {}
    for l in range(L):
        for p in ("W", "b"):
            key = "d" + p + str(l + 1)
            v[key] = beta1 * v[key] + (1 - beta1) * grads[key]
            v_corrected[key] = v[key] / (1 - np.power(beta1, t))
            s[key] = beta2 * s[key] + (1 - beta2) * np.power(grads[key], 2)
            s_corrected[key] = s[key] / (1 - np.power(beta2, t))
            parameters[p + str(l + 1)] = parameters[p + str(l + 1)] - learning_rate * v_corrected[key] / (
                np.sqrt(s_corrected[key]) + epsilon
            )
    return parameters, v, s, v_corrected, s_corrected
