"""Generated gaps: each known convention changed alone and in pairs, in a plain torch or Keras loop written as a learner
would (tests/gap_loops.py), in float64 and float32, with the switches that must explain it (an empty set: the change
moves nothing the run's dtype can see, and nothing may be named). docs/measure_gaps.py runs them all for docs/exact.md;
tests/test_explain_gaps.py a sample."""

from __future__ import annotations

import numpy as np

from compare.experiment.pipeline import prepare
from compare.explain import search
from compare.shared.spec import Spec
from tests.gap_loops import keras_loop, torch_loop

BASE = Spec(layers=(2, 8, 1), activation="tanh", loss="mse", output="identity", lr=0.05, epochs=3, batch_size=16,
            init="glorot_uniform", seed=3)  # fmt: skip
CE = {"layers": (2, 8, 3), "loss": "ce", "output": "softmax", "dataset": "blobs"}


def sgd(**kw):
    return lambda s: lambda torch, params: torch.optim.SGD(params, **{"lr": s.lr, **kw})


def torch_opt(name, **kw):
    """torch.optim.<name> with the spec's lr and the given arguments (a callable of the spec: its value)."""
    return lambda s: (
        lambda torch, params: getattr(torch.optim, name)(params, **{"lr": s.lr, **{k: v(s) if callable(v) else v for k, v in kw.items()}})
    )


def keras_opt(name, python_floats: bool = False, **kw):
    """keras.optimizers.<name>(learning_rate=the spec's lr, ...): hyperparameters as np.float64 (aligned) or as the Python
    floats a learner passes (Keras rounds those to float32)."""

    def make(s):
        def build(keras, hp):
            import tensorflow as tf

            cast = float if python_floats else hp
            lr = s.lr if python_floats else (lambda: tf.constant(s.lr, s.dtype))
            return getattr(keras.optimizers, name)(learning_rate=lr, **{k: cast(v(s) if callable(v) else v) for k, v in kw.items()})

        return build

    return make


ADAM = {"optimizer": "adam", "lr": 0.01, "eps": 1e-6}
RMS = {"optimizer": "rmsprop", "lr": 0.01, "eps": 1e-6}
BN = {"batch_norm": True, "layers": (2, 8, 8, 1)}
SATURATED = {
    "loss": "bce",
    "output": "sigmoid",
    "dataset": "blobs",
    "noise": 0.0,
    "init_scale": 20.0,
    "init": "small_uniform",
    "optimizer": "momentum",
    "lr": 1.0,
}
BETAS = {"beta_1": 0.9, "beta_2": 0.999}  # passed as np.float64 (Keras's own defaults are Python floats: rounded in its powers)
# name: (spec changes, loop, knobs: {key: value, or a function of the spec}, the switches that explain it)
GAPS = {
    "aligned": ({}, "torch", {"optimizer": sgd()}, set()),
    "clip_eps": ({"clip_norm": 0.05}, "keras", {"optimizer": keras_opt("SGD", global_clipnorm=lambda s: s.clip_norm)}, {"clip_eps"}),
    "clip_eps_momentum": ({"clip_norm": 0.05, "optimizer": "momentum"}, "keras", {"optimizer": keras_opt("SGD", momentum=0.9, global_clipnorm=lambda s: s.clip_norm)},
                          {"clip_eps"}),  # the momentum forms agree for a constant rate: not named
    "keras_clipnorm": ({"clip_norm": 0.05}, "keras", {"optimizer": keras_opt("SGD", clipnorm=lambda s: s.clip_norm)}, {"keras_clipnorm"}),
    "coupled_decay": ({**ADAM, "weight_decay": 0.05, "decay_biases": True}, "torch", {"optimizer": torch_opt("Adam", eps=1e-6, weight_decay=0.05)}, {"coupled_decay"}),
    "decoupled_decay": ({**ADAM, "l2": 0.05, "decay_biases": True}, "torch", {"optimizer": torch_opt("AdamW", eps=1e-6, weight_decay=0.05)}, {"decoupled_decay"}),
    "l2_in_optimizer": ({"l2": 0.05, "decay_biases": True}, "torch", {"optimizer": sgd(weight_decay=0.05)}, {"l2_in_optimizer"}),
    "rmsprop_alpha": ({**RMS, "rho": 0.9}, "torch", {"optimizer": torch_opt("RMSprop", eps=1e-6)}, {"default_rho_0.99"}),
    "adam_eps": (ADAM, "torch", {"optimizer": torch_opt("Adam")}, {"default_eps_1e-08"}),
    "adam_beta2": ({**ADAM, "beta2": 0.99}, "torch", {"optimizer": torch_opt("Adam", eps=1e-6)}, {"default_beta2_0.999"}),
    "adam_beta1": ({**ADAM, "beta1": 0.8}, "torch", {"optimizer": torch_opt("Adam", eps=1e-6)}, {"default_beta1_0.9"}),
    "dampening": ({"optimizer": "momentum"}, "torch", {"optimizer": sgd(momentum=0.9, dampening=0.9)}, {"dampening"}),
    "nesterov": ({"optimizer": "momentum"}, "torch", {"optimizer": sgd(momentum=0.9, nesterov=True)}, {"nesterov"}),
    "bn_affine_on": (BN, "torch", {"optimizer": sgd(), "affine": True}, {"bn_affine"}),
    "bn_affine_off": ({**BN, "bn_affine": True}, "torch", {"optimizer": sgd(), "affine": False}, {"bn_affine"}),
    "bn_eps": ({**BN, "bn_eps": 1e-3}, "torch", {"optimizer": sgd(), "bn_eps": 1e-5}, {"bn_eps_1e-05"}),
    "keras_l2": ({"l2": 0.05}, "keras", {"optimizer": keras_opt("SGD", python_floats=True), "l2": 0.05}, {"keras_l2", "float32_hyper"}),
    "weighted_mean": ({**CE, "class_weights": (1.0, 3.0, 0.5), "weight_reduction": "batch"}, "torch", {"optimizer": sgd()}, {"weighted_mean"}),
    "schedule_every": ({"schedule": "exponential", "decay_rate": 0.8}, "torch",
                       {"optimizer": sgd(), "scheduler": lambda torch, opt: torch.optim.lr_scheduler.ExponentialLR(opt, 0.8), "schedule_every": "epoch"},
                       {"schedule_every"}),
    "leaky_slope": ({"activation": "leaky_relu", "leaky_slope": 0.2}, "torch", {"optimizer": sgd(), "leaky_slope": 0.01}, {"leaky_0.01"}),
    "gelu_form": ({"activation": "gelu"}, "torch", {"optimizer": sgd(), "gelu": "tanh"}, {"gelu_form"}),
    "sum_loss": ({"lr": 0.005}, "torch", {"optimizer": sgd(), "reduction": "sum"}, {"sum_loss"}),
    "torch_probs": ({**SATURATED, "epochs": 1}, "torch", {"optimizer": sgd(momentum=0.9), "probabilities": True}, {"torch_probs"}),
    "adam_keras_rules": (ADAM, "keras", {"optimizer": keras_opt("Adam", epsilon=1e-6, **BETAS)}, {"keras_rules"}),
    "rmsprop_keras_rules": ({**RMS, "rho": 0.9}, "keras", {"optimizer": keras_opt("RMSprop", rho=0.9, epsilon=1e-6)}, {"keras_rules"}),
    "python_float_momentum": ({"optimizer": "momentum"}, "keras", {"optimizer": keras_opt("SGD", python_floats=True, momentum=0.9)}, {"float32_hyper"}),
    "float32": ({}, "torch", {"optimizer": sgd(), "dtype": "float32"}, {"float32"}),
    "sgd_lr": ({}, "torch", {"optimizer": lambda s: lambda torch, params: torch.optim.SGD(params)}, {"default_lr_0.001"}),
    "momentum_form": ({"optimizer": "momentum"}, "keras", {"optimizer": keras_opt("SGD", momentum=0.9)}, set()),  # equal for a constant rate
    "keras_rho": (RMS, "keras", {"optimizer": keras_opt("RMSprop", epsilon=1e-6)}, {"keras_rules", "default_rho_0.9"}),
}  # fmt: skip
PAIRS = {
    "coupled_decay+adam_eps": ({**ADAM, "weight_decay": 0.05, "decay_biases": True}, "torch", {"optimizer": torch_opt("Adam", weight_decay=0.05)},
                               {"coupled_decay", "default_eps_1e-08"}),
    "nesterov+sgd_lr": ({"optimizer": "momentum"}, "torch", {"optimizer": lambda s: lambda torch, p: torch.optim.SGD(p, momentum=0.9, nesterov=True)},
                        {"nesterov", "default_lr_0.001"}),
    "dampening+sum_loss": ({"optimizer": "momentum", "lr": 0.005}, "torch", {"optimizer": sgd(momentum=0.9, dampening=0.9), "reduction": "sum"},
                           {"dampening", "sum_loss"}),
    "bn_affine+bn_eps": ({**BN, "bn_eps": 1e-3}, "torch", {"optimizer": sgd(), "affine": True, "bn_eps": 1e-5}, {"bn_affine", "bn_eps_1e-05"}),
    "leaky_slope+sum_loss": ({"activation": "leaky_relu", "leaky_slope": 0.2, "lr": 0.005}, "torch", {"optimizer": sgd(), "leaky_slope": 0.01, "reduction": "sum"},
                             {"leaky_0.01", "sum_loss"}),
    "l2_in_optimizer+nesterov": ({"l2": 0.05, "decay_biases": True, "optimizer": "momentum"}, "torch", {"optimizer": sgd(momentum=0.9, nesterov=True, weight_decay=0.05)},
                                 {"l2_in_optimizer", "nesterov"}),
    "schedule_every+dampening": ({"optimizer": "momentum", "schedule": "exponential", "decay_rate": 0.8}, "torch",
                                 {"optimizer": sgd(momentum=0.9, dampening=0.9), "scheduler": lambda torch, opt: torch.optim.lr_scheduler.ExponentialLR(opt, 0.8),
                                  "schedule_every": "epoch"}, {"schedule_every", "dampening"}),
    "gelu_form+adam_beta2": ({**ADAM, "activation": "gelu", "beta2": 0.99}, "torch", {"optimizer": torch_opt("Adam", eps=1e-6), "gelu": "tanh"},
                             {"gelu_form", "default_beta2_0.999"}),
    "weighted_mean+float32": ({**CE, "class_weights": (1.0, 3.0, 0.5), "weight_reduction": "batch"}, "torch", {"optimizer": sgd(), "dtype": "float32"},
                              {"weighted_mean", "float32"}),
    "keras_rules+python_floats": (ADAM, "keras", {"optimizer": keras_opt("Adam", python_floats=True, epsilon=1e-6)}, {"keras_rules", "float32_hyper"}),
    "clip_eps+keras_rules": ({**ADAM, "clip_norm": 0.05}, "keras", {"optimizer": keras_opt("Adam", epsilon=1e-6, global_clipnorm=lambda s: s.clip_norm, **BETAS)},
                             {"clip_eps", "keras_rules"}),
    "float32+nesterov": ({"optimizer": "momentum"}, "torch", {"optimizer": sgd(momentum=0.9, nesterov=True), "dtype": "float32"}, {"float32", "nesterov"}),
    "rmsprop_alpha+float32": ({**RMS, "rho": 0.9}, "torch", {"optimizer": torch_opt("RMSprop", eps=1e-6), "dtype": "float32"}, {"default_rho_0.99", "float32"}),
    "bn_affine+sgd_lr": (BN, "torch", {"optimizer": lambda s: lambda torch, p: torch.optim.SGD(p), "affine": True}, {"bn_affine", "default_lr_0.001"}),
}  # fmt: skip
# float32 specs: the conventions whose gap float32 can see (a larger one than its round-off), and one it cannot
FLOAT32 = ["aligned", "dampening", "nesterov", "bn_affine_on", "bn_eps", "leaky_slope", "sum_loss", "sgd_lr", "weighted_mean",
           "schedule_every", "l2_in_optimizer", "coupled_decay", "decoupled_decay", "rmsprop_alpha", "nesterov+sgd_lr", "bn_affine+bn_eps",
           "dampening+sum_loss", "momentum_form"]  # fmt: skip


def cases() -> list[tuple[str, str]]:
    """(gap name, dtype) of every generated gap."""
    return [(name, "float64") for name in {**GAPS, **PAIRS}] + [(name, "float32") for name in FLOAT32]


def run(name: str, dtype: str = "float64"):
    """(the explainer's Finding, the switches expected) for one generated gap."""
    changes, loop, knobs, expected = {**GAPS, **PAIRS}[name]
    spec = BASE.replace(**changes, dtype=dtype)
    data, init, order = prepare(spec)
    order = np.asarray(order)
    knobs = {k: (v(spec) if k == "optimizer" else v) for k, v in knobs.items()}
    if dtype == "float32":
        knobs.pop("dtype", None)
        expected = expected - {"float32", "float32_hyper"}
    losses, grads = (torch_loop if loop == "torch" else keras_loop)(spec, init, data, order, knobs)
    return search.explain_curve(spec, data, init, order, losses, grads, name=f"{loop} loop"), expected
