"""A call's gradients read in whatever container the learner returns them (Reader): a list of pairs, two lists in either
order, a flat list, a dict, or any container of the layers' shapes; validated (shapes, finite numbers) into canonical
(dW, db) pairs, the shapes that are a known mistake kept for the diagnosis."""

from __future__ import annotations

import contextlib
import re

import numpy as np

from compare.errors import LearnerError
from compare.learner import layer_search, slots
from compare.learner.layouts import Form, Params


def shape(a) -> tuple | None:
    """The shape of an array or nested list; None for anything ragged or not numeric."""
    if isinstance(a, np.ndarray):
        return a.shape
    try:
        return np.shape(a) if not isinstance(a, (dict, str)) else None
    except ValueError:
        return None


def name_list(L: int, prefix: str) -> str:
    return ", ".join(f"{prefix}{i}" for i in range(1, L + 1))


def array(value, what: str) -> np.ndarray:
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


class Reader:
    """Turns one call's gradients, in any container the learner returns, into canonical pairs."""

    def __init__(self, form: Form, params: Params, n: int):
        self.form, self.params, self.n, self.L = form, params, n, len(params)
        self.bias = params[0][1] is not None
        self.shapes: dict[str, tuple] = {}

    def fits_weight(self, a, i: int) -> bool:
        W = self.params[i][0]
        return shape(a) in (W.shape, W.T.shape)

    def fits_bias(self, a, i: int) -> bool:
        fan_out = self.params[i][0].shape[1]
        return shape(a) in ((fan_out,), (fan_out, 1), (1, fan_out), (self.n, fan_out), (fan_out, self.n))

    def pairs(self, grads) -> list:
        """[(dW, db), ...] as they came, from a list of pairs, two lists in either order, a flat list or a dict; for a
        network without biases [(dW, None), ...] from the weights' gradients alone; any other container of arrays or
        nested lists read by the shapes of the layers."""
        L = self.L
        if isinstance(grads, dict):
            return self.from_dict(grads)
        if isinstance(grads, (tuple, list)) and len(grads) == L and all(self.fits_weight(g, i) for i, g in enumerate(grads)):
            if not self.bias:
                return [(g, None) for g in grads]
            if L > 1 or not isinstance(grads[0], (tuple, list)):
                raise LearnerError(
                    f"{name_list(L, 'dW')} came back with no bias gradients, and the network has biases; if yours has none, say --no-bias"
                )
        if not self.bias:
            return self.discovered(grads)
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
            with contextlib.suppress(LearnerError):
                return self.discovered(grads)
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

    def discovered(self, grads) -> list:
        """The gradients in any other container (nested lists with the bias as a last weight, layer objects, ...),
        found by the shapes of the layers as the weights are."""
        sizes = (self.params[0][0].shape[0], *(W.shape[1] for W, _ in self.params))
        found = slots.leaves(grads)
        binding = layer_search.bind(found, sizes, layout=self.form.layout, bias=self.bias)
        pairs = binding.read(grads)
        return [(self.form.weight(dW), None if db is None else self.form.bias(db)) for dW, db in pairs]

    def from_dict(self, grads: dict) -> list:
        keys = [str(k) for k in grads]
        if not self.bias:
            prefix = "d" if any(re.fullmatch(r"dW\d+", k) for k in keys) else ""
            missing = [f"{prefix}W{i}" for i in range(1, self.L + 1) if f"{prefix}W{i}" not in grads]
            if missing:
                raise LearnerError(f"grads has no key {missing[0]!r}; expected {prefix}W1 .. {prefix}W{self.L}")
            return [(grads[f"{prefix}W{i}"], None) for i in range(1, self.L + 1)]
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
        if not self.bias:
            out = []
            for i, (dW, _) in enumerate(pairs, start=1):
                w = self.weight(array(dW, f"dW{i}"), i, f"dW{i}")
                finite(w, f"dW{i}")
                self.shapes[f"dW{i}"] = np.shape(dW)
                out.append((w.astype(np.float64), None))
            return out
        arrays = [(array(pair[0], f"dW{i}"), array(pair[1], f"db{i}")) for i, pair in enumerate(pairs, start=1)]
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
