"""What a learner's function is given and gives back: samples as rows or columns, parameters as pairs, a dict or
two lists, one sample or a batch; what comes back recognised without flags and turned into canonical (dW, db)."""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from compare.errors import LearnerError

Params = list[tuple[np.ndarray, np.ndarray]]
LAYOUTS = ("rows", "columns")
CONTAINERS = ("pairs", "dict", "lists", "flat")
TARGETS = ("labels", "onehot", "row")


@dataclass(frozen=True)
class Form:
    """How the learner's function takes its arguments. rows: X (N, fan_in), W (fan_in, fan_out), b (fan_out,);
    columns: X (fan_in, N), W (fan_out, fan_in), b (fan_out, 1), targets (outputs, N)."""

    layout: str = "rows"
    params: str = "pairs"  # pairs: [(W1, b1), ...]; dict: {"W1", "b1", ...}; lists: ([W1, ...], [b1, ...]); flat: [W1, b1, W2, ...]
    per_sample: bool = False  # called once per sample, x of shape (fan_in,) in rows, (fan_in, 1) in columns
    targets: str | None = None  # ce targets: labels (N,), onehot, row (1, N); default labels in rows, onehot in columns

    def __post_init__(self):
        for flag, value, allowed in (("--layout", self.layout, LAYOUTS), ("--params", self.params, CONTAINERS)):
            if value not in allowed:
                raise LearnerError(f"{flag} {value}: expected one of {', '.join(allowed)}")
        if self.targets is not None and self.targets not in TARGETS:
            raise LearnerError(f"--targets {self.targets}: expected one of {', '.join(TARGETS)}")

    @property
    def columns(self) -> bool:
        return self.layout == "columns"

    @property
    def other(self) -> str:
        return "rows" if self.columns else "columns"

    def weight(self, W: np.ndarray) -> np.ndarray:
        """A canonical (fan_in, fan_out) tensor in this layout."""
        return W.T if self.columns else W

    def bias(self, b: np.ndarray) -> np.ndarray:
        return b.reshape(-1, 1) if self.columns else b

    def batch(self, A: np.ndarray) -> np.ndarray:
        """A canonical (N, n) tensor (X, Z, A, dZ) in this layout."""
        return A.T if self.columns else A

    def params_in(self, params: Params):
        """Canonical params as the learner's function takes them (copies: it cannot change ours)."""
        Ws, bs = [self.weight(W).copy() for W, _ in params], [self.bias(b).copy() for _, b in params]
        if self.params == "dict":
            return {k: v for i, (W, b) in enumerate(zip(Ws, bs), start=1) for k, v in ((f"W{i}", W), (f"b{i}", b))}
        if self.params == "lists":
            return Ws, bs
        if self.params == "flat":  # d2l's [W1, b1, W2, b2]
            return [t for pair in zip(Ws, bs) for t in pair]
        return list(zip(Ws, bs))

    def masks_in(self, masks: list[np.ndarray], sample: int | None = None) -> list[np.ndarray]:
        """The step's dropout masks (canonical (N, width) each, 0 or 1 / (1 - p)) as the learner's function takes them:
        one per hidden layer in this layout, or one sample's (width,) in rows, (width, 1) in columns."""
        if sample is not None:
            masks = [m[sample : sample + 1] for m in masks]
            if not self.columns:
                return [m[0].copy() for m in masks]
        return [self.batch(m).copy() for m in masks]

    def targets_in(self, y: np.ndarray, classes: int) -> np.ndarray:
        """Canonical targets ((N,) labels or (N, outputs)) as the learner's function takes them."""
        if y.ndim == 2:
            return self.batch(y).copy()
        kind = self.targets or ("onehot" if self.columns else "labels")
        if kind == "onehot":
            return self.batch(np.eye(classes)[y])
        return y.reshape(1, -1).copy() if kind == "row" else y.copy()

    def samples(self, X: np.ndarray, y: np.ndarray, classes: int) -> list[tuple[np.ndarray, np.ndarray]]:
        """(X, y) in this layout: the batch once, or each sample alone with --per-sample."""
        Xs, ys = self.batch(X).copy(), self.targets_in(y, classes)
        if not self.per_sample:
            return [(Xs, ys)]
        if self.columns:
            return [(Xs[:, [i]], ys[:, [i]] if ys.ndim == 2 else ys[i]) for i in range(len(X))]
        if ys.ndim == 2 and ys.shape[0] == 1 and len(X) > 1:  # labels as a row (1, N): one label each
            return [(Xs[i], ys[0, i]) for i in range(len(X))]
        return [(Xs[i], ys[i]) for i in range(len(X))]


@dataclass
class Returned:
    """What the learner's function returned, in canonical rows: the loss (None when it returns gradients only),
    [(dW, db), ...] in float64 (shapes that are a known mistake kept), the shapes as they came, and float32."""

    loss: float | None
    grads: Params
    shapes: dict[str, tuple]
    float32: bool


def _array(value, what: str) -> np.ndarray:
    try:
        a = np.asarray(value)
    except Exception:
        a = None
    if a is None or a.dtype.kind not in "fiub":
        raise LearnerError(f"{what} is {type(value).__name__}; expected a NumPy array of floats")
    return a


def finite(a: np.ndarray, what: str) -> None:
    bad = ~np.isfinite(a)
    if bad.any():
        kinds = [k for k, m in (("NaN", np.isnan(a)), ("inf", np.isinf(a))) if m.any()]
        raise LearnerError(
            f"{what} has {int(bad.sum())} {' and '.join(kinds)} entr{'y' if bad.sum() == 1 else 'ies'}; expected finite numbers"
        )


def split(out, name: str) -> tuple[object, object]:
    """(loss or None, grads) from what the function returned: (loss, grads), or the gradients alone."""
    if isinstance(out, dict):
        return None, out
    if not isinstance(out, (tuple, list)) or len(out) == 0:
        got = f"an empty {type(out).__name__}" if isinstance(out, (tuple, list)) else type(out).__name__
        raise LearnerError(f"{name} returned {got}; expected a pair (loss, grads) or the gradients alone")
    containers = (tuple, list, dict)
    if len(out) == 2 and not isinstance(out[0], containers):
        return out
    if len(out) == 2 and isinstance(out[0], containers) and not isinstance(out[1], containers):
        raise LearnerError(f"{name} returned (grads, loss); expected (loss, grads)")
    return None, out


class Reader:
    """Turns one call's gradients, in any container the learner returns, into canonical pairs."""

    def __init__(self, form: Form, params: Params, n: int):
        self.form, self.params, self.n, self.L = form, params, n, len(params)
        self.shapes: dict[str, tuple] = {}

    def fits_weight(self, a, i: int) -> bool:
        W = self.params[i][0]
        return np.shape(a) in (W.shape, W.T.shape)

    def fits_bias(self, a, i: int) -> bool:
        fan_out = self.params[i][1].shape[0]
        return np.shape(a) in ((fan_out,), (fan_out, 1), (1, fan_out), (self.n, fan_out), (fan_out, self.n))

    def pairs(self, grads) -> list:
        """[(dW, db), ...] as they came, from a list of pairs, two lists in either order, or a dict."""
        L = self.L
        if isinstance(grads, dict):
            return self.from_dict(grads)
        if not isinstance(grads, (tuple, list)):
            raise LearnerError(f"grads is {type(grads).__name__}; expected a list of {L} (dW, db) pairs, two lists or a dict")
        if len(grads) == 2 and all(isinstance(g, (tuple, list)) and len(g) == L for g in grads):
            a, b = grads
            weights_first = all(self.fits_bias(b[i], i) for i in range(L))  # bias shapes tell the lists apart
            biases_first = all(self.fits_bias(a[i], i) for i in range(L))
            if (weights_first or biases_first) and not self.fit_as_pairs(grads):
                if weights_first and biases_first:  # shapes cannot tell (a layer with one input): the order params came in
                    biases_first = False
                return list(zip(b, a)) if biases_first else list(zip(a, b))
        if len(grads) == 2 * L and all(self.fits_weight(grads[2 * i], i) and self.fits_bias(grads[2 * i + 1], i) for i in range(L)):
            return [(grads[2 * i], grads[2 * i + 1]) for i in range(L)]  # flat, as d2l returns them: [dW1, db1, dW2, db2]
        if len(grads) == 2 * L and all(np.ndim(g) in (1, 2) for g in grads):
            raise LearnerError(
                f"grads is a flat list of {2 * L} arrays whose shapes are not dW1, db1, dW2, db2, ...; expected that order or {L} (dW, db) pairs"
            )
        if len(grads) != L:
            raise LearnerError(f"grads has {len(grads)} entries; expected {L} (dW, db) pairs, one per layer")
        for i, pair in enumerate(grads, start=1):
            if not isinstance(pair, (tuple, list)) or len(pair) != 2:
                raise LearnerError(f"grads[{i - 1}] is {type(pair).__name__}; expected a pair (dW{i}, db{i})")
        return list(grads)

    def fit_as_pairs(self, grads) -> bool:
        """Two entries that read as (dW1, db1), (dW2, db2), in either order within each pair."""
        L = self.L
        if L != 2 or not all(len(g) == 2 for g in grads):
            return False
        fit = lambda g, i: self.fits_weight(g[0], i) and self.fits_bias(g[1], i) or self.fits_bias(g[0], i) and self.fits_weight(g[1], i)  # noqa: E731
        return all(fit(grads[i], i) for i in range(L))

    def from_dict(self, grads: dict) -> list:
        keys = [str(k) for k in grads]
        prefix = "d" if any(re.fullmatch(r"d[Wb]\d+", k) for k in keys) else ""
        for k in keys:
            match = re.fullmatch(rf"{prefix}[Wb](\d+)", k)
            if match and not 1 <= int(match.group(1)) <= self.L:
                raise LearnerError(f"grads key {k!r} matches no parameter; the network has W1..W{self.L} and b1..b{self.L}")
        for i in range(1, self.L + 1):
            for k in (f"{prefix}W{i}", f"{prefix}b{i}"):
                if k not in grads:
                    raise LearnerError(f"grads has no key {k!r}; expected {prefix}W1, {prefix}b1 .. {prefix}W{self.L}, {prefix}b{self.L}")
        return [(grads[f"{prefix}W{i}"], grads[f"{prefix}b{i}"]) for i in range(1, self.L + 1)]

    def canonical(self, grads) -> Params:
        """Canonical float64 pairs; a transposed dW, an unsummed db or a swapped pair kept for the diagnosis."""
        pairs = self.pairs(grads)
        arrays = [(_array(pair[0], f"dW{i}"), _array(pair[1], f"db{i}")) for i, pair in enumerate(pairs, start=1)]
        self.mismatch(arrays)
        out = []
        for i, (dW, db) in enumerate(arrays, start=1):
            W, b = self.params[i - 1]
            swapped = dW.shape != W.shape and self.fits_bias(dW, i - 1) and db.shape in (W.shape, W.T.shape) and W.size != b.size
            slots = (db, dW) if swapped else (dW, db)
            names = (f"db{i}", f"dW{i}") if swapped else (f"dW{i}", f"db{i}")
            w, c = self.weight(slots[0], i, names[0]), self.bias_of(slots[1], i, names[1])
            finite(w, f"dW{i}")
            finite(c, f"db{i}")
            self.shapes[f"dW{i}"], self.shapes[f"db{i}"] = dW.shape, db.shape
            out.append((c, w) if swapped else (w, c))
        return [(a.astype(np.float64), b.astype(np.float64)) for a, b in out]

    def weight(self, dW: np.ndarray, i: int, name: str) -> np.ndarray:
        W = self.params[i - 1][0]
        mine = self.form.weight(W).shape
        if dW.shape not in (W.shape, W.T.shape):
            hint = "; --per-sample expects one sample's gradient, not a batch of them" if self.form.per_sample and dW.ndim > 2 else ""
            raise LearnerError(f"{name} has shape {dW.shape}; expected {mine}, the shape of W{i} in the {self.form.layout} layout{hint}")
        return dW.T if self.form.columns else dW

    def bias_of(self, db: np.ndarray, i: int, name: str) -> np.ndarray:
        fan_out, n, columns = self.params[i - 1][1].shape[0], self.n, self.form.columns
        if db.shape in ((fan_out,), (fan_out, 1) if columns else (1, fan_out)):
            return db.reshape(fan_out)
        if not self.form.per_sample and db.shape == ((fan_out, n) if columns else (n, fan_out)):
            return db.T if columns else db  # one per sample: the diagnosis names it
        expected = f"({fan_out}, 1) or ({fan_out},)" if columns else f"({fan_out},) or (1, {fan_out})"
        hint = ""
        if db.shape == ((1, fan_out) if columns else (fan_out, 1)):
            hint = f"; {db.shape} is the {self.form.other} layout's (--layout {self.form.other})"
        elif self.form.per_sample and db.ndim >= 2 and n in db.shape:
            hint = "; --per-sample expects one sample's gradient"
        raise LearnerError(f"{name} has shape {db.shape}; expected {expected}, the shape of b{i} in the {self.form.layout} layout{hint}")

    def mismatch(self, arrays) -> None:
        """Every dW transposed and every db in the other layout's shape: the code works in the other layout."""
        mine = [self.form.weight(W).shape for W, _ in self.params]  # as this layout holds W
        flipped = [dW.shape == shape[::-1] != shape for (dW, _), shape in zip(arrays, mine)]
        other_bias = [
            db.shape == ((1, b.shape[0]) if self.form.columns else (b.shape[0], 1)) for (_, db), (_, b) in zip(arrays, self.params)
        ]
        if any(flipped) and all(f or W.shape == W.T.shape for f, (W, _) in zip(flipped, self.params)):
            if all(other_bias) and any(b.shape[0] > 1 for _, b in self.params):
                samples = "rows (X of shape (N, fan_in))" if self.form.columns else "columns (X of shape (fan_in, N))"
                shape = "(1, n)" if self.form.columns else "(n, 1)"
                raise LearnerError(
                    f"every dW comes back transposed and every db of shape {shape}: "
                    f"your code takes samples as {samples}; try --layout {self.form.other}"
                )


def per_sample_hint(form: Form, grads: Params, n: int) -> None:
    """Gradients only, and every db with one entry per sample: a function written for one sample at a time."""
    shapes = [db.shape for _, db in grads]
    if n > 1 and not form.per_sample and all(len(s) == 2 and n == s[0] for s in shapes):
        per = f"{'column' if form.columns else 'row'} per sample"
        raise LearnerError(
            f"every db comes back with one {per} ({', '.join(str(s[::-1] if form.columns else s) for s in shapes)}) and no loss: "
            "a function written for one sample at a time? try --per-sample"
        )


def read(out, form: Form, params: Params, n: int, name: str) -> Returned:
    """What one call returned, validated and in canonical rows."""
    loss, grads = split(out, name)
    if loss is not None:
        loss = _array(loss, "the loss")
        if loss.size != 1:
            raise LearnerError(f"the loss has shape {loss.shape}; expected one number (the mean over the batch)")
        finite(loss, "the loss")
    reader = Reader(form, params, 1 if form.per_sample else n)
    canonical = reader.canonical(grads)
    if loss is None:
        per_sample_hint(form, canonical, n)
    float32 = any(np.asarray(a).dtype == np.float32 for pair in reader.pairs(grads) for a in pair)
    float32 = float32 or (loss is not None and loss.dtype == np.float32)
    return Returned(None if loss is None else float(loss.reshape(())), canonical, reader.shapes, float32)


def mean(calls: list[Returned]) -> Returned:
    """The average of per-sample calls."""
    first = calls[0]
    for k, c in enumerate(calls[1:], start=2):
        for (dW, db), (fW, fb) in zip(c.grads, first.grads):
            if dW.shape != fW.shape or db.shape != fb.shape:
                raise LearnerError(f"--per-sample: sample {k} returned gradients of other shapes than sample 1")
    losses = [c.loss for c in calls]
    grads = [tuple(np.mean([c.grads[i][j] for c in calls], axis=0) for j in (0, 1)) for i in range(len(first.grads))]
    loss = None if any(v is None for v in losses) else float(np.mean(losses))
    return Returned(loss, grads, first.shapes, any(c.float32 for c in calls))
