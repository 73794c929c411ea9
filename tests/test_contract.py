"""The three MLPs keep one contract (compare/shared/contract.py): every method, its parameters and defaults, in the
contract's order; and the one `loss` signature means the same number in all three, training mode included."""

import inspect

import pytest

from compare.learner.batches import first_batch
from compare.shared import harness, implementations
from compare.shared.contract import METHODS, MLP
from compare.shared.spec import Spec

NAMES = ("numpy", "torch", "tensorflow")
SPEC = Spec(layers=(2, 5, 4, 1), dropout=0.3, batch_norm=True, l2=0.01, frameworks=NAMES)


def _signature(fn) -> list[tuple[str, object]]:
    return [(p.name, p.default) for p in inspect.signature(fn).parameters.values()]


@pytest.mark.parametrize("name", NAMES)
def test_each_mlp_has_the_contracts_methods_signatures_and_order(name):
    params, _, _ = first_batch(SPEC)
    model = implementations.build(name, SPEC, params)
    cls = type(model)
    assert isinstance(model, MLP)
    for method in METHODS:
        assert _signature(getattr(cls, method)) == _signature(getattr(MLP, method)), (name, method)
    defined = [m for m in cls.__dict__ if m in METHODS]
    assert defined == list(METHODS), name


def test_loss_means_the_same_number_in_all_three_in_training_mode_too():
    params, X, y = first_batch(SPEC)
    masks = harness.Dropout(SPEC).draw(len(X))
    models = {name: implementations.build(name, SPEC, params) for name in NAMES}
    evaluation = {name: m.loss(X, y) for name, m in models.items()}
    training = {name: m.loss(X, y, masks, training=True) for name, m in models.items()}
    gradients = {name: m.gradients(X, y, masks)[0] for name, m in models.items()}
    assert abs(training["numpy"] - evaluation["numpy"]) > 1e-3  # dropout and the batch's statistics change it
    for name in NAMES:
        assert training[name] == pytest.approx(training["numpy"], rel=1e-12, abs=0)
        assert evaluation[name] == pytest.approx(evaluation["numpy"], rel=1e-12, abs=0)
        assert training[name] == pytest.approx(gradients[name], rel=1e-12, abs=0)  # what gradients() differentiates
        assert models[name].loss(X, y) == evaluation[name]  # training mode left the running statistics as they were
