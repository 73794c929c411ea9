"""What a script's first step ran on, recovered from its watched run: the batch (the array whose rows, times W1, its
first layer computed: the whole of it, or the rows of a data set it took) and the targets beside it."""

from __future__ import annotations

import re

import numpy as np

from compare.errors import LearnerError
from compare.learner import roles
from compare.learner.watch import Record

TARGET_NAMES = re.compile(r"^(y|t|targets?|labels?|expected|y_?\w*|t_?\w*|targets?_\w*|labels?_\w*)$", re.IGNORECASE)


def batch(records: list[Record], params, where, scope: dict, frame: int = 0) -> tuple[np.ndarray, bool, np.ndarray | None]:
    """The first layer's input of the step: the array (or the rows of it, or all but a label column) whose product
    with W1 (plus b1), or its activation, the step's calls recorded (those from the updating call's frame on); the one
    that explains the most rows; samples as rows or columns, one sample as a plain vector too."""
    W1, b1 = params[0]
    n0, n1 = W1.shape
    keys = {leaf.name for s in where.layers for leaf in (s.weight, s.bias) if leaf is not None} | {
        leaf.where("") for s in where.layers for leaf in (s.weight, s.bias) if leaf is not None
    }
    products = [
        r
        for r in records
        if isinstance(r.value, np.ndarray) and r.value.ndim in (1, 2) and r.value.size % n1 == 0 and np.any(r.value) and not r.bound
    ]  # computed values, not a call's arguments (update_params(W1, b1, ...) binds copies of the weights)
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


def targets(records: list[Record], scope: dict, X: np.ndarray, n_out: int, columns: bool) -> tuple[np.ndarray, int]:
    """The targets of the step: an array named as targets (y, t, targets, labels) with one entry per sample, else the
    rows of a target array that line up with the batch's rows in the data set it came from (and that set's size)."""
    m = len(X)
    for rec in reversed(records):
        v = rec.value
        name = rec.key.split(".")[-1].split("[")[0]
        if isinstance(v, np.ndarray) and TARGET_NAMES.match(name) and not roles.role(name) == "X":
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
