"""mlp-compare's TensorFlow implementation: Keras layers, losses and optimizers, GradientTape, tf.function."""

import os


def _import_tensorflow_quietly() -> None:
    """Import TensorFlow with its C++ start-up banner (oneDNN, CPU features) sent to /dev/null:
    TF_CPP_MIN_LOG_LEVEL does not silence it in 2.21. Python errors still propagate."""
    saved, devnull = os.dup(2), os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        import tensorflow as tf

        tf.get_logger().setLevel("ERROR")  # no retracing warnings: each spec builds its own tf.function
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # runtime C++ logs: errors only
_import_tensorflow_quietly()

from tf_impl.mlp import MLP, make  # noqa: E402

__all__ = ["MLP", "make"]
