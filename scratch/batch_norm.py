"""Batch normalisation of a dense layer's outputs in NumPy: the forward pass, its backward written two ways (the full
chain through mean and variance, and the compact form), the learned scale and shift and its backward, the running
statistics."""

from __future__ import annotations

import numpy as np


def forward(H: np.ndarray, eps: float):
    """Y = (H - mean) / sqrt(var + eps) over the batch, and the cache backward needs; var is the biased one."""
    n = H.shape[0]
    mean = H.sum(axis=0) / n  # (D,)
    xc = H - mean  # (N, D)
    var = (xc * xc).sum(axis=0) / n  # (D,)
    inv = 1 / np.sqrt(var + eps)  # (D,)
    Y = xc * inv  # (N, D)
    return Y, (xc, inv, Y, mean, var)


def backward_full(dY: np.ndarray, cache) -> np.ndarray:
    """dH through every path: directly, through the variance and through the mean."""
    xc, inv, _, _, _ = cache
    n = dY.shape[0]
    dvar = (dY * xc).sum(axis=0) * -0.5 * inv**3  # (D,)
    dmean = -(dY * inv).sum(axis=0) + dvar * (-2 * xc).sum(axis=0) / n  # (D,)
    return dY * inv + dvar * 2 * xc / n + dmean / n  # (N, D)


def backward_compact(dY: np.ndarray, cache) -> np.ndarray:
    """The same in one line: dH = inv / N (N dY - sum dY - Y sum(dY Y))."""
    _, inv, Y, _, _ = cache
    n = dY.shape[0]
    return inv / n * (n * dY - dY.sum(axis=0) - Y * (dY * Y).sum(axis=0))  # (N, D)


def scale_shift_back(dB: np.ndarray, Y: np.ndarray, gamma: np.ndarray):
    """(dY, dgamma, dbeta) of the learned scale and shift B = gamma Y + beta."""
    dgamma = (dB * Y).sum(axis=0)  # (D,)
    dbeta = dB.sum(axis=0)  # (D,)
    dY = dB * gamma  # (N, D)
    return dY, dgamma, dbeta


def evaluate(H: np.ndarray, running_mean: np.ndarray, running_var: np.ndarray, eps: float) -> np.ndarray:
    """Eval mode: normalised with the running statistics."""
    return (H - running_mean) / np.sqrt(running_var + eps)  # (N, D)


def update(running_mean, running_var, cache, momentum: float, n: int, convention: str = "torch") -> None:
    """The running statistics after a training step, in place.

    torch (BatchNorm1d(momentum=m)): r = (1 - m) r + m batch, the variance's batch value unbiased (n / (n - 1)).
    keras (BatchNormalization(momentum=1 - m)): r = r k + batch (1 - k), k = 1 - m, the variance biased."""
    _, _, _, mean, var = cache
    if convention == "torch":
        running_mean *= 1 - momentum
        running_mean += momentum * mean
        running_var *= 1 - momentum
        running_var += momentum * (var * (n / (n - 1)))
    else:
        k = 1 - momentum
        running_mean[...] = running_mean * k + mean * (1 - k)
        running_var[...] = running_var * k + var * (1 - k)
