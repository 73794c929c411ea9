"""PS3 -- my solution."""

import numpy as np


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def loss_and_grads(params, X, y):
    (W1, b1), (W2, b2) = params
    m = X.shape[0]
    h = sigmoid(np.dot(X, W1) + b1)  # layer 1
    out = sigmoid(np.dot(h, W2) + b2)  # output layer
    loss = np.mean((out - y) ** 2)
    delta2 = 2.0 * (out - y) / m * out * (1.0 - out)  # dL/dz at the output
    delta1 = np.dot(delta2, W2.T) * h * (1.0 - h)  # dL/dz at the hidden layer
    grads = [(np.dot(X.T, delta1), delta1.sum(axis=0)), (np.dot(h.T, delta2), delta2.sum(axis=0))]
    return loss, grads
