"""Canonical initial weights: one NumPy Generator, layout (fan_in, fan_out), saved as .npz."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from compare.shared.spec import Spec

# [(W1, b1), (W2, b2), ...], W (fan_in, fan_out); b None without biases. With batch norm's learned scale and shift
# (spec.bn_affine) one (gamma, beta) pair per hidden layer follows the linear layers: [..., (WL, bL), (gamma1, beta1), ...].
Params = list[tuple[np.ndarray, np.ndarray | None]]


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
    linear = [(W.astype(spec.dtype), b.astype(spec.dtype) if spec.bias else None) for W, b in pairs]
    return linear + norm_pairs(spec)


def norm_pairs(spec: Spec) -> Params:
    """Batch norm's (gamma, beta) of every hidden layer at their start, ones and zeros as torch and Keras start them
    (drawing nothing, so the linear layers' weights are those of the same seed without them); [] without bn_affine."""
    dtype = np.dtype(spec.dtype)
    return [(np.ones(width, dtype), np.zeros(width, dtype)) for width in spec.layers[1:-1]] if spec.bn_affine else []


def n_linear(params: Params) -> int:
    """How many linear layers: the pairs whose first tensor is a matrix (gamma, a vector, starts the norms' pairs)."""
    return sum(1 for pair in params if np.ndim(pair[0]) == 2)


def linear(params: Params) -> Params:
    """The linear layers' (W, b) pairs."""
    return params[: n_linear(params)]


def norms(params: Params) -> Params:
    """Batch norm's (gamma, beta) pairs, one per hidden layer; [] without a learned scale and shift."""
    return params[n_linear(params) :]


def walk_back(params: Params) -> list[int]:
    """Pair indices walking back from the output: each linear layer, then the batch norm's (gamma, beta) below it."""
    n, norms = n_linear(params), len(params) > n_linear(params)
    return [j for i in reversed(range(n)) for j in ((i, n + i - 1) if norms and i > 0 else (i,))]


def has_biases(params: Params) -> bool:
    """Whether the layers carry biases (every b an array) or not (every b None)."""
    return params[0][1] is not None


def tensors(params: Params) -> list[np.ndarray]:
    """Every tensor in parameter order, W1, b1, W2, b2, ... (no b without biases), then gamma1, beta1, ...: the
    tensors names() names."""
    return [t for pair in params for t in pair if t is not None]


def to_dict(params: Params, prefix: str = "") -> dict[str, np.ndarray]:
    """{'W1': ..., 'b1': ..., ...}, with an optional prefix such as 'd' for gradients; no b keys without biases."""
    n = n_linear(params)
    return dict(zip(names(n, prefix, bias=has_biases(params), norms=len(params) - n), tensors(params), strict=True))


def from_dict(arrays, prefix: str = "") -> Params:
    """Inverse of to_dict: without b keys, a network without biases (every b None); gamma and beta keys, if any, make
    the norms' pairs."""
    n = sum(1 for k in arrays if k.startswith(f"{prefix}W"))
    k = sum(1 for key in arrays if key.startswith(f"{prefix}gamma"))
    bias = f"{prefix}b1" in arrays
    pairs = [(np.asarray(arrays[f"{prefix}W{i}"]), np.asarray(arrays[f"{prefix}b{i}"]) if bias else None) for i in range(1, n + 1)]
    return pairs + [(np.asarray(arrays[f"{prefix}gamma{i}"]), np.asarray(arrays[f"{prefix}beta{i}"])) for i in range(1, k + 1)]


def names(n_layers: int, prefix: str = "", bias: bool = True, norms: int = 0) -> list[str]:
    """Tensor names in parameter order: W1, b1, W2, b2, ...; W1, W2, ... with bias=False; then gamma1, beta1, ... of
    `norms` batch-norm layers with a learned scale and shift."""
    kinds = ("W", "b") if bias else ("W",)
    linear = [f"{prefix}{t}{i}" for i in range(1, n_layers + 1) for t in kinds]
    return linear + [f"{prefix}{t}{i}" for i in range(1, norms + 1) for t in ("gamma", "beta")]


def pair_names(n_layers: int, i: int, prefix: str = "") -> tuple[str, str]:
    """The names of pair i (from 0) of a network with n_layers linear layers: (W{i+1}, b{i+1}), or (gamma, beta)."""
    return (
        (f"{prefix}W{i + 1}", f"{prefix}b{i + 1}")
        if i < n_layers
        else (f"{prefix}gamma{i - n_layers + 1}", f"{prefix}beta{i - n_layers + 1}")
    )


def spec_names(spec: Spec, prefix: str = "") -> list[str]:
    """The names of a spec's tensors, in parameter order (see names)."""
    return names(len(spec.layers) - 1, prefix, bias=spec.bias, norms=len(spec.layers) - 2 if spec.bn_affine else 0)


def save(path: str | Path, params: Params, prefix: str = "") -> None:
    np.savez(path, **to_dict(params, prefix))


def load(path: str | Path, prefix: str = "") -> Params:
    with np.load(path) as f:
        return from_dict({k: f[k] for k in f.files}, prefix)
