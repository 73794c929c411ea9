"""Dropout with shared masks and batch norm: agreement in float64 with the masks and the running statistics, finite
differences of both backward passes, train/eval mode; random specs combining every trick (float64, and float32 to
1e-5); bad values of the new fields refused in one line."""

import itertools

import numpy as np
import pytest

from compare.experiment.pipeline import prepare
from compare.shared import harness, implementations
from tests.helpers import NAMES, grads_rel
from tests.test_agreement import GRAD_TOL, HEADS, central_differences, matrix_spec
from tests.test_tricks_agree import CE, assert_agree


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


def test_a_runs_first_batch_gradients_are_taken_with_the_first_steps_dropout_masks():
    import compare

    spec = matrix_spec("relu", CE, "sgd", 2).replace(dropout=0.4, epochs=1, frameworks=("numpy", "torch"))
    result = compare.run(spec)
    expected = masked_first_grads(spec)["numpy"][1]
    assert grads_rel(result.grads["numpy"][1], expected) == 0.0 and grads_rel(result.grads["torch"][1], expected) <= GRAD_TOL


def test_a_toml_config_carries_every_new_field(tmp_path):
    import argparse

    from compare.commands.flags import add_spec_flags, spec_from_args

    config = tmp_path / "tricks.toml"
    config.write_text(
        'loss = "ce"\nlayers = [2, 8, 3]\ndataset = "blobs"\nactivation = "leaky_relu"\nleaky-slope = 0.2\nl2 = 0.01\n'
        'decay_biases = true\nclass_weights = [1, 2, 0.5]\nweight_reduction = "batch"\nclip_norm = 1.0\nschedule = "step"\n'
        'decay_rate = 0.5\ndecay_steps = 10\nschedule_every = "epoch"\ndropout = 0.2\nbatch_norm = true\nbn_momentum = 0.2\nbn_eps = 1e-3\n'
    )
    p = argparse.ArgumentParser()
    add_spec_flags(p)
    spec = spec_from_args(p.parse_args(["--config", str(config), "--l2", "0.05"]))
    assert (spec.leaky_slope, spec.l2, spec.decay_biases, spec.class_weights, spec.weight_reduction) == (
        0.2,
        0.05,
        True,
        (1.0, 2.0, 0.5),
        "batch",
    )
    assert (spec.clip_norm, spec.schedule, spec.decay_rate, spec.decay_steps, spec.schedule_every) == (1.0, "step", 0.5, 10, "epoch")
    assert (spec.dropout, spec.batch_norm, spec.bn_momentum, spec.bn_eps) == (0.2, True, 0.2, 1e-3)
