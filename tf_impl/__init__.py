"""mlp-compare's TensorFlow implementation: Keras layers, losses and optimizers, GradientTape, tf.function."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # silence the start-up banner (read at import)

import tensorflow as tf  # noqa: E402

tf.get_logger().setLevel("ERROR")  # no retracing warnings: each spec builds its own tf.function

from tf_impl.mlp import MLP  # noqa: E402

__all__ = ["MLP"]
