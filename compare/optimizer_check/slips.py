"""The update-rule slips learners make, each as the NumPy reference built another way: other hyperparameters,
another bias correction or second moment (scratch's rules are parameters), or its state dropped, shared or
crossed between steps. The diagnosis looks for the one that reproduces the learner's trajectory."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from compare.optimizer_check import stepping
from scratch.optimizers import bias_correction

STATE = {"Momentum": ("bufs",), "Adam": ("m", "v"), "RMSprop": ("v",)}  # where scratch's optimizers keep state
ADAM, MOMENTUM = ("adam",), ("momentum", "nesterov")
STATEFUL = ("momentum", "nesterov", "adam", "rmsprop")
EVERY = ("sgd", *STATEFUL)


def _at(t_of: Callable[[int], int]):
    """Bias corrections computed at another step than t (as float64, so that 1 - beta^0 = 0 divides to inf)."""
    return lambda b1, b2, t: tuple(np.float64(c) for c in bias_correction(b1, b2, t_of(t)))


@dataclass(frozen=True)
class Slip:
    """One known slip: its words, the fix, which optimizers it can happen in, and how the reference is built with it in."""

    key: str
    words: str
    fix: str
    optimizers: tuple[str, ...]
    hyper: Callable[[dict], dict] = lambda h: h  # hyperparameters the slip amounts to
    knobs: dict = field(default_factory=dict)  # scratch's rules replaced
    state: str | None = None  # "dropped" every step, "shared" or "crossed" between tensors of one shape


CATALOGUE = (
    Slip("no_bias_correction", "bias correction missing on both moments", "divide m by 1 - β1ᵗ and v by 1 - β2ᵗ", ADAM,
         knobs={"corrections": lambda b1, b2, t: (1.0, 1.0)}),
    Slip("no_bias_correction_m", "bias correction missing on the first moment m", "m̂ = m / (1 - β1ᵗ)", ADAM,
         knobs={"corrections": lambda b1, b2, t: (1.0, bias_correction(b1, b2, t)[1])}),
    Slip("no_bias_correction_v", "bias correction missing on the second moment v", "v̂ = v / (1 - β2ᵗ)", ADAM,
         knobs={"corrections": lambda b1, b2, t: (bias_correction(b1, b2, t)[0], 1.0)}),
    Slip("bias_correction_swapped", "bias correction applied to the wrong moment: m / (1 - β2ᵗ) and v / (1 - β1ᵗ)",
         "m̂ = m / (1 - β1ᵗ), v̂ = v / (1 - β2ᵗ)", ADAM, knobs={"corrections": lambda b1, b2, t: bias_correction(b1, b2, t)[::-1]}),
    Slip("t_from_zero", "the step count t starts at 0: the first bias correction divides by 1 - β⁰ = 0", "count t from 1: add 1 before the update",
         ADAM, knobs={"corrections": _at(lambda t: t - 1)}),
    Slip("t_not_incremented", "the step count t is not incremented: the bias correction stays at t = 1", "t += 1 at every step (keep it in the state)",
         ADAM, knobs={"corrections": _at(lambda t: 1)}),
    Slip("v_from_g", "the second moment averages g instead of g²", "v = β2 v + (1 - β2) g², g squared", ("adam", "rmsprop"),
         knobs={"square": lambda g: g}),
    Slip("eps_under_root", "eps is added under the square root: m̂ / √(v̂ + eps) (Keras's RMSprop puts it there; no framework's Adam does)",
         "m̂ / (√v̂ + eps)", ADAM, knobs={"denominator": lambda v, bc2, eps: np.sqrt(v / bc2 + eps)}),
    Slip("no_sqrt", "the square root is missing: the step divides by v̂ + eps (RMSprop: v + eps), not √v̂ + eps",
         "divide by √v̂ + eps: v̂ is a mean square, its root a scale", ("adam", "rmsprop"),
         knobs={"denominator": lambda v, bc2, eps: v / bc2 + eps}),
    Slip("betas_swapped", "the betas are swapped: β2 averages g into m, β1 averages g² into v", "β1 (0.9) averages g into m, β2 (0.999) averages g² into v", ADAM,
         hyper=lambda h: {**h, "beta1": h["beta2"], "beta2": h["beta1"]}),
    Slip("ema_weights_swapped", "the moving average weighs the wrong term: m = (1 - β1) m + β1 g",
         "m = β1 m + (1 - β1) g: the old average keeps the weight β", ADAM,
         hyper=lambda h: {**h, "beta1": 1 - h["beta1"]}, knobs={"corrections": lambda b1, b2, t: bias_correction(1 - b1, b2, t)}),
    Slip("ema_weights_swapped", "the moving average weighs the wrong term: v = (1 - ρ) v + ρ g²",
         "v = ρ v + (1 - ρ) g²: the old average keeps the weight ρ", ("rmsprop",), hyper=lambda h: {**h, "rho": 1 - h["rho"]}),
    Slip("lr_twice", "the learning rate is applied twice (lr² instead of lr)", "multiply by the learning rate once", EVERY,
         hyper=lambda h: {**h, "lr": h["lr"] ** 2}),
    Slip("sign_update", "the update has the wrong sign: it climbs the gradient", "step against the gradient: w -= lr · (...)", EVERY,
         hyper=lambda h: {**h, "lr": -h["lr"]}),
    Slip("sign_momentum", "the momentum term has the wrong sign: v = -μ v - lr g", "v = μ v - lr g (or buf = μ buf + g)", MOMENTUM,
         hyper=lambda h: {**h, "momentum": -h["momentum"]}),
    Slip("state_dropped", "the state is not kept between calls: every step starts from zero moments",
         "store the updated buffers back (config['velocity'] = v, self.m[i] = m, ...)", STATEFUL, state="dropped"),
    Slip("state_shared", "one state is shared between tensors of the same shape", "keep one buffer per tensor", STATEFUL, state="shared"),
    Slip("state_crossed", "a tensor is stepped with the state of the same tensor in another layer",
         "index the buffers with the tensor's own key or position", STATEFUL, state="crossed"),
)  # fmt: skip


def groups(shapes: list[tuple], names: list[str], how: str) -> list[int]:
    """For each tensor, whose state it uses: "shared", the first tensor of its shape; "crossed", the next
    tensor of its kind (W or b) and shape, in another layer (the last one wraps round to the first)."""
    keys = shapes if how == "shared" else [(s, n[0]) for s, n in zip(shapes, names)]
    out = []
    for k, key in enumerate(keys):
        same = [j for j, other in enumerate(keys) if other == key]
        out.append(same[0] if how == "shared" else same[(same.index(k) + 1) % len(same)])
    return out


def _before(slip: Slip, shapes: list[tuple], names: list[str]) -> Callable | None:
    """What happens to the reference's state ahead of each step."""
    if slip.state == "dropped":

        def drop(opt, params):
            for name in STATE[type(opt).__name__]:
                setattr(opt, name, None)

        return drop
    if slip.state == "shared":
        whose = groups(shapes, names, slip.state)

        def arrange(opt, params):
            for name in STATE[type(opt).__name__]:
                if getattr(opt, name) is None:  # made once, aliased as the slip aliases it
                    own = [np.zeros_like(p) for p in params]
                    setattr(opt, name, [own[whose[k]] for k in range(len(params))])

        return arrange
    return None


def trajectory(slip: Slip, optimizer: str, hyper: dict, convention: str, start, grads, names: list[str]) -> list[list[np.ndarray]]:
    """The reference's trajectory with the slip in, in one convention."""
    opt = stepping.make(optimizer, slip.hyper(hyper), convention, **slip.knobs)
    shapes = [np.shape(t) for t in start]
    out = stepping.reference(opt, start, grads, _before(slip, shapes, names))
    if slip.state == "crossed":  # every state kept with its own gradient, every tensor moved by its partner's
        whose = groups(shapes, names, "crossed")
        out = [[start[k] + (ts[j] - start[j]) for k, j in enumerate(whose)] for ts in out]
    return out


def catalogue(optimizer: str) -> list[Slip]:
    return [s for s in CATALOGUE if optimizer in s.optimizers]
