"""The slips learners make, as rewrites of one statement's syntax tree (operators): a factor 1/m, 2 or ½ dropped or
added, a derivative dropped, Z and A swapped, another layer's array, a transpose added or removed, axis 0 and 1
swapped, keepdims dropped, a sign flipped, sum and mean swapped; Rewrite applies one change to its k-th site."""

from __future__ import annotations

import ast
import copy
import re

BATCH_NAMES = re.compile(r"^(m|n|N|batch_size|num_examples|num_train|samples|n_samples|num_samples|mb|batch)$")
DERIVATIVE_CALL = re.compile(r"(deriv|prime|backward|grad)", re.IGNORECASE)
Z_NAME = re.compile(r"^(z|Z)(\d*)$|^(.*)_?inputs?$|^(scores|logits|pre\w*)$")
A_NAME = re.compile(r"^(a|A)(\d*)$|^(.*)_?outputs?$|^(h|H)(\d*)$|^(hidden\w*|layer_?\d+|l\d+|act\w*)$")


def _is_batch(node) -> bool:
    """A batch-size expression: m, N, num_examples, len(X), X.shape[0], Y.size, ..."""
    if isinstance(node, ast.Name):
        return bool(BATCH_NAMES.match(node.id))
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "len":
        return True
    if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Attribute) and node.value.attr == "shape":
        return True
    return isinstance(node, ast.Attribute) and node.attr == "size"


def _is_two(node) -> bool:
    return isinstance(node, ast.Constant) and node.value in (2, 2.0, 0.5)


def _is_derivative(node) -> bool:
    """f'(.) as learners write it: a call named *deriv*/*prime*/*backward*, nonlin(x, deriv=True), a(1 - a), 1 - a²,
    (z > 0)."""
    if isinstance(node, ast.Call):
        name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
        return bool(DERIVATIVE_CALL.search(name)) or any(k.arg and "deriv" in k.arg for k in node.keywords)
    if isinstance(node, ast.Compare):
        return True
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Sub) and isinstance(node.left, ast.Constant) and node.left.value == 1:
        return True
    return (
        isinstance(node, ast.BinOp)
        and isinstance(node.op, ast.Mult)
        and any(
            isinstance(s, ast.BinOp) and isinstance(s.op, ast.Sub) and isinstance(s.left, ast.Constant) for s in (node.left, node.right)
        )
    )


class Rewrite(ast.NodeTransformer):
    """Applies one change to the k-th node that the operator can change, counting as it walks."""

    def __init__(self, target: int, change):
        self.target, self.change, self.count, self.done = target, change, 0, False

    def generic_visit(self, node):
        node = super().generic_visit(node)
        if self.done:
            return node
        new = self.change(node)
        if new is not None:
            if self.count == self.target:
                self.done = True
                return new
            self.count += 1
        return node


def _drop_factor(node):
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Mult, ast.Div)):
        if _is_batch(node.right) or _is_two(node.right):
            return node.left
        if isinstance(node.op, ast.Mult) and (_is_two(node.left) or _is_batch(node.left)):
            return node.right
        if (
            isinstance(node.op, ast.Mult)
            and isinstance(node.left, ast.BinOp)
            and isinstance(node.left.op, ast.Div)
            and _is_batch(node.left.right)
        ):
            return node.right  # (1 / m) * x
    return None


def _drop_derivative(node):
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult):
        if _is_derivative(node.right):
            return node.left
        if _is_derivative(node.left):
            return node.right
    return None


def _flip_sign(node):
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Sub) and not isinstance(node.left, ast.Constant):
        return ast.BinOp(node.right, ast.Sub(), node.left)
    return None


def _drop_transpose(node):
    if isinstance(node, ast.Attribute) and node.attr == "T":
        return node.value
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "transpose" and not node.args:
        return node.func.value
    return None


def _add_transpose(node):
    if (
        isinstance(node, ast.BinOp)
        and isinstance(node.op, ast.MatMult)
        and isinstance(node.right, (ast.Name, ast.Attribute, ast.Subscript))
    ):
        if not (isinstance(node.right, ast.Attribute) and node.right.attr == "T"):
            return ast.BinOp(node.left, ast.MatMult(), ast.Attribute(node.right, "T", ast.Load()))
    if isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", "")) == "dot" and len(node.args) >= 1:
        arg = node.args[-1]
        if isinstance(arg, (ast.Name, ast.Subscript)) or isinstance(arg, ast.Attribute) and arg.attr != "T":
            new = copy.copy(node)
            new.args = [*node.args[:-1], ast.Attribute(arg, "T", ast.Load())]
            return new
    return None


def _swap_axis(node):
    if isinstance(node, ast.keyword) and node.arg == "axis" and isinstance(node.value, ast.Constant) and node.value.value in (0, 1):
        return ast.keyword("axis", ast.Constant(1 - node.value.value))
    return None


def _drop_keepdims(node):
    if isinstance(node, ast.Call) and any(k.arg == "keepdims" for k in node.keywords):
        new = copy.copy(node)
        new.keywords = [k for k in node.keywords if k.arg != "keepdims"]
        return new
    return None


def _sum_mean(node):
    if isinstance(node, ast.Attribute) and node.attr in ("sum", "mean") and isinstance(node.ctx, ast.Load):
        return ast.Attribute(node.value, "mean" if node.attr == "sum" else "sum", ast.Load())
    return None


def _pair(name: str, other: re.Pattern) -> str | None:
    """The name of the same layer's other tensor: z1 -> a1, hidden_inputs -> hidden_outputs, Z -> A."""
    swaps = [("inputs", "outputs"), ("input", "output"), ("z", "a"), ("Z", "A")]
    for a, b in swaps + [(b, a) for a, b in swaps]:
        if a in name:
            candidate = name.replace(a, b, 1)
            if other.match(candidate):
                return candidate
    return None


def _swapper(names: set[str]):
    def change(node):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
            for pattern, other in ((Z_NAME, A_NAME), (A_NAME, Z_NAME)):
                if pattern.match(node.id) and (partner := _pair(node.id, other)) and partner in names:
                    return ast.Name(partner, ast.Load())
        return None

    return change


def _other_layer(names: set[str]):
    def change(node):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and (m := re.fullmatch(r"(\D+)(\d)", node.id)):
            for d in "0123456789":
                if d != m.group(2) and m.group(1) + d in names and (Z_NAME.match(node.id) or A_NAME.match(node.id)):
                    return ast.Name(m.group(1) + d, ast.Load())
        return None

    return change


def _add_factor(kind: str):
    def change(node):
        if isinstance(node, (ast.Assign, ast.AugAssign)) and not isinstance(node.value, ast.Constant):
            new = copy.copy(node)
            factor = {"2": (ast.Mult(), ast.Constant(2)), "½": (ast.Mult(), ast.Constant(0.5))}[kind]
            new.value = ast.BinOp(node.value, factor[0], factor[1])
            return new
        return None

    return change


def operators(names: set[str]):
    """(operator words, change) pairs; a change returns the changed node or None where it does not apply."""
    return [
        ("a factor dropped", _drop_factor),
        ("a factor 2 added", _add_factor("2")),
        ("a factor ½ added", _add_factor("½")),
        ("a derivative dropped", _drop_derivative),
        ("Z and A swapped", _swapper(names)),
        ("another layer's array", _other_layer(names)),
        ("a transpose removed", _drop_transpose),
        ("a transpose added", _add_transpose),
        ("axis 0 and 1 swapped", _swap_axis),
        ("keepdims dropped", _drop_keepdims),
        ("a sign flipped", _flip_sign),
        ("sum and mean swapped", _sum_mean),
    ]
