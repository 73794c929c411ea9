"""Every switch the explainer can try on a spec, as Switch objects (compare/explain/switches.py), cheapest and most
specific first, and each framework's own defaults, computed once (Natives)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from compare.explain import conventions, defaults, tricks
from compare.explain.switches import ARITHMETIC, DEFAULTS, ROUNDED, ROUNDING, Build, Switch, bn_affine, spec_change
from compare.shared import implementations, native
from compare.shared.spec import Spec

RULES = {
    "adam": ("Adam eps placement, Keras form", "Adam adds eps to sqrt(v_hat) in torch and to sqrt(v) after folding the bias correction into the step size in Keras"),
    "rmsprop": ("RMSprop eps placement, Keras form", "RMSprop divides by sqrt(v) + eps in torch and by sqrt(v + eps) in Keras"),
    "momentum": ("momentum form, Keras's v = mu v - lr g", "torch keeps buf = mu buf + g and steps lr buf, Keras keeps v = mu v - lr g and steps v"),
}  # fmt: skip
RULES["nesterov"] = RULES["momentum"]
PROBABILITIES = {"probabilities": True}  # a loss on probabilities: its gradients' round-off bound is that loss's (compare/agree/bounds.py)


def _probs(build_loss):
    return lambda b: replace(b, loss=build_loss(b.spec.loss))


def _rounded(b: Build) -> Build:
    with np.errstate(over="ignore"):  # a learning rate beyond float32's range rounds to inf, as in Keras
        s = b.spec.replace(**{f: float(np.float32(getattr(b.spec, f))) for f in ROUNDED})
    return replace(b, spec=s, rounded_powers=True)


def switches(spec: Spec, n_train: int | None = None, natives: Natives | None = None) -> list[Switch]:
    """The switches that can change this spec's numbers, cheapest and most specific first; Keras's fit order only where
    n_train samples make several mini-batches (in one batch the order moves nothing but round-off); float32 arithmetic
    only for a float64 spec."""
    out, o = [], spec.optimizer
    if o in RULES:
        out.append(Switch("keras_rules", *RULES[o], lambda b: replace(b, rules="keras")))
    if spec.dtype == "float64":
        why = "Keras rounds Python-float hyperparameters (and a Python-float learning rate) to float32 even for float64 weights"
        out.append(Switch("float32_hyper", "hyperparameters rounded to float32", why, _rounded, stage=ROUNDING))
    out += defaults.optimizer_switches(spec) + defaults.decay_switches(spec) + tricks.switches(spec)
    if spec.batch_norm:
        words = (
            "batch norm with a learned scale and shift (γ, β: the frameworks' default)",
            "batch norm without a learned scale and shift",
        )
        why = "torch's BatchNorm1d(affine=True) and Keras's BatchNormalization(center=True, scale=True) learn γ and β by default"
        out.append(Switch("bn_affine", words[spec.bn_affine], why, bn_affine))
    out.append(Switch("sum_loss", "loss summed over the batch", "one side sums the loss over the mini-batch where the other averages it",
                      lambda b: replace(b, summed=True)))  # fmt: skip
    if spec.loss_kind.cross_entropy:
        out.append(Switch("keras_probs", "loss on probabilities clipped to [1e-7, 1 - 1e-7]",
                          "Keras's cross-entropy on probabilities (from_logits=False) clips them to [1e-7, 1 - 1e-7] where logits need no clip",
                          _probs(conventions.keras_probs), excludes=frozenset({"torch_probs"}), meta=PROBABILITIES))  # fmt: skip
        out.append(Switch("torch_probs", "loss on probabilities, log clamped at -100",
                          "torch's BCELoss / nll(log softmax) on probabilities clamps the log at -100 and divides by max(p(1-p), 1e-12)",
                          _probs(conventions.torch_probs), excludes=frozenset({"keras_probs"}), meta=PROBABILITIES))  # fmt: skip
    natives = natives or Natives(spec)
    out += _own_defaults(spec, n_train, natives)
    if spec.dtype == "float64":
        out.append(Switch("float32", "float32 arithmetic", "one side computes in float32", spec_change(dtype="float32"), stage=ARITHMETIC))
    return out


def _own_defaults(spec: Spec, n_train: int | None, natives: Natives) -> list[Switch]:
    """Each framework's own initial weights and hyperparameters, and Keras fit's sample order."""
    several = n_train is not None and spec.batch_size < n_train
    fit = lambda schedule, natives: natives.fit_order(schedule.shape[1])  # noqa: E731
    out = [
        Switch("torch_defaults", "torch's default initialisation and hyperparameters", lambda: defaults.torch_words(spec),
               natives.apply("torch"), stage=DEFAULTS, excludes=frozenset({"keras_defaults", "keras_shuffle"}), needs_frameworks=True),
        Switch("keras_defaults", "Keras's default initialisation and hyperparameters", lambda: defaults.keras_words(spec, n_train),
               natives.apply("tensorflow"), stage=DEFAULTS, excludes=frozenset({"torch_defaults", "keras_shuffle", "keras_running_var"}),
               needs_frameworks=True, order=fit if several else None),
    ]  # fmt: skip
    if several and implementations.installed("tensorflow"):
        out.insert(0, Switch("keras_shuffle", "Keras shuffles in fit", lambda: defaults.fit_order_words(spec, natives, n_train),
                             lambda b: b, excludes=frozenset({"keras_defaults", "torch_defaults"}), needs_frameworks=True, order=fit))  # fmt: skip
    return out


class Natives:
    """Each framework's default initial weights and hyperparameters for a spec, and Keras's fit order, computed once.
    schedule: the shared order the runs were handed; recorded: {framework: order} a bundle says a run trained on."""

    def __init__(self, spec: Spec, schedule=None, recorded: dict | None = None):
        self.spec, self.cache = spec, {}
        self.schedule, self.recorded = (None if schedule is None else np.asarray(schedule)), recorded or {}

    def fit_order(self, n_train: int) -> np.ndarray:
        """The order Keras's fit took: as the bundle recorded it, else drawn by the installed Keras."""
        if "fit_order" not in self.cache:
            recorded = self.recorded.get("tensorflow")
            self.cache["fit_order"] = (
                recorded if recorded is not None else native.keras_fit_order(self.spec.seed, n_train, self.spec.epochs)
            )
        return self.cache["fit_order"]

    def get(self, framework: str):
        if framework not in self.cache:
            hyper = {**native.hyper(framework, self.spec.optimizer), **native.tricks(framework, self.spec)}
            self.cache[framework] = (hyper, native.init(framework, self.spec))
        return self.cache[framework]

    def apply(self, framework: str):
        """Build -> the reference on the framework's own hyperparameters and initial weights (Keras's moving variance
        and clipnorm with Keras's)."""

        def change(b: Build) -> Build:
            hyper, params = self.get(framework)
            b = replace(b, spec=b.spec.replace(**hyper), params=params)
            return replace(b, clipping="per_tensor", running="keras") if framework == "tensorflow" else b

        return change
