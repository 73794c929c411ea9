"""A learner's own optimizer (CS231n, deeplearning.ai or nnfs shape) stepped beside torch.optim, Keras and the
NumPy reference in both conventions: conventions named, known slips diagnosed."""
