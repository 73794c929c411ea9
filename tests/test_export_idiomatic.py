"""Idiomatic scripts run, and their difference from the bundle is the one their opening names: the bundle's run replayed
on the framework's own initial weights, its own sample order and (Keras) its float32-rounded Python-float
hyperparameters gives their curves to round-off, while the bundle's own run is far from them."""

import numpy as np
import pytest

from compare.export import words
from compare.export.source import read
from compare.shared import harness, implementations, native
from tests.exports import IDIOMATIC
from tests.test_export_faithful import reference, worst

NAMED = [name for name, spec in IDIOMATIC.items() if spec.dropout == 0 and spec.l2 == 0]  # differences a replay can put in


@pytest.fixture
def keras_float64():
    """Keras's floatx and dtype policy in float64, as the scripts set them, restored after."""
    keras = native.load_keras()
    before, policy = keras.config.floatx(), keras.config.dtype_policy()
    keras.config.set_floatx("float64")
    keras.config.set_dtype_policy("float64")
    yield keras
    keras.config.set_floatx(before)
    keras.config.set_dtype_policy(policy)


def replay(spec, framework: str):
    """The bundle's run with the named differences put in: the framework's own init and order, Keras's Python floats."""
    source = read(spec)
    n = len(source.data.X_train)
    if framework == "torch":
        model = implementations.build("torch", spec, native.init("torch", spec))
        return harness.train("torch", model, spec, source.data, native.torch_loader_order(spec, n))
    model = implementations.build("tensorflow", spec, native.init("tensorflow", spec), python_floats=True)
    return harness.train("tensorflow", model, spec, source.data, native.keras_fit_order(spec.seed, n, spec.epochs))


@pytest.mark.parametrize("framework", ["torch", "keras"])
@pytest.mark.parametrize("name", NAMED)
def test_an_idiomatic_script_differs_from_the_bundle_by_exactly_what_its_opening_names(exported, name, framework, keras_float64):
    spec, folder = IDIOMATIC[name], exported[name]
    opening = (folder / f"{framework}_train.py").read_text().split('"""')[1]
    for line in words.differences(spec, framework):
        assert line.split(":")[0] in opening
    named_curve, named_final = worst(folder, framework, replay(spec, framework))
    bundle_curve, bundle_final = worst(folder, framework, reference(spec, framework))
    tolerance = 1e-12 if framework == "torch" else 1e-10  # Keras: each loss recovered from fit's running mean
    assert named_curve <= tolerance and named_final <= 1e-12, (named_curve, named_final)
    assert bundle_curve > 1e-3 and bundle_final > 1e-2, (bundle_curve, bundle_final)
    print(f"{name} {framework}: from the bundle {bundle_curve:.2g} (curve) {bundle_final:.2g} (weights); replayed {named_curve:.1e}")


@pytest.mark.parametrize("framework", ["torch", "keras"])
def test_an_idiomatic_script_with_its_own_dropout_and_l2_runs_and_names_them(exported, framework):
    name = "idiomatic-dropout-l2-leaky-gelu"
    spec, folder = IDIOMATIC[name], exported[name]
    opening = (folder / f"{framework}_train.py").read_text().split('"""')[1]
    assert ("nn.Dropout(p=0.2)" if framework == "torch" else "keras.layers.Dropout(0.2)") in opening
    assert ("weight_decay=0.01" if framework == "torch" else "keras.regularizers.L2(0.005)") in opening
    curve, final = worst(folder, framework, reference(spec, framework))
    assert curve > 1e-3 and final > 1e-2
    losses = np.load(folder / f"{framework}_losses.npy")
    assert np.isfinite(losses).all() and losses[-1] < losses[0]


def curve_gap(a, b) -> float:
    return float((np.abs(a.losses - b.losses) / np.maximum(np.abs(a.losses), np.abs(b.losses))).max())


@pytest.mark.parametrize("framework", ["torch", "keras"])
def test_each_difference_an_idiomatic_opening_names_moves_the_curve_on_its_own(framework, keras_float64):
    spec = IDIOMATIC["idiomatic-adam-relu-bce"]
    source = read(spec)
    n, run = len(source.data.X_train), "torch" if framework == "torch" else "numpy-keras"
    own_init = native.init(run if framework == "torch" else "tensorflow", spec)
    own_order = native.torch_loader_order(spec, n) if framework == "torch" else native.keras_fit_order(spec.seed, n, spec.epochs)

    def train(name, init, order, **options):
        return harness.train(name, implementations.build(name, spec, init, **options), spec, source.data, order)

    bundle = train(run, source.init, source.schedule)
    effects = {"own initial weights": curve_gap(train(run, own_init, source.schedule), bundle)}
    effects["own sample order"] = curve_gap(train(run, source.init, own_order), bundle)
    if framework == "keras":  # Keras's own rounding of Python-float hyperparameters, alone
        aligned = train("tensorflow", source.init, source.schedule)
        effects["float32 hyperparameters"] = curve_gap(train("tensorflow", source.init, source.schedule, python_floats=True), aligned)
    print(framework, {k: f"{v:.1e}" for k, v in effects.items()})
    assert effects["own initial weights"] > 1e-3 and effects["own sample order"] > 1e-3
    assert effects.get("float32 hyperparameters", 1.0) > 1e-12  # beyond float64 round-off: beta_1 0.9 is 0.8999999762
