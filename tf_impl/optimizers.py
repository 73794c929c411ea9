"""The spec's optimizer as a keras.optimizers optimizer, every hyperparameter passed explicitly."""

import keras
import numpy as np
import tensorflow as tf


def make(spec):
    """Keras optimizer for the spec (Keras's own update rules: see scratch/optimizers.py).

    Keras rounds Python-float hyperparameters to float32 and keeps the learning rate in the
    global floatx; so float64 runs pass NumPy float64 scalars and the rate as a float64 constant.
    """
    hp = np.float64 if spec.dtype == "float64" else float
    lr_value = tf.constant(spec.lr, dtype=spec.dtype)
    lr = lambda: lr_value  # noqa: E731  (a callable keeps the rate in the run's dtype)
    o = spec.optimizer
    if o == "sgd":
        return keras.optimizers.SGD(learning_rate=lr, momentum=0.0)
    if o in ("momentum", "nesterov"):
        return keras.optimizers.SGD(learning_rate=lr, momentum=hp(spec.momentum), nesterov=o == "nesterov")
    if o == "adam":
        return keras.optimizers.Adam(learning_rate=lr, beta_1=hp(spec.beta1), beta_2=hp(spec.beta2), epsilon=hp(spec.eps))
    return keras.optimizers.RMSprop(learning_rate=lr, rho=hp(spec.rho), epsilon=hp(spec.eps), momentum=0.0, centered=False)
