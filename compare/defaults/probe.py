"""A fixed small network trained a few full-batch steps in NumPy, torch and Keras, with any optimizer
and loss: what the defaults table measures its effects with."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from compare.shared.spec import Spec


@dataclass(frozen=True)
class Probe:
    """The fixed network and run every defaults-table effect is measured on."""

    layers: tuple[int, ...] = (4, 16, 16, 1)  # tanh hidden layers, linear output
    n: int = 64  # samples, one full batch
    steps: int = 20  # optimizer steps
    lr: float = 0.05  # the learning rate both sides get when aligned
    seed: int = 0  # data and initial weights
    dtype: str = "float64"
    scale: float = 1.0  # multiplies the initial weights (large: saturated outputs)
    threads: int = 1  # torch intra-op threads

    def replace(self, **changes) -> Probe:
        return dataclasses.replace(self, **changes)


def data(p: Probe, classes: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """X (n, in) standard normal; y (n, out) = sin of a random projection, 0/1 labels, or class ids (n,)."""
    rng = np.random.default_rng([p.seed, 7])
    X = rng.standard_normal((p.n, p.layers[0]))
    score = X @ rng.standard_normal((p.layers[0], max(p.layers[-1], 1)))
    if classes == 1:
        y = (score > 0).astype(p.dtype)
    elif classes > 1:
        return X.astype(p.dtype), score.argmax(axis=1).astype(np.int64)
    else:
        y = np.sin(score).astype(p.dtype)
    return X.astype(p.dtype), y


def init(p: Probe) -> list[tuple[np.ndarray, np.ndarray]]:
    """Glorot-uniform weights and small uniform biases from a seeded Generator, times p.scale."""
    rng = np.random.default_rng([p.seed, 8])
    out = []
    for i, o in zip(p.layers[:-1], p.layers[1:]):
        bound = np.sqrt(6 / (i + o))
        out.append(((p.scale * rng.uniform(-bound, bound, (i, o))).astype(p.dtype), (p.scale * rng.uniform(-0.1, 0.1, o)).astype(p.dtype)))
    return out


def max_diff(a, b) -> float:
    """Largest absolute difference over every parameter of two weight lists."""
    return float(max(np.max(np.abs(np.asarray(x, np.float64) - np.asarray(y, np.float64))) for pa, pb in zip(a, b) for x, y in zip(pa, pb)))


def train_torch(p: Probe, params, make_opt, loss=None, X=None, y=None):
    """Final weights after p.steps of make_opt(parameters) on loss(output, y) (default MSE), canonical layout."""
    import torch

    from torch_impl import torch_layout

    before = torch.get_num_threads()
    torch.set_num_threads(p.threads)
    try:
        dtype = getattr(torch, p.dtype)
        lins = [torch.nn.Linear(i, o, dtype=dtype) for i, o in zip(p.layers[:-1], p.layers[1:])]
        with torch.no_grad():
            for lin, (W, b) in zip(lins, params):
                lin.weight.copy_(torch.from_numpy(torch_layout(np.asarray(W, p.dtype))))
                lin.bias.copy_(torch.from_numpy(np.asarray(b, p.dtype)))
        mods = [m for lin in lins[:-1] for m in (lin, torch.nn.Tanh())] + [lins[-1]]
        model = torch.nn.Sequential(*mods)
        loss = loss or torch.nn.MSELoss()
        X_t, y_t = torch.from_numpy(X), torch.from_numpy(y)
        opt = make_opt(model.parameters())
        for _ in range(p.steps):
            opt.zero_grad()
            loss(model(X_t), y_t).backward()
            opt.step()
        return [(torch_layout(lin.weight.detach().numpy()).copy(), lin.bias.detach().numpy().copy()) for lin in lins]
    finally:
        torch.set_num_threads(before)


def train_keras(p: Probe, params, make_opt, loss=None, X=None, y=None, trace: list | None = None):
    """Final weights after p.steps of make_opt() on loss(y, output) (default MSE), eager GradientTape.
    trace: if given, every parameter flattened into one vector is appended to it after each step."""
    import keras
    import tensorflow as tf

    dense = []
    for (i, o), (W, b) in zip(zip(p.layers[:-1], p.layers[1:]), params):
        layer = keras.layers.Dense(o, dtype=p.dtype)
        layer.build((None, i))
        layer.kernel.assign(np.asarray(W, p.dtype))
        layer.bias.assign(np.asarray(b, p.dtype))
        dense.append(layer)
    variables = [v for layer in dense for v in (layer.kernel, layer.bias)]
    loss = loss or keras.losses.MeanSquaredError(dtype=p.dtype)
    opt = make_opt()
    X_t, y_t = tf.constant(X), tf.constant(y)
    for _ in range(p.steps):
        with tf.GradientTape() as tape:
            h = X_t
            for layer in dense[:-1]:
                h = tf.tanh(layer(h))
            value = loss(y_t, dense[-1](h))
        opt.apply_gradients(zip(tape.gradient(value, variables), variables))
        if trace is not None:
            trace.append(np.concatenate([v.numpy().ravel() for v in variables]))
    return [(layer.kernel.numpy().copy(), layer.bias.numpy().copy()) for layer in dense]


def keras_lr(p: Probe, lr: float):
    """A learning rate Keras keeps in p.dtype (a Python float would become a float32 variable)."""
    import tensorflow as tf

    value = tf.constant(lr, dtype=p.dtype)
    return lambda: value


def train_numpy(p: Probe, params, optimizer: str, convention: str = "torch", X=None, y=None, **hyper):
    """Final weights after p.steps of the NumPy reference (scratch/) with the given optimizer and hyperparameters."""
    import scratch

    spec = Spec(layers=p.layers, activation="tanh", loss="mse", output="identity", optimizer=optimizer, dtype=p.dtype, **hyper)
    model = scratch.make(spec, params, convention=convention)
    for _ in range(p.steps):
        model.train_step(X, y)
    return model.get_params()


def fmt(x: float) -> str:
    """A measured difference at the precision that holds from machine to machine: a real gap with two digits,
    round-off (below 1e-5, float32's and float64's alike) as its nearest power of ten."""
    if not x:
        return "0"
    return f"{x:.1e}" if x >= 1e-5 else f"~1e{round(np.log10(x))}"


def effect(default: float, aligned: float, extra: str = "") -> str:
    return f"defaults {fmt(default)} · aligned {fmt(aligned)}" + (f" · {extra}" if extra else "")


def probe_spec(p: Probe):
    return Spec(layers=p.layers, activation="tanh", loss="mse", output="identity", dtype=p.dtype, seed=p.seed)


def both(p: Probe, torch_opt, keras_opt, params=None, X=None, y=None, torch_params=None, keras_params=None) -> float:
    """max |torch - Keras| over the final weights after p.steps from the same (or each its own) weights."""
    if X is None:
        X, y = data(p)
    params = params or init(p)
    a = train_torch(p, torch_params or params, torch_opt, X=X, y=y)
    b = train_keras(p, keras_params or params, keras_opt, X=X, y=y)
    return max_diff(a, b)


def hp(p: Probe, x: float):
    """A hyperparameter Keras will not round: np.float64 in float64 runs."""
    return np.float64(x) if p.dtype == "float64" else float(x)
