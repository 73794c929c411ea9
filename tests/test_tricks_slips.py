"""The learner check's diagnosis names the training-trick slips in a hand-written backward: the L2 term missing,
doubled or on the biases; batch norm's backward without its mean and variance terms; the dropout mask left out of
the backward pass or not rescaled."""

import numpy as np
import pytest

from compare.experiment.pipeline import prepare
from compare.learner.grade import check
from compare.shared import harness
from compare.shared.spec import Spec

SPEC = Spec(layers=(2, 6, 3), activation="tanh", loss="ce", dataset="blobs", init="small_uniform", seed=5, batch_size=16)


def learner(spec, params, X, y, masks=None, bn_back="full", dropout_back="right"):
    """A learner's backprop of a 1-hidden-layer tanh network with softmax CE, L2, batch norm and dropout, written
    out by hand; the slips under test are its options."""
    (W1, b1), (W2, b2) = params
    n = len(X)
    Z1 = X @ W1 + b1
    H = np.tanh(Z1)
    B, inv = H, np.ones(H.shape[1])
    if spec.batch_norm:
        mu, var = H.mean(axis=0), H.var(axis=0)
        inv = 1 / np.sqrt(var + spec.bn_eps)
        B = (H - mu) * inv
    A = B * masks[0] if masks is not None else B
    logits = A @ W2 + b2
    p = np.exp(logits - logits.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    loss = -np.log(p[np.arange(n), y]).mean() + 0.5 * spec.l2 * ((W1**2).sum() + (W2**2).sum())
    dZ2 = p.copy()
    dZ2[np.arange(n), y] -= 1
    dZ2 /= n
    dW2, db2 = A.T @ dZ2 + spec.l2 * W2, dZ2.sum(axis=0)
    dA = dZ2 @ W2.T
    dB = dA if masks is None else {"right": dA * masks[0], "missing": dA, "unscaled": dA * (masks[0] > 0)}[dropout_back]
    if spec.batch_norm and bn_back == "full":
        Y = B
        dH = inv / n * (n * dB - dB.sum(axis=0) - Y * (dB * Y).sum(axis=0))
    elif spec.batch_norm and bn_back == "mean_only":
        dH = dB * inv - (dB * inv).mean(axis=0)
    else:
        dH = dB * inv
    dZ1 = dH * (1 - H**2)
    dW1, db1 = X.T @ dZ1 + spec.l2 * W1, dZ1.sum(axis=0)
    return loss, [(dW1, db1), (dW2, db2)]


def diagnosed(spec, slip_l2=None, masks=None, **slip):
    """The check's diagnosis of the learner with its slips, on the first 16 training samples (with the step's masks
    the check draws, the same as `masks`)."""
    data, params, _ = prepare(spec)
    X, y = data.X_train[:16], data.y_train[:16]
    assert masks is None or all(np.array_equal(a, b) for a, b in zip(masks, harness.Dropout(spec).draw(16)))

    def fn(params, X, y, masks=None):
        loss, grads = learner(spec, params, X, y, masks, **slip)
        if slip_l2 == "missing":
            grads = [(dW - spec.l2 * W, db) for (dW, db), (W, _) in zip(grads, params)]
        elif slip_l2 == "double":
            grads = [(dW + spec.l2 * W, db) for (dW, db), (W, _) in zip(grads, params)]
        elif slip_l2 == "biases":
            grads = [(dW, db + spec.l2 * b) for (dW, db), (_, b) in zip(grads, params)]
        return loss, grads

    if masks is None and spec.dropout > 0:
        fn = (lambda f: lambda params, X, y: f(params, X, y))(fn)
    return check(fn, spec.replace(frameworks=("numpy",)), params=params, X=X, y=y, fd=False, trace=False).diagnosis


def test_the_hand_written_learner_is_right_without_slips():
    spec = SPEC.replace(l2=0.1, batch_norm=True, dropout=0.3)
    masks = harness.Dropout(spec).draw(16)
    assert diagnosed(spec, masks=masks).ok


@pytest.mark.parametrize("how", ["missing", "double", "biases"])
def test_l2_slips_are_named(how):
    d = diagnosed(SPEC.replace(l2=0.1), slip_l2=how)
    assert not d.ok and d.mistake == f"l2_{how}", d.message


@pytest.mark.parametrize("back,mistake", [("plain", "bn_no_stats"), ("mean_only", "bn_no_var")])
def test_batch_norm_backward_without_its_mean_and_variance_terms_is_named(back, mistake):
    d = diagnosed(SPEC.replace(batch_norm=True), bn_back=back)
    assert not d.ok and d.mistake == mistake and "batch-norm backward misses" in d.message, d.message


@pytest.mark.parametrize("how", ["missing", "unscaled"])
def test_dropout_slips_are_named_given_the_steps_masks(how):
    spec = SPEC.replace(dropout=0.3)
    masks = harness.Dropout(spec).draw(16)
    d = diagnosed(spec, masks=masks, dropout_back=how)
    assert not d.ok and d.mistake == f"dropout_{how}", d.message


def test_the_check_command_names_a_missing_l2_term(capsys):
    from pathlib import Path

    from compare.cli import main

    learner_file = Path(__file__).parent / "learners" / "correct.py"  # right without L2: its dW lacks λW
    assert main(["check", str(learner_file), "--l2", "0.1", "--init", "small_uniform"]) == 1
    assert "the L2 term is missing from the weight gradient" in capsys.readouterr().out
