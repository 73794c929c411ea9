"""What a learner's function is given: samples as rows or columns, parameters as pairs, a dict, two lists or a flat
list (the weights alone without biases), one sample or a batch, targets as labels or one-hot."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from compare.errors import LearnerError
from compare.shared import weights

Params = list[tuple[np.ndarray, np.ndarray | None]]  # b None: a network without biases
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
        """Canonical params as the learner's function takes them (copies: it cannot change ours); a network without
        biases as its weights alone: [W1, W2, ...], or {"W1", "W2", ...}."""
        n = weights.n_linear(params)
        norms = [(self.bias(g).copy(), self.bias(b).copy()) for g, b in params[n:]]  # batch norm's (gamma, beta): (D,) or (D, 1)
        if norms and self.params not in ("pairs", "dict"):
            raise LearnerError(f"--params {self.params}: batch norm's gamma and beta go in pairs or a dict (gamma1, beta1, ...)")
        Ws = [self.weight(W).copy() for W, _ in params[:n]]
        named = {k: v for i, pair in enumerate(norms, start=n) for k, v in zip(weights.pair_names(n, i), pair)}
        if params[0][1] is None:
            return {**{f"W{i}": W for i, W in enumerate(Ws, start=1)}, **named} if self.params == "dict" else Ws + norms
        bs = [self.bias(b).copy() for _, b in params[:n]]
        if self.params == "dict":
            return {**{k: v for i, (W, b) in enumerate(zip(Ws, bs), start=1) for k, v in ((f"W{i}", W), (f"b{i}", b))}, **named}
        if self.params == "lists":
            return Ws, bs
        if self.params == "flat":  # d2l's [W1, b1, W2, b2]
            return [t for pair in zip(Ws, bs) for t in pair]
        return list(zip(Ws, bs)) + norms

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
