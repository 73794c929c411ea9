"""Right optimizers as classes with step(params, grads), updating the arrays in place, one buffer per tensor."""

import numpy as np


class SGD:
    def __init__(self, lr=0.01):
        self.lr = lr

    def step(self, params, grads):
        for p, g in zip(params, grads):
            p -= self.lr * g


class Momentum:
    """torch's form: buf = mu buf + g; p -= lr buf (or, Nesterov, p -= lr (g + mu buf))."""

    def __init__(self, lr=0.01, momentum=0.9, nesterov=False):
        self.lr, self.momentum, self.nesterov = lr, momentum, nesterov
        self.bufs = None

    def step(self, params, grads):
        if self.bufs is None:
            self.bufs = [np.zeros_like(p) for p in params]
        for p, g, buf in zip(params, grads, self.bufs):
            buf *= self.momentum
            buf += g
            p -= self.lr * (g + self.momentum * buf if self.nesterov else buf)


class Adam:
    def __init__(self, lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8):
        self.lr, self.beta1, self.beta2, self.eps = lr, beta1, beta2, eps
        self.t, self.m, self.v = 0, None, None

    def step(self, params, grads):
        if self.m is None:
            self.m = [np.zeros_like(p) for p in params]
            self.v = [np.zeros_like(p) for p in params]
        self.t += 1
        for p, g, m, v in zip(params, grads, self.m, self.v):
            m[...] = self.beta1 * m + (1 - self.beta1) * g
            v[...] = self.beta2 * v + (1 - self.beta2) * g * g
            m_hat = m / (1 - self.beta1**self.t)
            v_hat = v / (1 - self.beta2**self.t)
            p -= self.lr * m_hat / (np.sqrt(v_hat) + self.eps)


class RMSprop:
    """Keras's placement: eps under the square root."""

    def __init__(self, lr=0.001, rho=0.9, eps=1e-7):
        self.lr, self.rho, self.eps = lr, rho, eps
        self.v = None

    def step(self, params, grads):
        self.v = self.v or [np.zeros_like(p) for p in params]
        for p, g, v in zip(params, grads, self.v):
            v[...] = self.rho * v + (1 - self.rho) * g**2
            p -= self.lr * g / np.sqrt(v + self.eps)
