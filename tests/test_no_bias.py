"""Networks without biases (spec.bias = false): the spec field, the weights, the three frameworks agreeing to round-off
with every optimizer, loss and trick, finite differences, and every explain switch on such a network."""

import itertools

import numpy as np
import pytest

import compare
from compare.agree import finite_diff
from compare.errors import SpecError
from compare.experiment import pipeline
from compare.explain.catalogue import Natives, switches
from compare.explain.switches import reference
from compare.shared import harness, implementations, weights
from compare.shared.spec import Spec
from tests.helpers import NAMES, grads_rel, rel

BASE = dict(n_samples=100, test_fraction=0.2, batch_size=20, epochs=10, init="glorot_uniform", seed=3, bias=False)
# every optimizer, every loss and output, and every trick, each in at least one float64 case
CASES = {
    "momentum-ce-sigmoid": dict(optimizer="momentum", lr=0.1, loss="ce", layers=(2, 8, 3), dataset="blobs"),  # all 6 pairs agree
    "sgd-mse-identity-batch_norm": dict(optimizer="sgd", lr=0.1, loss="mse", output="identity", batch_norm=True),
    "momentum-mse-sigmoid-l2-clip_norm": dict(optimizer="momentum", lr=0.1, activation="tanh", l2=0.01, clip_norm=0.5),
    "nesterov-bce-relu-dropout-step": dict(
        optimizer="nesterov", lr=0.05, loss="bce", activation="relu", dropout=0.2, schedule="step", decay_rate=0.5,
        decay_steps=3, schedule_every="epoch",
    ),
    "adam-ce-gelu-weight_decay-clip_value-cosine": dict(
        optimizer="adam", lr=0.01, loss="ce", layers=(2, 8, 3), dataset="blobs", activation="gelu", weight_decay=0.01,
        clip_value=0.05, schedule="cosine", decay_steps=30,
    ),
    "rmsprop-bce-leaky-class_weights-l2-batch_norm-dropout": dict(
        optimizer="rmsprop", lr=0.005, loss="bce", activation="leaky_relu", class_weights=(1.0, 2.0), l2=0.01,
        batch_norm=True, dropout=0.1,
    ),
    "adam-mse-identity-everything": dict(
        optimizer="adam", lr=0.01, loss="mse", output="identity", layers=(2, 8, 6, 1), activation="tanh", l2=0.01,
        batch_norm=True, dropout=0.2, clip_norm=1.0, schedule="exponential", decay_rate=0.95,
    ),
}  # fmt: skip
GRAD_TOL = {"float64": 1e-13, "float32": 1e-5}  # relative, per tensor: float64's is 10x tighter than the suite's own


def no_bias_spec(dtype="float64", **fields) -> Spec:
    return Spec(**{"layers": (2, 8, 1), "dtype": dtype, **BASE, **fields})


def test_bias_is_a_validated_spec_field_shown_in_short_only_when_false():
    assert Spec().bias and "nobias" not in Spec().short()
    assert Spec(bias=False).short() == "2-4-1 nobias sigmoid mse+sigmoid sgd lr=0.5 f64 moons"
    with pytest.raises(SpecError, match=r"^spec\.bias: got 'no'; expected true or false$"):
        Spec(bias="no")
    with pytest.raises(SpecError) as e:
        Spec(bias=False, decay_biases=True, l2=0.01)
    assert str(e.value) == "spec.decay_biases: got True; expected false when bias is false (a network without biases has none to decay)"


def test_weights_without_biases_are_the_biased_networks_w_and_save_without_b_keys(tmp_path):
    spec = Spec(layers=(2, 5, 4, 1), init="small_normal", seed=11)
    biased, bare = weights.init(spec), weights.init(spec.replace(bias=False))
    assert all(b is None for _, b in bare) and all(np.array_equal(W, Wb) for (W, _), (Wb, _) in zip(bare, biased))
    assert weights.names(3, "d", bias=False) == ["dW1", "dW2", "dW3"] and weights.names(2) == ["W1", "b1", "W2", "b2"]
    assert list(weights.to_dict(bare)) == ["W1", "W2", "W3"] and list(weights.to_dict(biased)) == ["W1", "b1", "W2", "b2", "W3", "b3"]
    weights.save(tmp_path / "init.npz", bare)
    with np.load(tmp_path / "init.npz") as f:
        assert sorted(f.files) == ["W1", "W2", "W3"]
    back = weights.load(tmp_path / "init.npz")
    assert all(b is None and np.array_equal(W, W0) for (W, b), (W0, _) in zip(back, bare))


@pytest.mark.parametrize("name", NAMES)
def test_each_framework_without_biases_is_the_biased_network_with_its_biases_at_zero(name):
    """No b at all gives what b = 0 gives (the same dW, bit for bit up to a sum's order), and b != 0 does not."""
    spec = no_bias_spec(activation="tanh", loss="bce", layers=(2, 8, 6, 1), init="small_uniform")  # biases drawn, not 0
    data, init, order = pipeline.prepare(spec)
    X, y = pipeline.first_batch(spec, data, order)
    _, bare = implementations.build(name, spec, init).gradients(X, y)
    assert [(dW.shape, db) for dW, db in bare] == [((2, 8), None), ((8, 6), None), ((6, 1), None)]
    biased = spec.replace(bias=True)
    zeros = [(W, np.zeros(W.shape[1])) for W, _ in init]
    _, at_zero = implementations.build(name, biased, zeros).gradients(X, y)
    assert max(rel(dW, dZ) for (dW, _), (dZ, _) in zip(bare, at_zero)) <= 1e-15
    _, shifted = implementations.build(name, biased, weights.init(biased)).gradients(X, y)
    assert max(rel(dW, dS) for (dW, _), (dS, _) in zip(bare, shifted)) > 1e-2


@pytest.mark.parametrize("dtype,case", [("float64", c) for c in CASES] + [("float32", "sgd-mse-identity-batch_norm"),
                                                                          ("float32", "adam-mse-identity-everything")])  # fmt: skip
def test_three_frameworks_without_biases_agree_to_round_off(dtype, case):
    spec = no_bias_spec(dtype, **CASES[case])
    result = compare.run(spec)
    grads = {name: g for name, (_, g) in result.grads.items()}
    assert list(grads) == implementations.runs_for(spec) and all(db is None for g in grads.values() for _, db in g)
    for a, b in itertools.combinations(grads, 2):
        assert grads_rel(grads[a], grads[b]) <= GRAD_TOL[dtype], (a, b)
    table = result.tables["gradients"]
    assert set(table["tensor"]) == {f"dW{i}" for i in range(1, len(spec.layers))}  # no db rows
    agree = result.tables["agreement"]
    assert agree["should_agree"].sum() >= 2 and agree[agree["should_agree"] == True]["pass"].all()  # noqa: E712
    assert result.ok and all(h.ok for h in result.histories.values())


def test_finite_differences_check_a_network_without_biases_and_catch_a_wrong_tensor():
    spec = no_bias_spec(activation="sigmoid", layers=(2, 5, 4, 1), batch_size=8)
    data, init, order = pipeline.prepare(spec)
    X, y = pipeline.first_batch(spec, data, order)
    fd = pipeline.finite_differences(spec, init, X, y)
    assert list(fd["tensor"]) == ["dW1", "dW2", "dW3"] and list(fd["checked"]) == [10, 20, 4]
    assert (fd["grade"] == "good").all() and fd["max_rel_error"].max() < 1e-7
    model = implementations.build("numpy", spec, init)
    _, grads = model.gradients(X, y)
    grads[1] = (1.01 * grads[1][0], None)  # a 1% slip in one tensor

    def loss(params):
        model.set_params(params)
        return model.loss(X, y)

    slipped = finite_diff.check(loss, init, grads, weights.names(3, "d", bias=False))
    assert list(slipped["max_rel_error"] > 1e-3) == [False, True, False] and slipped["grade"][1] == "suspicious"


def test_every_explain_switch_builds_a_reference_without_biases_that_trains():
    spec = no_bias_spec(optimizer="adam", lr=0.01, loss="ce", layers=(2, 8, 3), dataset="blobs", activation="leaky_relu",
                        l2=0.01, clip_norm=1.0, batch_norm=True, dropout=0.1, class_weights=(1.0, 2.0, 1.0),
                        schedule="exponential", decay_rate=0.9, batch_size=16)  # fmt: skip
    data, init, order = pipeline.prepare(spec)
    natives = Natives(spec, order)
    available = switches(spec, data.X_train.shape[0], natives)
    names = {s.name for s in available}
    assert {"torch_defaults", "keras_defaults", "keras_l2", "keras_clipnorm", "float32"} <= names and "decay_biases" not in names
    idx = order[0, : spec.batch_size]
    for switch in available:
        model, dtype = reference(spec, init, {switch.name}, natives)
        X, y = data.X_train[idx].astype(dtype), data.y_train[idx]
        dropout = harness.Dropout(spec.replace(dtype=dtype))
        _, grads = model.gradients(X, y, dropout.draw(len(idx)))
        assert all(db is None for _, db in weights.linear(grads)), switch.name  # a learned scale and shift (bn_affine) has its beta
        assert np.isfinite(harness.step(model, X, y, dropout)), switch.name


def test_the_optimizer_check_refuses_a_network_without_biases_in_one_line():
    def fn(params, X, y):  # never called: the spec is refused first
        raise AssertionError

    with pytest.raises(SpecError, match=r"^spec\.bias: got False; expected true: compare\.check_optimizer takes"):
        compare.check_optimizer(fn, "sgd", bias=False)
