"""One call of a learner's function as the check makes it (Caller; a method of their object: method_caller.py):
copies of the weights, the batch and the targets handed over under the names it takes them by; what comes back read
as gradients, or, where the weights were changed in place or new ones returned, as a step divided by its learning
rate. What it changed of its inputs is said."""

from __future__ import annotations

import ast
import copy
import inspect
import re
import textwrap
from dataclasses import dataclass

import numpy as np

from compare.errors import LearnerError
from compare.learner import binding, containers, returned, roles
from compare.learner.layouts import CONTAINERS, Form, Params
from compare.learner.loading import folder_of, guarded, their_traceback
from compare.learner.returned import Returned
from compare.shared import weights

SHAPE_WORDS = ("shape", "broadcast", "matmul", "aligned", "dimension")
BUFFER = re.compile(r"\w*(s|grads?|buffers?|caches?)")  # a per-layer list the code fills in: activations, deltas, coef_grads


@dataclass
class Batch:
    """What one call is made on, canonical: weights, the batch, its targets, dropout masks; the class count (one-hot
    targets), and the learning rate and L2 strength to hand over where the code takes them."""

    params: Params
    X: np.ndarray
    y: np.ndarray
    masks: list | None = None
    classes: int = 1
    lr: float | None = None  # given with --lr: passed where the code takes a learning rate, and a step divided by it
    l2: float = 0.0


def changes(name: str, before: np.ndarray, after) -> str | None:
    """'X (all entries, divided by 255)' where the learner's code changed an input it was handed, else None."""
    after = np.asarray(after, dtype=np.float64) if np.shape(after) == np.shape(before) else None
    if after is None or np.array_equal(before, after, equal_nan=True):
        return None
    moved = ~np.isclose(before, after, rtol=0, atol=0)
    where = "all entries" if moved.all() else f"{int(moved.sum())} of {moved.size} entries"
    nonzero = moved & (after != 0)
    if nonzero.any():
        ratio = before[nonzero] / after[nonzero]
        if np.allclose(ratio, ratio[0], rtol=1e-9):
            how = f"divided by {ratio[0]:g}" if abs(ratio[0]) > 1 else f"multiplied by {1 / ratio[0]:g}"
            return f"{name} ({where}, {how})"
    return f"{name} ({where})"


def _has_factor(node) -> bool:
    """Whether an update's right-hand side multiplies or divides by anything."""
    return any(isinstance(n, ast.BinOp) and isinstance(n.op, (ast.Mult, ast.Div)) for n in ast.walk(node))


def update_without_factor(fn) -> bool:
    """Whether every augmented assignment in fn adds or subtracts without a factor (self.weights1 += d_weights1)."""
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(fn)))
    except (OSError, TypeError, SyntaxError):
        return False
    updates = [n for n in ast.walk(tree) if isinstance(n, ast.AugAssign) and isinstance(n.op, (ast.Add, ast.Sub))]
    return bool(updates) and not any(_has_factor(n.value) for n in updates)


class Caller:
    """Calls one learner target on canonical batches and reads what comes back."""

    def __init__(self, fn, form: Form, patches=None, owner=None, module=None, name: str | None = None):
        self.fn, self.form, self.patches, self.owner, self.module = fn, form, patches, owner, module
        self.name = name or getattr(fn, "__name__", "the function")
        self.signature = roles.parameters(fn, skip_self=False)
        self.lr_found: tuple[float | None, str] | None = None
        self.flat: bool | None = None  # one sample handed over as a plain vector: not yet known
        self.handed: tuple[float, str] | None = None  # the learning rate the check passed to their code, in words
        self.template = None  # (name, their network of plain lists, its binding): weights handed over in their own lists

    def lr(self, given: float | None) -> tuple[float, str]:
        """The learning rate a step is divided by: --lr, one found in the code, or 1 for an update with no factor."""
        if given is not None:
            return given, "--lr"
        if self.handed is not None:
            return self.handed
        if self.lr_found is None:
            self.lr_found = binding.find_lr(self.fn, self.owner, self.module, None)
        value, words = self.lr_found
        if value is not None:
            return value, words
        if update_without_factor(self.fn):
            return 1.0, "your update adds the step with no factor: lr = 1"
        raise LearnerError(
            f"{self.name} changes the weights in place and no learning rate was found in your code (self.lr, learning_rate, eta, alpha, "
            "a default argument): give it with --lr"
        )

    def arguments(self, params_in, X, y, masks, lr, l2, tensors=None, layers: int = 0) -> dict:
        """Keyword arguments for the learner's function by what its parameters are called; (params, X, y) by position
        where the names do not say; a list per layer for what it fills in (activations, deltas, coef_grads: the
        activations' list starting with the batch)."""
        args = {}
        positional = [("params", params_in), ("X", X), ("y", y)] if params_in is not None else [("X", X), ("y", y)]
        taken = {p.role for p in self.signature}
        fill = [v for r, v in positional if r not in taken and not (r in ("X", "y") and "batch" in taken)]
        for p in self.signature:
            if p.role in ("params", "X", "y"):
                args[p.name] = dict(positional)[p.role]
            elif p.role == "batch" and "X" not in taken:
                args[p.name] = self.pairs(X, y) if roles.iterates(self.fn, p.name) else (X, y)
            elif p.role == "sample_weight" and p.required:
                args[p.name] = None
            elif p.role == "n_total" and p.required:
                args[p.name] = X.shape[1] if self.form.columns and X.ndim == 2 else len(X)
            elif p.role == "tensor" and tensors is not None:
                args[p.name] = tensors.get(p.tensor)
            elif p.role == "masks":
                if masks is not None:
                    args[p.name] = masks
            elif p.role == "lr" and (p.required or lr is not None):
                args[p.name] = lr if lr is not None else 0.5
                self.handed = (args[p.name], f"{p.name} = {args[p.name]:g}, handed to your code")
            elif p.role == "l2" and (p.required or l2):
                args[p.name] = l2
            elif p.required and fill:
                args[p.name] = fill.pop(0)
            elif p.required and layers and BUFFER.fullmatch(p.name.lower()):
                args[p.name] = [X] + [None] * layers if p.name.lower().startswith("activation") else [None] * layers
        return args

    def pairs(self, X, y) -> list:
        """The batch as a list of (x, y) pairs, one per sample, in the layout (columns: x of shape (fan_in, 1))."""
        if self.form.columns and X.ndim == 2:
            return [(X[:, [i]], y[:, [i]] if np.ndim(y) == 2 else y[i]) for i in range(X.shape[1])]
        return [(X[i], y[i]) for i in range(len(X))]

    def call(self, batch: Batch) -> Returned:
        """The function on copies of the batch (once per sample with --per-sample), read back."""
        calls = []
        for i, (Xs, ys) in enumerate(self.form.samples(batch.X, batch.y, batch.classes)):
            masks = self.form.masks_in(batch.masks, i if self.form.per_sample else None) if batch.masks is not None else None
            calls.append(self.sample(lambda Xs, ys, masks=masks: self.once(batch, Xs, ys, masks), Xs, ys))
        return returned.mean(calls) if self.form.per_sample else calls[0]

    def sample(self, once, Xs, ys):
        """once(Xs, ys) on one sample as the form hands it over, or as a plain vector (fan_in,) where the code makes its
        own column or row of what it is given (numpy.array(inputs_list, ndmin=2).T): tried when the first fails on
        shapes, then kept."""
        flat = lambda: once(np.ravel(Xs), np.ravel(ys) if np.ndim(ys) else ys)  # noqa: E731
        if self.flat or not self.form.per_sample or np.ndim(Xs) == 1:
            return flat() if self.flat else once(Xs, ys)
        try:
            got = once(Xs, ys)
        except LearnerError as e:
            if self.flat is not None or not getattr(e, "shapes", False):
                raise
            try:
                got = flat()
            except LearnerError:
                raise e from None
            self.flat = True
            return got
        self.flat = False
        return got

    def once(self, batch: Batch, Xs, ys, masks) -> Returned:
        if self.template is not None:
            return self.once_in_lists(batch, Xs, ys)
        params_in = self.form.params_in(batch.params)
        handed = containers.flat(params_in)
        before = [a.copy() for a in handed]
        X0, y0 = Xs.copy(), np.asarray(ys, dtype=np.float64).copy()
        tensors = containers.by_name(params_in) if any(p.role == "tensor" for p in self.signature) else None
        args = self.arguments(params_in, Xs, ys, masks, batch.lr, batch.l2, tensors)
        out = self.run(args)
        n = 1 if self.form.per_sample else len(batch.X)
        got = self.read(out, params_in, before, handed, batch, n)
        moved = [w for w, b, a in zip(_tensor_names(batch.params), before, handed) if not np.array_equal(b, a)]
        changed = tuple(w for w in (changes("X", X0, Xs), changes("y", y0, ys)) if w)
        if got.step is None and moved:
            changed = (*changed, f"{', '.join(moved)} (your copies of the weights)")
        got.changed = changed
        return got

    def once_in_lists(self, batch: Batch, Xs, ys) -> Returned:
        """A network of plain Python lists (neurons' weights, the bias last): the weights written into a copy of their
        own network, the sample handed over as lists of floats, what comes back read through the same binding."""
        name, network, where = self.template
        params_in = copy.deepcopy(network)
        where.write(params_in, batch.params)
        as_list = lambda a: np.ravel(a).tolist() if np.ndim(a) else [float(a)]  # noqa: E731
        args = self.arguments(
            params_in, as_list(Xs) if self.form.per_sample else Xs, as_list(ys) if self.form.per_sample else ys, None, batch.lr, batch.l2
        )
        out = self.run(args)
        after = where.read(params_in)
        if any(not np.array_equal(W, Wa) for (W, _), (Wa, _) in zip(batch.params, after)):
            lr, words = self.lr(batch.lr)
            grads = [((W - Wa) / lr, None if b is None else (b - ba) / lr) for (W, b), (Wa, ba) in zip(batch.params, after)]
            return Returned(None, grads, {}, "float64", "in place", lr, words)
        loss, tree = (out[0], out[1]) if isinstance(out, tuple) and len(out) == 2 and returned._number(out[0]) else (None, out)
        try:
            grads = where.read(tree)
        except (LookupError, TypeError, ValueError, AttributeError):
            return returned.read(out, self.form, batch.params, 1 if self.form.per_sample else len(batch.X), self.name)
        got = Returned(None if loss is None else float(loss), grads, {}, "float64")
        if _new_weights(got, batch.params):
            lr, words = self.lr(batch.lr)
            grads = [((W - nW) / lr, None if b is None else (b - nb) / lr) for (W, b), (nW, nb) in zip(batch.params, grads)]
            return Returned(got.loss, grads, {}, "float64", "returned", lr, words)
        return got

    def run(self, args: dict):
        """The learner's call, their exceptions turned into one line and their own traceback."""
        try:
            with guarded(self.patches):
                return self.fn(**args)
        except (Exception, SystemExit) as e:
            hint = ""
            if isinstance(e, ValueError) and any(w in str(e) for w in SHAPE_WORDS):
                samples = "rows, X of shape (N, fan_in)" if self.form.columns else "columns, X of shape (fan_in, N)"
                hint = f"; if your code takes samples as {samples}, try --layout {self.form.other}"
            elif isinstance(e, ValueError) and "values to unpack" in str(e):
                others = " or ".join(c for c in CONTAINERS if c != self.form.params)
                hint = f"; your code unpacks params in another way than --params {self.form.params} hands them over: try --params {others}"
                if (counts := re.search(r"expected (\d+), got (\d+)", str(e))) and int(counts[1]) > int(counts[2]):  # gamma, beta too?
                    hint += " (or, if your params hold batch norm's gamma and beta after the layers, --batch-norm --bn-affine)"
            elif isinstance(e, MemoryError):
                hint = " (it ran out of the memory the check allows)"
            error = LearnerError(
                f"{self.name} raised {type(e).__name__}{f': {e}' if str(e) else ''}".splitlines()[0] + hint,
                their_traceback(e, folder_of(self.fn)),
            )
            error.shapes = isinstance(e, (ValueError, IndexError, TypeError))
            raise error from None

    def read(self, out, params_in, before, handed, batch: Batch, n: int) -> Returned:
        """What came back: gradients returned; else, where the weights were changed in place or new weights came
        back, the step taken divided by its learning rate."""
        moved = any(not np.array_equal(b, a) for b, a in zip(before, handed))
        if out is None or returned._number(out):
            if moved:
                return self.step(params_in, before, handed, out, batch, n)
            return returned.read(out, self.form, batch.params, n, self.name)  # refused in one line: nothing came back
        got = returned.read(out, self.form, batch.params, n, self.name)
        if not moved and _new_weights(got, batch.params):
            lr, words = self.lr(batch.lr)
            grads = [((W - nW) / lr, None if b is None else (b - nb) / lr) for (W, b), (nW, nb) in zip(batch.params, got.grads)]
            return Returned(None, grads, got.shapes, got.dtype, "returned", lr, words)
        return got

    def step(self, params_in, before, handed, out, batch: Batch, n: int) -> Returned:
        """Weights changed in place: the gradients are (before - after) / lr."""
        lr, words = self.lr(batch.lr)
        grads = [(b - a) / lr for b, a in zip(before, handed)]
        canonical = returned.read(containers.regroup(params_in, grads), self.form, batch.params, n, self.name).grads
        loss = float(np.asarray(out).reshape(())) if returned._number(out) else None
        dtypes = [a.dtype for a in handed]
        return Returned(loss, canonical, {}, returned.precision(dtypes), "in place", lr, words)


def _tensor_names(params) -> list[str]:
    n = weights.n_linear(params)
    return [name for i, pair in enumerate(params) for name, t in zip(weights.pair_names(n, i), pair) if t is not None]


def _new_weights(got: Returned, params) -> bool:
    """Whether what came back is the weights after a step rather than gradients: every tensor within a tenth of the
    weights it stands for (gradients at initial weights are nowhere that close to the weights themselves)."""
    pairs = [
        (g, W) for (gW, gb), (W, b) in zip(got.grads, params) for g, W in ((gW, W), (gb, b)) if g is not None and np.shape(g) == np.shape(W)
    ]
    return bool(pairs) and all(np.any(W) and np.max(np.abs(g - W)) <= 0.1 * np.max(np.abs(W)) for g, W in pairs)
