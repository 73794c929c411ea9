"""Batch norm's learned scale and shift in a learner's gradients: (dgamma, dbeta) pairs after the layers' (dW, db), or
dgamma1, dbeta1, ... in a dict (gamma1, beta1, ... as CS231n's assignment keys them), read into canonical (D,) rows."""

from __future__ import annotations

import re

import numpy as np

from compare.errors import LearnerError


def apart(grads, n: int, k: int):
    """(the layers' gradients, batch norm's k (dgamma, dbeta) pairs) from what the code gave back: a dict with
    dgamma1, dbeta1, ... (or gamma1, beta1, ...) keys, or a list of n (dW, db) pairs then k (dgamma, dbeta) pairs."""
    if isinstance(grads, dict):
        keys = [str(key) for key in grads]
        prefix = "d" if any(re.fullmatch(r"d(gamma|beta)\d+", key) for key in keys) else ""
        wanted = [(f"{prefix}gamma{h}", f"{prefix}beta{h}") for h in range(1, k + 1)]
        for key in (key for pair in wanted for key in pair):
            if key not in grads:
                raise LearnerError(
                    f"grads has no key {key!r}; batch norm's scale and shift need {prefix}gamma1, {prefix}beta1 .. {prefix}beta{k}"
                )
        taken = {key for pair in wanted for key in pair}
        return {key: v for key, v in grads.items() if key not in taken}, [(grads[g], grads[b]) for g, b in wanted]
    if isinstance(grads, (tuple, list)) and len(grads) == n + k and all(isinstance(p, (tuple, list)) and len(p) == 2 for p in grads[n:]):
        return list(grads[:n]), list(grads[n:])
    raise LearnerError(
        f"grads: expected {n} (dW, db) pairs and then {k} (dgamma, dbeta) pair{'s' if k > 1 else ''} of batch norm's scale and shift, "
        "or a dict with dgamma1, dbeta1, ..."
    )


def canonical(pairs, params, shapes: dict) -> list:
    """Each (dgamma, dbeta) as float64 (D,) rows, D the width of its batch norm; (D, 1) and (1, D) taken too. The
    shapes as they came go into `shapes`."""
    out = []
    for h, (pair, ref) in enumerate(zip(pairs, params), start=1):
        row = []
        for name, value, like in zip((f"dgamma{h}", f"dbeta{h}"), pair, ref):
            try:
                a = np.asarray(value)
            except Exception:
                a = np.asarray(None)
            if a.dtype.kind not in "fiu":
                raise LearnerError(f"{name} is {type(value).__name__}; expected a NumPy array of floats")
            D = like.shape[0]
            if a.shape not in ((D,), (D, 1), (1, D)):
                raise LearnerError(f"{name} has shape {a.shape}; expected ({D},), one entry per unit of batch norm {h}")
            if not np.isfinite(a).all():
                raise LearnerError(f"{name} has {int((~np.isfinite(a)).sum())} entries that are not finite; expected finite numbers")
            shapes[name] = a.shape
            row.append(a.reshape(D).astype(np.float64))
        out.append(tuple(row))
    return out
