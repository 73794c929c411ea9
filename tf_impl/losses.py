"""The three losses with Keras's own classes, each from the logits, each the mean over the batch."""

import keras
import tensorflow as tf

LOSSES = {"mse": keras.losses.MeanSquaredError, "bce": keras.losses.BinaryCrossentropy, "ce": keras.losses.SparseCategoricalCrossentropy}


def loss_fn(spec, from_logits: bool = True):
    """The spec's loss: (logits, y) -> mean loss, computed in the spec's dtype (Keras would otherwise use floatx).

    from_logits=False: bce and ce on probabilities, as a learner often writes them after a sigmoid or softmax
    output; Keras then clips them to [1e-7, 1 - 1e-7]."""
    if spec.loss == "mse":
        criterion = keras.losses.MeanSquaredError(dtype=spec.dtype)
        if spec.output == "sigmoid":
            return lambda logits, y: criterion(y, tf.sigmoid(logits))
        return lambda logits, y: criterion(y, logits)
    if spec.class_weights is not None:
        return weighted_loss_fn(spec)
    criterion = LOSSES[spec.loss](from_logits=from_logits, dtype=spec.dtype)
    if from_logits:
        return lambda logits, y: criterion(y, logits)
    # tf.identity in between: inside a tf.function Keras finds a Sigmoid/Softmax op feeding the loss and
    # silently switches to the logits formula; then no clipping would happen.
    probabilities = tf.sigmoid if spec.loss == "bce" else (lambda logits: tf.nn.softmax(logits, axis=1))
    return lambda logits, y: criterion(y, tf.identity(probabilities(logits)))


def weighted_loss_fn(spec):
    """Each sample weighted by its class's weight, as Model.fit(class_weight=...) turns them into sample weights;
    the mean over N is Keras's "sum_over_batch_size", over the weights "mean_with_sample_weight"."""
    reduction = "mean_with_sample_weight" if spec.weight_reduction == "sum_weights" else "sum_over_batch_size"
    criterion = LOSSES[spec.loss](from_logits=True, dtype=spec.dtype, reduction=reduction)
    class_weights = tf.constant(spec.class_weights, dtype=spec.dtype)

    def loss(logits, y):
        labels = tf.cast(tf.reshape(y, [-1]), tf.int64)  # (N,): bce's targets are (N, 1) floats
        return criterion(y, logits, sample_weight=tf.gather(class_weights, labels))

    return loss


def output_fn(spec):
    """The network's output from the logits: identity, sigmoid, or softmax."""
    if spec.output == "softmax":
        return lambda logits: tf.nn.softmax(logits, axis=1)
    return tf.sigmoid if spec.output == "sigmoid" else (lambda logits: logits)


def target_signature(spec) -> tf.TensorSpec:
    """What the loss takes as targets: int labels (N,) for ce, floats (N, outputs) otherwise."""
    if spec.loss == "ce":
        return tf.TensorSpec([None], tf.int64)
    return tf.TensorSpec([None, spec.layers[-1]], tf.as_dtype(spec.dtype))


class L2(keras.regularizers.Regularizer):
    """lam/2 sum W^2 with the factor in the weights' own dtype: keras.regularizers.L2 casts its Python-float
    factor through float32 (1.4e-9 off in float64 gradients)."""

    def __init__(self, factor: float):
        self.factor = factor

    def __call__(self, x):
        return tf.constant(self.factor, x.dtype) * tf.reduce_sum(tf.square(x))


def regularizer(spec, python_floats: bool = False):
    """The kernel_regularizer giving the L2 penalty lam/2 sum W^2 (Keras's l2(x) is x sum W^2: x = lam/2), or None;
    python_floats=True: Keras's own keras.regularizers.L2, factor rounded to float32 as it does."""
    if spec.l2 == 0:
        return None
    return keras.regularizers.L2(spec.l2 / 2) if python_floats else L2(spec.l2 / 2)
