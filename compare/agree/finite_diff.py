"""Central finite differences in float64, graded as in CS231n, with ReLU kinks told apart."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

H = 1e-6  # step: truncation error ~h^2 = 1e-12, round-off ~eps/h = 1e-10 on a loss of order 1
FLOOR = 1e-8  # a tensor whose gradients are all below this is compared in absolute terms
GRADES = [(1e-7, "good"), (1e-4, "acceptable"), (1e-2, "suspicious"), (np.inf, "wrong")]


def grade(rel_error: float) -> str:
    """CS231n's reading of a relative error: <=1e-7 good, <=1e-4 acceptable, <=1e-2 suspicious, else wrong."""
    return next(name for bound, name in GRADES if rel_error <= bound)


def relative_error(analytic: np.ndarray, numeric: np.ndarray, scale: float) -> float:
    """max |a - n| / max(scale, FLOOR), scale = the tensor's largest |gradient|.

    Relative to the tensor, not to each entry: an entry of 1e-6 carries the same ~1e-10 absolute
    noise of differencing as an entry of 1, so entrywise ratios would flag noise, not bugs."""
    return float(np.max(np.abs(analytic - numeric), initial=0.0) / max(scale, FLOOR))


def sample_entries(shape: tuple, max_entries: int | None, rng: np.random.Generator) -> list[tuple]:
    """Every index of a tensor, or a seeded sample of max_entries of them."""
    every = list(np.ndindex(shape))
    if max_entries is None or len(every) <= max_entries:
        return every
    return [every[i] for i in sorted(rng.choice(len(every), max_entries, replace=False))]


def _relu_signs(spec, params, X) -> list[np.ndarray]:
    """Signs of every ReLU pre-activation, from the NumPy reference forward pass."""
    from scratch.activations import activate

    z, signs = X, []
    for (W, b), act in zip(params[:-1], spec.activations):
        pre = z @ W + b
        if act == "relu":
            signs.append(pre > 0)
        z = activate(act, pre)
    return signs


def check(
    loss: Callable[[list], float],
    params: list[tuple[np.ndarray, np.ndarray]],
    grads: list[tuple[np.ndarray, np.ndarray]],
    names: list[str],
    *,
    spec=None,
    X: np.ndarray | None = None,
    max_entries: int | None = None,
    seed: int = 0,
    h: float = H,
) -> pd.DataFrame:
    """Compare `grads` with central differences of `loss(params)`, one row per tensor.

    `params` are perturbed in float64 copies; with `spec` and `X` given and a ReLU in the network,
    an entry whose +-h step flips a ReLU pre-activation is counted as a kink, not as an error.
    Columns: tensor, checked, total, max_rel_error, grade, kinks.
    """
    work = [[np.array(W, np.float64), np.array(b, np.float64)] for W, b in params]
    has_relu = spec is not None and X is not None and "relu" in spec.activations
    rng = np.random.default_rng([seed, 4])
    rows = []
    for k, name in enumerate(names):
        layer, slot = divmod(k, 2)
        tensor, analytic = work[layer][slot], np.asarray(grads[layer][slot], np.float64)
        analytic_at, numeric_at, kinks = [], [], 0
        entries = sample_entries(tensor.shape, max_entries, rng)
        for idx in entries:
            old = tensor[idx]
            tensor[idx] = old + h
            plus, signs_plus = loss(work), _relu_signs(spec, work, X) if has_relu else None
            tensor[idx] = old - h
            minus, signs_minus = loss(work), _relu_signs(spec, work, X) if has_relu else None
            tensor[idx] = old
            if has_relu and any((a != b).any() for a, b in zip(signs_plus, signs_minus)):
                kinks += 1
                continue
            analytic_at.append(analytic[idx])
            numeric_at.append((plus - minus) / (2 * h))
        scale = max(float(np.max(np.abs(analytic), initial=0.0)), float(np.max(np.abs(numeric_at), initial=0.0)))
        worst = relative_error(np.array(analytic_at), np.array(numeric_at), scale)
        rows.append(
            {"tensor": name, "checked": len(entries), "total": tensor.size, "max_rel_error": worst, "grade": grade(worst), "kinks": kinks}
        )
    return pd.DataFrame(rows)
