"""native.keras_fit_order is the order Keras's own Model.fit(shuffle=True) trains on: a real fit and our TensorFlow
implementation trained on that order end on the same weights, bit for bit."""

import numpy as np
import pytest

from compare.experiment.pipeline import prepare
from compare.shared import harness, implementations, native
from compare.shared.spec import Spec

SPEC = Spec(layers=(2, 5, 1), activation="tanh", loss="mse", output="identity", lr=0.1, epochs=3, batch_size=16, seed=3)


@pytest.fixture
def keras_float64():
    keras = native.load_keras()
    before, policy = keras.config.floatx(), keras.config.dtype_policy()
    keras.config.set_floatx("float64")  # process-global: the model, its loss and its learning rate in float64
    keras.config.set_dtype_policy("float64")  # a layer built earlier in this process fixed the policy at floatx then
    yield keras
    keras.config.set_floatx(before)
    keras.config.set_dtype_policy(policy)


def fit(keras, spec: Spec, data, init) -> list[np.ndarray]:
    """Final weights of keras.Model.fit(shuffle=True) from `init`, seeded as a learner seeds Keras."""
    model = keras.Sequential([keras.Input((spec.layers[0],)), keras.layers.Dense(spec.layers[1], activation="tanh"), keras.layers.Dense(1)])
    model.set_weights([t for pair in init for t in pair])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=spec.lr), loss="mse")
    keras.utils.set_random_seed(spec.seed)
    model.fit(data.X_train, data.y_train, batch_size=spec.batch_size, epochs=spec.epochs, shuffle=True, verbose=0)
    return model.get_weights()


def trained_on(spec: Spec, data, init, order) -> list[np.ndarray]:
    model = implementations.build("tensorflow", spec, init)
    return [t for pair in harness.train("tensorflow", model, spec, data, order).final for t in pair]


@pytest.mark.parametrize("spec", [SPEC, SPEC.replace(seed=11, batch_size=32, epochs=2)], ids=["seed3-batch16", "seed11-batch32"])
def test_a_real_fit_trains_on_keras_fit_order(keras_float64, spec):
    data, init, schedule = prepare(spec)
    n = len(data.X_train)
    assert n % spec.batch_size  # a partial last batch, as fit makes it
    order = native.keras_fit_order(spec.seed, n, spec.epochs)
    assert order.shape == (spec.epochs, n) and (np.sort(order, axis=1) == np.arange(n)).all()
    assert (order == order[0]).all()  # under a fixed seed every epoch repeats the first one's permutation
    reference = fit(keras_float64, spec, data, init)
    ours = trained_on(spec, data, init, order)
    assert max(abs(a - b).max() for a, b in zip(reference, ours)) == 0.0
    harness_order = trained_on(spec, data, init, np.asarray(schedule))  # the suite's own order: a real gap
    assert max(abs(a - b).max() for a, b in zip(reference, harness_order)) > 1e-3


def test_keras_fit_order_is_one_permutation_per_seed():
    a, b = native.keras_fit_order(0, 40, 2), native.keras_fit_order(1, 40, 2)
    assert (a == native.keras_fit_order(0, 40, 2)).all() and (a != b).any()
