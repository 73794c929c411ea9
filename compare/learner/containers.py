"""A learner's parameters as containers hold them: their arrays in order, put back into the same container, and by
name for a function that takes them one by one."""

from __future__ import annotations

import numpy as np


def by_name(params_in) -> dict:
    """The learner's own tensors (in their layout) by name, for a function that takes them one by one: w1, b1, ..."""
    arrays = flat(params_in)
    pairs = len(arrays) // 2 if isinstance(params_in, list) and params_in and isinstance(params_in[0], tuple) else 0
    if pairs:
        return {f"{t}{k}": a for k in range(1, pairs + 1) for t, a in zip("wb", arrays[2 * k - 2 : 2 * k])}
    return {k.lower(): v for k, v in params_in.items()} if isinstance(params_in, dict) else {f"w{k}": W for k, W in enumerate(arrays, 1)}


def flat(container) -> list[np.ndarray]:
    """The arrays of a params container, in order."""
    if isinstance(container, dict):
        return list(container.values())
    out = []
    for item in container:
        out += flat(item) if isinstance(item, (list, tuple)) else [item]
    return out


def regroup(container, arrays: list[np.ndarray]):
    """arrays put back into the shape of the container they came from (a step read as gradients in the same form)."""
    it = iter(arrays)

    def rebuild(c):
        if isinstance(c, dict):
            return {k: next(it) for k in c}
        if isinstance(c, (list, tuple)):
            return type(c)(rebuild(x) if isinstance(x, (list, tuple)) else next(it) for x in c)
        return next(it)

    return rebuild(container)
