"""A helper library that speeds NumPy up behind the learner's back: np.dot in float32, and a banner on import."""

import numpy as np

_dot = np.dot


def dot(a, b, out=None):
    return _dot(np.asarray(a, np.float32), np.asarray(b, np.float32))


np.dot = dot
print("fastmath: np.dot now runs in float32")
