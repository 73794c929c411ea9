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
    "sizes": r"sizes|layers|layers?_?(sizes?|dims?|dimensions)|dims|architecture|layer_units|shape|nn_architecture|topology|hidden_layer_sizes",
    "n_in": r"inputnodes|input_nodes|n_?in|n_?input|num_?inputs|input_?size|input_?dim|in_?features|n_x|d|n_features|n_?i|ni|input_?layer_?size|nin",
    "n_hidden": r"hiddennodes|hidden_nodes|n_?hidden|num_?hidden|hidden_?size|hidden_?dim|nn_hdim|h|n_h|hidden|nh|hidden_?layer_?size",
    "n_out": r"outputnodes|output_nodes|n_?out|n_?output|num_?outputs|output_?size|output_?dim|num_?classes|n_?classes|n_y|c|k|no|nout|out_features",
    "seed": r"seed|random_state|rng_seed",
    "batch": r"mini_?batch|batch|training_data|train_data|train_set|data_batch",  # samples and targets together
    "n_total": r"n|n_train|n_data|num_examples|training_set_size",  # the training set's size (an L2 term's n)
    "sample_weight": r"sample_weights?",  # None: every sample weighs the same
    "epochs": r"n?_?epochs?|num_?epochs|n_?iters?|num_?iter(ation)?s|iter(ation)?s|max_?iter|n_?steps|num_?steps|training_?steps",
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
    tensor: str = ""  # a weight or bias taken alone: which ("w1", "b2")


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
        r, found = role(p.name), LAYER_TENSOR.match(p.name)
        tensor = f"{'b' if found['kind'][0].lower() == 'b' else 'w'}{found['k']}" if found else ""
        out.append(Parameter(p.name, "tensor" if found else r, p.default is p.empty, p.default, tensor))
    return _tensors_by_order(out)


LETTERED_TENSOR = re.compile(r"(?P<kind>w|b)_?(?P<which>[a-z]{1,6})", re.IGNORECASE)


def _tensors_by_order(params: list[Parameter]) -> list[Parameter]:
    """Weights and biases taken one by one and named by a letter (Wh, bh, Wo, bo; W_hidden, W_out): the layers in the
    order the parameters come, where there are at least two weights and as many biases or none."""
    if any(p.tensor for p in params):
        return params
    lettered = [p for p in params if p.role is None and LETTERED_TENSOR.fullmatch(p.name)]
    Ws = [p for p in lettered if p.name[0] in "wW"]
    bs = [p for p in lettered if p.name[0] in "bB"]
    if len(Ws) < 2 or len(bs) not in (0, len(Ws)):
        return params
    names = {p.name: f"w{k}" for k, p in enumerate(Ws, start=1)} | {p.name: f"b{k}" for k, p in enumerate(bs, start=1)}
    return [Parameter(p.name, "tensor", p.required, p.default, names[p.name]) if p.name in names else p for p in params]


def iterates(fn, name: str) -> bool:
    """Whether fn loops over its parameter (for x, y in mini_batch): a list of (x, y) pairs, not the pair (X, y)."""
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(fn)))
    except (OSError, TypeError, SyntaxError):
        return False
    return any(isinstance(n, (ast.For, ast.comprehension)) and isinstance(n.iter, ast.Name) and n.iter.id == name for n in ast.walk(tree))
