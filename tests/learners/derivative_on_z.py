"""Mutant of correct.py: the activation derivative, a formula in a, is given the pre-activation z."""

import numpy as np


def activate(name, z):
    if name == "sigmoid":
        return 1 / (1 + np.exp(-z))
    if name == "tanh":
        return np.tanh(z)
    if name == "relu":
        return np.maximum(z, 0)
    return z  # identity


def derivative(name, z, a):
    """f'(z), using a = f(z) where that is simpler."""
    if name == "sigmoid":
        return a * (1 - a)
    if name == "tanh":
        return 1 - a**2
    if name == "relu":
        return (z > 0) * 1.0
    return np.ones_like(z)


def make(hidden=("sigmoid",), output="sigmoid", loss="mse"):
    """loss_and_grads for a network with these hidden activations, output activation and loss."""

    def loss_and_grads(params, X, y):
        N = len(X)
        As, Zs = [X], []
        for (W, b), name in zip(params[:-1], hidden):
            Zs.append(As[-1] @ W + b)  # (N, fan_out)
            As.append(activate(name, Zs[-1]))  # (N, fan_out)
        W, b = params[-1]
        Z = As[-1] @ W + b  # (N, O)
        if loss == "ce":
            P = np.exp(Z - Z.max(axis=1, keepdims=True))  # (N, C)
            P = P / P.sum(axis=1, keepdims=True)  # (N, C)
            Y = np.eye(Z.shape[1])[y]  # (N, C) one-hot
            L = -np.mean(np.log(P[np.arange(N), y]))
            dZ = (P - Y) / N  # (N, C)
        elif loss == "bce":
            P = activate("sigmoid", Z)  # (N, O)
            L = np.mean(-y * np.log(P) - (1 - y) * np.log(1 - P))
            dZ = (P - y) / y.size  # (N, O)
        else:
            P = activate(output, Z)  # (N, O)
            L = np.mean((P - y) ** 2)
            dA = 2 * (P - y) / y.size  # (N, O)
            dZ = dA * derivative(output, Z, P)  # (N, O)
        grads = []
        for layer in reversed(range(len(params))):
            W, b = params[layer]
            dW = As[layer].T @ dZ  # (fan_in, fan_out)
            db = dZ.sum(axis=0)  # (fan_out,)
            grads.insert(0, (dW, db))
            if layer > 0:
                dA = dZ @ W.T  # (N, fan_in)
                dZ = dA * derivative(hidden[layer - 1], Zs[layer - 1], Zs[layer - 1])  # (N, fan_in)
        return L, grads

    return loss_and_grads


loss_and_grads = make()  # the beginner network: sigmoid hidden layer, sigmoid output, MSE
