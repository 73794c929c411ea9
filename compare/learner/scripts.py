"""A learner's script checked on its own first step: the file run under the watcher until its weights first change
(not to the end of its loop), then the weights before the step, the batch and targets the step used, its learning
rate and the step itself recovered from what the run recorded; the layers read from the weights' shapes."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field

import numpy as np

from compare.errors import LearnerError
from compare.learner import binding, slots
from compare.learner.layouts import Form
from compare.learner.returned import Returned, precision
from compare.learner.watch import Record

TARGET_NAMES = re.compile(r"^(y|t|targets?|labels?|expected|y_?\w*|t_?\w*|targets?_\w*|labels?_\w*)$", re.IGNORECASE)


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


def _leaf(rec: Record) -> slots.Leaf:
    return slots.Leaf((("[]", rec.key),), np.shape(rec.before), "array")


def first_step(module, setup) -> Step:
    """The step a script took first, recovered from its watched run."""
    watch = module.watch
    if not watch.updates:
        defined = module.defined()
        if defined and watch.events <= watch.limit:
            raise LearnerError(f"{module.path}: no function 'loss_and_grads'; it defines {', '.join(defined)} (choose one with --function)")
        how = f"within {watch.limit:,} lines" if watch.events > watch.limit else "before it ended"
        raise LearnerError(
            f"{module.path.name} changed no array of a network's shape {how} (an update such as W -= lr * dW); "
            "give --function NAME to check a function or method instead"
        )
    if watch.reshaped:
        key, before, after, line, source = watch.reshaped[0]
        raise LearnerError(
            f"{module.path.name}:{line} ({source.splitlines()[0]}) changes the shape of {key} from {before} to {after}: "
            f"the step added to it has another shape than {key} (a bias gradient summed over the wrong axis?)"
        )
    start = watch.records.index(watch.updates[0])
    updates = [r for r in watch.records[start:] if r.update and r.before is not None and np.ndim(r.before) in (1, 2)]
    updates = list({r.key: r for r in reversed(updates)}.values())[::-1]  # each key's first update in the step
    weights = [_leaf(r) for r in updates]
    sizes = setup.sizes if setup.sizes_given else None
    chains = slots.chains(weights, sizes)
    if not chains:
        raise LearnerError(f"the arrays {module.path.name} updates first ({', '.join(r.key for r in updates)}) do not chain into layers")
    where = slots.bind(weights, chains[0], bias=setup.bias)
    before = where.read({r.key: r.before for r in updates})
    after = where.read({r.key: r.value for r in updates})
    sizes = where.sizes
    X, columns_data, idx = _batch(watch.records[:start], before, where)
    y = _targets(watch.records[:start], module, X, idx, sizes[-1], columns_data)
    lr, lr_words = _learning_rate(updates, module, setup.lr)
    grads = [((Wb - Wa) / lr, None if bb is None else (bb - ba) / lr) for (Wb, bb), (Wa, ba) in zip(before, after)]
    got = Returned(None, grads, {}, precision([r.dtype for r in updates]), "in place", lr, lr_words)
    words = where.words("") + [f"the batch: {X.shape[0]} sample{'s' if len(X) > 1 else ''}; lr {lr:g} ({lr_words})"]
    form = Form("columns" if where.columns else "rows", per_sample=False)
    return Step(before, X, y, got, sizes, where.bias, form, watch.records, words)


def _batch(records: list[Record], params, where) -> tuple[np.ndarray, bool, np.ndarray | None]:
    """The first layer's input of the step: the array whose product with W1 (plus b1) the run recorded, or its
    activation; samples as rows or columns, and which rows of a larger array it is."""
    W1, b1 = params[0]
    n0 = W1.shape[0]
    products = [r.value for r in records if isinstance(r.value, np.ndarray) and r.value.ndim == 2]
    for rec in reversed(records):
        A = rec.value
        if not isinstance(A, np.ndarray) or A.ndim != 2 or n0 not in A.shape:
            continue
        for columns in (where.columns, not where.columns):
            Xc = A.T if columns else A
            if Xc.shape[1] != n0:
                continue
            Z = Xc @ W1 + (0 if b1 is None else b1)
            for v in products:
                v = v.T if columns else v
                if v.shape == Z.shape and any(np.allclose(v, f(Z), rtol=1e-9, atol=1e-12) for f in ACTIVATIONS):
                    return Xc, columns, None
    raise LearnerError(
        "could not tell which array is the step's input batch (the first layer's input): give --function to check a function instead"
    )


ACTIVATIONS = (
    lambda z: z,
    lambda z: 1 / (1 + np.exp(-z)),
    np.tanh,
    lambda z: np.maximum(z, 0),
)


def _targets(records: list[Record], module, X: np.ndarray, idx, n_out: int, columns: bool) -> np.ndarray:
    """The targets of the step: an array named as targets (y, t, targets, labels) with one entry per sample, else the
    rows of a target array that line up with the batch's rows in the data set it came from."""
    m = len(X)
    for rec in reversed(records):
        v = rec.value
        name = rec.key.split(".")[-1].split("[")[0]
        if isinstance(v, np.ndarray) and TARGET_NAMES.match(name) and not binding.role(name) == "X":
            y = v.T if columns and v.ndim == 2 else v
            if np.dtype(rec.dtype).kind in "iu":
                y = y.astype(np.int64)  # class labels (the record keeps a float copy)
            if y.shape in ((m, n_out), (m,)) or (n_out == 1 and y.shape == (1, m) and not columns):
                return y.reshape(m, n_out) if y.ndim == 2 or n_out == 1 and y.dtype.kind == "f" else y
    arrays = {k: v for k, v in vars(module.module).items() if isinstance(v, np.ndarray) and v.ndim in (1, 2)}
    for name, data in arrays.items():
        if data.ndim != 2 or data.shape[1] != X.shape[1]:
            continue
        rows = [np.flatnonzero((data == x).all(axis=1)) for x in X]
        if not all(len(r) for r in rows):
            continue
        idx = np.array([r[0] for r in rows])
        for tname, t in arrays.items():
            if tname != name and len(t) == len(data) and (t.ndim == 1 or t.shape[1] == n_out):
                t = t.astype(np.int64) if t.dtype.kind in "iu" else t.astype(np.float64)
                return t[idx].reshape(m, n_out) if t.ndim == 2 or n_out == 1 and t.dtype.kind == "f" else t[idx]
    raise LearnerError("could not tell which array holds the step's targets: name it y, t, targets or labels")


def _learning_rate(updates: list[Record], module, given: float | None) -> tuple[float, str]:
    """The factor the update multiplies by: --lr, a learning-rate name in the update (alpha, lr, step_size, ...) and
    its value in the script, or 1 where the update adds the step with no factor."""
    if given is not None:
        return given, "--lr"
    scope = vars(module.module)
    for rec in updates:
        try:
            node = ast.parse(rec.source).body[0]
        except (SyntaxError, IndexError):
            continue
        value = getattr(node, "value", None)
        if value is None:
            continue
        numbers = [
            n.id
            for n in ast.walk(value)
            if isinstance(n, ast.Name) and isinstance(scope.get(n.id), (int, float)) and not isinstance(scope.get(n.id), bool)
        ]
        named = [n for n in numbers if binding.role(n) == "lr" or n.lower() == "alpha"]
        if named or len(numbers) == 1:
            name = (named or numbers)[0]
            return float(scope[name]), f"{name} = {scope[name]!r} in your script"
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
