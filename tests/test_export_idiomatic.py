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
