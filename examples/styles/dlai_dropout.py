"""deeplearning.ai style with inverted dropout (Course 2, "Regularization"): samples as columns, parameters in a dict,
the keep mask D1 applied forward and back and divided by keep_prob; the check hands the mask in as `masks`
where the course draws it with np.random.rand."""

import numpy as np


def sigmoid(Z):
    return 1 / (1 + np.exp(-Z))


def loss_and_grads(parameters, X, Y, masks, keep_prob=0.7):  # the check's --dropout 0.3
    W1, b1, W2, b2 = parameters["W1"], parameters["b1"], parameters["W2"], parameters["b2"]
    Z1 = W1 @ X + b1  # (n1, m)
    S1 = sigmoid(Z1)
    D1 = masks[0] > 0  # the course: D1 = np.random.rand(*S1.shape) < keep_prob
    A1 = S1 * D1 / keep_prob
    Z2 = W2 @ A1 + b2  # (1, m)
    A2 = sigmoid(Z2)
    cost = np.mean((A2 - Y) ** 2)
    dA2 = 2 * (A2 - Y) / Y.size
    dZ2 = dA2 * A2 * (1 - A2)
    dW2 = dZ2 @ A1.T
    db2 = np.sum(dZ2, axis=1, keepdims=True)
    dA1 = W2.T @ dZ2
    dH1 = dA1 * D1 / keep_prob
    dZ1 = dH1 * S1 * (1 - S1)
    dW1 = dZ1 @ X.T
    db1 = np.sum(dZ1, axis=1, keepdims=True)
    return cost, {"dW1": dW1, "db1": db1, "dW2": dW2, "db2": db2}


def without_masks(parameters, X, Y):
    """The same network with keep_prob = 1, as the course checks its gradients: no masks to take."""
    return loss_and_grads(parameters, X, Y, [np.ones((len(parameters["W1"]), X.shape[1]))], keep_prob=1.0)
