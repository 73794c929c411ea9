"""One comparison run, start to end: the spec, the data, the initial weights, the three implementations
behind one contract, the training loop they share, and the Result they produce."""
