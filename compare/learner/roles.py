"""What each parameter of a learner's function is, read from its name (role, parameters): weights, a batch, targets,
a learning rate, an L2 strength, a layer size, a seed; and whether the function loops over one (iterates)."""

from __future__ import annotations

import ast
import inspect
import re
import textwrap
from dataclasses import dataclass

ROLES = {  # role -> the names learners give it (lower case, whole name)
    "params": r"params|parameters|param|model|net|network|theta|nn|p|weights_and_biases|wb",
    "X": r"x|inputs?|inputs_list|data|features|x_batch|xb|x_train|samples?|a0|l0|input_vector|x_in",
    "y": r"y|t|targets?|targets_list|labels?|y_true|yb|y_batch|y_train|expected|target_vector|y_onehot|y_enc",
    "lr": r"lr|learning_?rate|learningrate|eta|step_?size|l_rate|epsilon_lr|rate",
    "l2": r"reg|lam|lmbda|lambda_?|lamda|l2|l2_?reg|reg_?lambda|reg_?strength|regularization|weight_decay|wd|alpha_l2",
    "masks": r"masks",
    "sizes": r"sizes|layers|layer_sizes|layer_dims|dims|architecture|layer_units|shape|nn_architecture|topology|hidden_layer_sizes",
    "n_in": r"inputnodes|input_nodes|n_?in|n_?input|num_?inputs|input_?size|input_?dim|in_?features|n_x|d|n_features|n_?i|ni|input_?layer_?size|nin",
    "n_hidden": r"hiddennodes|hidden_nodes|n_?hidden|num_?hidden|hidden_?size|hidden_?dim|nn_hdim|h|n_h|hidden|nh|hidden_?layer_?size",
    "n_out": r"outputnodes|output_nodes|n_?out|n_?output|num_?outputs|output_?size|output_?dim|num_?classes|n_?classes|n_y|c|k|no|nout|out_features",
    "seed": r"seed|random_state|rng_seed",
    "batch": r"mini_?batch|batch|training_data|train_data|train_set|data_batch",  # samples and targets together
    "n_total": r"n|n_train|n_data|num_examples|training_set_size",  # the training set's size (an L2 term's n)
    "sample_weight": r"sample_weights?",  # None: every sample weighs the same
}
PATTERNS = {role: re.compile(rf"({names})", re.IGNORECASE) for role, names in ROLES.items()}
LAYER_TENSOR = re.compile(r"^(?P<kind>w|weights?|b|bias(es)?|syn)_?(?P<k>\d+)$", re.IGNORECASE)


def role(name: str) -> str | None:
    """What a parameter named so is, or None where its name does not say."""
    for r, pattern in PATTERNS.items():
        if pattern.fullmatch(name):
            return r
    return None


@dataclass(frozen=True)
class Parameter:
    name: str
    role: str | None
    required: bool
    default: object


def parameters(fn, skip_self: bool = False) -> list[Parameter]:
    """The parameters of fn that take positional or keyword arguments, each with its role."""
    try:
        params = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        return []
    if skip_self and params and params[0].name in ("self", "cls"):
        params = params[1:]
    out = []
    for p in params:
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            continue
        r = role(p.name)
        if LAYER_TENSOR.match(p.name):
            r = "tensor"
        out.append(Parameter(p.name, r, p.default is p.empty, p.default))
    return out


def iterates(fn, name: str) -> bool:
    """Whether fn loops over its parameter (for x, y in mini_batch): a list of (x, y) pairs, not the pair (X, y)."""
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(fn)))
    except (OSError, TypeError, SyntaxError):
        return False
    return any(isinstance(n, (ast.For, ast.comprehension)) and isinstance(n.iter, ast.Name) and n.iter.id == name for n in ast.walk(tree))
