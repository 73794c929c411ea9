"""Nielsen style ("Neural Networks and Deep Learning", network.py), written right: a Network whose backprop(x, y)
takes one sample as a column and returns (nabla_b, nabla_w) of the cost ½‖a − y‖² (or cross-entropy), no loss."""

import numpy as np


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def activate(name, z):
    if name == "sigmoid":
        return sigmoid(z)
    if name == "tanh":
        return np.tanh(z)
    if name == "relu":
        return np.maximum(z, 0)
    return z  # identity


def prime(name, z):
    """f'(z), written in z as the book writes sigmoid_prime."""
    if name == "sigmoid":
        return sigmoid(z) * (1 - sigmoid(z))
    if name == "tanh":
        return 1 - np.tanh(z) ** 2
    if name == "relu":
        return (z > 0) * 1.0
    return np.ones_like(z)


class Network:
    def __init__(self, hidden, output, cost):
        self.hidden, self.output, self.cost = hidden, output, cost
        self.weights, self.biases = [], []

    def feedforward(self, a):
        for b, w, name in zip(self.biases, self.weights, [*self.hidden, self.output]):
            a = activate(name, np.dot(w, a) + b)
        return a

    def cost_value(self, x, y):
        z = np.dot(self.weights[-1], self.feedforward_hidden(x)) + self.biases[-1]
        if self.cost == "ce":
            a = np.exp(z - z.max()) / np.exp(z - z.max()).sum()
            return -np.sum(y * np.log(a))
        a = activate(self.output, z)
        if self.cost == "bce":
            return np.sum(-y * np.log(a) - (1 - y) * np.log(1 - a))
        return 0.5 * np.linalg.norm(a - y) ** 2

    def feedforward_hidden(self, a):
        for b, w, name in zip(self.biases[:-1], self.weights[:-1], self.hidden):
            a = activate(name, np.dot(w, a) + b)
        return a

    def backprop(self, x, y):
        nabla_b = [np.zeros(b.shape) for b in self.biases]
        nabla_w = [np.zeros(w.shape) for w in self.weights]
        activation = x
        activations = [x]
        zs = []
        for b, w, name in zip(self.biases[:-1], self.weights[:-1], self.hidden):
            z = np.dot(w, activation) + b
            zs.append(z)
            activation = activate(name, z)
            activations.append(activation)
        z = np.dot(self.weights[-1], activation) + self.biases[-1]
        zs.append(z)
        if self.cost == "ce":
            a = np.exp(z - z.max()) / np.exp(z - z.max()).sum()
            delta = a - y
        elif self.cost == "bce":
            a = sigmoid(z)
            delta = a - y
        else:
            a = activate(self.output, z)
            delta = (a - y) * prime(self.output, z)
        activations.append(a)
        nabla_b[-1] = delta
        nabla_w[-1] = np.dot(delta, activations[-2].transpose())
        for l in range(2, len(self.weights) + 1):  # noqa: E741  (the course and the book write l)
            z = zs[-l]
            sp = prime(self.hidden[-l + 1], z)
            delta = np.dot(self.weights[-l + 1].transpose(), delta) * sp
            nabla_b[-l] = delta
            nabla_w[-l] = np.dot(delta, activations[-l - 1].transpose())
        return (nabla_b, nabla_w)


def make(hidden=("sigmoid",), output="sigmoid", loss="mse"):
    """The glue a class-based network needs: backprop(params, x, y) sets the weights and calls the method."""
    net = Network(hidden, output, loss)

    def backprop(params, x, y):
        net.weights, net.biases = params
        return net.backprop(x, y)

    return backprop


def make_cost(hidden=("sigmoid",), output="sigmoid", loss="mse"):
    """The cost of one sample, for finite differences (--loss-function cost)."""
    net = Network(hidden, output, loss)

    def cost(params, x, y):
        net.weights, net.biases = params
        return net.cost_value(x, y)

    return cost


backprop = make()
cost = make_cost()
