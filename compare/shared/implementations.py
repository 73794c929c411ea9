"""The three implementations behind one contract, imported where a reader sees it, and the runs built from them.

Each package exposes make(spec, params, **options) -> an MLP with forward, loss, gradients, train_step, end_epoch,
get_params, set_params and predict. They are imported on first use, so a NumPy-only run loads neither
torch nor TensorFlow.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from dataclasses import dataclass, field
from types import ModuleType

from compare.shared.spec import Spec


def _scratch() -> ModuleType:
    import scratch

    return scratch


def _torch() -> ModuleType:
    import torch_impl

    return torch_impl


def _tensorflow() -> ModuleType:
    import tf_impl

    return tf_impl


@dataclass(frozen=True)
class Implementation:
    """One run of the comparison: a package, the framework it needs, whose update rules it follows, and
    the options its make() is called with."""

    load: Callable[[], ModuleType]
    framework: str  # the package that must be installed
    convention: str  # "torch" or "keras": whose published optimizer update rules it follows
    options: dict = field(default_factory=dict)


RUNS = {
    "numpy": Implementation(_scratch, "numpy", "torch"),
    "numpy-keras": Implementation(_scratch, "numpy", "keras", {"convention": "keras"}),
    "torch": Implementation(_torch, "torch", "torch"),
    "tensorflow": Implementation(_tensorflow, "tensorflow", "keras"),
}
ORDER = ("numpy", "torch", "tensorflow")  # torch before TensorFlow: the import order Keras's own tests use


def installed(name: str) -> bool:
    """Whether the framework behind a run name can be imported."""
    return importlib.util.find_spec(RUNS[name].framework) is not None


def convention_matters(spec: Spec) -> bool:
    """True where torch's and Keras's published update rules give different numbers: Adam and RMSprop with
    eps > 0; clipping to a norm (torch adds 1e-6 to it); both momentum forms once the rate changes (they agree to
    round-off for a constant rate only); a cosine schedule (torch's rises again after T, Keras's stays at 0);
    batch norm's running statistics (torch updates the variance unbiased, Keras biased)."""
    changing_rate = spec.schedule != "constant" and spec.optimizer in ("momentum", "nesterov")
    running_stats = spec.batch_norm  # torch's running variance is unbiased, Keras's biased: eval-mode metrics differ
    return (spec.adaptive and spec.eps > 0) or spec.clip_norm > 0 or changing_rate or spec.schedule == "cosine" or running_stats


def convention_reasons(spec: Spec) -> list[str]:
    """In words, each way torch's and Keras's published rules give different numbers for this spec (see convention_matters)."""
    out = []
    if spec.optimizer == "adam" and spec.eps > 0:
        out.append("Adam: torch adds eps to sqrt(v_hat); Keras folds the bias correction into the step and adds eps to sqrt(v)")
    if spec.optimizer == "rmsprop" and spec.eps > 0:
        out.append("RMSprop: torch divides by sqrt(v) + eps; Keras by sqrt(v + eps)")
    if spec.clip_norm > 0:
        out.append("clipping: torch's clip_grad_norm_ adds 1e-6 to the norm, Keras's global_clipnorm does not")
    if spec.schedule != "constant" and spec.optimizer in ("momentum", "nesterov"):
        out.append("momentum: torch's buf = mu buf + g and Keras's v = mu v - lr g part once the learning rate changes")
    if spec.schedule == "cosine":
        out.append("cosine schedule: torch's rate rises again after T, Keras's stays at 0")
    if spec.batch_norm:
        out.append("batch norm: torch's running variance is unbiased, Keras's biased (eval-mode metrics)")
    return out


def runs_for(spec: Spec) -> list[str]:
    """Run names for a spec: its frameworks in ORDER, plus 'numpy-keras' (the NumPy reference in Keras's
    update rules) where the rules differ."""
    names = [f for f in ORDER if f in spec.frameworks]
    if "numpy" in names and "tensorflow" in names and convention_matters(spec):
        names.insert(1, "numpy-keras")
    return names


def same_rules(a: str, b: str, spec: Spec) -> bool:
    """Whether two runs follow update rules that give the same numbers for this spec."""
    return not convention_matters(spec) or RUNS[a].convention == RUNS[b].convention


def build(name: str, spec: Spec, params, **options):
    """The named run's MLP for (spec, canonical weights); its package is imported on first use."""
    run = RUNS[name]
    return run.load().make(spec, params, **run.options, **options)
