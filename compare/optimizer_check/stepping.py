"""The same tensors and the same gradient sequence through the learner's rule, the NumPy reference in each
convention, torch.optim and keras.optimizers, in float64; how far each trajectory is from the learner's."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from compare.shared import implementations
from compare.shared.spec import Spec
from scratch import optimizers as rules

# max |yours - reference| / max |reference - start| at a step, over the tensors: round-off measured against how
# far the weights have moved (another order of the same arithmetic: ~1e-13); a convention or a slip: >= 1e-7.
TOL = 1e-9
LAYERS = (3, 3, 3, 1)  # the random problem: W (3, 3) twice, biases of 3, W (3, 1) and a single bias


def random_problem(steps: int = 12, seed: int = 0) -> tuple[list[np.ndarray], list[list[np.ndarray]]]:
    """(start tensors W1, b1, W2, b2, ..., one gradient list per step), canonical layout. Gradients drift (so
    momentum builds up) and come at scales 1, 1e-3 and 1e-5 (so eps and its placement show); each tensor is
    of its gradient's scale, so that plain SGD moves it by more than its round-off."""
    rng = np.random.default_rng(seed)
    shapes = [s for a, b in zip(LAYERS, LAYERS[1:]) for s in ((a, b), (b,))]
    scales = [1.0, 1e-3, 1e-5, 1.0, 1e-3, 1.0][: len(shapes)]
    start = [c * rng.normal(size=s) for c, s in zip(scales, shapes)]
    drift = [rng.normal(size=s) for s in shapes]
    grads = [[c * (d + rng.normal(size=s)) for c, d, s in zip(scales, drift, shapes)] for _ in range(steps)]
    return start, grads


def make(optimizer: str, hyper: dict, convention: str = "torch", **knobs):
    """The NumPy reference's optimizer (scratch/optimizers.py) with these hyperparameters and rules."""
    h = hyper
    if optimizer == "sgd":
        return rules.SGD(h["lr"], convention)
    if optimizer in ("momentum", "nesterov"):
        return rules.Momentum(h["lr"], h["momentum"], optimizer == "nesterov", convention)
    if optimizer == "adam":
        return rules.Adam(h["lr"], h["beta1"], h["beta2"], h["eps"], convention, **knobs)
    return rules.RMSprop(h["lr"], h["rho"], h["eps"], convention, **knobs)


def reference(opt, start: list[np.ndarray], grads: list[list[np.ndarray]], before: Callable | None = None) -> list[list[np.ndarray]]:
    """The tensors after each step of a scratch optimizer (before(opt, params) runs ahead of every step)."""
    params, out = [np.array(t, np.float64) for t in start], []
    with np.errstate(all="ignore"):  # a slip may divide by zero: the NaN is the point
        for g in grads:
            if before is not None:
                before(opt, params)
            opt.step(params, [np.array(x, np.float64) for x in g])
            out.append([p.copy() for p in params])
    return out


def spec_for(optimizer: str, hyper: dict) -> Spec:
    return Spec(optimizer=optimizer, **{k: v for k, v in hyper.items() if k in ("lr", "momentum", "beta1", "beta2", "eps", "rho")})


def torch_run(optimizer: str, hyper: dict, start, grads) -> list[list[np.ndarray]]:
    """torch.optim on the tensors, .grad set to each step's gradients."""
    import torch

    import torch_impl.optimizers

    params = [torch.tensor(np.array(t), dtype=torch.float64, requires_grad=True) for t in start]
    opt = torch_impl.optimizers.optimizer(spec_for(optimizer, hyper), params)
    out = []
    for g in grads:
        for p, x in zip(params, g):
            p.grad = torch.tensor(np.array(x), dtype=torch.float64)
        opt.step()
        out.append([p.detach().numpy().copy() for p in params])
    return out


def keras_run(optimizer: str, hyper: dict, start, grads) -> list[list[np.ndarray]]:
    """keras.optimizers on float64 variables, hyperparameters as float64 (Keras would round Python floats to float32)."""
    import tf_impl.optimizers  # first: tf_impl imports TensorFlow without its start-up banner

    # isort: split
    import keras
    import tensorflow as tf

    variables = [keras.Variable(np.array(t), dtype="float64") for t in start]
    opt = tf_impl.optimizers.optimizer(spec_for(optimizer, hyper), variables)
    out = []
    for g in grads:
        opt.apply_gradients(zip([tf.constant(np.array(x), tf.float64) for x in g], variables))
        out.append([v.numpy().copy() for v in variables])
    return out


def frameworks(optimizer: str, hyper: dict, start, grads, names=("torch", "tensorflow")) -> dict[str, list]:
    """The installed frameworks' trajectories, by run name."""
    runs = {"torch": torch_run, "tensorflow": keras_run}
    return {n: runs[n](optimizer, hyper, start, grads) for n in names if implementations.installed(n)}


def learner_run(adapter, start: list[np.ndarray], grads: list[list[np.ndarray]], names: list[str]) -> list[list[np.ndarray]]:
    """The learner's tensors after each step, in their layout."""
    adapter.start(start)
    with np.errstate(all="ignore"):
        return [adapter.step(g, names, t) for t, g in enumerate(grads, start=1)]


def _rel(y: np.ndarray, r: np.ndarray, s: np.ndarray) -> float:
    """max |y - r| / max |r - s|; inf where their NaN or inf entries differ."""
    ok = np.isfinite(r)
    if not np.array_equal(np.isfinite(y), ok) or not np.array_equal(np.isnan(y), np.isnan(r)) or np.any(y[np.isinf(r)] != r[np.isinf(r)]):
        return np.inf
    if not ok.any():
        return 0.0
    diff = float(np.max(np.abs(y - r)[ok]))
    moved = float(np.max(np.abs(r - s)[ok]))
    return diff / moved if moved > 0 else diff


def departures(yours: list, ref: list, start: list[np.ndarray]) -> np.ndarray:
    """(steps, tensors) array of the relative difference of each tensor at each step."""
    return np.array([[_rel(y, r, s) for y, r, s in zip(ys, rs, start)] for ys, rs in zip(yours, ref)])
