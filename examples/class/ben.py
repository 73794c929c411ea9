"""Problem set 3: the beginner network, by hand."""

import numpy as np


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def sigmoid_prime(z):
    return sigmoid(z) * (1 - sigmoid(z))


def loss_and_grads(params, X, y):
    (W1, b1), (W2, b2) = params
    N = len(X)
    # forward
    Z1 = X @ W1 + b1  # (N, 3)
    A1 = sigmoid(Z1)  # (N, 3)
    Z2 = A1 @ W2 + b2  # (N, 1)
    A2 = sigmoid(Z2)  # (N, 1)
    loss = np.mean((A2 - y) ** 2)
    # backward
    dA2 = 2 * (A2 - y) / N  # (N, 1)
    dZ2 = dA2 * sigmoid_prime(Z2)  # (N, 1)
    dW2 = A1.T @ dZ2  # (3, 1)
    db2 = dZ2.sum(axis=0)  # (1,)
    dA1 = dZ2 @ W2.T  # (N, 3)
    dZ1 = dA1 * sigmoid_prime(A1)  # (N, 3)  <- the slip: sigmoid_prime expects Z1
    dW1 = X.T @ dZ1  # (2, 3)
    db1 = dZ1.sum(axis=0)  # (3,)
    return loss, [(dW1, db1), (dW2, db2)]
