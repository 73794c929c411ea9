"""Every one-line mutant of a learner's file under a fixed set of operators (mutant_operators.py), the slips learners
make: a factor 1/m, 2 or ½ dropped or added; a derivative dropped, or given z where it takes a (and a where it takes
z); Z and A swapped; a transpose added or removed; axis 0 and 1 swapped; keepdims dropped; a sign flipped; sum and
mean swapped; a mask or a derivative taken of another layer's array. Each mutant is the file with one statement
rewritten (ast.unparse).

    python -m tests.mutants FILE [check flags]     prints how many mutants the check names at their line and tensor
"""

from __future__ import annotations

import ast
import copy
import re
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from tests.mutant_operators import Rewrite, operators


@dataclass(frozen=True)
class Mutant:
    line: int  # the statement's first line (1-based)
    end: int
    operator: str
    source: str  # the whole file with the statement rewritten

    def __str__(self) -> str:
        return f"line {self.line}: {self.operator}"


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
                rewrite = Rewrite(k, change)
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
    from compare.learner.dataflow import match

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
    from compare.learner.batches import first_batch, fitting_batch, targets_for
    from compare.learner.calling import Batch
    from compare.learner.grade import check
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
