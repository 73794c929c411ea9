# neural network from "Make Your Own Neural Network" (Tariq Rashid)
# typed in from the book, trained on a small made-up data set instead of MNIST

import numpy
# the book uses scipy.special.expit() for the sigmoid; a plain lambda does the same


# neural network class definition
class neuralNetwork:

    # set up the layer sizes, the two weight matrices and the learning rate
    def __init__(self, inputnodes, hiddennodes, outputnodes, learningrate):
        # how many nodes in the input, hidden and output layers
        self.inodes = inputnodes
        self.hnodes = hiddennodes
        self.onodes = outputnodes

        # wih: input -> hidden, who: hidden -> output
        # row j, column i holds the weight of the link from node i to node j of the next layer
        # random start, spread 1/sqrt(number of incoming links)
        self.wih = numpy.random.normal(0.0, pow(self.inodes, -0.5), (self.hnodes, self.inodes))
        self.who = numpy.random.normal(0.0, pow(self.hnodes, -0.5), (self.onodes, self.hnodes))

        # learning rate
        self.lr = learningrate

        # sigmoid squashing function
        self.activation_function = lambda x: 1.0 / (1.0 + numpy.exp(-x))

        pass

    # learn from one example: forward pass, errors, then nudge the weights
    def train(self, inputs_list, targets_list):
        # lists -> column vectors
        inputs = numpy.array(inputs_list, ndmin=2).T
        targets = numpy.array(targets_list, ndmin=2).T

        # hidden layer: weighted sums in, sigmoid out
        hidden_inputs = numpy.dot(self.wih, inputs)
        hidden_outputs = self.activation_function(hidden_inputs)

        # output layer: weighted sums in, sigmoid out
        final_inputs = numpy.dot(self.who, hidden_outputs)
        final_outputs = self.activation_function(final_inputs)

        # error at the output: what we wanted minus what we got
        output_errors = targets - final_outputs
        # error at the hidden nodes: output errors shared out back along the links, in proportion to the weights
        hidden_errors = numpy.dot(self.who.T, output_errors)

        # adjust hidden -> output links
        self.who += self.lr * numpy.dot((output_errors * final_outputs * (1.0 - final_outputs)), numpy.transpose(hidden_outputs))

        # adjust input -> hidden links
        self.wih += self.lr * numpy.dot((hidden_errors * hidden_outputs * (1.0 - hidden_outputs)), numpy.transpose(inputs))

        pass

    # run an input through the network and return its outputs
    def query(self, inputs_list):
        # list -> column vector
        inputs = numpy.array(inputs_list, ndmin=2).T

        # hidden layer: weighted sums in, sigmoid out
        hidden_inputs = numpy.dot(self.wih, inputs)
        hidden_outputs = self.activation_function(hidden_inputs)

        # output layer: weighted sums in, sigmoid out
        final_inputs = numpy.dot(self.who, hidden_outputs)
        final_outputs = self.activation_function(final_inputs)

        return final_outputs


# number of input, hidden and output nodes
input_nodes = 4
hidden_nodes = 6
output_nodes = 3

# learning rate
learning_rate = 0.3

# create instance of neural network
n = neuralNetwork(input_nodes, hidden_nodes, output_nodes, learning_rate)

# make a small "csv-like" data set: each record is label, then the pixel-ish values 0..255
# (the book reads mnist_train_100.csv here)
numpy.random.seed(7)
centres = numpy.random.uniform(40, 215, (output_nodes, input_nodes))
training_data_list = []
for k in range(60):
    label = k % output_nodes
    values = numpy.clip(centres[label] + numpy.random.normal(0, 25, input_nodes), 0, 255)
    training_data_list.append([label] + list(values))

# train the neural network

# epochs is the number of times the training data set is used for training
epochs = 20

for e in range(epochs):
    # go through all records in the training data set
    sum_error = 0.0
    for record in training_data_list:
        all_values = record
        # scale and shift the inputs
        inputs = (numpy.asarray(all_values[1:], dtype=float) / 255.0 * 0.99) + 0.01
        # create the target output values (all 0.01, except the desired label which is 0.99)
        targets = numpy.zeros(output_nodes) + 0.01
        # all_values[0] is the target label for this record
        targets[int(all_values[0])] = 0.99
        sum_error += numpy.sum((targets.reshape(-1, 1) - n.query(inputs)) ** 2)
        n.train(inputs, targets)
        pass
    print("epoch", e, "squared error", sum_error)
    pass

# test the neural network (on the training data, there is no test file here)

# scorecard for how well the network performs, initially empty
scorecard = []

for record in training_data_list:
    all_values = record
    correct_label = int(all_values[0])
    inputs = (numpy.asarray(all_values[1:], dtype=float) / 255.0 * 0.99) + 0.01
    outputs = n.query(inputs)
    # the index of the highest value corresponds to the label
    label = numpy.argmax(outputs)
    if (label == correct_label):
        scorecard.append(1)
    else:
        scorecard.append(0)
        pass
    pass

scorecard_array = numpy.asarray(scorecard)
print("performance = ", scorecard_array.sum() / scorecard_array.size)
