"""A learner's function or class called as written, each parameter by its role (roles.py): an instance made the way
its __init__ takes it (--init-args too), a training function's arguments; the methods that must run first (a
feedforward() that sets what backprop() reads); the data attributes it reads its batch from; the learning rate and
L2 strength their code holds."""

from __future__ import annotations

import ast
import inspect
import re
import textwrap
from dataclasses import dataclass

from compare.errors import LearnerError
from compare.learner.roles import Parameter, parameters, role


def parse_init_args(text: str | None) -> dict:
    """--init-args 'sizes=[2,3,1],lr=0.1,cost=QuadraticCost': values as Python literals, else names in the file."""
    if not text:
        return {}
    out = {}
    for part in _split(text):
        name, eq, value = part.partition("=")
        if not eq or not name.strip().isidentifier():
            raise LearnerError(f"--init-args {text!r}: expected name=value pairs separated by commas, e.g. 'sizes=[2,3,1],lr=0.1'")
        try:
            out[name.strip()] = ast.literal_eval(value.strip())
        except (ValueError, SyntaxError):
            out[name.strip()] = Name(value.strip())
    return out


@dataclass(frozen=True)
class Name:
    """A value of --init-args that is a name in the learner's file (a class, a function), looked up there."""

    name: str


def _split(text: str) -> list[str]:
    parts, depth, current = [], 0, ""
    for ch in text:
        depth += ch in "([{" and 1 or ch in ")]}" and -1 or 0
        if ch == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += ch
    return [p for p in [*parts, current] if p.strip()]


def instance_arguments(cls, sizes, X, y, lr: float | None, l2: float | None, seed: int, given: dict, module) -> tuple[dict, list[str]]:
    """Keyword arguments that make an instance of the learner's class for this network, and what each was taken for."""
    kwargs = any(q.kind == q.VAR_KEYWORD for q in _signature(cls.__init__))
    return _arguments(
        parameters(cls.__init__, skip_self=True), cls.__name__, sizes, X, y, lr, l2, seed, given, module, kwargs, f"{cls.__name__}.__init__"
    )


EPOCHS = 2  # a training function's epochs: enough for the second update, where the run is stopped


def run_arguments(fn, name: str, sizes, X, y, lr, l2, seed: int, given: dict, module, activation=None) -> tuple[dict, list[str]]:
    """Keyword arguments for a training function or method (build_model(nn_hdim), fit(X_train, y_train, X_valid,
    y_valid)): the network's sizes, the check's data (any x... or y... parameter), the hidden activation's name where
    it takes one by name, what --init-args gives."""
    params = [Parameter(p.name, p.role or _data_role(p.name), p.required, p.default) for p in parameters(fn)]
    kwargs = any(q.kind == q.VAR_KEYWORD for q in _signature(fn))
    args, said = _arguments(params, name, sizes, X, y, lr, l2, seed, given, module, kwargs, name)
    for p in params:  # hidden_layers_activation_fn="relu": the check's activation, said
        if activation and p.name not in given and ACTIVATION.fullmatch(p.name) and isinstance(p.default, str) and p.default != activation:
            args[p.name] = activation
            said.append(f"{p.name}={activation!r}")
    return args, said


ACTIVATION = re.compile(r"(hidden_?(layers?_?)?)?activation(_?fn|_?func(tion)?|_?name)?|act(_?fn)?", re.IGNORECASE)


def _data_role(name: str) -> str | None:
    """X_valid, y_test, x_tr: data by its first letter, where a training function takes a second set."""
    return "X" if re.fullmatch(r"x(_\w+)?", name, re.IGNORECASE) else "y" if re.fullmatch(r"y(_\w+)?", name, re.IGNORECASE) else None


def _arguments(
    params: list[Parameter], owner: str, sizes, X, y, lr, l2, seed, given: dict, module, kwargs: bool, where: str
) -> tuple[dict, list[str]]:
    args, said = {}, []
    for p in params:
        if p.name in given:
            value = given[p.name]
            args[p.name] = getattr(module, value.name) if isinstance(value, Name) else value
            continue
        value = {
            "sizes": list(sizes),
            "n_in": sizes[0],
            "n_hidden": sizes[1] if len(sizes) == 3 else list(sizes[1:-1]),
            "n_out": sizes[-1],
            "X": X,
            "y": y,
            "lr": lr,
            "l2": l2,
            "seed": seed if p.required else None,
            "epochs": EPOCHS if p.required else None,
        }.get(p.role)
        if p.role == "n_hidden" and p.name == "hidden_layer_sizes":
            value = tuple(sizes[1:-1])
        if value is None:
            if p.required:
                takes = ", ".join(q.name for q in params)
                raise LearnerError(
                    f"{owner}({takes}): the check cannot tell what to pass for {p.name}; give it with --init-args '{p.name}=...'"
                )
            continue
        args[p.name] = value
        said.append(f"{p.name}={_short(value)}")
    unknown = sorted(set(given) - {p.name for p in params})
    if unknown and not kwargs:
        raise LearnerError(f"--init-args {unknown[0]}: {where} takes no parameter {unknown[0]}")
    return args, said


def _signature(fn):
    try:
        return list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        return []


def _short(value) -> str:
    shape = getattr(value, "shape", None)
    return f"an array {tuple(shape)}" if shape is not None else repr(value)


def make(cls, sizes, X, y, lr, l2, seed, given: dict, module) -> tuple[object, list[str]]:
    """An instance of the learner's class, and the words saying how it was made."""
    kwargs, said = instance_arguments(cls, sizes, X, y, lr, l2, seed, given, module)
    try:
        return cls(**kwargs), said
    except Exception as e:
        takes = ", ".join(q.name for q in parameters(cls.__init__, skip_self=True))
        raise LearnerError(
            f"{cls.__name__}({takes}) could not be made ({type(e).__name__}: {e}); give its arguments with --init-args 'name=value,...'".splitlines()[
                0
            ]
        ) from None


def _source_tree(fn) -> ast.AST | None:
    try:
        return ast.parse(textwrap.dedent(inspect.getsource(fn)))
    except (OSError, TypeError, SyntaxError, IndentationError):
        return None


def self_reads(fn) -> list[str]:
    """The attributes of self a method reads before it assigns them, in the order it reads them."""
    tree = _source_tree(fn)
    if tree is None:
        return []
    reads, assigned = [], set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "self":
            if isinstance(node.ctx, ast.Store):
                assigned.add(node.attr)
            elif node.attr not in assigned and node.attr not in reads:
                reads.append(node.attr)
    return reads


def self_writes(fn) -> dict[str, str | None]:
    """attribute -> the name of the parameter assigned to it directly (self.input = x), else None, for a method."""
    tree = _source_tree(fn)
    out: dict[str, str | None] = {}
    if tree is None:
        return out
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign):
            for t in node.targets:
                for n in ast.walk(t):
                    if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name) and n.value.id == "self":
                        out[n.attr] = node.value.id if isinstance(node.value, ast.Name) else out.get(n.attr)
    return out


def prerequisites(cls, method_name: str, weights: frozenset = frozenset()) -> list[str]:
    """The methods of the class that set what the method reads without setting it itself (a feedforward() before
    backprop()), in the order the class defines them; only those that take no arguments besides data, and none that
    sets the weights (an initializer would overwrite the weights the check sets)."""
    method = getattr(cls, method_name)
    reads = set(self_reads(method))
    needed = []
    for name, member in vars(cls).items():
        if name in ("__init__", method_name) or not inspect.isfunction(member):
            continue
        writes = set(self_writes(member))
        if (
            reads & writes
            and not writes & weights
            and all(not p.required or p.role in ("X", "y") for p in parameters(member, skip_self=True))
        ):
            needed.append(name)
    return needed


def data_attributes(cls) -> dict[str, str]:
    """Attributes __init__ sets straight from its batch or targets (self.input = x): {'input': 'X', 'y': 'y'}."""
    roles = {p.name: p.role for p in parameters(cls.__init__, skip_self=True)}
    return {attr: roles[param] for attr, param in self_writes(cls.__init__).items() if param in roles and roles[param] in ("X", "y")}


def find_lr(fn, owner, module, given: float | None) -> tuple[float | None, str]:
    """The learning rate a step is taken with, and where it was found: --lr, the value of a learning-rate name the
    update reads (a parameter's default, an attribute, a global), or 1 where the update has no factor at all."""
    if given is not None:
        return given, "--lr"
    for p in parameters(fn, skip_self=owner is not None):
        if p.role == "lr" and not p.required:
            return float(p.default), f"the default of your parameter {p.name}"
    holders = [("self", owner)] if owner is not None and not inspect.isclass(owner) else []
    for name in _lr_names(fn):
        base, _, attr = name.partition(".")
        for label, holder in holders:
            if base == label and isinstance(getattr(holder, attr, None), (int, float)):
                return float(getattr(holder, attr)), f"{name} = {getattr(holder, attr)!r}"
        if not attr and isinstance(getattr(module, base, None), (int, float)):
            return float(getattr(module, base)), f"{name} = {getattr(module, base)!r} in your file"
    return None, ""


def _lr_names(fn) -> list[str]:
    """The names the weight updates of fn multiply by that say learning rate (self.lr, eta, alpha, learning_rate)."""
    tree = _source_tree(fn)
    if tree is None:
        return []
    found = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.AugAssign, ast.Assign)):
            for n in ast.walk(node.value):
                name = (
                    f"{n.value.id}.{n.attr}" if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name) else getattr(n, "id", None)
                )
                if name and (role(name.split(".")[-1]) == "lr" or name.split(".")[-1].lower() == "alpha"):
                    found.append(name)
    return list(dict.fromkeys(found))


def find_l2(fn, owner, module) -> tuple[str, float] | None:
    """An L2 strength in the learner's code, and where: a default of a parameter named so (reg=0.1), an attribute of
    their object (self.reg, scikit-learn's self.alpha), a global of their file (reg = 1e-3)."""
    if fn is not None:
        for p in parameters(fn, skip_self=owner is not None):
            if p.role == "l2" and isinstance(p.default, (int, float)) and not isinstance(p.default, bool) and p.default > 0:
                return f"the default of your parameter {p.name}", float(p.default)
    if owner is not None:
        stepping = bool(_lr_names(fn)) if fn is not None else False
        for name, value in vars(owner).items():
            if (
                isinstance(value, (int, float))
                and not isinstance(value, bool)
                and value > 0
                and (role(name) == "l2" or name == "alpha" and not stepping)
            ):
                return f"self.{name}", float(value)
    for name, value in vars(module).items() if module is not None else ():
        if isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0 and role(name) == "l2":
            return f"{name} in your file", float(value)
    return None
