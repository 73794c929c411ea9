"""Canonical initial weights: one NumPy Generator, layout (fan_in, fan_out), saved as .npz."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from compare.shared.spec import Spec

Params = list[tuple[np.ndarray, np.ndarray]]  # [(W1, b1), (W2, b2), ...], W of shape (fan_in, fan_out)


def _layer(scheme: str, fan_in: int, fan_out: int, scale: float, rng: np.random.Generator):
    """One (W, b) pair in float64 drawn by the named scheme."""
    shape = (fan_in, fan_out)
    if scheme == "small_uniform":  # "small random numbers": W, b ~ U(-scale, scale)
        return rng.uniform(-scale, scale, shape), rng.uniform(-scale, scale, fan_out)
    if scheme == "small_normal":  # W, b ~ N(0, scale^2)
        return scale * rng.standard_normal(shape), scale * rng.standard_normal(fan_out)
    if scheme == "glorot_uniform":  # Keras's default: U(+-sqrt(6 / (fan_in + fan_out))), bias 0
        bound = np.sqrt(6.0 / (fan_in + fan_out))
        return rng.uniform(-bound, bound, shape), np.zeros(fan_out)
    if scheme == "torch_default":  # kaiming_uniform(a=sqrt(5)) = U(+-1/sqrt(fan_in)), bias the same
        bound = 1.0 / np.sqrt(fan_in)
        return rng.uniform(-bound, bound, shape), rng.uniform(-bound, bound, fan_out)
    if scheme == "he_uniform":  # U(+-sqrt(6 / fan_in)), bias 0
        bound = np.sqrt(6.0 / fan_in)
        return rng.uniform(-bound, bound, shape), np.zeros(fan_out)
    raise ValueError(f"unknown init scheme {scheme!r}")


def init(spec: Spec) -> Params:
    """The spec's initial weights, drawn from a Generator seeded by spec.seed, cast to spec.dtype."""
    rng = np.random.default_rng([spec.seed, 1])
    sizes = zip(spec.layers[:-1], spec.layers[1:])
    pairs = [_layer(spec.init, i, o, spec.init_scale, rng) for i, o in sizes]
    return [(W.astype(spec.dtype), b.astype(spec.dtype)) for W, b in pairs]


def to_dict(params: Params, prefix: str = "") -> dict[str, np.ndarray]:
    """{'W1': ..., 'b1': ..., ...}, with an optional prefix such as 'd' for gradients."""
    out = {}
    for i, (W, b) in enumerate(params, start=1):
        out[f"{prefix}W{i}"], out[f"{prefix}b{i}"] = W, b
    return out


def from_dict(arrays, prefix: str = "") -> Params:
    """Inverse of to_dict."""
    n = sum(1 for k in arrays if k.startswith(f"{prefix}W"))
    return [(np.asarray(arrays[f"{prefix}W{i}"]), np.asarray(arrays[f"{prefix}b{i}"])) for i in range(1, n + 1)]


def names(n_layers: int, prefix: str = "") -> list[str]:
    """Tensor names in parameter order: W1, b1, W2, b2, ..."""
    return [f"{prefix}{t}{i}" for i in range(1, n_layers + 1) for t in ("W", "b")]


def save(path: str | Path, params: Params, prefix: str = "") -> None:
    np.savez(path, **to_dict(params, prefix))


def load(path: str | Path, prefix: str = "") -> Params:
    with np.load(path) as f:
        return from_dict({k: f[k] for k in f.files}, prefix)
