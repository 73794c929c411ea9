"""Batch norm's learned scale and shift (bn_affine): gamma and beta in all three implementations, agreeing in float64
from moved values, the hand-written backward against finite differences, the bundle's keys, bad values refused."""

import itertools
from dataclasses import replace

import numpy as np
import pytest

import scratch
from compare.errors import SpecError
from compare.experiment.pipeline import prepare
from compare.shared import harness, implementations, weights
from compare.shared.spec import Spec
from tests.helpers import NAMES, grads_rel

SPEC = Spec(layers=(2, 6, 5, 1), activation=("tanh", "relu"), loss="bce", batch_norm=True, bn_affine=True, optimizer="adam",
            lr=0.02, batch_size=16, epochs=4, init="glorot_uniform", seed=5)  # fmt: skip


def moved(spec):
    """The spec's initial weights with gamma and beta moved off 1 and 0, so a slip in their backward cannot hide."""
    init = weights.init(spec)
    rng = np.random.default_rng(7)
    n = len(spec.layers) - 1
    return init[:n] + [(rng.uniform(0.5, 2, g.shape), rng.uniform(-1, 1, b.shape)) for g, b in init[n:]]


def test_gamma_and_beta_start_at_one_and_zero_after_the_linear_layers_drawing_nothing():
    init = weights.init(SPEC)
    plain = weights.init(SPEC.replace(bn_affine=False))
    assert len(init) == 3 + 2 and [g.shape for g, _ in init[3:]] == [(6,), (5,)]
    assert all((g == 1).all() and (b == 0).all() for g, b in init[3:])
    assert all(np.array_equal(W, W2) for (W, _), (W2, _) in zip(init, plain))
    assert list(weights.to_dict(init)) == ["W1", "b1", "W2", "b2", "W3", "b3", "gamma1", "beta1", "gamma2", "beta2"]
    assert weights.spec_names(SPEC, "d")[-4:] == ["dgamma1", "dbeta1", "dgamma2", "dbeta2"]
    back = weights.from_dict(weights.to_dict(init))
    assert weights.n_linear(back) == 3 and len(weights.norms(back)) == 2


@pytest.mark.parametrize("bias", [True, False])
def test_three_implementations_agree_on_dgamma_dbeta_and_the_curve_in_float64(bias):
    spec = SPEC.replace(bias=bias)
    data, _, order = prepare(spec)
    init = moved(spec)
    idx = order[0, : spec.batch_size]
    grads, curves = {}, {}
    for name in NAMES:
        model = implementations.build(name, spec, init)
        grads[name] = model.gradients(data.X_train[idx], data.y_train[idx])[1]
        history = harness.train(name, model, spec, data, order)
        curves[name] = (history.losses, history.final)
    for a, b in itertools.combinations(NAMES, 2):
        assert grads_rel(grads[a], grads[b]) <= 1e-12, (a, b)
    assert all(len(g) == 3 + 2 and g[-1][1].shape == (5,) for g in grads.values())
    for a, b in (("numpy", "torch"), ("numpy-keras", "tensorflow")):
        assert np.abs(curves[a][0] - curves[b][0]).max() <= 1e-12, (a, b)
        assert grads_rel(curves[a][1], curves[b][1]) <= 1e-11  # gamma and beta trained alike
    assert np.abs(curves["numpy"][1][3][0] - init[3][0]).max() > 1e-3  # gamma learned


def central(model, X, y, h=1e-6):
    out = []
    for pair in model.params:
        grads = []
        for t in pair:
            if t is None:
                grads.append(None)
                continue
            g = np.zeros_like(t)
            for i in np.ndindex(t.shape):
                old = t[i]
                t[i] = old + h
                plus = model.loss(X, y, training=True)
                t[i] = old - h
                minus = model.loss(X, y, training=True)
                t[i] = old
                g[i] = (plus - minus) / (2 * h)
            grads.append(g)
        out.append(tuple(grads))
    return out


def test_hand_written_backward_for_gamma_and_beta_matches_central_differences():
    spec = SPEC.replace(activation="sigmoid")
    data, _, _ = prepare(spec)
    model = scratch.make(spec, moved(spec))
    X, y = data.X_train[:16], data.y_train[:16]
    _, grads = model.gradients(X, y)
    numeric = central(model, X, y)
    assert grads_rel(numeric, grads) <= 1e-7
    no_gamma = lambda dB, Y, gamma: (dB, (dB * Y).sum(axis=0), dB.sum(axis=0))  # noqa: E731  (dY = dB: gamma forgotten)
    slipped = scratch.make(spec, moved(spec), pieces=replace(scratch.pieces_for(spec), scale_shift_back=no_gamma))
    assert grads_rel(numeric, slipped.gradients(X, y)[1]) > 1e-2


@pytest.mark.parametrize("changes,words", [({"batch_norm": False}, "false unless batch_norm is true"), ({"bn_affine": 1}, "true or false")])
def test_bad_bn_affine_is_refused_by_name(changes, words):
    with pytest.raises(SpecError, match="spec.bn_affine: .*" + words):
        SPEC.replace(**changes)
