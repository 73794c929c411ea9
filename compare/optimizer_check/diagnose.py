"""Which convention the learner's trajectory follows, or which known slip reproduces it, or where it departs."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from compare.errors import LearnerError
from compare.optimizer_check import slips, stepping

# convention -> optimizer -> (the framework whose form it is, the form in words)
FORMS = {
    "torch": {
        "sgd": ("torch.optim.SGD", "p -= lr·g"),
        "momentum": ("torch.optim.SGD(momentum=μ)", "buf = μ·buf + g, p -= lr·buf"),
        "nesterov": ("torch.optim.SGD(nesterov=True)", "p -= lr·(g + μ·buf)"),
        "adam": ("torch.optim.Adam", "eps added to √v̂, the paper's Algorithm 1"),
        "rmsprop": ("torch.optim.RMSprop", "eps outside the root: g / (√v + eps)"),
    },
    "keras": {
        "sgd": ("keras.optimizers.SGD", "p -= lr·g"),
        "momentum": ("keras.optimizers.SGD(momentum=μ)", "v = μ·v - lr·g, p += v"),
        "nesterov": ("keras.optimizers.SGD(nesterov=True)", "p += μ·v - lr·g"),
        "adam": ("keras.optimizers.Adam", "ε̂: eps added to √v, the bias correction folded into the step size"),
        "rmsprop": ("keras.optimizers.RMSprop", "eps inside the root: g / √(v + eps)"),
    },
    "ema": {
        "momentum": (
            "torch.optim.SGD(momentum=μ) with lr·(1 - μ)",
            "v = μ·v + (1 - μ)·g, p -= lr·v (the EMA form deeplearning.ai teaches)",
        ),
    },
}
RUN = {"torch": "numpy", "keras": "numpy-keras", "ema": "numpy-ema"}  # the reference run of each convention


def conventions(optimizer: str, hyper: dict, start, grads) -> dict[str, list]:
    """The NumPy reference's trajectory in each convention this optimizer has, by convention."""
    out = {c: stepping.reference(stepping.make(optimizer, hyper, c), start, grads) for c in ("torch", "keras")}
    if optimizer == "momentum":
        ema = {**hyper, "lr": hyper["lr"] * (1 - hyper["momentum"])}
        out["ema"] = stepping.reference(stepping.make("momentum", ema, "torch"), start, grads)
    return out


@dataclass
class Finding:
    """What the trajectory says: right (in which convention), which slip, or where it departs."""

    ok: bool
    kind: str  # "convention", "slip" or "unknown"
    matched: list[str]  # conventions matched to round-off
    slip: str | None
    first_step: int | None  # where the learner departs from the nearest convention, 1-based
    first_tensor: str | None
    message: str

    def __post_init__(self) -> None:
        self.message = self.message[:1].upper() + self.message[1:]


def _first(d: np.ndarray, names: list[str]) -> tuple[int | None, str | None]:
    over = np.flatnonzero(~(d.max(axis=1) <= stepping.TOL))
    if not len(over):
        return None, None
    step = int(over[0])
    return step + 1, names[int(np.nan_to_num(d[step], posinf=np.finfo(float).max).argmax())]


def _nonfinite(yours: list, names: list[str]) -> str | None:
    for t, tensors in enumerate(yours, start=1):
        for name, a in zip(names, tensors):
            if not np.isfinite(a).all():
                kinds = " and ".join(k for k, m in (("NaN", np.isnan(a)), ("inf", np.isinf(a))) if m.any())
                return f"your update put {kinds} in {name} at step {t}; expected finite numbers"
    return None


def diagnose(optimizer: str, hyper: dict, start, grads, yours: list, names: list[str], refs: dict[str, list]) -> Finding:
    """Match the learner's trajectory against each convention, then against each known slip."""
    d = {c: stepping.departures(yours, r, start) for c, r in refs.items()}
    worst = {c: float(np.nan_to_num(x.max(), nan=np.inf)) for c, x in d.items()}
    matched = [c for c in refs if worst[c] <= stepping.TOL]
    if matched:
        return Finding(True, "convention", matched, None, None, None, _convention_words(optimizer, matched, worst))
    firsts = {c: _first(x, names) for c, x in d.items()}
    nearest = min(worst, key=lambda c: (-firsts[c][0], worst[c]))  # the rule they follow longest, then closest
    step, tensor = firsts[nearest]
    for slip in slips.catalogue(optimizer):
        for convention in ("torch", "keras"):
            theirs = slips.trajectory(slip, optimizer, hyper, convention, start, grads, names)
            if stepping.departures(yours, theirs, start).max() <= stepping.TOL:
                framework = FORMS[convention][optimizer][0]
                step, tensor = firsts[convention]
                return Finding(
                    False, "slip", [], slip.key, step, tensor,
                    f"{slip.words} (your steps are {framework}'s with this slip put in, to round-off; they part from it at "
                    f"step {step}, in {tensor}). Fix: {slip.fix}.",
                )  # fmt: skip
    bad = _nonfinite(yours, names)
    if bad:
        raise LearnerError(bad)
    label = FORMS[nearest][optimizer][0]
    return Finding(
        False, "unknown", [], None, step, tensor,
        f"no known slip fits. Your steps first part from the nearest rule, {label} ({FORMS[nearest][optimizer][1]}), at step "
        f"{step}, in {tensor}: max relative difference {d[nearest][step - 1].max():.3g} there.",
    )  # fmt: skip


def _convention_words(optimizer: str, matched: list[str], worst: dict[str, float]) -> str:
    best = min(matched, key=lambda c: worst[c])
    label, form = FORMS[best][optimizer]
    text = f"Your {optimizer} follows {label} ({form}): max relative difference {worst[best]:.2g} over the steps."
    others = [c for c in matched if c != best]
    if others:
        verb = "agrees" if len(others) == 1 else "agree"
        text += f" {' and '.join(FORMS[c][optimizer][0] for c in others)} {verb} with it to round-off too: the same rule for these hyperparameters."
    for c in (c for c in worst if c not in matched):
        label, form = FORMS[c][optimizer]
        text += f" {label} ({form}) is another convention, not a mistake: it differs by up to {worst[c]:.2g}."
    return text


def step_table(yours: list, start, refs: dict[str, list], runs: dict[str, list]) -> pd.DataFrame:
    """Per step, the max relative difference of the learner's tensors to each framework and reference run."""
    cols = {name: stepping.departures(yours, r, start).max(axis=1) for name, r in runs.items()}
    cols |= {RUN[c]: stepping.departures(yours, r, start).max(axis=1) for c, r in refs.items()}
    return pd.DataFrame({"step": np.arange(1, len(yours) + 1), **cols})
