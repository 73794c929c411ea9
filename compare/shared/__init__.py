"""What the three implementations share: one spec, one data set, the same initial weights, one contract to
build them by, one training loop, and the framework defaults that a native run starts from."""
