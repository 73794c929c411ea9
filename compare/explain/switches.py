"""The NumPy reference under one framework convention or more: the switches the explainer tries."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

import scratch
from compare.explain import conventions, tricks
from compare.shared import harness, implementations, native
from compare.shared.spec import Spec

ROUNDED = (
    "lr",
    "momentum",
    "l2",
    "leaky_slope",
    "weight_decay",
)  # the Python floats Keras casts to float32 before use; Adam's betas in beta^t too


@dataclass(frozen=True)
class Switch:
    """One convention the NumPy reference can adopt: a short label and why a framework differs by it."""

    name: str
    label: str
    why: str | Callable[[], str]  # a callable where saying it needs torch or Keras imported

    @property
    def reason(self) -> str:
        return self.why() if callable(self.why) else self.why


def switches(spec: Spec, n_train: int | None = None, natives: Natives | None = None) -> list[Switch]:
    """The switches that can change this spec's numbers, cheapest and most specific first; Keras's fit order only
    where n_train samples make several mini-batches (in one batch the order moves nothing but round-off)."""
    out = []
    o = spec.optimizer
    if o == "adam":
        out.append(
            Switch(
                "keras_rules",
                "Adam eps placement, Keras form",
                "Adam adds eps to sqrt(v_hat) in torch and to sqrt(v) after folding the bias correction into the step size in Keras",
            )
        )
    elif o == "rmsprop":
        out.append(
            Switch(
                "keras_rules",
                "RMSprop eps placement, Keras form",
                "RMSprop divides by sqrt(v) + eps in torch and by sqrt(v + eps) in Keras",
            )
        )
    elif o in ("momentum", "nesterov"):
        out.append(
            Switch(
                "keras_rules",
                "momentum form, Keras's v = mu v - lr g",
                "torch keeps buf = mu buf + g and steps lr buf, Keras keeps v = mu v - lr g and steps v",
            )
        )
    if spec.dtype == "float64":
        out.append(
            Switch(
                "float32_hyper",
                "hyperparameters rounded to float32",
                "Keras rounds Python-float hyperparameters (and a Python-float learning rate) to float32 even for float64 weights",
            )
        )
    out += [Switch(name, label, why) for name, (label, why, _) in tricks.changes(spec).items()]
    if tricks.keras_clipnorm(spec):
        out.append(Switch("keras_clipnorm", *tricks.keras_clipnorm(spec)))
    if tricks.keras_running_var(spec):
        out.append(Switch("keras_running_var", *tricks.keras_running_var(spec)))
    out.append(Switch("sum_loss", "loss summed over the batch", "one side sums the loss over the mini-batch where the other averages it"))
    if spec.loss_kind.cross_entropy:
        out.append(
            Switch(
                "keras_probs",
                "loss on probabilities clipped to [1e-7, 1 - 1e-7]",
                "Keras's cross-entropy on probabilities (from_logits=False) clips them to [1e-7, 1 - 1e-7] where logits need no clip",
            )
        )
        out.append(
            Switch(
                "torch_probs",
                "loss on probabilities, log clamped at -100",
                "torch's BCELoss / nll(log softmax) on probabilities clamps the log at -100 and divides by max(p(1-p), 1e-12)",
            )
        )
    out.append(
        Switch(
            "torch_defaults",
            "torch's default initialisation and hyperparameters",
            lambda: (
                f"torch ran on its own defaults: nn.Linear's kaiming_uniform(a=sqrt(5)) weights and {_defaults('torch', o)}"
                + _trick_defaults("torch", spec)
            ),
        )
    )
    out.append(
        Switch(
            "keras_defaults",
            "Keras's default initialisation and hyperparameters",
            lambda: (
                f"Keras ran on its own defaults: Dense's glorot_uniform kernel{', zero bias' if spec.bias else ''} and {_defaults('tensorflow', o)}"
                + _trick_defaults("tensorflow", spec)
                + (f"; and the sample order of Model.fit(shuffle=True) seeded {spec.seed}" if n_train and spec.batch_size < n_train else "")
            ),
        )
    )
    if n_train is not None and spec.batch_size < n_train and implementations.installed("tensorflow"):
        natives = natives or Natives(spec)
        out.insert(-2, Switch("keras_shuffle", "Keras shuffles in fit", lambda: _fit_order_words(spec, natives, n_train)))
    if spec.dtype == "float64":
        out.append(Switch("float32", "float32 arithmetic", "one side computes in float32"))
    return out


def _fit_order_words(spec: Spec, natives: Natives, n_train: int) -> str:
    """Why Keras's fit order makes a gap, with its numbers: samples, mini-batches, seed, how many batches it changes."""
    order = natives.fit_order(n_train)
    shared = natives.schedule if natives.schedule is not None else harness.schedule(spec, n_train)
    batches = range(0, n_train, spec.batch_size)
    moved = sum(set(order[0, i : i + spec.batch_size]) != set(shared[0, i : i + spec.batch_size]) for i in batches)
    repeats = " (under a fixed seed every epoch repeats one permutation)" if (order == order[0]).all() else ""
    return (
        f"Keras's Model.fit(shuffle=True) trains on its own order, drawn by tf.random.shuffle in its tf.data pipeline after "
        f"keras.utils.set_random_seed({spec.seed}){repeats}, where the others are handed one shared order (a torch DataLoader "
        f"does not shuffle unless asked): {moved} of the {len(batches)} mini-batches of {spec.batch_size} in the first epoch "
        f"hold other samples"
    )


def _defaults(framework: str, optimizer: str) -> str:
    """'lr 0.001, eps 1e-08, ...' as the installed framework defaults them, where that framework is installed."""
    if not implementations.installed(framework):
        return "its default hyperparameters"
    values = native.hyper(framework, optimizer)
    return ", ".join(f"{k} {v:g}" for k, v in values.items() if not (optimizer == "sgd" and k != "lr") and k != "beta1")


def _trick_defaults(framework: str, spec: Spec) -> str:
    """'; for the tricks: leaky_slope 0.01, ...' where the framework's idiom changes the spec's training tricks."""
    if not implementations.installed(framework):
        return ""
    changes = native.tricks(framework, spec)
    if framework == "tensorflow" and spec.clip_norm > 0:
        changes["clipnorm"] = "per tensor"
    if framework == "tensorflow" and spec.batch_norm:  # BatchNormalization's momentum k is torch's 1 - k
        m = changes["bn_momentum"]
        changes["bn_momentum"] = f"{m:g} (BatchNormalization's momentum {1 - m:g} = 1 − m; the spec's {spec.bn_momentum:g})"
        changes["moving variance"] = "biased"
    words = ", ".join(f"{k} {v:g}" if isinstance(v, float) else f"{k} {v}" for k, v in changes.items())
    return f"; for the training tricks: {words}" if words else ""


EXCLUSIVE = [
    {"torch_defaults", "keras_defaults"},
    {"keras_probs", "torch_probs"},
    {"keras_shuffle", "keras_defaults"},  # Keras's own defaults train on its fit order already
    {"keras_shuffle", "torch_defaults"},
    {"keras_running_var", "keras_defaults"},  # and its biased moving variance
]


def compatible(names: set[str]) -> bool:
    return not any(pair <= names for pair in EXCLUSIVE)


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


def order(spec: Spec, schedule: np.ndarray, names: set[str], natives: Natives) -> np.ndarray:
    """The sample order the reference replays with the named switches: Keras's fit order under keras_shuffle or
    Keras's own defaults (a run on them trains on it), else the shared schedule."""
    if {"keras_shuffle", "keras_defaults"} & names:
        return natives.fit_order(schedule.shape[1])
    return schedule


def reference(spec: Spec, init, names: set[str], natives: Natives | None = None):
    """(model, dtype) of the NumPy reference with the named switches, each put in as the spec, the weights or a
    piece it changes; model has train_step and gradients."""
    s, params = spec, init
    for name, framework in (("torch_defaults", "torch"), ("keras_defaults", "tensorflow")):
        if name in names:
            hyper, params = (natives or Natives(spec)).get(framework)
            s = s.replace(**hyper)
    if "float32_hyper" in names:
        with np.errstate(over="ignore"):  # a learning rate beyond float32's range rounds to inf, as in Keras
            s = s.replace(**{f: float(np.float32(getattr(s, f))) for f in ROUNDED})
    if "float32" in names:
        s = s.replace(dtype="float32")
    s = tricks.apply(s, names)
    convention = "keras" if "keras_rules" in names else "torch"
    per_tensor = "keras_clipnorm" in names or "keras_defaults" in names  # Keras's clipnorm, as learners write it
    pieces = scratch.pieces_for(s, convention, clipping="per_tensor" if per_tensor else None)
    keras_var = "keras_running_var" in names or "keras_defaults" in names  # Keras's BatchNormalization has no other
    pieces = replace(pieces, running_stats="keras" if keras_var else "torch")  # not keras_rules: an optimizer switch
    if "float32_hyper" in names and s.optimizer == "adam":
        pieces = replace(pieces, optimizer=lambda s, params: conventions.RoundedPowersAdam(s.lr, s.beta1, s.beta2, s.eps, convention))
    if "keras_probs" in names:
        pieces = replace(pieces, loss=conventions.keras_probs(s.loss))
    elif "torch_probs" in names:
        pieces = replace(pieces, loss=conventions.torch_probs(s.loss))
    if "sum_loss" in names:
        pieces = replace(pieces, loss=conventions.summed(pieces.loss))
    return implementations.build("numpy", s, params, pieces=pieces), s.dtype
