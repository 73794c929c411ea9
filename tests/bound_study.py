"""The round-off bounds measured on random networks: every framework within its bound of the exact gradients, the
exact gradients moved by about an ulp still inside, and a one-line slip (a factor, a transpose) outside. The test runs
a sample; docs/measure_bounds.py runs 300 specs per dtype for docs/exact.md."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

import scratch
from compare.agree import bounds, exact_rows, ulps
from compare.exact import extended
from compare.experiment.pipeline import first_batch, prepare
from compare.shared import harness, implementations, weights
from compare.shared.spec import ACTIVATIONS, Spec

FRAMEWORKS = ("numpy", "torch", "tensorflow")


def random_spec(case: int, dtype: str) -> Spec:
    """Spec `case`: 2 or 3 hidden layers, the first two of one width (a square W2, which a transpose slip can use), any
    activation, loss and output, with or without biases, batch norm (its scale and shift), dropout, L2, class weights."""
    rng = np.random.default_rng([24, case])
    depth, width = int(rng.integers(2, 4)), int(rng.integers(2, 17))
    hidden = (width, width, *(int(w) for w in rng.integers(1, 17, depth - 2)))
    loss, output = [("mse", "identity"), ("mse", "sigmoid"), ("bce", "sigmoid"), ("ce", "softmax")][rng.integers(4)]
    classes = int(rng.integers(2, 5)) if loss == "ce" else 1
    batch_norm = bool(rng.random() < 0.25)
    weighted = loss != "mse" and rng.random() < 0.2
    batch = int(rng.integers(2, 65))
    batch += batch_norm and 120 % batch == 1  # batch norm cannot normalise a last batch of one sample (120 to train)
    return Spec(
        layers=(2, *hidden, classes), activation=tuple(str(a) for a in rng.choice(ACTIVATIONS, depth)), loss=loss, output=output,
        bias=bool(rng.random() < 0.8), batch_norm=batch_norm, bn_affine=batch_norm and bool(rng.random() < 0.5),
        dropout=float(rng.choice([0.0, 0.0, 0.3])), l2=float(rng.choice([0.0, 0.0, 0.05])),
        class_weights=tuple(float(w) for w in rng.uniform(0.5, 3, 2 if loss == "bce" else classes)) if weighted else None,
        weight_reduction=str(rng.choice(["sum_weights", "batch"])), batch_size=batch, seed=int(rng.integers(1000)),
        init=str(rng.choice(["small_uniform", "small_normal", "glorot_uniform", "torch_default", "he_uniform"])),
        init_scale=float(rng.uniform(0.2, 2)), leaky_slope=float(rng.choice([0.01, 0.2])), dtype=dtype,
        dataset="blobs" if loss == "ce" else str(rng.choice(["moons", "circles", "xor", "spirals"])), n_samples=160,
    )  # fmt: skip


def _moved(spec: Spec, init, seed: int):
    """Batch norm's gamma and beta moved off 1 and 0, so that a slip in their backward cannot hide."""
    rng, n = np.random.default_rng(seed), len(spec.layers) - 1
    return init[:n] + [(rng.uniform(0.5, 2, g.shape).astype(g.dtype), rng.uniform(-1, 1, b.shape).astype(b.dtype)) for g, b in init[n:]]


def _ratio(grads, exact, B) -> float:
    """The largest share of the bound any entry of any tensor uses."""
    return max(ulps.ratio(np.asarray(g, np.longdouble) - e, b) for g, e, b in zip(weights.tensors(grads), exact, B))


def slips(spec: Spec) -> dict:
    """One-line slips of the NumPy reference: the loss's gradient doubled (a factor), and the error sent back through
    the square W2 untransposed (dZ @ W2 for dZ @ W2.T)."""
    base = scratch.pieces_for(spec)
    doubled = lambda z, y: (lambda value, dZ: (value, 2 * dZ))(*base.loss(z, y))  # noqa: E731
    untransposed = lambda dZ, params, layer: dZ @ params[layer][0] if layer == 1 else dZ @ params[layer][0].T  # noqa: E731
    return {"factor": replace(base, loss=doubled), "transpose": replace(base, through=untransposed)}


def _unjudged(spec: Spec, slipped, reference, exact, B) -> bool:
    """Whether the tool reports a tensor the slip moves as not judged (its bound as large as the tensor itself)."""
    moved = [not np.array_equal(a, b) for a, b in zip(weights.tensors(slipped), weights.tensors(reference))]
    verdicts = [exact_rows.judged(ulps.ratio(np.asarray(g, np.longdouble) - e, b), exact_rows.relative(b, e), spec.dtype)
                for g, e, b in zip(weights.tensors(slipped), exact, B)]  # fmt: skip
    return any(m and v["pass"] is None for m, v in zip(moved, verdicts))


def measure(spec: Spec, carried: bool = True) -> dict:
    """Shares of the bound: each framework's first gradients, the exact ones moved by one ulp, each slip (and whether the
    slip moves the gradients at all: below a dead ReLU layer it cannot; whether a tensor it moves is below round-off,
    its bound as large as itself, which the tool reports as not judged). carried: see bounds.gradient_bounds."""
    data, init, order = prepare(spec)
    init = _moved(spec, init, spec.seed)
    X, y = first_batch(spec, data, order)
    masks = harness.Dropout(spec).draw(len(X)) if spec.dropout > 0 else None
    wide = y.astype(np.longdouble) if y.dtype.kind == "f" else y
    wmasks = None if masks is None else [m.astype(np.longdouble) for m in masks]
    ref = extended.build(spec, init)
    _, exact = ref.gradients(X.astype(np.longdouble), wide) if wmasks is None else ref.gradients(X.astype(np.longdouble), wide, wmasks)
    exact = weights.tensors(exact)
    B = [e.e for pair in bounds.gradient_bounds(spec, init, X, y, masks, carried=carried) for e in pair if e is not None]
    out, numpy_grads = {}, None
    for name in FRAMEWORKS:
        model = implementations.build(name, spec, init)
        grads = (model.gradients(X, y) if masks is None else model.gradients(X, y, masks))[1]
        numpy_grads = grads if name == "numpy" else numpy_grads
        out[name] = _ratio(grads, exact, B)
    rng = np.random.default_rng(spec.seed)  # every nonzero exact entry moved by one ulp of the dtype, up or down
    moves = [np.where(e != 0, np.where(rng.random(e.shape) < 0.5, -1, 1) * ulps.ulp(e, spec.dtype), 0) for e in exact]
    out["ulp"] = max(ulps.ratio(m, b) for m, b in zip(moves, B))
    for kind, pieces in slips(spec).items():
        model = scratch.make(spec, init, pieces=pieces)
        slipped = (model.gradients(X, y) if masks is None else model.gradients(X, y, masks))[1]
        out[kind] = _ratio(slipped, exact, B)
        out[f"{kind} moves"] = any(not np.array_equal(a, b) for a, b in zip(weights.tensors(slipped), weights.tensors(numpy_grads)))
        out[f"{kind} unjudged"] = _unjudged(spec, slipped, numpy_grads, exact, B)
    return out
