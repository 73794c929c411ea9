"""Canonical initial weights: one NumPy Generator, layout (fan_in, fan_out), saved as .npz."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from compare.shared.spec import Spec

Params = list[tuple[np.ndarray, np.ndarray | None]]  # [(W1, b1), (W2, b2), ...], W (fan_in, fan_out); b None without biases


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
    """The spec's initial weights, drawn from a Generator seeded by spec.seed, cast to spec.dtype. Without biases
    (spec.bias false) the same draws are made and the biases dropped: W is the biased network's W of the same seed."""
    rng = np.random.default_rng([spec.seed, 1])
    sizes = zip(spec.layers[:-1], spec.layers[1:])
    pairs = [_layer(spec.init, i, o, spec.init_scale, rng) for i, o in sizes]
    return [(W.astype(spec.dtype), b.astype(spec.dtype) if spec.bias else None) for W, b in pairs]


def has_biases(params: Params) -> bool:
    """Whether the layers carry biases (every b an array) or not (every b None)."""
    return params[0][1] is not None


def tensors(params: Params) -> list[np.ndarray]:
    """Every tensor in parameter order, W1, b1, W2, b2, ... (no b without biases): the tensors names() names."""
    return [t for pair in params for t in pair if t is not None]


def to_dict(params: Params, prefix: str = "") -> dict[str, np.ndarray]:
    """{'W1': ..., 'b1': ..., ...}, with an optional prefix such as 'd' for gradients; no b keys without biases."""
    return dict(zip(names(len(params), prefix, bias=has_biases(params)), tensors(params), strict=True))


def from_dict(arrays, prefix: str = "") -> Params:
    """Inverse of to_dict: without b keys, a network without biases (every b None)."""
    n = sum(1 for k in arrays if k.startswith(f"{prefix}W"))
    bias = f"{prefix}b1" in arrays
    return [(np.asarray(arrays[f"{prefix}W{i}"]), np.asarray(arrays[f"{prefix}b{i}"]) if bias else None) for i in range(1, n + 1)]


def names(n_layers: int, prefix: str = "", bias: bool = True) -> list[str]:
    """Tensor names in parameter order: W1, b1, W2, b2, ...; W1, W2, ... with bias=False."""
    kinds = ("W", "b") if bias else ("W",)
    return [f"{prefix}{t}{i}" for i in range(1, n_layers + 1) for t in kinds]


def save(path: str | Path, params: Params, prefix: str = "") -> None:
    np.savez(path, **to_dict(params, prefix))


def load(path: str | Path, prefix: str = "") -> Params:
    with np.load(path) as f:
        return from_dict({k: f[k] for k in f.files}, prefix)
