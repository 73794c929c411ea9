"""nnfs style ("Neural Networks from Scratch"), written right: class-based layers that keep their inputs, biases and
their gradients of shape (1, n), forward(inputs) and backward(dvalues) setting self.dweights, self.dbiases, self.dinputs."""

import numpy as np


class Layer_Dense:
    def __init__(self, n_inputs, n_neurons):
        self.weights = 0.01 * np.random.randn(n_inputs, n_neurons)
        self.biases = np.zeros((1, n_neurons))

    def forward(self, inputs):
        self.inputs = inputs
        self.output = np.dot(inputs, self.weights) + self.biases

    def backward(self, dvalues):
        self.dweights = np.dot(self.inputs.T, dvalues)
        self.dbiases = np.sum(dvalues, axis=0, keepdims=True)
        self.dinputs = np.dot(dvalues, self.weights.T)


class Activation_ReLU:
    def forward(self, inputs):
        self.inputs = inputs
        self.output = np.maximum(0, inputs)

    def backward(self, dvalues):
        self.dinputs = dvalues * (self.inputs > 0)


class Activation_Sigmoid:
    def forward(self, inputs):
        self.inputs = inputs
        self.output = 1 / (1 + np.exp(-inputs))

    def backward(self, dvalues):
        self.dinputs = dvalues * (1 - self.output) * self.output


class Activation_Tanh:
    def forward(self, inputs):
        self.inputs = inputs
        self.output = np.tanh(inputs)

    def backward(self, dvalues):
        self.dinputs = dvalues * (1 - self.output**2)


class Activation_Softmax_Loss_CategoricalCrossentropy:
    def forward(self, inputs, y_true):
        exp_values = np.exp(inputs - np.max(inputs, axis=1, keepdims=True))
        self.output = exp_values / np.sum(exp_values, axis=1, keepdims=True)
        correct_confidences = self.output[range(len(self.output)), y_true]
        sample_losses = -np.log(correct_confidences)
        data_loss = np.mean(sample_losses)
        return data_loss

    def backward(self, dvalues, y_true):
        samples = len(dvalues)
        self.dinputs = (dvalues - np.eye(dvalues.shape[1])[y_true]) / samples


ACTIVATIONS = {"relu": Activation_ReLU, "sigmoid": Activation_Sigmoid, "tanh": Activation_Tanh}


def make(hidden=("relu",), output="softmax", loss="ce"):
    """The glue: build the layers, put the params in, run forward and backward, return (loss, [(dW, db), ...])."""

    def loss_and_grads(params, X, y):
        dense = []
        for W, b in params:
            layer = Layer_Dense(*W.shape)
            layer.weights, layer.biases = W, b
            dense.append(layer)
        activations = [ACTIVATIONS[name]() for name in hidden]
        loss_activation = Activation_Softmax_Loss_CategoricalCrossentropy()
        out = X
        for layer, activation in zip(dense[:-1], activations):
            layer.forward(out)
            activation.forward(layer.output)
            out = activation.output
        dense[-1].forward(out)
        loss = loss_activation.forward(dense[-1].output, y)
        loss_activation.backward(loss_activation.output, y)
        dvalues = loss_activation.dinputs
        dense[-1].backward(dvalues)
        for layer, activation in zip(reversed(dense[:-1]), reversed(activations)):
            activation.backward(dense[dense.index(layer) + 1].dinputs)
            layer.backward(activation.dinputs)
        return loss, [(layer.dweights, layer.dbiases) for layer in dense]

    return loss_and_grads


loss_and_grads = make()
