"""The convention switches the explainer tries: each one Switch, holding its words, its effect on the NumPy reference,
the switches it excludes, whether it needs torch or Keras, and the sample order it replays on; reference() folds the
chosen ones into a reference."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np

import scratch
from compare.explain import conventions
from compare.shared import implementations, weights
from compare.shared.spec import Spec
from scratch import optimizers

# the Python floats Keras casts to float32 before use; Adam's betas in beta^t too
ROUNDED = ("lr", "momentum", "l2", "leaky_slope", "weight_decay")
DEFAULTS, SPEC, ROUNDING, ARITHMETIC = 0, 1, 2, 3  # the stages a reference is built in, one after another


@dataclass(frozen=True)
class Build:
    """The NumPy reference as switches make it: its spec and weights, and the conventions of its pieces."""

    spec: Spec
    params: list
    rules: str = "torch"  # the optimizer's published update rules
    clipping: str = "torch"  # clip to a norm: torch (+ 1e-6), keras (global_clipnorm), per_tensor (Keras's clipnorm)
    running: str = "torch"  # batch norm's running statistics
    loss: Callable | None = None  # a loss on probabilities, in place of the spec's
    summed: bool = False  # the loss summed over the batch
    rounded_powers: bool = False  # Adam's bias corrections from float32-rounded betas (the innermost rule)
    rule: tuple = ()  # transforms of the update rule, applied in turn around it (see conventions)

    def model(self):
        """The reference: scratch's MLP from these pieces."""
        s = self.spec
        rule = (
            conventions.rounded_powers(optimizers.update_rule) if self.rounded_powers and s.optimizer == "adam" else optimizers.update_rule
        )
        for transform in self.rule:
            rule = transform(rule)
        make = lambda spec, params: optimizers.optimizer(spec, params, self.rules, self.clipping, rule)  # noqa: E731
        p = replace(scratch.pieces_for(s, self.rules), optimizer=make, running_stats=self.running)
        p = replace(p, loss=self.loss) if self.loss is not None else p
        p = replace(p, loss=conventions.summed(p.loss)) if self.summed else p
        return implementations.build("numpy", s, self.params, pieces=p)


@dataclass(frozen=True)
class Switch:
    """One convention the reference can adopt: a short label, why a framework differs by it, its effect."""

    name: str
    label: str
    why: str | Callable[[], str]  # a callable where saying it needs torch or Keras imported
    apply: Callable[[Build], Build]
    stage: int = SPEC  # when it is applied: a framework's own defaults first, float32 arithmetic last
    excludes: frozenset = frozenset()  # switches it cannot be combined with
    needs_frameworks: bool = False  # tried only where nothing simpler explains the gap (it imports torch or Keras)
    order: Callable | None = None  # (the shared sample order, Natives) -> the order the reference replays on
    meta: dict = field(default_factory=dict, compare=False)  # what a reader of the switch may want: the value it sets

    @property
    def reason(self) -> str:
        return self.why() if callable(self.why) else self.why


def spec_change(**changes) -> Callable[[Build], Build]:
    return lambda b: replace(b, spec=b.spec.replace(**changes))


def compatible(chosen) -> bool:
    """No two chosen switches exclude each other."""
    names = {s.name for s in chosen}
    return not any(s.excludes & names for s in chosen)


def reference(spec: Spec, init, chosen, natives=None, available: list[Switch] | None = None):
    """(model, dtype) of the NumPy reference with the chosen switches (Switch objects, or their names, looked up in
    `available` or switches(spec)), each applied in its stage; model has train_step and gradients."""
    from compare.explain.catalogue import switches

    if any(isinstance(c, str) for c in chosen):
        n_train = None if natives is None or natives.schedule is None else natives.schedule.shape[1]
        lookup = {s.name: s for s in (available or switches(spec, n_train, natives))}
        chosen = [lookup[c] if isinstance(c, str) else c for c in chosen]
    build = Build(spec, init)
    for switch in sorted(chosen, key=lambda s: s.stage):
        build = switch.apply(build)
    return build.model(), build.spec.dtype


def sample_order(chosen, schedule: np.ndarray, natives) -> np.ndarray:
    """The order the reference replays on: a switch's own (Keras's fit order), else the shared one."""
    orders = [s.order for s in chosen if s.order is not None]
    return orders[0](schedule, natives) if orders else schedule


def bn_affine(b: Build) -> Build:
    """Batch norm with a learned scale and shift where the reference had none (gamma 1, beta 0 at the start, as torch and
    Keras start them), or without where it had one."""
    s = b.spec.replace(bn_affine=not b.spec.bn_affine)
    return replace(b, spec=s, params=weights.linear(b.params) + weights.norm_pairs(s))
