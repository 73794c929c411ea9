"""The explainer names the training-trick default left in a framework's run: L2 ×2, biases decayed, the weighted
mean's denominator, Keras's per-tensor clipnorm, the schedule's stepping, leaky ReLU's slope, GELU's form, batch-norm eps."""

import pytest

from compare.experiment.pipeline import prepare
from compare.explain import search
from compare.shared import harness, implementations
from compare.shared.spec import Spec

BASE = Spec(layers=(2, 8, 3), activation="tanh", loss="ce", dataset="blobs", optimizer="momentum", lr=0.05, epochs=3, batch_size=16,
            init="glorot_uniform", seed=3)  # fmt: skip

CASES = [
    ("keras_l2", {"l2": 0.05}, "tensorflow", {"l2": 0.1}, {}),  # Keras's l2(0.05) is 0.05 ΣW²
    ("decay_biases", {"l2": 0.05}, "torch", {"decay_biases": True}, {}),  # torch's weight_decay on every parameter
    ("weighted_mean", {"class_weights": (1.0, 3.0, 0.5)}, "tensorflow", {"weight_reduction": "batch"}, {}),
    ("keras_clipnorm", {"clip_norm": 0.05, "optimizer": "sgd"}, "tensorflow", {}, {"per_tensor_clipnorm": True}),
    ("schedule_every", {"schedule": "exponential", "decay_rate": 0.8, "optimizer": "sgd"}, "torch", {"schedule_every": "epoch"}, {}),
    ("leaky_0.3", {"activation": "leaky_relu", "leaky_slope": 0.01}, "tensorflow", {"leaky_slope": 0.3}, {}),
    ("gelu_form", {"activation": "gelu"}, "tensorflow", {"activation": "gelu_tanh"}, {}),
    ("bn_eps_0.001", {"batch_norm": True}, "tensorflow", {"bn_eps": 1e-3}, {}),
]


@pytest.mark.parametrize("switch,extra,framework,left_in,options", CASES, ids=[c[0] for c in CASES])
def test_explain_names_the_training_trick_default_left_in(switch, extra, framework, left_in, options):
    spec = BASE.replace(**extra)
    data, init, order = prepare(spec)
    reference = harness.train("numpy", implementations.build("numpy", spec, init), spec, data, order).losses
    target = harness.train(framework, implementations.build(framework, spec.replace(**left_in), init, **options), spec, data, order).losses
    assert abs(reference - target).max() > 1e-8  # the default makes a real gap
    finding = search.explain_curve(spec, data, init, order, target, name=framework)
    assert finding.explained and {s.name for s in finding.best.switches} == {switch}, finding.sentence()
    assert finding.best.max_rel < 1e-12


def test_the_causes_table_names_only_rows_and_switches_that_exist():
    from compare.defaults import causes
    from compare.defaults.table import KEYS
    from compare.explain.catalogue import switches

    everything = BASE.replace(optimizer="adam", l2=0.01, class_weights=(1.0, 2.0, 3.0), schedule="cosine", decay_steps=10,
                              activation="leaky_relu", leaky_slope=0.05, batch_norm=True, bn_eps=1e-4, clip_norm=1.0)  # fmt: skip
    names = {s.name for s in switches(everything, n_train=100)}  # mini-batches of 16: Keras's fit order can matter
    names |= {s.name for s in switches(everything.replace(activation="gelu", bn_momentum=0.01))}
    names |= {s.name for s in switches(BASE.replace(optimizer="rmsprop", rho=0.5))} | {s.name for s in switches(BASE)}  # alpha/rho; SGD's
    names |= {"float32", "float32_hyper"}  # float64 specs only
    assert len(causes.CAUSES) == 25 and causes.summary() == "covered 20, partial 4, missing 1 of 25"
    for cause, rows, named, status in causes.CAUSES:
        assert set(rows) <= set(KEYS), cause
        assert set(named) <= names, (cause, set(named) - names)
        assert status.split()[0] in ("covered", "partial", "missing") and (status.startswith("missing") == (not rows and not named))


def test_each_switch_changes_only_its_own_field_when_several_tricks_are_on():
    from compare.explain import tricks

    spec = BASE.replace(class_weights=(1.0, 2.0, 3.0), schedule="exponential", decay_rate=0.9, l2=0.01, activation="gelu", batch_norm=True)
    moved = {
        name: {k for k, v in change(spec).to_dict().items() if v != spec.to_dict()[k]}
        for name, (_, _, change) in tricks.changes(spec).items()
    }
    assert moved == {"keras_l2": {"l2"}, "decay_biases": {"decay_biases"}, "weighted_mean": {"weight_reduction"},
                     "schedule_every": {"schedule_every"}, "gelu_form": {"activation"}, "bn_eps_0.001": {"bn_eps"},
                     "bn_momentum_0.01": {"bn_momentum"}, "bn_momentum_0.9": {"bn_momentum"}}  # fmt: skip


def test_defaults_native_runs_the_tricks_as_each_framework_idiom_has_them_and_explain_accounts_for_both():
    from compare.experiment import pipeline
    from compare.shared import native

    spec = BASE.replace(activation="leaky_relu", l2=0.01, batch_norm=True, class_weights=(1.0, 2.0, 0.5))
    torch_own, keras_own = native.tricks("torch", spec), native.tricks("tensorflow", spec)
    assert torch_own == {"decay_biases": True, "weight_reduction": "sum_weights", "leaky_slope": 0.01, "bn_momentum": 0.1, "bn_eps": 1e-5}
    assert keras_own["l2"] == 0.02 and keras_own["weight_reduction"] == "batch" and keras_own["leaky_slope"] == 0.2
    assert keras_own["bn_momentum"] == pytest.approx(0.01) and keras_own["bn_eps"] == 1e-3
    result = pipeline.run(spec, defaults="native")
    finding = search.explain(spec, result.data, result.init, result.schedule, {n: h.losses for n, h in result.histories.items()}, {})
    assert finding.explained, finding.text()
    assert {s.name for s in finding.findings["torch"].best.switches} == {"torch_defaults"}
    assert "keras_defaults" in {s.name for s in finding.findings["tensorflow"].best.switches}
    assert "for the training tricks: decay_biases True" in finding.findings["torch"].sentence()


def test_a_dropout_run_is_matched_as_is_with_its_first_steps_masks():
    from compare.experiment import pipeline

    spec = BASE.replace(dropout=0.3, frameworks=("numpy", "torch"))
    result = pipeline.run(spec)
    curves = {n: h.losses for n, h in result.histories.items()}
    grads = {n: g[1] for n, g in result.grads.items()}
    finding = search.explain(spec, result.data, result.init, result.schedule, curves, grads).findings["torch"]
    assert finding.as_is and finding.best.grad_rel < 1e-13 and finding.best.max_rel < 1e-13, finding.sentence()
