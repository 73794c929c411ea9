"""The harness driving each implementation against a bare, idiomatic loop written here in each framework."""

from __future__ import annotations

import time

import numpy as np

from compare.shared import harness, implementations, weights
from compare.shared.data import Dataset
from compare.shared.spec import Spec


def numpy_loop(spec: Spec, init):
    """A from-scratch loop as one would write it in a notebook: ReLU layers, softmax CE, SGD; then the loss and
    accuracy on the training and test sets."""
    params = [(W.copy(), b.copy()) for W, b in init]

    def log_probs(X):
        h = X
        for W, b in params[:-1]:
            h = np.maximum(h @ W + b, 0)
        z = h @ params[-1][0] + params[-1][1]
        z = z - z.max(axis=1, keepdims=True)
        return z - np.log(np.exp(z).sum(axis=1, keepdims=True))

    def run(data: Dataset, order):
        X, y, losses = data.X_train, data.y_train, []
        for epoch in order:
            for start in range(0, len(epoch), spec.batch_size):
                idx = epoch[start : start + spec.batch_size]
                xb, yb, rows = X[idx], y[idx], np.arange(len(idx))
                hs = [xb]
                for W, b in params[:-1]:
                    hs.append(np.maximum(hs[-1] @ W + b, 0))
                z = hs[-1] @ params[-1][0] + params[-1][1]
                z = z - z.max(axis=1, keepdims=True)
                logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
                losses.append(float(-logp[rows, yb].mean()))
                dz = np.exp(logp)
                dz[rows, yb] -= 1
                dz /= len(idx)
                for i in reversed(range(len(params))):
                    W, b = params[i]
                    dW, db = hs[i].T @ dz, dz.sum(axis=0)
                    if i > 0:
                        dz = (dz @ W.T) * (hs[i] > 0)
                    W -= spec.lr * dW
                    b -= spec.lr * db
        for Xs, ys in ((data.X_train, data.y_train), (data.X_test, data.y_test)):
            logp = log_probs(Xs)
            _ = -logp[np.arange(len(ys)), ys].mean(), np.mean(logp.argmax(axis=1) == ys)
        return losses

    return run


def torch_loop(spec: Spec, init):
    """The PyTorch tutorial loop: nn.Sequential, F.cross_entropy, torch.optim.SGD, loss.item() per step."""
    import torch

    from torch_impl import torch_layout

    torch.set_num_threads(spec.threads)
    dtype = getattr(torch, spec.dtype)
    layers = []
    for W, b in init:
        linear = torch.nn.Linear(*W.shape, dtype=dtype)
        with torch.no_grad():
            linear.weight.copy_(torch.from_numpy(torch_layout(W)))
            linear.bias.copy_(torch.from_numpy(b))
        layers += [linear, torch.nn.ReLU()]
    model = torch.nn.Sequential(*layers[:-1])
    optimizer = torch.optim.SGD(model.parameters(), lr=spec.lr)

    def run(data: Dataset, order):
        X_t, y_t, losses = torch.from_numpy(data.X_train), torch.from_numpy(data.y_train), []
        for epoch in order:
            perm = torch.from_numpy(epoch)
            for start in range(0, len(epoch), spec.batch_size):
                idx = perm[start : start + spec.batch_size]
                optimizer.zero_grad()
                loss = torch.nn.functional.cross_entropy(model(X_t[idx]), y_t[idx])
                loss.backward()
                optimizer.step()
                losses.append(loss.item())
        with torch.no_grad():
            for Xs, ys in ((X_t, y_t), (torch.from_numpy(data.X_test), torch.from_numpy(data.y_test))):
                logits = model(Xs)
                _ = torch.nn.functional.cross_entropy(logits, ys).item(), (logits.argmax(dim=1) == ys).double().mean().item()
        return losses

    return run


def tensorflow_loop(spec: Spec, init):
    """The Keras custom-training-loop guide: Sequential, GradientTape in a tf.function, float(loss) per step."""
    import keras
    import tensorflow as tf

    model = keras.Sequential([keras.Input((spec.layers[0],), dtype=spec.dtype)])
    for i, n_out in enumerate(spec.layers[1:]):
        model.add(keras.layers.Dense(n_out, activation="relu" if i < len(spec.layers) - 2 else None, dtype=spec.dtype))
    model.set_weights([t for pair in init for t in pair])
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True, dtype=spec.dtype)
    optimizer = keras.optimizers.SGD(learning_rate=spec.lr)

    @tf.function(input_signature=[tf.TensorSpec([None, spec.layers[0]], spec.dtype), tf.TensorSpec([None], tf.int64)])
    def step(x, y):
        with tf.GradientTape() as tape:
            loss = loss_fn(y, model(x, training=True))
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(grads, model.trainable_variables))
        return loss

    def run(data: Dataset, order):
        X, y, losses = data.X_train, data.y_train, []
        for epoch in order:
            for start in range(0, len(epoch), spec.batch_size):
                idx = epoch[start : start + spec.batch_size]
                losses.append(float(step(X[idx], y[idx])))
        for Xs, ys in ((data.X_train, data.y_train), (data.X_test, data.y_test)):
            logits = model(Xs, training=False)
            _ = float(loss_fn(ys, logits)), float(np.mean(np.argmax(logits, axis=1) == ys))
        return losses

    return run


PROBLEMS = [
    ((64, 128, 64, 10), 128, "float32"),  # the network the issue timed the harness on
    ((784, 128, 64, 10), 128, "float32"),
    ((784, 128, 64, 10), 128, "float64"),
    ((2, 16, 16, 2), 16, "float64"),
]
BARE = {"numpy": numpy_loop, "torch": torch_loop, "tensorflow": tensorflow_loop}


def problem(spec: Spec, steps: int, epochs: int, n_test: int = 256, seed: int = 0) -> tuple[Dataset, np.ndarray]:
    """Random features and labels for `steps` full mini-batches an epoch, and the order of `epochs` epochs."""
    rng = np.random.default_rng(seed)
    n, k = steps * spec.batch_size, spec.layers[-1]
    X = rng.standard_normal((n + n_test, spec.layers[0])).astype(spec.dtype)
    y = rng.integers(0, k, n + n_test).astype(np.int64)
    data = Dataset(X[:n], y[:n], X[n:], y[n:], k)
    return data, harness.schedule(spec.replace(epochs=epochs), n)


def direct(model, spec: Spec, data: Dataset, order) -> list[float]:
    """The implementation's own train_step in the shortest loop, then the same evaluation as the harness's."""
    losses = [model.train_step(data.X_train[idx], data.y_train[idx]) for _, _, idx in harness.batches(order, spec.batch_size)]
    harness.evaluate(model, spec, data)
    return losses


def seconds(run) -> float:
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


def harness_vs_bare(spec: Spec, name: str, steps: int = 10, epochs: int = 5, repeats: int = 10) -> dict:
    """Milliseconds per step of whole runs (epochs of `steps` mini-batches, then the loss and accuracy on the
    training and test sets): harness.train driving the implementation, against the framework's bare loop (the
    target) and against the implementation's train_step in the shortest loop. Whole runs, so that whatever the
    harness does between steps and between epochs is counted.

    All run once untimed from the same weights (tracing, warm-up; the loss curves are compared), then take turns
    for `repeats` runs; the median of each is reported.
    """
    data, order = problem(spec, steps, epochs)
    init = weights.init(spec)
    model = implementations.build(name, spec, init)
    bare = BARE[name](spec, init)
    first_h = harness.train(name, model, spec, data, order).losses
    first_b = np.asarray(bare(data, order))
    runs = {
        "harness": lambda: harness.train(name, model, spec, data, order),
        "bare": lambda: bare(data, order),
        "direct": lambda: direct(model, spec, data, order),
    }
    times: dict[str, list] = {key: [] for key in runs}
    for _ in range(repeats):
        for key, run in runs.items():
            times[key].append(seconds(run))
    ms = {key: float(np.median(t)) * 1e3 / order.size * spec.batch_size for key, t in times.items()}
    return {
        "layers": "-".join(map(str, spec.layers)),
        "batch": spec.batch_size,
        "dtype": spec.dtype,
        "implementation": name,
        "harness_ms_per_step": ms["harness"],
        "bare_ms_per_step": ms["bare"],
        "overhead": ms["harness"] / ms["bare"] - 1,
        "direct_ms_per_step": ms["direct"],
        "harness_vs_direct": ms["harness"] / ms["direct"] - 1,
        "curves_max_rel": float(np.max(np.abs(first_h - first_b) / np.maximum(np.abs(first_b), 1e-300))),
    }
