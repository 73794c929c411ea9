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
from compare.learner.loading import guarded, their_traceback
from compare.learner.returned import Returned, precision
from compare.learner.watch import Record, Watch, weight_like

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
    data_size: int = 0  # the size of the data set the batch's rows came from (0: the batch is all of it, or unknown)


def _leaf(rec: Record) -> slots.Leaf:
    """An updated array as a leaf named by its last name (self.b_h: b_h; params['W1']: W1)."""
    names = [n for n in re.findall(r"\w+", rec.key) if not n.isdigit()]
    return slots.Leaf((("[]", rec.key),), np.shape(rec.before), "array", label=names[-1] if names else "")


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
    last = {r.key: r for r in updates}  # each key's value after the step (an update an element at a time ends last)
    updates = list({r.key: r for r in reversed(updates)}.values())[::-1]  # each key's first update in the step
    updates.sort(key=lambda r: _first_read(watch.records[:start], r.key))  # forward order: backprop updates the last layer first
    weights = [_leaf(r) for r in updates]
    sizes = setup.sizes if setup.sizes_given else None
    chains = slots.chains(weights, sizes, layout=layout, bias=setup.bias, ordered=True)
    if not chains:
        raise LearnerError(f"the arrays {run.name} updates first ({', '.join(r.key for r in updates)}) do not chain into layers")
    where = slots.bind(weights, chains[0], bias=setup.bias)
    before = where.read({r.key: r.before for r in updates})
    after = where.read({r.key: last[r.key].value for r in updates})
    sizes = where.sizes
    scope = {**run.scope, **families(watch.records[:start], run.scope)}
    X, columns_data, idx = _batch(watch.records[:start], before, where, scope, watch.records[start].frame)
    y, data_size = _targets(watch.records[:start], scope, X, sizes[-1], columns_data)
    lr, lr_words = _learning_rate(updates, setup.lr)
    grads = [((Wb - Wa) / lr, None if bb is None else (bb - ba) / lr) for (Wb, bb), (Wa, ba) in zip(before, after)]
    got = Returned(None, grads, {}, precision([r.dtype for r in updates]), "in place", lr, lr_words)
    words = where.words("") + [f"the batch: {X.shape[0]} sample{'s' if len(X) > 1 else ''}; lr {lr:g} ({lr_words})"]
    form = Form("columns" if where.columns else "rows", per_sample=False)
    end = max(watch.records.index(r) for r in last.values()) + 1  # the run went on to the next forward pass: not this step's
    return Step(before, X, y, got, sizes, where.bias, form, watch.records[:end], words, data_size if data_size > len(X) else 0)


def _first_read(records: list[Record], key: str) -> int:
    """Where the run first read an array (the forward pass reads the layers in order), or after every read."""
    return next((i for i, r in enumerate(records) if key in r.reads), len(records))


def _batch(records: list[Record], params, where, scope: dict, frame: int = 0) -> tuple[np.ndarray, bool, np.ndarray | None]:
    """The first layer's input of the step: the array (or the rows of it, or all but a label column) whose product
    with W1 (plus b1), or its activation, the step's calls recorded (those from the updating call's frame on); the one
    that explains the most rows; samples as rows or columns, one sample as a plain vector too."""
    W1, b1 = params[0]
    n0, n1 = W1.shape
    keys = {leaf.name for s in where.layers for leaf in (s.weight, s.bias) if leaf is not None} | {
        leaf.where("") for s in where.layers for leaf in (s.weight, s.bias) if leaf is not None
    }
    products = [
        r for r in records if isinstance(r.value, np.ndarray) and r.value.ndim in (1, 2) and r.value.size % n1 == 0 and np.any(r.value)
    ]
    inside = _distinct(r.value for r in products if r.frame >= frame)  # computed within the updating call (per-sample backprops)
    for values in (inside, _distinct(r.value for r in products)) if inside else (_distinct(r.value for r in products),):
        found = _best_batch(records, scope, keys, W1, b1, n0, values, where.columns)
        if found is not None:
            return found
    raise LearnerError(
        "could not tell which array is the step's input batch (the first layer's input): give --function to check a function instead"
    )


def _best_batch(records, scope, keys, W1, b1, n0: int, products: list, columns_first: bool):
    """The candidate batch that explains the most rows of the products, (X, columns, rows), or None."""
    tried, best = set(), None
    arrays = [(r.key, r.value) for r in reversed(records)] + list(scope.items())  # globals it reads too
    for key, A in arrays:
        if (
            not isinstance(A, np.ndarray)
            or A.ndim not in (1, 2)
            or A.size < n0
            or n0 not in A.shape
            and A.ndim == 2
            and A.shape[1] - n0 not in (1, 2)
        ):
            continue
        if key in keys or not np.any(A) or A.dtype.kind not in "fiu":  # a weight or a bias, or zeros: nothing to tell rows by
            continue
        seen = (A.shape, A.dtype.str, A.tobytes())
        if seen in tried:
            continue
        tried.add(seen)
        A = A.astype(np.float64)
        for columns in (columns_first, not columns_first):
            for Xc in _inputs(A, n0, columns):
                rows = _produced(Xc, W1, b1, products, columns)
                if rows is not None and (best is None or len(rows) > len(best[2])):
                    best = (Xc[rows], columns, rows)
    return best


def _distinct(values) -> list[np.ndarray]:
    """The arrays with their repeats (the same numbers recorded under several names) left out."""
    out = {}
    for v in values:
        out.setdefault((v.shape, v.tobytes()), v)
    return list(out.values())


def families(records: list[Record], scope: dict) -> dict[str, np.ndarray]:
    """Lists of (x, y) pairs the run held (mini_batch[i][0], mini_batch[i][1]) or its data set holds (training_data)
    stacked into arrays, one sample a row: {"mini_batch[*][0]": (k, n0), "mini_batch[*][1]": (k, outputs)}."""
    out = {}
    for name, v in scope.items():
        if isinstance(v, list) and len(v) >= 2 and all(isinstance(p, tuple) and len(p) == 2 and isinstance(p[0], np.ndarray) for p in v):
            try:
                out[f"{name}[*][0]"] = np.stack([np.ravel(p[0]).astype(np.float64) for p in v])
                out[f"{name}[*][1]"] = np.stack([np.ravel(p[1]).astype(np.float64) if np.ndim(p[1]) else np.int64(p[1]) for p in v])
            except (ValueError, TypeError):
                continue
    groups: dict[tuple[str, str], dict[int, np.ndarray]] = {}
    for r in records:
        m = re.fullmatch(r"(.+)\[(\d+)\]\[(\d+)\]", r.key)
        if m and isinstance(r.value, np.ndarray) and r.value.ndim in (1, 2) and 1 in r.value.shape + (1,):
            groups.setdefault((m.group(1), m.group(3)), {})[int(m.group(2))] = r.value
    for (root, j), items in groups.items():
        sizes = {v.size for v in items.values()}
        if len(items) >= 2 and sorted(items) == list(range(len(items))) and len(sizes) == 1:
            out.setdefault(f"{root}[*][{j}]", np.stack([np.ravel(items[i]) for i in range(len(items))]))
    return out


def _inputs(A: np.ndarray, n0: int, columns: bool) -> list[np.ndarray]:
    """A recorded array as candidate batches (N, n0): itself, or without one or two label columns at either end."""
    X = A.reshape(1, -1) if A.ndim == 1 else A.T if columns else A
    extra = X.shape[1] - n0
    if extra == 0:
        return [X]
    return [X[:, :n0], X[:, -n0:]] if extra in (1, 2) else []


def _produced(X: np.ndarray, W1, b1, products: list, columns: bool) -> np.ndarray | None:
    """Which rows of X the run multiplied by W1, in the order it did: every recorded value equal to act(X[rows] @ W1
    + b1) (the whole batch at once, or one sample at a time), in either layout; None where none is."""
    Z = X @ W1 + (0 if b1 is None else np.reshape(b1, -1))
    hit: list[int] = []
    for f in ACTIVATIONS:
        H = f(Z)
        for v in products:
            if v.size % H.shape[1] or v.size > H.size:
                continue
            m = v.size // H.shape[1]
            rows = v.reshape(m, -1) if v.ndim == 1 or not columns and v.shape[1] == H.shape[1] else v.T
            if rows.shape[1] != H.shape[1]:
                continue
            if m == len(H) and np.allclose(rows, H, rtol=1e-9, atol=1e-12):
                return np.arange(m)
            found = _rows_of(rows, H) if m < len(H) else None
            if found is not None:
                hit += [int(i) for i in found if i not in hit]
    return np.array(hit) if hit else None


def _rows_of(rows: np.ndarray, H: np.ndarray) -> np.ndarray | None:
    """The index in H of each of rows (a mini-batch of the data set), or None."""
    near = np.abs(rows[:, None, :] - H[None, :, :]).max(axis=2) <= 1e-9 * (1 + np.abs(H).max())
    if not near.any(axis=1).all():
        return None
    return near.argmax(axis=1)


ACTIVATIONS = (
    lambda z: z,
    lambda z: 1 / (1 + np.exp(-z)),
    np.tanh,
    lambda z: np.maximum(z, 0),
)


def _targets(records: list[Record], scope: dict, X: np.ndarray, n_out: int, columns: bool) -> tuple[np.ndarray, int]:
    """The targets of the step: an array named as targets (y, t, targets, labels) with one entry per sample, else the
    rows of a target array that line up with the batch's rows in the data set it came from (and that set's size)."""
    m = len(X)
    for rec in reversed(records):
        v = rec.value
        name = rec.key.split(".")[-1].split("[")[0]
        if isinstance(v, np.ndarray) and TARGET_NAMES.match(name) and not binding.role(name) == "X":
            y = v.T if columns and v.ndim == 2 else v
            if np.dtype(rec.dtype).kind in "iu":
                y = y.astype(np.int64)  # class labels (the record keeps a float copy)
            if m == 1 and n_out > 1 and y.shape == (n_out,):  # one sample's targets as a plain vector
                return y.reshape(1, n_out).astype(np.float64), 0
            if y.shape in ((m, n_out), (m,)) or (n_out == 1 and y.shape == (1, m) and not columns):
                return (y.reshape(m, n_out) if y.ndim == 2 or n_out == 1 and y.dtype.kind == "f" else y), 0
    arrays = {k: v for k, v in scope.items() if isinstance(v, np.ndarray) and v.ndim in (1, 2)}
    for name, data in arrays.items():
        if data.ndim != 2 or data.shape[1] != X.shape[1]:
            continue
        rows = [np.flatnonzero((data == x).all(axis=1)) for x in X]
        if not all(len(r) for r in rows):
            continue
        idx = np.array([r[0] for r in rows])
        partner = name[:-2] + "1]" if name.endswith("[*][0]") else None  # the y of (x, y) pairs
        for tname, t in sorted(arrays.items(), key=lambda kv: kv[0] != partner):
            if tname != name and len(t) == len(data) and (t.ndim == 1 or t.shape[1] == n_out):
                t = t.astype(np.int64) if t.dtype.kind in "iu" else t.astype(np.float64)
                return (t[idx].reshape(m, n_out) if t.ndim == 2 or n_out == 1 and t.dtype.kind == "f" else t[idx]), len(data)
    raise LearnerError("could not tell which array holds the step's targets: name it y, t, targets or labels")


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
        named = [n for n in numbers if binding.role(n.split(".")[-1]) == "lr" or n.split(".")[-1].lower() == "alpha"]
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
