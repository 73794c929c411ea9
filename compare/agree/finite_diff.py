"""Central finite differences in float64, graded as in CS231n, with ReLU kinks told apart."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

H = 1e-6  # step: truncation error ~h^2 = 1e-12, round-off ~eps/h = 1e-10 on a loss of order 1
FLOOR = 1e-8  # a tensor whose gradients are all below this is compared in absolute terms
GRADES = [(1e-7, "good"), (1e-4, "acceptable"), (1e-2, "suspicious"), (np.inf, "wrong")]
PASSING = ("good", "acceptable")  # the grades a finite-difference check passes with: up to FD_TOL = 1e-4
# Code that computes in float32, differenced with h = 1e-2: round-off ~1e-7/h and truncation ~h² put its floor near 1e-4.
GRADES32 = [(1e-3, "good"), (1e-2, "acceptable"), (1e-1, "suspicious"), (np.inf, "wrong")]


def grade(rel_error: float, float32: bool = False) -> str:
    """CS231n's reading of a relative error: <=1e-7 good, <=1e-4 acceptable, <=1e-2 suspicious, else wrong; for code
    computing in float32, <=1e-3, <=1e-2, <=1e-1."""
    return next(name for bound, name in (GRADES32 if float32 else GRADES) if rel_error <= bound)


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


def relu_signs(model, X: np.ndarray) -> Callable[[list], list[np.ndarray]]:
    """params -> the signs of every (leaky) ReLU pre-activation on X, from the NumPy reference's forward pass: an entry
    whose +-h step changes one sits on a kink, where the loss has no derivative to check."""
    relus = [i for i, act in enumerate(model.pieces.activations) if act.name in ("relu", "leaky_relu")]

    def signs(params) -> list[np.ndarray]:
        model.set_params(params)
        _, cache = model.layers(X, training=True)
        return [cache[i].Z > 0 for i in relus]

    return signs


def check(
    loss: Callable[[list], float],
    params: list[tuple[np.ndarray, np.ndarray | None]],
    grads: list[tuple[np.ndarray, np.ndarray | None]],
    names: list[str],
    *,
    signs: Callable[[list], list[np.ndarray]] | None = None,
    max_entries: int | None = None,
    seed: int = 0,
    h: float = H,
) -> pd.DataFrame:
    """Compare `grads` with central differences of `loss(params)`, one row per tensor.

    `params` are perturbed in float64 copies; `names` names their tensors in order, W1, b1, W2, ... (no b where a
    layer's b is None: a network without biases). With `signs` (see relu_signs), an entry whose +-h step flips a
    ReLU pre-activation is counted as a kink, not as an error.
    Columns: tensor, checked, total, max_rel_error, grade, kinks.
    """
    work = [[None if t is None else np.array(t, np.float64) for t in pair] for pair in params]
    present = [(layer, slot) for layer, pair in enumerate(work) for slot, t in enumerate(pair) if t is not None]
    rng = np.random.default_rng([seed, 4])
    rows = []
    for name, (layer, slot) in zip(names, present):
        tensor, analytic = work[layer][slot], np.asarray(grads[layer][slot], np.float64)
        analytic_at, numeric_at, kinks = [], [], 0
        entries = sample_entries(tensor.shape, max_entries, rng)
        for idx in entries:
            old = tensor[idx]
            tensor[idx] = old + h
            plus, signs_plus = loss(work), signs(work) if signs else None
            tensor[idx] = old - h
            minus, signs_minus = loss(work), signs(work) if signs else None
            tensor[idx] = old
            if signs and any((a != b).any() for a, b in zip(signs_plus, signs_minus)):
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
