"""Leaky ReLU, GELU, L2 and decoupled weight decay, class weights, clipping, learning-rate schedules: the three
implementations agree to round-off in float64 (first gradients, 200-step curves), every new hand-written backward
matches central finite differences, and each convention gap between torch and Keras is real."""

import itertools

import numpy as np
import pytest

from compare.experiment.pipeline import prepare
from compare.shared import harness, implementations
from tests.helpers import NAMES, curves, first_grads, grads_rel
from tests.test_agreement import CURVE_TOL, GRAD_TOL, HEADS, central_differences, matrix_spec

BCE, CE = HEADS[2], HEADS[3]


def assert_agree(spec, grad_tol=GRAD_TOL, curve_tol=CURVE_TOL):
    """First-batch gradients of every pair, and the loss curves of every pair that follows the same rules."""
    grads = first_grads(spec)
    for a, b in itertools.combinations(NAMES, 2):
        assert grads_rel(grads[a][1], grads[b][1]) <= grad_tol, (a, b)
        assert abs(grads[a][0] - grads[b][0]) <= grad_tol * abs(grads[a][0]), (a, b)
    hist = curves(spec)
    assert all(h.ok for h in hist.values())
    for a, b in itertools.combinations(NAMES, 2):
        if implementations.same_rules(a, b, spec):
            la, lb = hist[a].losses, hist[b].losses
            assert np.max(np.abs(la - lb)) / np.max(np.abs(la)) <= curve_tol, (a, b)
    return hist


def assert_backprop_matches_finite_differences(spec, tol=1e-7):
    import scratch

    data, init, _ = prepare(spec)
    model = scratch.make(spec, init)
    X, y = data.X_train[:20], data.y_train[:20]
    _, grads = model.gradients(X, y)
    assert grads_rel(central_differences(model, X, y), grads) <= tol


ACTIVATION_CASES = [("leaky_relu", CE, "momentum"), ("gelu", BCE, "adam"), ("gelu_tanh", HEADS[1], "sgd")]


@pytest.mark.parametrize("activation,head,optimizer", ACTIVATION_CASES, ids=[c[0] for c in ACTIVATION_CASES])
def test_leaky_relu_and_both_gelus_agree_in_float64(activation, head, optimizer):
    assert_agree(matrix_spec(activation, head, optimizer, 2).replace(leaky_slope=0.2))


@pytest.mark.parametrize("activation", ["leaky_relu", "gelu", "gelu_tanh"])
def test_leaky_relu_and_both_gelus_backprop_matches_finite_differences(activation):
    assert_backprop_matches_finite_differences(matrix_spec(activation, CE, "sgd", 2).replace(leaky_slope=0.3))


def test_gelu_exact_and_tanh_really_differ():
    from scratch.activations import activation

    z = np.linspace(-3, 3, 61)
    gap = np.max(np.abs(activation("gelu")(z) - activation("gelu_tanh")(z)))
    assert 1e-4 < gap < 1e-3  # ~4.7e-4 near |z| = 2: a real gap, not round-off


L2_CASES = [
    ("momentum", CE, {"l2": 0.01}),
    ("sgd", BCE, {"l2": 0.05, "decay_biases": True}),
    ("adam", CE, {"weight_decay": 0.1}),  # AdamW
    ("adam", HEADS[0], {"weight_decay": 0.1, "decay_biases": True, "eps": 0.0}),  # eps 0: torch and Keras rules coincide
]


@pytest.mark.parametrize("optimizer,head,extra", L2_CASES, ids=["l2", "l2-biases", "adamw", "adamw-biases"])
def test_l2_and_decoupled_weight_decay_agree_in_float64(optimizer, head, extra):
    assert_agree(matrix_spec("tanh", head, optimizer, 2).replace(lr=0.01 if optimizer == "adam" else 0.05, **extra))


@pytest.mark.parametrize("biases", [False, True])
def test_l2_backprop_matches_finite_differences(biases):
    assert_backprop_matches_finite_differences(matrix_spec("sigmoid", BCE, "sgd", 2).replace(l2=0.3, decay_biases=biases))


def test_l2_adds_lam_w_to_the_kernels_gradient_and_nothing_to_the_biases():
    spec = matrix_spec("tanh", CE, "sgd", 1)
    plain, penalised = first_grads(spec, ["numpy"])["numpy"], first_grads(spec.replace(l2=0.5), ["numpy"])["numpy"]
    init = prepare(spec)[1]
    for (W, _), (dW, db), (dW2, db2) in zip(init, plain[1], penalised[1]):
        np.testing.assert_allclose(dW2 - dW, 0.5 * W, atol=1e-15)
        np.testing.assert_array_equal(db2, db)
    assert penalised[0] - plain[0] == pytest.approx(0.25 * sum(np.sum(W * W) for W, _ in init), rel=1e-12)


def test_adamw_is_not_adam_with_l2():
    spec = matrix_spec("tanh", CE, "adam", 1).replace(lr=0.01)
    decoupled = curves(spec.replace(weight_decay=0.1), ["torch"])["torch"].losses
    coupled = curves(spec.replace(l2=0.1), ["torch"])["torch"].losses
    assert np.max(np.abs(decoupled - coupled)) > 1e-3


WEIGHT_CASES = [(CE, (1.0, 2.0, 0.5), "sum_weights"), (BCE, (0.3, 2.0), "batch")]


@pytest.mark.parametrize("head,class_weights,reduction", WEIGHT_CASES, ids=["ce-sum_weights", "bce-batch"])
def test_class_weights_agree_in_float64(head, class_weights, reduction):
    assert_agree(matrix_spec("relu", head, "momentum", 1).replace(class_weights=class_weights, weight_reduction=reduction))


@pytest.mark.parametrize("head,class_weights", [(CE, (1.0, 2.0, 0.5)), (BCE, (0.3, 2.0))], ids=["ce", "bce"])
@pytest.mark.parametrize("reduction", ["sum_weights", "batch"])
def test_weighted_losses_backprop_matches_finite_differences(head, class_weights, reduction):
    spec = matrix_spec("tanh", head, "sgd", 1).replace(class_weights=class_weights, weight_reduction=reduction)
    assert_backprop_matches_finite_differences(spec)


def test_the_two_reductions_differ_by_sum_of_weights_over_n():
    """torch's weighted mean divides by the sum of the weights, Keras's class_weight by N: the ratio is exact."""
    spec = matrix_spec("tanh", CE, "sgd", 1).replace(class_weights=(1.0, 2.0, 0.5))
    data, init, order = prepare(spec)
    idx = order[0, : spec.batch_size]
    over_w = first_grads(spec, ["torch"])["torch"][0]
    over_n = first_grads(spec.replace(weight_reduction="batch"), ["tensorflow"])["tensorflow"][0]
    sum_w = np.sum(np.take(spec.class_weights, data.y_train[idx]))
    assert over_n / over_w == pytest.approx(sum_w / len(idx), rel=1e-14) and abs(sum_w / len(idx) - 1) > 0.05


CLIP_CASES = [("sgd", {"clip_norm": 0.05}), ("momentum", {"clip_value": 0.02}), ("adam", {"clip_norm": 0.1, "lr": 0.01})]


@pytest.mark.parametrize("optimizer,extra", CLIP_CASES, ids=["norm-sgd", "value-momentum", "norm-adam"])
def test_gradient_clipping_agrees_in_float64(optimizer, extra):
    assert_agree(matrix_spec("tanh", CE, optimizer, 2).replace(**extra))


def test_torch_clip_grad_norm_adds_1e_6_to_the_norm_and_keras_does_not():
    spec = matrix_spec("tanh", CE, "sgd", 2).replace(clip_norm=0.05)
    assert implementations.runs_for(spec) == ["numpy", "numpy-keras", "torch", "tensorflow"]
    hist = curves(spec, ["torch", "tensorflow"])
    assert 1e-8 < np.max(np.abs(hist["torch"].losses - hist["tensorflow"].losses)) < 1e-5


def test_keras_per_tensor_clipnorm_is_the_per_tensor_convention_and_not_the_global_norm():
    import scratch
    import tf_impl

    spec = matrix_spec("tanh", CE, "sgd", 2).replace(clip_norm=0.05, epochs=5)
    data, init, order = prepare(spec)
    keras_clipnorm = harness.train("k", tf_impl.make(spec, init, per_tensor_clipnorm=True), spec, data, order).losses
    per_tensor = scratch.make(spec, init, pieces=scratch.pieces_for(spec, "keras", clipping="per_tensor"))
    global_norm = harness.train("g", scratch.make(spec, init, convention="keras"), spec, data, order).losses
    per_tensor = harness.train("p", per_tensor, spec, data, order).losses
    assert np.max(np.abs(keras_clipnorm - per_tensor)) <= 1e-14
    assert np.max(np.abs(keras_clipnorm - global_norm)) > 1e-4


SCHEDULE_CASES = [
    ("sgd", {"schedule": "step", "decay_rate": 0.5, "decay_steps": 30}),
    ("momentum", {"schedule": "exponential", "decay_rate": 0.9, "schedule_every": "epoch"}),
    ("sgd", {"schedule": "cosine", "decay_steps": 60}),  # past T: torch's rate rises again, Keras's stays at 0
    ("nesterov", {"schedule": "inverse_time", "decay_rate": 0.05}),
    ("adam", {"schedule": "cosine", "decay_steps": 20, "schedule_every": "epoch", "lr": 0.01}),
]


@pytest.mark.parametrize("optimizer,extra", SCHEDULE_CASES, ids=[f"{c[1]['schedule']}-{c[0]}" for c in SCHEDULE_CASES])
def test_learning_rate_schedules_agree_in_float64(optimizer, extra):
    assert_agree(matrix_spec("tanh", CE, optimizer, 2).replace(**extra))


@pytest.mark.parametrize("extra", [c[1] for c in SCHEDULE_CASES[:4]], ids=[c[1]["schedule"] for c in SCHEDULE_CASES[:4]])
def test_scratch_schedules_are_torchs_and_keras_own_rates(extra):
    """scratch's closed forms against torch's scheduler and Keras's schedule, t = 0..99 (T = 60 for cosine)."""
    import torch

    from scratch.schedules import learning_rate
    from tf_impl.schedules import schedule
    from torch_impl.schedules import scheduler

    spec = matrix_spec("tanh", CE, "sgd", 1).replace(**extra)
    opt = torch.optim.SGD([torch.zeros(1, dtype=torch.float64)], lr=spec.lr)
    torch_scheduler, keras_schedule = scheduler(spec, opt), schedule(spec)
    for t in range(100):
        torch_rate, keras_rate = opt.param_groups[0]["lr"], float(keras_schedule(t))
        assert torch_rate == pytest.approx(learning_rate(spec, t, "torch"), rel=1e-13, abs=1e-17), t
        assert keras_rate == pytest.approx(learning_rate(spec, t, "keras"), rel=1e-13, abs=1e-17), t
        opt.step()
        torch_scheduler.step()


def test_momentum_forms_part_once_the_rate_changes():
    """torch's buf = mu buf + g; p -= lr buf and Keras's v = mu v - lr g; p += v are one rule for a constant rate only."""
    spec = matrix_spec("tanh", CE, "momentum", 1)
    for extra, gap in (({}, 1e-12), ({"schedule": "exponential", "decay_rate": 0.97}, None)):
        hist = curves(spec.replace(**extra), ["torch", "tensorflow"])
        diff = np.max(np.abs(hist["torch"].losses - hist["tensorflow"].losses))
        assert diff <= gap if gap else diff > 1e-4


def test_per_batch_and_per_epoch_stepping_really_differ():
    spec = matrix_spec("tanh", CE, "sgd", 1).replace(schedule="exponential", decay_rate=0.9)
    per_batch = curves(spec, ["torch"])["torch"].losses
    per_epoch = curves(spec.replace(schedule_every="epoch"), ["torch"])["torch"].losses
    assert per_batch[0] == per_epoch[0] and np.max(np.abs(per_batch - per_epoch)) > 1e-3
