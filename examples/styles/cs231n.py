"""CS231n style, written right: a FullyConnectedNet with self.params W1 (D, H), b1 (H,), ...; layer functions with
caches; loss(X, y) returns (loss, grads) with grads under the same keys as params."""

import numpy as np


def affine_forward(x, w, b):
    out = x.reshape(x.shape[0], -1).dot(w) + b
    cache = (x, w, b)
    return out, cache


def affine_backward(dout, cache):
    x, w, b = cache
    dx = dout.dot(w.T).reshape(x.shape)
    dw = x.reshape(x.shape[0], -1).T.dot(dout)
    db = np.sum(dout, axis=0)
    return dx, dw, db


def relu_forward(x):
    out = np.maximum(0, x)
    cache = x
    return out, cache


def relu_backward(dout, cache):
    x = cache
    dx = dout * (x > 0)
    return dx


def softmax_loss(x, y):
    shifted = x - np.max(x, axis=1, keepdims=True)
    log_probs = shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))
    probs = np.exp(log_probs)
    N = x.shape[0]
    loss = -np.sum(log_probs[np.arange(N), y]) / N
    dx = (probs - np.eye(x.shape[1])[y]) / N
    return loss, dx


class FullyConnectedNet:
    def __init__(self, num_layers):
        self.num_layers = num_layers
        self.params = {}

    def loss(self, X, y):
        caches = []
        out = X
        for i in range(1, self.num_layers):
            out, fc_cache = affine_forward(out, self.params[f"W{i}"], self.params[f"b{i}"])
            out, relu_cache = relu_forward(out)
            caches.append((fc_cache, relu_cache))
        scores, fc_cache = affine_forward(out, self.params[f"W{self.num_layers}"], self.params[f"b{self.num_layers}"])
        loss, dscores = softmax_loss(scores, y)
        grads = {}
        dout, dw, db = affine_backward(dscores, fc_cache)
        grads[f"W{self.num_layers}"], grads[f"b{self.num_layers}"] = dw, db
        for i in reversed(range(1, self.num_layers)):
            fc_cache, relu_cache = caches[i - 1]
            dz = relu_backward(dout, relu_cache)
            dout, dw, db = affine_backward(dz, fc_cache)
            grads[f"W{i}"], grads[f"b{i}"] = dw, db
        return loss, grads


def make(hidden=("relu",), output="softmax", loss="ce"):
    """The glue: loss(params, X, y) sets the model's params and calls model.loss(X, y) (ReLU hidden layers, softmax loss)."""
    model = FullyConnectedNet(len(hidden) + 1)

    def loss(params, X, y):
        model.params = params
        return model.loss(X, y)

    return loss


loss = make()
