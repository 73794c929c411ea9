# Data Science from Scratch (2nd ed.), chapter 18: Neural Networks
# the helper functions from the linear algebra / gradient descent chapters are
# pasted in at the top so this file runs by itself
import math
import random
from typing import List

Vector = List[float]

def dot(v: Vector, w: Vector) -> float:
    """Computes v_1 * w_1 + ... + v_n * w_n"""
    assert len(v) == len(w), "vectors must be same length"
    return sum(v_i * w_i for v_i, w_i in zip(v, w))

def add(v: Vector, w: Vector) -> Vector:
    """Adds corresponding elements"""
    assert len(v) == len(w), "vectors must be the same length"
    return [v_i + w_i for v_i, w_i in zip(v, w)]

def scalar_multiply(c: float, v: Vector) -> Vector:
    """Multiplies every element by c"""
    return [c * v_i for v_i in v]

def squared_distance(v: Vector, w: Vector) -> float:
    """Computes (v_1 - w_1) ** 2 + ... + (v_n - w_n) ** 2"""
    return sum((v_i - w_i) ** 2 for v_i, w_i in zip(v, w))

def gradient_step(v: Vector, gradient: Vector, step_size: float) -> Vector:
    """Moves `step_size` in the `gradient` direction from `v`"""
    assert len(v) == len(gradient)
    step = scalar_multiply(step_size, gradient)
    return add(v, step)


def sigmoid(t: float) -> float:
    return 1 / (1 + math.exp(-t))

def neuron_output(weights: Vector, inputs: Vector) -> float:
    # weights includes the bias term, inputs includes a 1
    return sigmoid(dot(weights, inputs))

def feed_forward(neural_network: List[List[Vector]],
                 input_vector: Vector) -> List[Vector]:
    """Runs input_vector through every layer; returns each layer's outputs."""
    outputs: List[Vector] = []

    for layer in neural_network:
        input_with_bias = input_vector + [1]              # constant 1 for the bias
        output = [neuron_output(neuron, input_with_bias)  # one output
                  for neuron in layer]                    # per neuron
        outputs.append(output)

        # this layer's output feeds the next layer
        input_vector = output

    return outputs

def sqerror_gradients(network: List[List[Vector]],
                      input_vector: Vector,
                      target_vector: Vector) -> List[List[Vector]]:
    """Gradient of the squared error for one (input, target) pair with
    respect to every neuron weight, shaped like the network."""
    # forward pass
    hidden_outputs, outputs = feed_forward(network, input_vector)

    # d loss / d (output neuron's weighted sum)
    output_deltas = [output * (1 - output) * (output - target)
                     for output, target in zip(outputs, target_vector)]

    # d loss / d (output neuron weights), bias last
    output_grads = [[output_deltas[i] * hidden_output
                     for hidden_output in hidden_outputs + [1]]
                    for i, output_neuron in enumerate(network[-1])]

    # d loss / d (hidden neuron's weighted sum)
    hidden_deltas = [hidden_output * (1 - hidden_output) *
                         dot(output_deltas, [n[i] for n in network[-1]])
                     for i, hidden_output in enumerate(hidden_outputs)]

    # d loss / d (hidden neuron weights), bias last
    hidden_grads = [[hidden_deltas[i] * input for input in input_vector + [1]]
                    for i, hidden_neuron in enumerate(network[0])]

    return [hidden_grads, output_grads]


random.seed(0)

# training data
xs = [[0., 0], [0., 1], [1., 0], [1., 1]]
ys = [[0.], [1.], [1.], [0.]]

# start with random weights
network = [ # hidden layer: 2 inputs -> 2 outputs
            [[random.random() for _ in range(2 + 1)],   # 1st hidden neuron
             [random.random() for _ in range(2 + 1)]],  # 2nd hidden neuron
            # output layer: 2 inputs -> 1 output
            [[random.random() for _ in range(2 + 1)]]   # 1st output neuron
          ]

learning_rate = 1.0

for epoch in range(5000):
    epoch_loss = 0.0
    for x, y in zip(xs, ys):
        epoch_loss += squared_distance(feed_forward(network, x)[-1], y)
        gradients = sqerror_gradients(network, x, y)

        # step every neuron of every layer against its gradient
        network = [[gradient_step(neuron, grad, -learning_rate)
                    for neuron, grad in zip(layer, layer_grad)]
                   for layer, layer_grad in zip(network, gradients)]
    if epoch % 500 == 0:
        print(f"epoch {epoch}  xor loss: {epoch_loss:.4f}")

# check that it learned XOR
for x in xs:
    print(x, feed_forward(network, x)[-1][0])
