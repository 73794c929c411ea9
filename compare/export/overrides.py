"""The framework defaults an exported script overrides, and the one-line comment each override gets."""

from __future__ import annotations

import numpy as np

# what the script calls -> {argument: the framework's default}, as in the pinned torch 2.13 and Keras 3.15:
# tests/test_export_words.py reads each one live from the installed signature, so a version that moves one fails there
# instead of leaving a wrong comment
DEFAULTS = {
    "torch.optim.SGD": {"lr": 0.001, "momentum": 0, "nesterov": False},
    "torch.optim.Adam": {"lr": 0.001, "betas": (0.9, 0.999), "eps": 1e-08},
    "torch.optim.AdamW": {"lr": 0.001, "betas": (0.9, 0.999), "eps": 1e-08, "weight_decay": 0.01},
    "torch.optim.RMSprop": {"lr": 0.01, "alpha": 0.99, "eps": 1e-08, "momentum": 0, "centered": False},
    "torch.nn.Linear": {"bias": True},
    "torch.nn.LeakyReLU": {"negative_slope": 0.01},
    "torch.nn.GELU": {"approximate": "none"},
    "torch.nn.BatchNorm1d": {"eps": 1e-05, "momentum": 0.1, "affine": True},
    "torch.nn.Dropout": {"p": 0.5},
    "torch.optim.lr_scheduler.CosineAnnealingLR": {"eta_min": 0.0},
    "torch.utils.data.DataLoader": {"batch_size": 1, "shuffle": None},
    "keras.optimizers.SGD": {"learning_rate": 0.01, "momentum": 0.0, "nesterov": False},
    "keras.optimizers.Adam": {"learning_rate": 0.001, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-07},
    "keras.optimizers.AdamW": {"learning_rate": 0.001, "weight_decay": 0.004, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-07},
    "keras.optimizers.RMSprop": {"learning_rate": 0.001, "rho": 0.9, "momentum": 0.0, "epsilon": 1e-07, "centered": False},
    "keras.layers.Dense": {"use_bias": True},
    "keras.layers.BatchNormalization": {"momentum": 0.99, "epsilon": 0.001, "center": True, "scale": True},
    "keras.layers.LeakyReLU": {"negative_slope": 0.3},
    "keras.layers.Dropout": {"seed": None},
    "keras.losses.BinaryCrossentropy": {"from_logits": False, "reduction": "sum_over_batch_size"},
    "keras.losses.SparseCategoricalCrossentropy": {"from_logits": False, "reduction": "sum_over_batch_size"},
    "keras.optimizers.schedules.CosineDecay": {"alpha": 0.0},
    "keras.Model.compile": {"jit_compile": "auto"},
    "keras.Model.fit": {"batch_size": None, "shuffle": True},
}
# (what, argument) -> what the default would change, in a few words; {d} is the default, {v} the value
EFFECTS = {
    ("torch.optim.SGD", "momentum"): "no momentum",
    ("keras.optimizers.SGD", "momentum"): "no momentum",
    ("torch.optim.SGD", "nesterov"): "classical momentum",
    ("keras.optimizers.SGD", "nesterov"): "classical momentum",
    ("keras.optimizers.Adam", "epsilon"): "here eps is added to √v, in torch to √v̂",
    ("keras.optimizers.AdamW", "epsilon"): "here eps is added to √v, in torch to √v̂",
    ("keras.optimizers.RMSprop", "epsilon"): "Keras adds it inside the root: √(v + eps)",
    ("torch.optim.RMSprop", "eps"): "torch adds it outside the root: √v + eps",
    ("keras.optimizers.RMSprop", "rho"): "the weight of the running mean of g²",
    ("torch.optim.RMSprop", "alpha"): "the weight of the running mean of g² (Keras's rho)",
    ("torch.nn.Linear", "bias"): "A W + b, a bias per unit",
    ("keras.layers.Dense", "use_bias"): "A W + b, a bias per unit",
    ("torch.nn.BatchNorm1d", "affine"): "a learned scale and shift",
    ("keras.layers.BatchNormalization", "center"): "a learned shift",
    ("keras.layers.BatchNormalization", "scale"): "a learned scale",
    ("keras.layers.BatchNormalization", "momentum"): "the running value's weight: 1 - torch's {v_torch}",
    ("torch.nn.BatchNorm1d", "momentum"): "the batch's weight in the running statistics",
    ("keras.losses.BinaryCrossentropy", "from_logits"): "probabilities, clipped to [1e-7, 1 - 1e-7]",
    ("keras.losses.SparseCategoricalCrossentropy", "from_logits"): "probabilities, clipped to [1e-7, 1 - 1e-7]",
    ("keras.losses.BinaryCrossentropy", "reduction"): "over N, not the sum of the weights",
    ("keras.losses.SparseCategoricalCrossentropy", "reduction"): "over N, not the sum of the weights",
    ("keras.Model.compile", "jit_compile"): "XLA on a GPU, another float32 round-off",
    ("torch.nn.GELU", "approximate"): "the exact erf form",
    ("torch.utils.data.DataLoader", "shuffle"): "every epoch in the same order",
    ("torch.optim.AdamW", "weight_decay"): "",
    ("keras.optimizers.AdamW", "weight_decay"): "",
}
LR = {"lr", "learning_rate"}


def owner(what: str) -> str:
    return "torch's" if what.startswith("torch") else "Keras's"


def show(value) -> str:
    """A default as a reader would write it."""
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, tuple):
        return "(" + ", ".join(show(v) for v in value) + ")"
    return repr(value) if isinstance(value, bool) or value is None else f"{value:g}"


def note(what: str, arg: str, value, **context) -> str:
    """The comment for `what(arg=value)`: '' where value is the default, else the default and what it would change."""
    default = DEFAULTS[what][arg]
    if _same(value, default):
        return ""
    words = f"{owner(what)} default {show(default)}"
    if arg in LR and not isinstance(value, bool):
        ratio = float(value) / float(default)
        return f"{words}: steps {ratio:g}x smaller" if ratio > 1 else f"{words}: steps {1 / ratio:g}x larger"
    effect = EFFECTS.get((what, arg), "").format(d=show(default), v=show(value), **context)
    return f"{words}: {effect}" if effect else words


def _same(value, default) -> bool:
    if isinstance(default, tuple) or isinstance(value, tuple):
        return tuple(value) == tuple(default)
    if isinstance(default, (bool, str)) or default is None or isinstance(value, (bool, str)) or value is None:
        return value == default and type(value) is type(default)
    return float(value) == float(default)


def float32(x: float) -> str:
    """x as Keras keeps a Python-float hyperparameter: rounded to float32, ten digits (0.9 -> 0.8999999762)."""
    return f"{float(np.float32(x)):.10g}"
