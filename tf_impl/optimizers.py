"""The spec's optimizer as a keras.optimizers optimizer, every hyperparameter passed explicitly."""

import keras
import numpy as np
import tensorflow as tf


def optimizer(spec, variables, python_floats: bool = False, per_tensor_clipnorm: bool = False, learning_rate=None):
    """Keras optimizer for the spec, built on these variables (Keras's own update rules: see scratch/optimizers.py).

    Keras rounds Python-float hyperparameters to float32 and keeps the learning rate in the global floatx;
    so float64 runs pass NumPy float64 scalars and the rate as a float64 constant. python_floats=True passes
    them as a learner does, rounding included. per_tensor_clipnorm=True clips with Keras's clipnorm, each tensor
    to the norm on its own, instead of global_clipnorm. learning_rate: a schedule or a callable, in place of
    the constant rate."""
    hp = np.float64 if spec.dtype == "float64" and not python_floats else float
    if learning_rate is not None:
        lr = learning_rate
    elif python_floats:
        lr = spec.lr
    else:
        lr_value = tf.constant(spec.lr, dtype=spec.dtype)
        lr = lambda: lr_value  # noqa: E731  (a callable keeps the rate in the run's dtype)
    o = spec.optimizer
    clipping = {}  # Keras's optimizers clip the gradients they are given: global_clipnorm is torch's clip_grad_norm_
    if spec.clip_norm > 0:
        clipping = {"clipnorm": hp(spec.clip_norm)} if per_tensor_clipnorm else {"global_clipnorm": hp(spec.clip_norm)}
    elif spec.clip_value > 0:
        clipping = {"clipvalue": hp(spec.clip_value)}
    if o == "sgd":
        opt = keras.optimizers.SGD(learning_rate=lr, momentum=0.0, **clipping)
    elif o in ("momentum", "nesterov"):
        opt = keras.optimizers.SGD(learning_rate=lr, momentum=hp(spec.momentum), nesterov=o == "nesterov", **clipping)
    elif o == "adam" and spec.weight_decay > 0:
        opt = keras.optimizers.AdamW(
            learning_rate=lr,
            weight_decay=hp(spec.weight_decay),
            beta_1=hp(spec.beta1),
            beta_2=hp(spec.beta2),
            epsilon=hp(spec.eps),
            **clipping,
        )
        if not spec.decay_biases:
            opt.exclude_from_weight_decay(var_list=[v for v in variables if len(v.shape) == 1])
    elif o == "adam":
        opt = keras.optimizers.Adam(learning_rate=lr, beta_1=hp(spec.beta1), beta_2=hp(spec.beta2), epsilon=hp(spec.eps), **clipping)
    else:
        opt = keras.optimizers.RMSprop(learning_rate=lr, rho=hp(spec.rho), epsilon=hp(spec.eps), momentum=0.0, centered=False, **clipping)
    opt.build(variables)
    return opt
