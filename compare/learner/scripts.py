"""A learner's script checked on its own first step: the file run under the watcher until its weights first change
(not to the end of its loop), then the weights before the step, the batch and targets the step used (script_batch.py),
its learning rate and the step itself recovered from what the run recorded; the layers read from the weights' shapes."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field

import numpy as np

from compare.errors import LearnerError
from compare.learner import layer_search, roles, script_batch, slots
from compare.learner.layouts import Form
from compare.learner.loading import guarded, their_traceback
from compare.learner.returned import Returned, precision
from compare.learner.statements import weight_like
from compare.learner.watch import Record, Watch


@dataclass
class Step:
    """A script's first training step as it ran."""

    params: list  # canonical weights before the step
    X: np.ndarray  # canonical (N, fan_in)
    y: np.ndarray  # canonical targets
    got: Returned  # the step read as gradients
    sizes: tuple[int, ...]
    bias: bool
    form: Form
    records: list[Record]
    words: list[str] = field(default_factory=list)
    data_size: int = 0  # the size of the data set the batch's rows came from (0: the batch is all of it, or unknown)


def _leaf(rec: Record, key: str) -> slots.Leaf:
    """An updated array as a leaf named by its last name (self.b_h: b_h; params['W1']: W1)."""
    names = [n for n in re.findall(r"\w+", rec.key) if not n.isdigit()]
    return slots.Leaf((("[]", key),), np.shape(rec.before), "array", label=names[-1] if names else "")


def _objects(updates: list[Record]) -> dict[int, str]:
    """A name for the array each update changed: its key, or, where one name holds the arrays of several layer
    objects, each changed in place (each FCLayer's self.weights -=, each parameter of a generator), the key and which
    object ("param (object 2)"). A name rebound to a new array (W = W - lr * dW) is one array whatever it holds."""
    which: dict[tuple[str, int], int] = {}  # (key, id of an array an update left) -> which of the key's arrays
    count: dict[str, int] = {}
    out = {}
    for r in updates:
        # changed in place: that array; else (numbers in lists, a new array each step) the name alone
        array = r.ident if r.ident and r.was == r.ident else 0
        k = which.get((r.key, array))
        if k is None:
            k = count[r.key] = count.get(r.key, 0) + 1
        which[(r.key, array)] = k
        out[id(r)] = (r.key, k)
    return {i: key if count[key] == 1 else f"{key} (object {k})" for i, (key, k) in out.items()}


@dataclass
class Run:
    """A watched run that trains: a script loaded, or a training function or method called (the weights made inside
    it, its own loop); what its data may come from (the module's arrays, what the check handed over)."""

    watch: Watch
    name: str  # the file's name, or the function's
    scope: dict
    defined: list[str] = field(default_factory=list)  # a script's functions and classes
    script: bool = True
    path: str = ""


def of_module(module) -> Run:
    cell = module.path.name == "cell.py" and module.path.parent.name.startswith("mlp-compare-cell-")  # compare.check_cell
    name = "your cell" if cell else module.path.name
    return Run(module.watch, name, vars(module.module), module.defined(), path=name if cell else str(module.path))


def run_call(fn, kwargs: dict, folder, patches, name: str, scope: dict) -> Run:
    """fn(**kwargs) run under the watcher until its weights' second update: a training function or method."""
    watch = Watch(folder, stop_at_update=True)
    try:
        with guarded(patches):
            watch.run(fn, **kwargs)
    except (Exception, SystemExit) as e:
        raise LearnerError(f"{name} raised {type(e).__name__}: {e}".splitlines()[0], their_traceback(e, folder)) from None
    return Run(watch, name, scope, script=False)


def first_step(run: Run, setup, layout: str | None = None) -> Step:
    """The step a script (or a training function) took first, recovered from its watched run."""
    watch = run.watch
    if not watch.updates:
        if run.defined and watch.events <= watch.limit:
            raise LearnerError(
                f"{run.path}: no function 'loss_and_grads'; it defines {', '.join(run.defined)} (choose one with --function)"
            )
        how = f"within {watch.limit:,} lines" if watch.events > watch.limit else "before it ended" if run.script else "before it returned"
        raise LearnerError(
            f"{run.name} changed no array of a network's shape {how} (an update such as W -= lr * dW); "
            + (
                "give --function NAME to check a function or method instead"
                if run.script
                else "check the function that computes the gradients"
            )
        )
    if watch.reshaped:
        key, before, after, line, source = watch.reshaped[0]
        raise LearnerError(
            f"{run.name}:{line} ({source.splitlines()[0]}) changes the shape of {key} from {before} to {after}: "
            f"the step added to it has another shape than {key} (a bias gradient summed over the wrong axis?)"
        )
    start = watch.records.index(watch.updates[0])
    updates = [r for r in watch.records[start:] if r.update and r.before is not None and np.ndim(r.before) in (1, 2) and weight_like(r.key)]
    names = _objects(updates)
    last = {names[id(r)]: r for r in updates}  # each array's value after the step (an update an element at a time ends last)
    updates = list({names[id(r)]: r for r in reversed(updates)}.values())[::-1]  # each array's first update in the step
    earlier = watch.records[:start]
    seen = _first_seen(earlier)
    updates.sort(key=lambda r: min(_first_read(earlier, r.key), seen.get(r.was or r.ident, start)))  # forward order
    weights = [_leaf(r, names[id(r)]) for r in updates]
    sizes = setup.sizes if setup.sizes_given else None
    chains = layer_search.chains(weights, sizes, layout=layout, bias=setup.bias, ordered=True)
    if not chains:
        raise LearnerError(f"the arrays {run.name} updates first ({', '.join(names[id(r)] for r in updates)}) do not chain into layers")
    where = layer_search.bind(weights, chains[0], bias=setup.bias, stepped=True)
    before = where.read({names[id(r)]: r.before for r in updates})
    after = where.read({names[id(r)]: last[names[id(r)]].value for r in updates})
    sizes = where.sizes
    scope = {**run.scope, **script_batch.families(earlier, run.scope)}
    X, columns_data, idx = script_batch.batch(earlier, before, where, scope, watch.records[start].frame)
    y, data_size = script_batch.targets(earlier, scope, X, sizes[-1], columns_data)
    if np.ndim(y) == 1 and sizes[-1] > 1 and np.array_equal(y, np.round(y)):
        y = np.asarray(y).astype(np.int64)  # class labels (their copies were taken as floats)
    lr, lr_words = _learning_rate(updates, setup.lr)
    grads = [((Wb - Wa) / lr, None if bb is None else (bb - ba) / lr) for (Wb, bb), (Wa, ba) in zip(before, after)]
    got = Returned(None, grads, {}, precision([r.dtype for r in updates]), "in place", lr, lr_words)
    words = where.words("") + [f"the batch: {X.shape[0]} sample{'s' if len(X) > 1 else ''}; lr {lr:g} ({lr_words})"]
    form = Form("columns" if where.columns else "rows", per_sample=False)
    end = max(watch.records.index(r) for r in last.values()) + 1  # the run went on to the next forward pass: not this step's
    return Step(before, X, y, got, sizes, where.bias, form, watch.records[:end], words, data_size if data_size > len(X) else 0)


def _first_seen(records: list[Record]) -> dict[int, int]:
    """Where each array first showed itself as a value of their code (made, or bound to a parameter): layers made
    lazily by the forward pass, or by their constructors, in the network's order."""
    out: dict[int, int] = {}
    for i, r in enumerate(records):
        if r.ident:
            out.setdefault(r.ident, i)
    return out


def _first_read(records: list[Record], key: str) -> int:
    """Where the run first read an array (the forward pass reads the layers in order), or after every read."""
    return next((i for i, r in enumerate(records) if key in r.reads), len(records))


def _literal_factor(value) -> float | None:
    """The number an update multiplies its step by where it is written out (W -= 0.5 * dW, W += -1e-3 * dW)."""
    node = value.operand if isinstance(value, ast.UnaryOp) and isinstance(value.op, ast.USub) else value
    if not isinstance(node, ast.BinOp) or not isinstance(node.op, ast.Mult):
        return None
    for side in (node.left, node.right):
        side = side.operand if isinstance(side, ast.UnaryOp) and isinstance(side.op, ast.USub) else side
        if isinstance(side, ast.Constant) and isinstance(side.value, (int, float)) and not isinstance(side.value, bool) and side.value:
            return abs(float(side.value))
    return None


def _learning_rate(updates: list[Record], given: float | None) -> tuple[float, str]:
    """The factor the update multiplies by: --lr, a learning-rate name in the update (alpha, lr, step_size, ...) and
    its value in the script, or 1 where the update adds the step with no factor."""
    if given is not None:
        return given, "--lr"
    for rec in updates:
        try:
            node = ast.parse(rec.source).body[0]
        except (SyntaxError, IndexError):
            continue
        value = getattr(node, "value", None)
        if value is None:
            continue
        numbers = {n: v for n, v in rec.scalars.items() if n != rec.key}
        literal = _literal_factor(value)
        if literal is not None and not numbers:
            return literal, f"{literal:g}, written in your update"
        named = [n for n in numbers if roles.role(n.split(".")[-1]) == "lr" or n.split(".")[-1].lower() == "alpha"]
        if named or len(numbers) == 1:
            name = (named or list(numbers))[0]
            return numbers[name], f"{name} = {numbers[name]:g} in your script"
        if (
            not any(
                isinstance(n, ast.BinOp)
                and isinstance(n.op, (ast.Mult, ast.Div))
                and (isinstance(n.left, (ast.Constant, ast.UnaryOp)) or isinstance(n.right, ast.Constant))
                for n in ast.walk(value)
            )
            and not numbers
        ):
            return 1.0, "your update adds the step with no factor: lr = 1"
    raise LearnerError("the step's learning rate was not found in your script: give it with --lr")
