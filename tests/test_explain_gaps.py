"""The explainer names the right cause of generated gaps (plain torch and Keras loops with one convention changed, or
two; tests/gaps.py), a wrong one for none, and never a switch that changes nothing; the round-off bounds on a sample of
random networks hold, and a one-line slip falls outside them (tests/bound_study.py; docs/exact.md has the full runs)."""

import numpy as np
import pytest

from compare.experiment.pipeline import prepare
from compare.explain import search
from compare.explain.catalogue import switches
from compare.shared import harness, implementations
from tests import bound_study, gaps

SAMPLE = [("clip_eps_momentum", "float64"), ("coupled_decay", "float64"), ("rmsprop_alpha", "float64"), ("l2_in_optimizer", "float64"),
          ("momentum_form", "float64"), ("nesterov+sgd_lr", "float64"), ("dampening", "float32"), ("bn_affine+bn_eps", "float32")]  # fmt: skip


@pytest.mark.parametrize("name,dtype", SAMPLE, ids=[f"{n}-{d}" for n, d in SAMPLE])
def test_a_generated_gap_is_named_by_its_own_switches_and_nothing_else(name, dtype):
    finding, expected = gaps.run(name, dtype)
    assert finding.explained and {s.name for s in finding.best.switches} == expected, finding.sentence()
    assert finding.best.grad_ratio <= 1 and finding.best.tol_ratio <= 1


def test_the_sample_covers_singles_pairs_both_dtypes_and_a_change_nothing_can_see():
    expected = [({**gaps.GAPS, **gaps.PAIRS}[n][3], d) for n, d in SAMPLE]
    assert any(len(e) == 2 for e, _ in expected) and any(not e for e, _ in expected) and {d for _, d in expected} == {"float64", "float32"}
    assert len(gaps.cases()) >= 40


def test_a_switch_that_changes_nothing_is_never_named_and_float64_losses_are_never_called_float32():
    spec = gaps.BASE.replace(loss="bce", output="sigmoid")  # probabilities far from 0 and 1: clipping them changes nothing
    data, init, order = prepare(spec)
    run = harness.train("torch", implementations.build("torch", spec, init), spec, data, order).losses
    names = {s.name for s in switches(spec, len(data.X_train))}
    assert {"keras_probs", "torch_probs", "float32", "sum_loss"} <= names
    finding = search.explain_curve(spec, data, init, order, run * (1 + 3e-10), name="torch")  # a gap no convention makes
    assert not finding.explained and finding.best.dtype == "float64"
    assert "float32" not in finding.sentence() and "probabilities" not in finding.best.label


@pytest.mark.parametrize("case,dtype", [(0, "float64"), (5, "float32")])
def test_on_random_networks_every_framework_is_within_its_bound_an_ulp_is_too_and_a_slip_is_not(case, dtype):
    shares = bound_study.measure(bound_study.random_spec(case, dtype))
    assert max(shares[k] for k in (*bound_study.FRAMEWORKS, "ulp")) <= 1 < min(shares["factor"], shares["transpose"]), shares
    assert 0 < shares["numpy"] and shares["factor"] > 10 * np.max([shares[k] for k in bound_study.FRAMEWORKS])


def test_a_rounding_that_changes_nothing_alone_is_named_with_the_defaults_that_give_it_something_to_round():
    from compare.experiment import pipeline
    from compare.shared.spec import Spec

    spec = Spec(layers=(2, 8, 1), activation="tanh", epochs=2, batch_size=32)  # lr 0.5 is a float32 number; Keras's own 0.01 is not
    assert np.float32(spec.lr) == spec.lr and np.float64(np.float32(0.01)) != 0.01
    finding = search.explain_result(pipeline.run(spec, defaults="native", exact="off")).findings["tensorflow"]
    assert finding.explained and {s.name for s in finding.best.switches} == {"keras_defaults", "float32_hyper"}, finding.sentence()
