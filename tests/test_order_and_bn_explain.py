"""The explainer names Keras's fit order ("Keras shuffles in fit") and batch norm's running statistics ("batch-norm
momentum 1 − m", Keras's biased moving variance), which it sees in the eval-mode losses after training."""

import json

import numpy as np
import pytest

from compare.cli import main
from compare.experiment.pipeline import prepare
from compare.explain import search
from compare.explain.catalogue import Natives
from compare.shared import harness, implementations, native
from compare.shared.spec import Spec

BASE = Spec(layers=(2, 8, 3), activation="tanh", loss="ce", dataset="blobs", optimizer="momentum", lr=0.05, epochs=3, batch_size=16,
            init="glorot_uniform", seed=3)  # fmt: skip
BN = BASE.replace(batch_norm=True)
KERAS_DEFAULT = 1 - 0.99  # BatchNormalization(momentum=0.99) in torch's sense


def names(finding) -> set:
    return {s.name for s in finding.best.switches}


def test_keras_fit_order_left_in_is_named_keras_shuffles_in_fit():
    data, init, schedule = prepare(BASE)
    order = native.keras_fit_order(BASE.seed, len(data.X_train), BASE.epochs)
    reference = harness.train("numpy", implementations.build("numpy", BASE, init), BASE, data, schedule).losses
    target = harness.train("tensorflow", implementations.build("tensorflow", BASE, init), BASE, data, order).losses
    assert abs(reference - target).max() > 1e-3  # the order alone makes a real gap
    finding = search.explain_curve(BASE, data, init, schedule, target, name="tensorflow")
    assert finding.explained and names(finding) == {"keras_shuffle"}, finding.sentence()
    assert finding.best.max_rel < 1e-12 and finding.best.label == "Keras shuffles in fit"
    assert "keras.utils.set_random_seed(3)" in finding.sentence() and "of the 10 mini-batches of 16" in finding.sentence()


# (spec, framework, its bn_momentum or None for the spec's own, the switches that explain it, its eval-mode gap at least)
CASES = {
    "keras default 0.99 vs torch 0.1": (BN, "tensorflow", KERAS_DEFAULT, {"bn_momentum_0.01", "keras_running_var"}, 0.1),
    "torch 0.1 vs 0.01": (BN.replace(bn_momentum=KERAS_DEFAULT), "torch", 0.1, {"bn_momentum_0.1"}, 0.1),
    "torch's 0.1 given to Keras": (BN, "tensorflow", 0.9, {"bn_momentum_0.9", "keras_running_var"}, 1e-3),
    "aligned: the moving variance only": (BN, "tensorflow", None, {"keras_running_var"}, 1e-2),
}


@pytest.mark.parametrize("case", CASES)
def test_batch_norm_momentum_left_in_is_seen_in_eval_mode_and_named(case):
    spec, framework, momentum, switches, eval_gap = CASES[case]
    data, init, schedule = prepare(spec)
    reference = harness.train("numpy", implementations.build("numpy", spec, init), spec, data, schedule)
    own = spec if momentum is None else spec.replace(bn_momentum=momentum)
    run = harness.train(framework, implementations.build(framework, own, init), own, data, schedule)
    assert abs(reference.losses - run.losses).max() < 1e-14  # training mode uses the batch's statistics: the curve cannot show it
    assert max(abs(reference.metrics[k] - run.metrics[k]) / run.metrics[k] for k in search.EVAL) > eval_gap
    assert search.explain_curve(spec, data, init, schedule, run.losses, name=framework).as_is  # without eval: blind to it
    finding = search.explain_curve(spec, data, init, schedule, run.losses, name=framework, target_eval=run.metrics)
    assert finding.explained and names(finding) == switches, finding.sentence()
    assert finding.best.max_rel < 1e-12 and finding.best.eval_rel < 1e-12
    if case == "keras default 0.99 vs torch 0.1":  # both numbers named, in both senses
        assert "Keras's default 0.99 is torch's 0.01, not torch's default 0.1" in finding.sentence()
        assert "with batches of 16 torch's is 1.0667× Keras's" in finding.sentence()


def test_torch_and_keras_on_their_batch_norm_momentum_defaults_differ_in_eval_mode_and_the_pair_says_why():
    data, init, schedule = prepare(BN)
    runs = {name: harness.train(name, implementations.build(name, spec, init), spec, data, schedule)
            for name, spec in (("torch", BN), ("tensorflow", BN.replace(bn_momentum=KERAS_DEFAULT)))}  # fmt: skip
    curves, evals = {n: h.losses for n, h in runs.items()}, {n: h.metrics for n, h in runs.items()}
    explanation = search.explain(BN, data, init, schedule, curves, evals=evals)
    assert explanation.explained and explanation.findings["torch"].as_is
    assert names(explanation.findings["tensorflow"]) == {"bn_momentum_0.01", "keras_running_var"}
    (pair,) = explanation.pairs  # the curves agree; the eval-mode losses do not
    assert pair.startswith("torch and tensorflow differ because Keras's BatchNormalization(momentum=k) weights the running value")
    assert "Keras's default 0.99 is torch's 0.01, not torch's default 0.1" in pair and "biased batch variance" in pair


def test_a_curve_that_matches_with_eval_mode_losses_that_do_not_is_not_explained():
    data, init, schedule = prepare(BN)
    odd = BN.replace(bn_momentum=0.5)  # no framework's default, nor 1 - 0.1
    run = harness.train("torch", implementations.build("torch", odd, init), odd, data, schedule)
    finding = search.explain_curve(BN, data, init, schedule, run.losses, name="torch", target_eval=run.metrics)
    assert not finding.explained and finding.best.eval_off and finding.best.steps == finding.best.total == 30
    assert "follows its whole curve (30 steps" in finding.sentence() and "not its eval-mode losses after training" in finding.sentence()
    assert search.explain(BN, data, init, schedule, {"torch": run.losses}, evals={"torch": run.metrics}).explained is False


def test_run_defaults_native_trains_tensorflow_on_keras_fit_order_records_it_and_explains_it(tmp_path, capsys):
    out = tmp_path / "run"
    argv = ["run", "--defaults", "native", "--dataset", "blobs", "--layers", "2,8,3", "--loss", "ce", "--activation", "tanh",
            "--optimizer", "momentum", "--lr", "0.05", "--epochs", "2", "--batch-norm", "--out", str(out)]  # fmt: skip
    assert main(argv) == 0
    text = capsys.readouterr().out
    assert "tensorflow: explained by" in text and "Keras's default initialisation and hyperparameters" in text
    for words in ["bn_momentum 0.01 (BatchNormalization's momentum 0.99 = 1 − m; the spec's 0.1)", "moving variance biased",
                  "the sample order of Model.fit(shuffle=True) seeded 0", "eval-mode losses after training to"]:  # fmt: skip
        assert words in " ".join(text.split()), words
    spec, data, init, schedule, curves, grads, evals, orders = search.load_bundle(out)
    assert set(orders) == {"tensorflow"} and (orders["tensorflow"] == native.keras_fit_order(0, len(data.X_train), 2)).all()
    assert "Model.fit(shuffle=True)" in json.loads((out / "environment.json").read_text())["native_orders"]["tensorflow"]
    assert main(["explain", str(out)]) == 0  # the bundle alone explains it
    # on the shared order instead of the one it trained on, Keras's own defaults no longer reproduce the run
    off = Natives(spec, schedule, {"tensorflow": np.asarray(schedule)})
    finding = search.explain_curve(
        spec, data, init, schedule, curves["tensorflow"], grads["tensorflow"], "tensorflow", off, evals["tensorflow"]
    )
    assert not finding.explained


def test_run_explain_on_an_aligned_batch_norm_run_names_keras_moving_variance(tmp_path, capsys):
    argv = ["run", "--dataset", "blobs", "--layers", "2,8,3", "--loss", "ce", "--activation", "tanh", "--lr", "0.05",
            "--epochs", "2", "--batch-norm", "--explain", "--out", str(tmp_path / "run")]  # fmt: skip
    assert main(argv) == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "tensorflow: explained by batch-norm running variance biased (Keras)" in text
    assert "numpy-keras: explained by batch-norm running variance biased (Keras)" in text
    assert "torch: matches the NumPy reference as is" in text and "not explained" not in text
