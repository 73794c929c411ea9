"""The three losses with Keras's own classes, each from the logits, each the mean over the batch."""

import keras
import tensorflow as tf

LOSSES = {"mse": keras.losses.MeanSquaredError, "bce": keras.losses.BinaryCrossentropy, "ce": keras.losses.SparseCategoricalCrossentropy}


def loss_fn(loss: str, output: str, dtype: str):
    """A function (logits, y) -> mean loss, computed in `dtype` (Keras would otherwise use floatx)."""
    if loss == "mse":
        criterion = keras.losses.MeanSquaredError(dtype=dtype)
        if output == "sigmoid":
            return lambda logits, y: criterion(y, tf.sigmoid(logits))
        return lambda logits, y: criterion(y, logits)
    criterion = LOSSES[loss](from_logits=True, dtype=dtype)  # logits explicitly: no silent switch
    return lambda logits, y: criterion(y, logits)


def output_probs(output: str, logits):
    """The network's output: identity, sigmoid, or softmax of the logits."""
    if output == "softmax":
        return tf.nn.softmax(logits, axis=1)
    return tf.sigmoid(logits) if output == "sigmoid" else logits
