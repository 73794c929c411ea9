"""The next chapter (leaky ReLU, GELU, L2, weight decay, class weights, clipping, schedules): the three
implementations agree to round-off in float64 (first gradients, 200-step curves), to 1e-5 in float32, and
every new hand-written backward matches central finite differences."""

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


def masked_first_grads(spec):
    """{name: (loss, grads)} on the first mini-batch with the first step's dropout masks."""
    data, init, order = prepare(spec)
    idx = order[0, : spec.batch_size]
    masks = harness.Dropout(spec).draw(len(idx))
    return {n: implementations.build(n, spec, init).gradients(data.X_train[idx], data.y_train[idx], masks) for n in NAMES}


@pytest.mark.parametrize("optimizer,extra", [("sgd", {"dropout": 0.3}), ("adam", {"dropout": 0.5, "lr": 0.01})], ids=["sgd", "adam"])
def test_dropout_with_shared_masks_agrees_in_float64(optimizer, extra):
    spec = matrix_spec("relu", CE, optimizer, 2).replace(**extra)
    grads = masked_first_grads(spec)
    for a, b in itertools.combinations(NAMES, 2):
        assert grads_rel(grads[a][1], grads[b][1]) <= GRAD_TOL, (a, b)
    hist = assert_agree(spec)
    for a, b in itertools.combinations(NAMES, 2):  # eval mode: the final metrics use no dropout
        assert hist[a].metrics["train_loss"] == pytest.approx(hist[b].metrics["train_loss"], rel=1e-5 if spec.adaptive else 1e-12)


def test_dropout_backprop_with_a_fixed_mask_matches_finite_differences():
    import scratch

    spec = matrix_spec("tanh", CE, "sgd", 2).replace(dropout=0.4)
    data, init, _ = prepare(spec)
    model = scratch.make(spec, init)
    X, y = data.X_train[:20], data.y_train[:20]
    masks = harness.Dropout(spec).draw(20)
    assert any((m == 0).any() for m in masks) and all(set(np.unique(m)) <= {0.0, 1 / 0.6} for m in masks)
    _, grads = model.gradients(X, y, masks)

    class Masked:  # the loss at a fixed mask, for central_differences
        params = model.params

        def loss(self, X, y):
            return model.loss(X, y, masks)

    assert grads_rel(central_differences(Masked(), X, y), grads) <= 1e-7
    assert grads_rel(model.gradients(X, y)[1], grads) > 1e-2  # the mask matters


def test_dropout_is_off_in_eval_mode_and_on_in_training():
    spec = matrix_spec("relu", CE, "sgd", 2).replace(dropout=0.5)
    data, init, order = prepare(spec)
    X, y = data.X_train[:20], data.y_train[:20]
    masks = harness.Dropout(spec).draw(20)
    for name in ("torch", "tensorflow"):
        model = implementations.build(name, spec, init)
        plain = implementations.build("numpy", spec.replace(dropout=0.0), init)
        np.testing.assert_allclose(model.forward(X), plain.forward(X), rtol=1e-12, atol=1e-15)
        assert model.evaluate(X, y)[0] == pytest.approx(plain.loss(X, y), rel=1e-14)
        assert abs(model.gradients(X, y, masks)[0] - plain.loss(X, y)) > 1e-3


BN_CASES = [("sgd", {"batch_norm": True}), ("adam", {"batch_norm": True, "lr": 0.01, "dropout": 0.2, "bn_momentum": 0.3, "bn_eps": 1e-3})]


@pytest.mark.parametrize("optimizer,extra", BN_CASES, ids=["sgd", "adam-dropout"])
def test_batch_norm_agrees_in_float64_and_eval_uses_each_frameworks_running_statistics(optimizer, extra):
    hist = assert_agree(matrix_spec("tanh", CE, optimizer, 2).replace(**extra))
    for a, b in (("numpy", "torch"), ("numpy-keras", "tensorflow")):  # eval mode: running statistics, per convention
        for key in ("train_loss", "test_loss"):
            assert hist[a].metrics[key] == pytest.approx(hist[b].metrics[key], rel=1e-10), (a, b, key)
    # torch updates the running variance with the unbiased batch variance, Keras with the biased one
    assert abs(hist["torch"].metrics["train_loss"] - hist["tensorflow"].metrics["train_loss"]) > 1e-4


@pytest.mark.parametrize("form", ["backward_full", "backward_compact"])
def test_batch_norm_backprop_full_and_compact_match_finite_differences(form):
    import dataclasses

    import scratch
    from scratch import batch_norm

    spec = matrix_spec("sigmoid", CE, "sgd", 2).replace(batch_norm=True, bn_eps=1e-3)
    data, init, _ = prepare(spec)
    pieces = dataclasses.replace(scratch.pieces_for(spec), batch_norm_back=getattr(batch_norm, form))
    model = scratch.make(spec, init, pieces=pieces)
    X, y = data.X_train[:20], data.y_train[:20]
    _, grads = model.gradients(X, y)

    class Training:  # the loss with the batch's statistics, for central_differences
        params = model.params

        def loss(self, X, y):
            return model.loss(X, y, training=True)

    assert grads_rel(central_differences(Training(), X, y), grads) <= 1e-7


def test_taking_gradients_leaves_the_running_statistics_alone():
    spec = matrix_spec("tanh", CE, "sgd", 2).replace(batch_norm=True)
    data, init, _ = prepare(spec)
    X, y = data.X_train[:20], data.y_train[:20]
    for name in NAMES:
        model = implementations.build(name, spec, init)
        before = model.forward(X)
        model.gradients(X, y)
        np.testing.assert_array_equal(model.forward(X), before, err_msg=name)
        model.train_step(X, y)
        assert np.max(np.abs(model.forward(X) - before)) > 1e-3, name


@pytest.mark.parametrize(
    "argv,message",
    [
        (["--dropout", "1"], "spec.dropout: got 1.0; expected a rate in [0, 1)"),
        (["--dropout", "-0.1"], "spec.dropout: got -0.1; expected a rate in [0, 1)"),
        (["--l2", "-0.01"], "spec.l2: got -0.01; expected a value >= 0"),
        (["--weight-decay", "0.1"], "spec.weight_decay: got 0.1; expected 0 unless optimizer is adam"),
        (
            ["--schedule", "step", "--decay-rate", "0.5"],
            "spec.decay_steps: got None; expected a value: the step schedule needs decay_rate and decay_steps",
        ),
        (["--schedule", "cosine"], "spec.decay_steps: got None; expected a value: the cosine schedule needs decay_steps"),
        (["--schedule", "exponential", "--decay-rate", "1.5"], "spec.decay_rate: got 1.5; expected a factor in (0, 1]"),
        (["--decay-rate", "0.5"], "spec.decay_rate: got 0.5; expected None: the constant schedule takes no parameters"),
        (["--schedule", "linear"], "spec.schedule: got 'linear'; expected one of constant, step, exponential, cosine, inverse_time"),
        (["--batch-norm", "--batch-size", "1"], "spec.batch_size: got 1; expected a batch of >= 2 samples with batch_norm"),
        (["--batch-norm", "--batch-size", "149"], "spec.batch_size: 149 leaves a last batch of 1 of the 150 training samples"),
        (["--clip-norm", "1", "--clip-value", "1"], "spec.clip_value: got 1.0; expected 0 when clip_norm is set"),
        (["--loss", "bce", "--class-weights", "1,2,3"], "spec.class_weights: got [1.0, 2.0, 3.0]; expected 2 weights > 0, one per class"),
        (["--class-weights", "1,2"], "spec.class_weights: got [1.0, 2.0]; expected None unless the loss is ce, or bce with one output"),
        (["--leaky-slope", "-1"], "spec.leaky_slope: got -1.0; expected a slope >= 0"),
    ],
)
def test_bad_input_for_the_new_fields_exits_2_with_one_line(argv, message, capsys, tmp_path):
    from compare.cli import main

    assert main(["run", *argv, "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0], err
    assert not (tmp_path / "o").exists()


def combined_spec(case: int, dtype: str = "float64"):
    """Random spec `case` drawing several tricks at once (seeded, replayable by id)."""
    rng = np.random.default_rng([2026, 17, case])
    optimizer = str(rng.choice(["sgd", "momentum", "nesterov", "adam"]))
    head = HEADS[int(rng.integers(4))]
    spec = matrix_spec(str(rng.choice(["leaky_relu", "gelu", "gelu_tanh", "tanh"])), head, optimizer, int(rng.integers(1, 3)))
    extra = {"epochs": 5, "dtype": dtype, "seed": int(rng.integers(1000)), "leaky_slope": float(rng.uniform(0, 0.3))}
    extra["lr"] = 0.01 if optimizer == "adam" else 0.05
    if rng.random() < 0.5:
        extra["l2"] = float(rng.uniform(0, 0.1))
    if optimizer == "adam" and rng.random() < 0.5:
        extra["weight_decay"] = float(rng.uniform(0, 0.1))
    if rng.random() < 0.3:
        extra["decay_biases"] = True
    if head[0] == "ce" and rng.random() < 0.5:
        extra.update(
            class_weights=tuple(float(w) for w in rng.uniform(0.2, 3, 3)), weight_reduction=str(rng.choice(["sum_weights", "batch"]))
        )
    if rng.random() < 0.5:
        extra["clip_norm" if case % 2 else "clip_value"] = float(rng.uniform(0.01, 0.5))
    if rng.random() < 0.5:
        schedule = str(rng.choice(["step", "exponential", "cosine", "inverse_time"]))
        rate = float(rng.uniform(0.05, 0.5)) if schedule == "inverse_time" else float(rng.uniform(0.5, 1.0))
        extra.update(schedule=schedule, schedule_every=str(rng.choice(["batch", "epoch"])))
        extra.update(
            {"decay_rate": rate} if schedule != "cosine" else {},
            **({"decay_steps": int(rng.integers(2, 12))} if schedule in ("step", "cosine") else {}),
        )
    if rng.random() < 0.5:
        extra["dropout"] = float(rng.uniform(0.05, 0.5))
    if rng.random() < 0.4:
        extra.update(batch_norm=True, bn_momentum=float(rng.uniform(0.05, 0.5)), bn_eps=float(10 ** rng.uniform(-5, -3)))
    return spec.replace(**extra)


def test_the_random_specs_draw_every_trick():
    specs = [combined_spec(case) for case in range(8)]
    assert any(s.clip_norm > 0 for s in specs) and any(s.clip_value > 0 for s in specs)
    assert len({s.schedule for s in specs}) >= 3 and len({s.schedule_every for s in specs if s.schedule != "constant"}) == 2
    assert any(s.dropout > 0 for s in specs) and any(s.batch_norm for s in specs) and any(s.class_weights for s in specs)
    assert any(s.l2 > 0 for s in specs) and any(s.weight_decay > 0 for s in specs) and any(s.decay_biases for s in specs)
    assert {"leaky_relu", "gelu_tanh"} <= {a for s in specs for a in s.activations} and len({s.loss for s in specs}) == 3


@pytest.mark.parametrize("case", range(8))
def test_random_specs_combining_the_tricks_agree_in_float64(case):
    spec = combined_spec(case)
    if spec.dropout > 0:
        grads = masked_first_grads(spec)
        for a, b in itertools.combinations(NAMES, 2):
            assert grads_rel(grads[a][1], grads[b][1]) <= GRAD_TOL, (spec, a, b)
    assert_agree(spec)


def test_the_tricks_agree_in_float32():
    spec = combined_spec(0, "float32").replace(l2=0.01, dropout=0.2, batch_norm=True, clip_value=0.1, clip_norm=0.0)
    grads = masked_first_grads(spec)
    for a, b in itertools.combinations(NAMES, 2):
        assert grads_rel(grads[a][1], grads[b][1]) <= 1e-5, (a, b)
    assert_agree(spec, grad_tol=1e-5, curve_tol=1e-5)
