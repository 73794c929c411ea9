"""deeplearning.ai style, written right: samples as columns, X (n_x, m); parameters a dict W1 (n1, n0), b1 (n1, 1), ...;
grads a dict dW1, db1, ... (and dA0, dA1, ...); helpers that take dA and Z, as in the course's L-layer model."""

import numpy as np


def sigmoid(Z):
    return 1 / (1 + np.exp(-Z))


def activation_forward(Z, name):
    if name == "sigmoid":
        return sigmoid(Z)
    if name == "tanh":
        return np.tanh(Z)
    if name == "relu":
        return np.maximum(0, Z)
    return Z  # identity


def activation_backward(dA, Z, name):
    if name == "sigmoid":
        s = sigmoid(Z)
        dZ = dA * s * (1 - s)
    elif name == "tanh":
        t = np.tanh(Z)
        dZ = dA * (1 - t**2)
    elif name == "relu":
        dZ = dA * (Z > 0)
    else:
        dZ = dA
    return dZ


def make(hidden=("sigmoid",), output="sigmoid", loss="mse"):
    """The course's L_model_forward + cost + L_model_backward for these activations and this loss."""

    def loss_and_grads(parameters, X, Y):
        m = X.shape[1]
        L = len(parameters) // 2
        caches = []
        A = X
        for l in range(1, L):  # noqa: E741  (the course and the book write l)
            A_prev = A
            Z = parameters["W" + str(l)] @ A_prev + parameters["b" + str(l)]  # (n_l, m)
            A = activation_forward(Z, hidden[l - 1])  # (n_l, m)
            caches.append((A_prev, Z))
        ZL = parameters["W" + str(L)] @ A + parameters["b" + str(L)]  # (n_L, m)
        caches.append((A, ZL))
        if loss == "ce":
            expZ = np.exp(ZL - ZL.max(axis=0, keepdims=True))  # (C, m)
            AL = expZ / expZ.sum(axis=0, keepdims=True)  # (C, m)
            cost = -np.sum(Y * np.log(AL)) / m
            dZL = (AL - Y) / m  # (C, m)
        elif loss == "bce":
            AL = sigmoid(ZL)  # (n_L, m)
            cost = -np.sum(Y * np.log(AL) + (1 - Y) * np.log(1 - AL)) / Y.size
            dZL = (AL - Y) / Y.size  # (n_L, m)
        else:
            AL = activation_forward(ZL, output)  # (n_L, m)
            cost = np.sum((AL - Y) ** 2) / Y.size
            dAL = 2 * (AL - Y) / Y.size  # (n_L, m)
            dZL = activation_backward(dAL, ZL, output)  # (n_L, m)
        grads = {}
        dZ = dZL
        for l in reversed(range(1, L + 1)):  # noqa: E741  (the course and the book write l)
            A_prev, Z = caches[l - 1]
            grads["dW" + str(l)] = dZ @ A_prev.T  # (n_l, n_{l-1})
            grads["db" + str(l)] = np.sum(dZ, axis=1, keepdims=True)  # (n_l, 1)
            dA_prev = parameters["W" + str(l)].T @ dZ  # (n_{l-1}, m)
            grads["dA" + str(l - 1)] = dA_prev
            if l > 1:
                dZ = activation_backward(dA_prev, caches[l - 2][1], hidden[l - 2])  # (n_{l-1}, m)
        return cost, grads

    return loss_and_grads


loss_and_grads = make()
