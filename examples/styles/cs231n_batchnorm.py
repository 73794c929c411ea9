"""A learner's two-layer network with batch norm's learned scale and shift, in CS231n's shape: params and grads are
dicts keyed W1, b1, W2, b2, gamma1, beta1; tanh, then batch norm, then a softmax cross-entropy (the mean)."""

import numpy as np

EPS = 1e-5


def loss_and_grads(params, X, y):
    W1, b1, W2, b2 = params["W1"], params["b1"], params["W2"], params["b2"]
    gamma, beta = params["gamma1"], params["beta1"]
    n = len(X)
    H = np.tanh(X @ W1 + b1)
    mu, var = H.mean(axis=0), H.var(axis=0)
    inv = 1 / np.sqrt(var + EPS)
    xhat = (H - mu) * inv
    A = gamma * xhat + beta
    scores = A @ W2 + b2
    p = np.exp(scores - scores.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    loss = -np.log(p[np.arange(n), y]).mean()
    dscores = p.copy()
    dscores[np.arange(n), y] -= 1
    dscores /= n
    dW2, db2 = A.T @ dscores, dscores.sum(axis=0)
    dA = dscores @ W2.T
    dgamma = (dA * xhat).sum(axis=0)
    dbeta = dA.sum(axis=0)
    dxhat = dA * gamma
    dH = inv / n * (n * dxhat - dxhat.sum(axis=0) - xhat * (dxhat * xhat).sum(axis=0))
    dZ1 = dH * (1 - H**2)
    dW1, db1 = X.T @ dZ1, dZ1.sum(axis=0)
    return loss, {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2, "gamma1": dgamma, "beta1": dbeta}
