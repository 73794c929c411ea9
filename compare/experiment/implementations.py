"""The one place that imports the three implementations, lazily, and knows their conventions."""

from __future__ import annotations

import importlib
import importlib.util

from compare.experiment.spec import Spec

# run name -> (package, convention of its optimizer update rules)
IMPLEMENTATIONS = {
    "numpy": ("scratch", "torch"),
    "numpy-keras": ("scratch", "keras"),
    "torch": ("torch_impl", "torch"),
    "tensorflow": ("tf_impl", "keras"),
}
REQUIRES = {"scratch": "numpy", "torch_impl": "torch", "tf_impl": "tensorflow"}


def installed(name: str) -> bool:
    """Whether the framework behind a run name can be imported."""
    return importlib.util.find_spec(REQUIRES[IMPLEMENTATIONS[name][0]]) is not None


def runs_for(spec: Spec) -> list[str]:
    """Run names for a spec: its frameworks, torch before tensorflow (the safe import order),
    plus 'numpy-keras' (the NumPy reference in Keras's update rules) where the rules differ."""
    order = ["numpy", "torch", "tensorflow"]
    names = [f for f in order if f in spec.frameworks]
    if "numpy" in names and "tensorflow" in names and convention_matters(spec):
        names.insert(1, "numpy-keras")
    return names


def convention_matters(spec: Spec) -> bool:
    """True where torch's and Keras's published update rules give different numbers (Adam, RMSprop
    with eps > 0); SGD and both momentum forms agree to round-off for a constant learning rate."""
    return spec.adaptive and spec.eps > 0


def should_agree(a: str, b: str, spec: Spec) -> bool:
    """Whether two runs implement the same update rule, so their curves must match to round-off."""
    return not convention_matters(spec) or IMPLEMENTATIONS[a][1] == IMPLEMENTATIONS[b][1]


def build(name: str, spec: Spec, params):
    """The named implementation's MLP for (spec, canonical weights); imports it on first use."""
    package, convention = IMPLEMENTATIONS[name]
    module = importlib.import_module(package)
    if package == "scratch":
        return module.MLP(spec, params, convention=convention)
    return module.MLP(spec, params)


def agreement_reason(a: str, b: str, spec: Spec) -> str:
    """Why a pair should agree, or why not, in words."""
    if not convention_matters(spec):
        return f"same update rule ({spec.optimizer})"
    ca, cb = IMPLEMENTATIONS[a][1], IMPLEMENTATIONS[b][1]
    if ca == cb:
        return f"same {spec.optimizer} update rule ({ca} form)"
    if spec.optimizer == "adam":
        return "Adam: torch adds eps to sqrt(v_hat); Keras folds the bias correction into the step and adds eps to sqrt(v)"
    return "RMSprop: torch divides by sqrt(v) + eps; Keras by sqrt(v + eps)"
