"""Every one-line mutant of a learner's file under a fixed set of operators — the slips learners make: a factor 1/m, 2
or ½ dropped or added; a derivative dropped, or given z where it takes a (and a where it takes z); Z and A swapped; a
transpose added or removed; axis 0 and 1 swapped; keepdims dropped; a sign flipped; sum and mean swapped; a mask or a
derivative taken of another layer's array. Each mutant is the file with one statement rewritten (ast.unparse).

    python -m tests.mutants FILE [check flags]     prints how many mutants the check names at their line and tensor
"""

from __future__ import annotations

import ast
import copy
import re
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

BATCH_NAMES = re.compile(r"^(m|n|N|batch_size|num_examples|num_train|samples|n_samples|num_samples|mb|batch)$")
DERIVATIVE_CALL = re.compile(r"(deriv|prime|backward|grad)", re.IGNORECASE)
Z_NAME = re.compile(r"^(z|Z)(\d*)$|^(.*)_?inputs?$|^(scores|logits|pre\w*)$")
A_NAME = re.compile(r"^(a|A)(\d*)$|^(.*)_?outputs?$|^(h|H)(\d*)$|^(hidden\w*|layer_?\d+|l\d+|act\w*)$")


@dataclass(frozen=True)
class Mutant:
    line: int  # the statement's first line (1-based)
    end: int
    operator: str
    source: str  # the whole file with the statement rewritten

    def __str__(self) -> str:
        return f"line {self.line}: {self.operator}"


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


class _Rewrite(ast.NodeTransformer):
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


def statements(tree: ast.Module) -> Iterator[ast.stmt]:
    """Every simple statement that computes a value: assignments, augmented assignments, returns."""
    for node in ast.walk(tree):
        if isinstance(node, (ast.Assign, ast.AugAssign, ast.Return)) and node.value is not None:
            yield node


def mutants(text: str) -> list[Mutant]:
    """Every one-statement mutant of a file's text (its comments kept: only the mutated statement is re-written)."""
    tree = ast.parse(text)
    lines = text.splitlines(keepends=True)
    names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    out, seen = [], set()
    for stmt in statements(tree):
        original = ast.unparse(stmt)
        for words, change in operators(names):
            k = 0
            while True:
                node = copy.deepcopy(stmt)
                rewrite = _Rewrite(k, change)
                new = rewrite.visit(node)
                if not rewrite.done:
                    break
                k += 1
                try:
                    source = ast.unparse(ast.fix_missing_locations(new))
                except Exception:
                    continue
                if source == original or (stmt.lineno, source) in seen:
                    continue
                seen.add((stmt.lineno, source))
                indent = re.match(r"\s*", lines[stmt.lineno - 1]).group(0)
                end = stmt.end_lineno or stmt.lineno
                body = "".join(lines[: stmt.lineno - 1]) + indent + source + "\n" + "".join(lines[end:])
                out.append(Mutant(stmt.lineno, end, words, body))
    return out


@dataclass
class Outcome:
    """One mutant checked: the line the check named (None: none), the tensor it said was first wrong, the truth."""

    mutant: Mutant
    named: int | None
    tensor: str | None
    first_wrong: str  # the first tensor, walking back from the output, that the mutant changed beyond round-off

    @property
    def line_hit(self) -> bool:
        return self.named is not None and self.mutant.line <= self.named <= self.mutant.end

    @property
    def tensor_hit(self) -> bool:
        return self.tensor == self.first_wrong


FORWARD = re.compile(r"^(A\d+|Z\d+|H\d+|p_y|losses|loss|y)$")  # reference tensors of the forward pass and the loss


def _gradients(side, batch):
    """What the learner's code gives back (its step, for a script), and the records of its traced run."""
    opened = side.opened
    if opened.step is not None:
        return opened.step.got, opened.step.records
    traced = side.trace(batch)
    return side.call(batch), traced.records


def _common_factor(a, b, tol: float = 1e-9) -> bool:
    """Whether b's gradients are all one factor times a's."""
    pairs = [(x, y) for (xa, xb), (ya, yb) in zip(a.grads, b.grads) for x, y in ((xa, ya), (xb, yb)) if x is not None and y is not None]
    if any(np.shape(x) != np.shape(y) for x, y in pairs):
        return False
    x = np.concatenate([np.ravel(x) for x, _ in pairs])
    y = np.concatenate([np.ravel(y) for _, y in pairs])
    k = float(x @ y / (x @ x)) if x @ x > 0 else 0.0
    return k != 0 and bool(np.allclose(y, k * x, rtol=tol, atol=tol * np.abs(y).max()))


def _first_changed(a, b, tol: float = 1e-6) -> str | None:
    """The first tensor walking back from the output whose values differ beyond round-off (their shapes too)."""
    from compare.learner.numbers import rel

    for layer in reversed(range(len(a.grads))):
        for j, name in ((0, "dW"), (1, "db")):
            x, y = a.grads[layer][j], b.grads[layer][j]
            if x is None and y is None:
                continue
            if x is None or y is None or np.shape(x) != np.shape(y) or rel(y, x) > tol:
                return f"{name}{layer + 1}"
    if a.loss is not None and (b.loss is None or abs(a.loss - b.loss) > tol * abs(a.loss)):
        return "loss"
    return None


def _forward_values(records, right=None, tol: float = 1e-9) -> dict:
    """(line, key, occurrence) -> value for every recorded value (with `right`: only those that are a forward-pass or
    loss tensor)."""
    from compare.learner.tracer import match

    out, seen = {}, {}
    for r in records:
        k = (r.line, r.key)
        seen[k] = seen.get(k, 0) + 1
        if right is None or any(FORWARD.match(n) for n in match(r.value, right, tol)) or np.ndim(r.value) == 0:
            out[(*k, seen[k])] = r.value
    return out


def measure(
    path, spec, form=None, function: str | None = None, folder=None, loss_function: str | None = None, init_args: tuple = (), **options
) -> list[Outcome]:
    """Every backward mutant of a learner's file checked: the file as the check's flags open it (function, form,
    spec), each mutant written beside it, kept when it changes the gradients beyond round-off and leaves the forward
    pass and the loss as they were; the line and first wrong tensor the check names, against the truth."""
    import tempfile
    from pathlib import Path

    from compare.errors import LearnerError
    from compare.learner import reference
    from compare.learner.calling import Batch
    from compare.learner.grade import check, first_batch, fitting_batch, targets_for
    from compare.learner.layouts import Form
    from compare.learner.side import Options, Setup, Side

    path, form = Path(path), form or Form()
    text = path.read_text()
    folder = Path(folder or tempfile.mkdtemp())
    params, X, y = first_batch(spec)
    given = options.get("sizes_given", True)
    choices = Options(function, form, form != Form(), init_args, loss_function=loss_function)

    def opened(file):
        side = Side(str(file), choices)
        side.open(
            Setup(
                spec.layers,
                given,
                None if spec.bias else False,
                params,
                X,
                y,
                spec.layers[-1],
                options.get("lr"),
                spec.l2,
                spec.seed,
            )
        )
        return side

    original = opened(path)
    if not given and tuple(original.opened.sizes) != spec.layers:  # the layers read from their weights, as the check does
        spec, (params, X, y), _ = fitting_batch(spec.replace(layers=tuple(original.opened.sizes), bias=original.opened.bias), False)
        original = opened(path)
    batch = Batch(params, X, y, None, spec.layers[-1], options.get("lr"), spec.l2)
    truth, records = _gradients(original, batch)
    step = original.opened.step
    ref = reference.build(spec, *(step.params, step.X, targets_for(spec, step.y)) if step else (params, X, y))
    named = {k: v for k, v in ref.named.items()}
    before = _forward_values(records, named, 1e-9)
    outcomes = []
    for k, mutant in enumerate(mutants(text)):
        file = folder / f"m{k}_{path.name}"
        file.write_text(mutant.source)
        try:
            side = opened(file)
            got = side.opened.step.got if side.opened.step is not None else side.call(batch)
            first = _first_changed(truth, got)
            if first is None or first == "loss":
                continue  # changes nothing beyond round-off, or only the loss value
            if truth.loss is None and _common_factor(truth, got):
                continue  # every gradient times one factor, and no loss to say which: another convention, not a slip
            mutant_records = side.opened.step.records if side.opened.step is not None else side.trace(batch).records
        except Exception:
            continue  # the slip breaks their code outright: the check reports the exception, not a verdict
        after = _forward_values(mutant_records)
        if any(
            key not in after or np.shape(after[key]) != np.shape(value) or not np.allclose(after[key], value, rtol=1e-9, atol=0)
            for key, value in before.items()
        ):
            continue  # a forward-pass mutant (its forward values or loss changed): another question than the backward pass's line
        try:
            report = check(str(file), spec, fd=False, options=choices, **options)
        except LearnerError:
            continue  # the check refuses it in one line (their code raised on this network)
        line = re.match(rf"\S*{re.escape(file.name)}:(\d+)  ", report.line or "")
        outcomes.append(Outcome(mutant, int(line.group(1)) if line else None, report.diagnosis.first_wrong, first))
    return outcomes


def figures(outcomes: list[Outcome]) -> str:
    n = len(outcomes)
    lines = sum(o.line_hit for o in outcomes)
    tensors = sum(o.tensor_hit for o in outcomes)
    return f"{n} mutants: line named {lines}/{n} ({lines / max(n, 1):.0%}), first wrong tensor {tensors}/{n} ({tensors / max(n, 1):.0%})"
