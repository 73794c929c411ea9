"""How close is close enough: per-tensor gradient tolerances, per-step curve tolerances, and the finite-difference bar."""

from __future__ import annotations

import numpy as np

# Gradient tolerance on max|a - b| / max|a| per tensor. float64: the three compute the same sums
# in different orders, ~10 ulp (2e-15) in practice; 1e-12 leaves room for deep or wide layers.
# float32: ulp is 1.2e-7 and sigmoid/tanh differ by up to 6 ulp between frameworks; 1e-5.
GRAD_TOL = {"float64": 1e-12, "float32": 1e-5}
# Loss-curve tolerance at step 0; it grows with the step count (see curve_tolerance).
CURVE_TOL = {"float64": 1e-10, "float32": 1e-4}
# NumPy backprop against central differences: CS231n's "acceptable"; differencing with h = 1e-6 leaves
# ~1e-10 of noise, more near kinks.
FD_TOL = 1e-4


def growth(steps: np.ndarray, adaptive: bool = False) -> np.ndarray:
    """How a curve's tolerance grows with the (1-based) step: round-off grows linearly with the step count, and Adam
    and RMSprop amplify it exponentially (doubling every 100 steps measured on these versions), while a real
    disagreement shows at once."""
    steps = np.asarray(steps, np.float64)
    linear = 1 + steps / 100
    return linear * 2 ** (steps / 100) if adaptive else linear


def curve_tolerance(dtype: str, steps: np.ndarray, adaptive: bool) -> np.ndarray:
    """Per-step relative tolerance between two frameworks' curves; steps are 1-based."""
    return CURVE_TOL[dtype] * growth(steps, adaptive)
