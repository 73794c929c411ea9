"""float64: the three implementations agree to round-off on the full matrix of activations,
losses, optimizers and two depths; the NumPy backprop matches central finite differences."""

import itertools

import numpy as np
import pytest

from compare.shared import implementations
from compare.shared.spec import Spec
from tests.helpers import NAMES, curves, first_grads, grads_rel

GRAD_TOL = 1e-12  # max |a - b| / max |a| per tensor, first mini-batch
CURVE_TOL = 1e-10  # max |a - b| / max |a| over a 200-step loss curve
HEADS = [("mse", "identity"), ("mse", "sigmoid"), ("bce", "sigmoid"), ("ce", "softmax")]
OPTIMIZERS = ["sgd", "momentum", "nesterov", "adam", "rmsprop"]
LR = {"sgd": 0.1, "momentum": 0.05, "nesterov": 0.05, "adam": 0.005, "rmsprop": 0.002}


def matrix_spec(activation, head, optimizer, depth) -> Spec:
    loss, output = head
    hidden = (8,) if depth == 1 else (8, 6)
    out = 3 if loss == "ce" else 1
    # 80 training samples, batch 20: 4 steps an epoch, 50 epochs = 200 steps
    return Spec(layers=(2, *hidden, out), activation=activation, loss=loss, output=output, optimizer=optimizer,
                lr=LR[optimizer], dataset="blobs" if loss == "ce" else "moons", n_samples=100, test_fraction=0.2,
                batch_size=20, epochs=50, init="glorot_uniform", seed=7)  # fmt: skip


MATRIX = list(itertools.product(["sigmoid", "relu", "tanh"], HEADS, OPTIMIZERS, [1, 2]))


def agreeing_pairs(spec):
    return [(a, b) for a, b in itertools.combinations(NAMES, 2) if implementations.same_rules(a, b, spec)]


@pytest.mark.parametrize("activation,head,optimizer,depth", MATRIX, ids=lambda v: "-".join(v) if isinstance(v, tuple) else str(v))
def test_float64_matrix_gradients_and_200_step_curves_agree(activation, head, optimizer, depth):
    spec = matrix_spec(activation, head, optimizer, depth)
    grads = first_grads(spec)
    for a, b in itertools.combinations(NAMES, 2):
        assert grads_rel(grads[a][1], grads[b][1]) <= GRAD_TOL, (a, b)
        assert abs(grads[a][0] - grads[b][0]) <= GRAD_TOL * abs(grads[a][0]), (a, b)
    hist = curves(spec)
    assert all(h.ok and len(h.losses) == 200 for h in hist.values())
    for a, b in agreeing_pairs(spec):
        la, lb = hist[a].losses, hist[b].losses
        assert np.max(np.abs(la - lb)) / np.max(np.abs(la)) <= CURVE_TOL, (a, b)


def test_agreeing_pairs_follow_the_update_rules():
    adam = matrix_spec("tanh", HEADS[0], "adam", 1)
    assert ("numpy", "torch") in agreeing_pairs(adam) and ("numpy-keras", "tensorflow") in agreeing_pairs(adam)
    assert ("torch", "tensorflow") not in agreeing_pairs(adam)
    assert ("torch", "tensorflow") in agreeing_pairs(matrix_spec("tanh", HEADS[0], "momentum", 1))
    assert ("torch", "tensorflow") in agreeing_pairs(adam.replace(eps=0.0))  # eps = 0: the forms coincide


def test_adam_and_rmsprop_conventions_really_differ_between_torch_and_tensorflow():
    """The gap the tool reports between torch and Keras is there, and is not round-off."""
    for optimizer in ("adam", "rmsprop"):
        spec = matrix_spec("tanh", HEADS[2], optimizer, 1).replace(eps=1e-3)
        hist = curves(spec, ["torch", "tensorflow"])
        gap = np.max(np.abs(hist["torch"].losses - hist["tensorflow"].losses)) / np.max(hist["torch"].losses)
        assert gap > 1e-8, optimizer


def central_differences(model, X, y, h=1e-6):
    """dL/dp for every entry of every tensor by (L(p + h) - L(p - h)) / 2h."""
    out = []
    for W, b in model.params:
        pair = []
        for t in (W, b):
            g = np.zeros_like(t)
            for i in np.ndindex(t.shape):
                old = t[i]
                t[i] = old + h
                plus = model.loss(X, y)
                t[i] = old - h
                minus = model.loss(X, y)
                t[i] = old
                g[i] = (plus - minus) / (2 * h)
            pair.append(g)
        out.append(tuple(pair))
    return out


@pytest.mark.parametrize("activation", ["sigmoid", "tanh"])
@pytest.mark.parametrize("head", HEADS, ids=lambda h: "+".join(h))
def test_numpy_backprop_matches_central_finite_differences(activation, head):
    import scratch
    from compare.experiment.pipeline import prepare

    spec = matrix_spec(activation, head, "sgd", 2)
    data, init, _ = prepare(spec)
    model = scratch.make(spec, init)
    X, y = data.X_train[:20], data.y_train[:20]
    _, grads = model.gradients(X, y)
    assert grads_rel(central_differences(model, X, y), grads) <= 1e-7
