"""The defaults rows of what Keras's fit reports: the loss it logs (a running mean) and what "accuracy" becomes."""

from __future__ import annotations

import contextlib

import numpy as np

from compare.defaults.probe import Probe, data, effect, hp, init
from compare.shared.native import load_keras, signature_defaults

BATCHES = 4  # mini-batches an epoch


@contextlib.contextmanager
def floatx(keras, dtype: str):
    """Keras's floatx and dtype policy (fit's loss tracker and metrics follow them) set to dtype, then restored."""
    before, policy = keras.config.floatx(), keras.config.dtype_policy()
    keras.config.set_floatx(dtype)
    keras.config.set_dtype_policy(dtype)
    try:
        yield
    finally:
        keras.config.set_floatx(before)
        keras.config.set_dtype_policy(policy)


def _model(keras, p: Probe, outputs: int | None = None):
    """The probe network (tanh hidden layers, linear output) in Keras, from the probe's initial weights."""
    layers = (*p.layers[:-1], outputs or p.layers[-1])
    hidden = [keras.layers.Dense(w, activation="tanh") for w in layers[1:-1]]
    model = keras.Sequential([keras.Input((layers[0],)), *hidden, keras.layers.Dense(layers[-1])])
    for layer, (W, b) in zip(model.layers, init(p.replace(layers=layers))):
        layer.set_weights([W, b])
    return model


def fit_running_mean(p: Probe) -> dict:
    keras = load_keras()
    X, y = data(p)
    batch, epochs = p.n // BATCHES, max(1, p.steps // BATCHES)
    with floatx(keras, p.dtype):
        models = [_model(keras, p), _model(keras, p)]
        for model in models:
            model.compile(optimizer=keras.optimizers.SGD(learning_rate=hp(p, p.lr)), loss="mse", jit_compile=False)
        logged = []
        callback = keras.callbacks.LambdaCallback(on_train_batch_end=lambda i, logs: logged.append(logs["loss"]))
        history = models[0].fit(X, y, batch_size=batch, epochs=epochs, shuffle=False, callbacks=[callback], verbose=0)
        own = [models[1].train_on_batch(X[i : i + batch], y[i : i + batch], return_dict=True)["loss"]
               for _ in range(epochs) for i in range(0, p.n, batch)]  # fmt: skip
    epoch_loss, last = history.history["loss"][-1], np.array(own[-BATCHES:])
    t = np.arange(1, BATCHES + 1)
    running = np.array(logged[-BATCHES:])
    recovered = t * running - np.concatenate([[0.0], (t * running)[:-1]])  # batch t's loss: t·m_t − (t−1)·m_(t−1)
    default, aligned = abs(epoch_loss - last[-1]), abs(epoch_loss - last.mean())
    return {
        "what": "the loss Keras's fit logs",
        "torch": "loss.item() in the loop is the mini-batch's own loss, before its update",
        "keras": f"fit's logs['loss'] and history['loss'] are the running mean of the epoch's batch losses, weighted by batch "
        f"size (a Mean reset each epoch): after {BATCHES} batches {epoch_loss:.4f}, where the last batch's loss is {last[-1]:.4f}",
        "numpy": "the harness records each mini-batch's loss before its update (losses/<run>.npy)",
        "align": "compare per-batch losses: train_on_batch, or batch t's loss t·m_t − (t−1)·m_(t−1) from fit's running means "
        "(the idiomatic export's BatchLosses); history['loss'] against the mean of the epoch's batch losses",
        "effect": effect(default, aligned, f"history['loss'] vs the epoch's last batch; vs the mean of its {BATCHES} batches"),
        "default": default,
        "aligned": aligned,
        "recovered": float(np.abs(recovered - last).max()),
    }


def accuracy_metric(p: Probe) -> dict:
    keras = load_keras()
    X, y = data(p, classes=1)  # 0/1 targets (n, 1)
    threshold = signature_defaults(keras.metrics.BinaryAccuracy)["threshold"]
    with floatx(keras, p.dtype):
        model = _model(keras, p)
        resolved = {}
        for metric in ("accuracy", keras.metrics.BinaryAccuracy(threshold=0.0)):
            model.compile(loss=keras.losses.BinaryCrossentropy(from_logits=True), metrics=[metric])
            resolved[str(metric)] = model.evaluate(X, y, batch_size=p.n, verbose=0, return_dict=True)
        logits = np.asarray(model(X, training=False))
        names = {"binary": type(model.metrics[1].metrics[0]).__name__}
        labels = np.argmax(X[:, :3], axis=1)  # three classes, as int labels and one-hot
        for kind, targets in (("sparse", labels), ("one-hot", np.eye(3)[labels])):
            three = _model(keras, p, outputs=3)
            three.compile(loss="mse" if kind == "one-hot" else "sparse_categorical_crossentropy", metrics=["accuracy"])
            three.evaluate(X, targets, batch_size=p.n, verbose=0)
            names[kind] = type(three.metrics[1].metrics[0]).__name__
    keras_acc, aligned_acc = resolved["accuracy"]["accuracy"], list(resolved.values())[1]["binary_accuracy"]
    true = float(np.mean((logits > 0) == (y > 0.5)))  # a logit above 0 is p above 0.5
    default, aligned = abs(keras_acc - true), abs(aligned_acc - true)
    return {
        "what": "Keras's metrics=['accuracy']: binary or categorical",
        "torch": "no accuracy in torch.nn: (logits > 0) or logits.argmax(1) against the targets, by hand",
        "keras": f"'accuracy' becomes by the shapes of outputs and targets: one output {names['binary']} (outputs above "
        f"{threshold:g}, logits too), int labels {names['sparse']}, one-hot {names['one-hot']}",
        "numpy": "LossKind.accuracy: argmax for labels and one-hot targets, the sigmoid output above 0.5",
        "align": "on logits, BinaryAccuracy(threshold=0.0) (a logit above 0 is p above 0.5), or a sigmoid output",
        "effect": effect(default, aligned, f"bce from logits, {p.n} samples: 'accuracy' {keras_acc:.3f}, right {true:.3f}"),
        "default": default,
        "aligned": aligned,
        "keras_accuracy": keras_acc,
        "right_accuracy": true,
    }
