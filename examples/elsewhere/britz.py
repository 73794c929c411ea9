# Implementing a Neural Network from Scratch in Python (WildML)
# 2 inputs -> tanh hidden layer -> softmax output, full-batch gradient descent
import numpy as np

# Generate a dataset: two interleaving half circles ("moons") with some noise
# (the post uses sklearn.datasets.make_moons(200, noise=0.20))
np.random.seed(3)
n_half = 100
t = np.pi * np.random.rand(n_half)
outer = np.c_[np.cos(t), np.sin(t)]
t = np.pi * np.random.rand(n_half)
inner = np.c_[1 - np.cos(t), 1 - np.sin(t) - 0.5]
X = np.vstack([outer, inner]) + 0.20 * np.random.randn(2 * n_half, 2)
y = np.hstack([np.zeros(n_half, dtype=int), np.ones(n_half, dtype=int)])

num_examples = len(X) # training set size
nn_input_dim = 2 # input layer dimensionality
nn_output_dim = 2 # output layer dimensionality

# Gradient descent parameters (I picked these by hand)
epsilon = 0.01 # learning rate for gradient descent
reg_lambda = 0.01 # regularization strength

# cross-entropy on the whole data set (plus the L2 penalty), averaged
def calculate_loss(model):
    W1, b1, W2, b2 = model['W1'], model['b1'], model['W2'], model['b2']
    # forward pass
    z1 = X.dot(W1) + b1
    a1 = np.tanh(z1)
    z2 = a1.dot(W2) + b2
    exp_scores = np.exp(z2)
    probs = exp_scores / np.sum(exp_scores, axis=1, keepdims=True)
    # negative log-probability of the right class
    corect_logprobs = -np.log(probs[range(num_examples), y])
    data_loss = np.sum(corect_logprobs)
    # L2 penalty on the weights
    data_loss += reg_lambda/2 * (np.sum(np.square(W1)) + np.sum(np.square(W2)))
    return 1./num_examples * data_loss

# class (0 or 1) with the highest probability
def predict(model, x):
    W1, b1, W2, b2 = model['W1'], model['b1'], model['W2'], model['b2']
    # forward pass
    z1 = x.dot(W1) + b1
    a1 = np.tanh(z1)
    z2 = a1.dot(W2) + b2
    exp_scores = np.exp(z2)
    probs = exp_scores / np.sum(exp_scores, axis=1, keepdims=True)
    return np.argmax(probs, axis=1)

# Train the network and return its parameters.
# nn_hdim: hidden layer size; num_passes: gradient descent steps over the
# whole data set; print_loss: report the loss every 1000 steps
def build_model(nn_hdim, num_passes=20000, print_loss=False):

    # random starting weights, zero biases
    np.random.seed(0)
    W1 = np.random.randn(nn_input_dim, nn_hdim) / np.sqrt(nn_input_dim)
    b1 = np.zeros((1, nn_hdim))
    W2 = np.random.randn(nn_hdim, nn_output_dim) / np.sqrt(nn_hdim)
    b2 = np.zeros((1, nn_output_dim))

    # filled in as we go, returned at the end
    model = {}

    # full-batch gradient descent
    for i in range(0, num_passes):

        # forward pass
        z1 = X.dot(W1) + b1
        a1 = np.tanh(z1)
        z2 = a1.dot(W2) + b2
        exp_scores = np.exp(z2)
        probs = exp_scores / np.sum(exp_scores, axis=1, keepdims=True)

        # backward pass
        delta3 = probs
        delta3[range(num_examples), y] -= 1
        dW2 = (a1.T).dot(delta3)
        db2 = np.sum(delta3, axis=0, keepdims=True)
        delta2 = delta3.dot(W2.T) * (1 - np.power(a1, 2))
        dW1 = np.dot(X.T, delta2)
        db1 = np.sum(delta2, axis=0)

        # L2 on the weights only, not on b1 / b2
        dW2 += reg_lambda * W2
        dW1 += reg_lambda * W1

        # step
        W1 += -epsilon * dW1
        b1 += -epsilon * db1
        W2 += -epsilon * dW2
        b2 += -epsilon * db2

        # keep the current parameters
        model = { 'W1': W1, 'b1': b1, 'W2': W2, 'b2': b2}

        # the loss needs a full pass over X, so only now and then
        if print_loss and i % 1000 == 0:
          print("Loss after iteration %i: %f" %(i, calculate_loss(model)))

    return model

# 3 hidden units (shorter run than the post's 20000 passes)
model = build_model(3, num_passes=5000, print_loss=True)

print("Training accuracy: %.3f" % np.mean(predict(model, X) == y))
