"""What learners call things: each hyperparameter's names, and each optimizer's usual function and class names."""

from __future__ import annotations

import re

# our hyperparameter -> the names learners give it, most common first
ALIASES = {
    "lr": ("learning_rate", "lr"),
    "momentum": ("momentum", "beta", "mu"),
    "beta1": ("beta1", "beta_1"),
    "beta2": ("beta2", "beta_2"),
    "eps": ("epsilon", "eps"),
    "rho": ("decay_rate", "rho", "alpha", "beta", "beta2", "beta_2"),
}
USES = {"sgd": ("lr",), "momentum": ("lr", "momentum"), "nesterov": ("lr", "momentum"), "adam": ("lr", "beta1", "beta2", "eps")}
USES["rmsprop"] = ("lr", "rho", "eps")
STRUCTURAL = {"nesterov", "self", "w", "dw", "x", "dx", "config", "params", "parameters", "grads", "gradients", "t", "layer"}
# the function or class a file most likely calls each optimizer, when --function is not given
NAMES = {
    "sgd": ("sgd", "update_parameters_with_gd", "Optimizer_SGD", "SGD"),
    "momentum": ("sgd_momentum", "momentum", "update_parameters_with_momentum", "Optimizer_SGD", "Momentum", "SGD"),
    "nesterov": ("nesterov", "sgd_nesterov", "nesterov_momentum", "update_parameters_with_nesterov", "Optimizer_SGD", "Nesterov"),
    "adam": ("adam", "update_parameters_with_adam", "Optimizer_Adam", "Adam"),
    "rmsprop": ("rmsprop", "update_parameters_with_rmsprop", "Optimizer_RMSprop", "RMSprop"),
}


def names_for(optimizer: str, theirs: list[str], source: str = "") -> tuple[dict[str, str], list[str]]:
    """({our name: their name} for the hyperparameters this optimizer uses, their other names we leave alone).

    A config's keys are the ones their source reads (config["lr"], .get("lr"), .setdefault("lr")), else CS231n's."""
    found, left = {}, []
    for ours in USES[optimizer]:
        quoted = [a for a in ALIASES[ours] if re.search(rf"(\[|setdefault\(|get\()\s*['\"]{a}['\"]", source)]  # config[...] and co
        named = [a for a in ALIASES[ours] if a in theirs and a not in found.values()]
        pick = named or quoted or ([] if theirs else [ALIASES[ours][0]])
        if pick:
            found[ours] = pick[0]
    left = [n for n in theirs if n not in found.values() and n not in STRUCTURAL and not n.startswith("_")]
    return found, left
