"""The MLP in TensorFlow/Keras: Dense layers, Keras's losses, GradientTape, keras.optimizers."""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

from tf_impl.activations import activation
from tf_impl.losses import loss_fn, output_fn, regularizer, target_signature
from tf_impl.optimizers import optimizer
from tf_impl.schedules import schedule


class MLP:
    """Fully connected network; Keras's kernel layout (fan_in, fan_out) is already canonical."""

    def __init__(self, spec, params, from_logits: bool = True, python_floats: bool = False, per_tensor_clipnorm: bool = False):
        self.spec = spec
        self.dtype = tf.as_dtype(spec.dtype)
        try:  # possible only before TensorFlow's runtime starts; the harness records the value in force
            tf.config.threading.set_intra_op_parallelism_threads(spec.threads)
            tf.config.threading.set_inter_op_parallelism_threads(spec.threads)
        except RuntimeError:
            pass
        tf.random.set_seed(spec.seed)  # nothing here draws from TensorFlow's generator; seeded so nothing could differ
        self.dense = []
        for n_in, n_out in zip(spec.layers[:-1], spec.layers[1:]):
            l2 = regularizer(spec, python_floats)
            bias_l2 = l2 if spec.decay_biases else None
            layer = keras.layers.Dense(
                n_out, use_bias=spec.bias, dtype=spec.dtype, kernel_initializer="zeros", kernel_regularizer=l2, bias_regularizer=bias_l2
            )
            layer.build((None, n_in))
            self.dense.append(layer)
        self.acts = [activation(a, spec.leaky_slope, keras_own=python_floats) for a in spec.activations]
        self.norms = []  # Keras's momentum is the running statistics' weight: 1 - torch's
        for width in spec.layers[1:-1] if spec.batch_norm else ():
            norm = keras.layers.BatchNormalization(
                momentum=1 - spec.bn_momentum, epsilon=spec.bn_eps, center=spec.bn_affine, scale=spec.bn_affine, dtype=spec.dtype
            )
            norm.build((None, width))
            self.norms.append(norm)
        self.variables = [v for layer in self.dense for v in ((layer.kernel, layer.bias) if spec.bias else (layer.kernel,))]
        self.variables += [v for norm in self.norms for v in (norm.gamma, norm.beta)] if spec.bn_affine else []
        self.set_params(params)
        data_loss = loss_fn(spec, from_logits)
        if spec.l2 > 0:  # the regularisers' losses added to the loss, as Model.fit adds them
            self.loss_fn = lambda logits, y: data_loss(logits, y) + tf.add_n([loss for layer in self.dense for loss in layer.losses])
        else:
            self.loss_fn = data_loss
        self.output_fn = output_fn(spec)
        self.schedule, self.epochs = schedule(spec, python_floats), 0
        rate = self.schedule  # per batch: Keras calls the schedule with the optimizer's iteration count
        if self.schedule is not None and spec.schedule_every == "epoch":  # as keras.callbacks.LearningRateScheduler
            self.epoch_rate = tf.Variable(tf.cast(self.schedule(0), self.dtype), trainable=False)  # Python floats: float32
            rate = lambda: self.epoch_rate  # noqa: E731
        self.optimizer = optimizer(spec, self.variables, python_floats, per_tensor_clipnorm, learning_rate=rate)
        signature = [tf.TensorSpec([None, spec.layers[0]], self.dtype), target_signature(spec)]
        # inverted dropout with the harness's masks (keras.layers.Dropout draws its own): one input per hidden layer
        self.mask_widths = spec.layers[1:-1] if spec.dropout > 0 else ()
        masks = [tf.TensorSpec([None, width], self.dtype) for width in self.mask_widths]
        self._train_step = tf.function(self._step, input_signature=signature + masks)
        self._gradients = tf.function(
            lambda X, y, *masks: self._loss_and_grads(X, y, *masks, updates=False), input_signature=signature + masks
        )
        self._loss = tf.function(lambda X, y: self.loss_fn(self._forward(X), y), input_signature=signature)
        self._forward_graph = tf.function(lambda X: self._forward(X), input_signature=signature[:1])
        self._predict = tf.function(lambda X: self.output_fn(self._forward(X)), input_signature=signature[:1])
        self._evaluate = tf.function(self._loss_and_outputs, input_signature=signature)
        self._graphs = {}  # tf.function -> its one traced graph (the input signature is fixed)

    def _call(self, fn, *args):
        """Call a tf.function's traced graph directly: the same computation, ~0.1 ms less dispatch per call."""
        if fn not in self._graphs:
            self._graphs[fn] = fn.get_concrete_function()
        return self._graphs[fn](*args)

    def set_params(self, params) -> None:
        """Load canonical weights: kernel (fan_in, fan_out) and bias (fan_out,), no conversion; b is None without biases;
        then batch norm's (gamma, beta) with bn_affine."""
        for layer, (W, b) in zip(self.dense, params):
            layer.kernel.assign(np.asarray(W))
            if self.spec.bias:
                layer.bias.assign(np.asarray(b))
        for norm, (gamma, beta) in zip(self.norms, params[len(self.dense) :]):
            norm.gamma.assign(np.asarray(gamma))
            norm.beta.assign(np.asarray(beta))

    def get_params(self) -> list[tuple[np.ndarray, np.ndarray | None]]:
        """The current weights in canonical layout, as copies; b is None without biases."""
        return self._pairs([v.numpy().copy() for v in self.variables])

    def _pairs(self, flat: list[np.ndarray]) -> list[tuple[np.ndarray, np.ndarray | None]]:
        """[(W1, b1), ...] from arrays in the order of self.variables; b None without biases; then (gamma, beta) pairs."""
        k = 2 * len(self.norms) if self.spec.bn_affine else 0  # gamma and beta of each batch norm come last
        linear, norms = flat[: len(flat) - k], flat[len(flat) - k :]
        pairs = list(zip(linear[0::2], linear[1::2])) if self.spec.bias else [(W, None) for W in linear]
        return pairs + list(zip(norms[0::2], norms[1::2]))

    def _forward(self, X, *masks, training: bool = False):
        """Logits (N, O). Training: batch norm with the batch's statistics (updating the running ones), each hidden
        layer's output times its dropout mask; otherwise batch norm with the running statistics."""
        h = X
        for i, (layer, act) in enumerate(zip(self.dense[:-1], self.acts)):
            h = act(layer(h))
            h = self.norms[i](h, training=training) if self.norms else h
            h = h * masks[i] if masks else h
        return self.dense[-1](h)  # logits (N, O)

    def _loss_and_grads(self, X, y, *masks, updates: bool = True):
        """Loss and gradients in training mode; updates=False leaves batch norm's running statistics as they were."""
        running = [tf.identity(v) for norm in self.norms for v in (norm.moving_mean, norm.moving_variance)]
        with tf.GradientTape() as tape:
            loss = self.loss_fn(self._forward(X, *masks, training=True), y)
        if not updates:
            for v, value in zip([v for norm in self.norms for v in (norm.moving_mean, norm.moving_variance)], running):
                v.assign(value)
        return loss, tape.gradient(loss, self.variables)

    def _loss_and_outputs(self, X, y):
        logits = self._forward(X)
        return self.loss_fn(logits, y), self.output_fn(logits)

    def _masks(self, X: np.ndarray, masks) -> list:
        """The dropout masks a training graph takes: the step's, or ones (no unit dropped) when none are given."""
        if masks is not None or not self.mask_widths:
            return list(masks or [])
        return [np.ones((len(X), width), self.dtype.as_numpy_dtype) for width in self.mask_widths]

    def _step(self, X, y, *masks):
        loss, grads = self._loss_and_grads(X, y, *masks)
        self.optimizer.apply_gradients(zip(grads, self.variables))
        return loss

    def forward(self, X: np.ndarray) -> np.ndarray:
        """Logits of shape (N, O)."""
        return self._call(self._forward_graph, X).numpy()

    def gradients(self, X: np.ndarray, y: np.ndarray, masks=None) -> tuple[float, list[tuple[np.ndarray, np.ndarray | None]]]:
        """(mean mini-batch loss, [(dW, db), ...]) at the current weights, canonical layout (db None without biases); with dropout `masks`
        (one (N, width) array per hidden layer) if given."""
        loss, grads = self._call(self._gradients, X, y, *self._masks(X, masks))
        return float(loss), self._pairs([g.numpy() for g in grads])

    def train_step(self, X: np.ndarray, y: np.ndarray, masks=None) -> float:
        """One update on a mini-batch (a tf.function), with the step's dropout masks if any; returns the mini-batch
        loss before the update."""
        return float(self._call(self._train_step, X, y, *self._masks(X, masks)))

    def end_epoch(self) -> None:
        """Called by the training loop after an epoch's last step: a per-epoch schedule sets the next epoch's rate."""
        if self.schedule is not None and self.spec.schedule_every == "epoch":
            self.epochs += 1
            self.epoch_rate.assign(tf.cast(self.schedule(self.epochs), self.dtype))

    def loss(self, X: np.ndarray, y: np.ndarray, masks=None, training: bool = False) -> float:
        """Mean loss (plus the L2 penalty) at the current weights; training=True: dropout with `masks` and batch norm
        on the batch's statistics, the running ones left as they were."""
        if training:
            return float(self._call(self._gradients, X, y, *self._masks(X, masks))[0])
        return float(self._call(self._loss, X, y))

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Network outputs: identity or sigmoid values, or softmax probabilities."""
        return self._call(self._predict, X).numpy()

    def evaluate(self, X: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
        """(mean loss, network outputs) from one forward pass: what scoring a data set needs."""
        loss, outputs = self._call(self._evaluate, X, y)
        return float(loss), outputs.numpy()


def make(spec, params, *, from_logits: bool = True, python_floats: bool = False, per_tensor_clipnorm: bool = False) -> MLP:
    """The spec's network from canonical weights. from_logits=False computes bce and ce on probabilities;
    python_floats=True hands Keras its hyperparameters as Python floats, as a learner does (it rounds them to float32),
    and uses keras.activations' own leaky_relu and gelu (float32 slope, GELU to ~1e-9) and keras.regularizers.L2.
    per_tensor_clipnorm=True clips with Keras's clipnorm (each tensor alone) instead of global_clipnorm."""
    return MLP(spec, params, from_logits, python_floats, per_tensor_clipnorm)
