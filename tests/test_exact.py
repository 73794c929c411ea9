"""The exact reference: the long-double NumPy reference against an independent Fraction computation (every activation,
loss and optimizer, both update rules, batch norm, L2), ulps measured as their definition says, and each run's distance
from it in a bundle."""

from fractions import Fraction

import numpy as np
import pytest

from compare.agree import ulps
from compare.exact import extended, measure
from compare.exact.oracle import erf, exp, rnd
from compare.exact.oracle_net import Oracle
from compare.experiment.pipeline import prepare
from compare.shared import weights
from compare.shared.spec import Spec

TINY = Spec(layers=(2, 3, 1), batch_size=4, epochs=1, seed=3, init="glorot_uniform", lr=0.05)
CASES = [{"activation": a} for a in ("sigmoid", "tanh", "relu", "leaky_relu", "gelu", "gelu_tanh")]
CASES += [{"loss": "mse", "output": "identity"}, {"loss": "bce"}, {"loss": "ce", "layers": (2, 3, 3), "dataset": "blobs"}]
CASES += [{"optimizer": o} for o in ("momentum", "nesterov", "adam", "rmsprop")]
CASES += [{"bias": False, "l2": 0.1}, {"l2": 0.1, "decay_biases": True}, {"batch_norm": True, "bn_affine": True, "layers": (2, 3, 3, 1)}]


def _fraction(x) -> Fraction:
    """A long double exactly, as a Fraction (hi + lo: both float64)."""
    hi, lo = extended.split(x)
    return Fraction(float(hi)) + Fraction(float(lo))


def worst(computed, oracle) -> float:
    """max |computed - oracle| / max |oracle| over a tensor (a loss value: one entry)."""
    computed = np.ravel(np.asarray(computed, np.longdouble))
    oracle = np.ravel(np.array(oracle, dtype=object))
    scale = max(abs(v) for v in oracle)
    return float(max(abs(_fraction(a) - b) for a, b in zip(computed, oracle)) / (scale or 1))


@pytest.mark.parametrize("changes", CASES, ids=lambda c: "-".join(f"{k}={v}" for k, v in c.items() if k != "layers"))
def test_long_double_reference_agrees_with_the_fraction_oracle_over_three_steps(changes):
    spec = TINY.replace(**changes)
    data, init, order = prepare(spec)
    errors = []
    for rules in ("torch", "keras"):
        ld, oracle = extended.build(spec, init, rules), Oracle(spec, init, rules)
        for step in range(3):
            idx = order[0, 4 * step : 4 * step + 4]
            X, y = data.X_train[idx], data.y_train[idx]
            wide = y.astype(np.longdouble) if y.dtype.kind == "f" else y
            (loss, grads), (o_loss, o_grads) = ld.gradients(X.astype(np.longdouble), wide), oracle.net.gradients(X, y)
            errors += [worst([loss], [o_loss])] + [worst(g, o) for g, o in zip(weights.tensors(grads), o_grads)]
            assert worst([ld.train_step(X.astype(np.longdouble), wide)], [oracle.net.train_step(X, y)]) <= 4e-18
    # batch norm on 4 samples and a bias summing 4 terms of mixed sign amplify the long double's 5.4e-20 by cancellation
    tight = not spec.batch_norm
    assert max(errors) <= (4e-18 if tight else 3e-17) and np.median(errors) <= (3e-19 if tight else 1e-18), (max(errors), np.median(errors))


def test_float64_would_fail_the_oracle_check():
    import scratch

    data, init, order = prepare(TINY)
    X, y = data.X_train[order[0, :4]], data.y_train[order[0, :4]]
    _, grads = scratch.make(TINY, init).gradients(X, y)
    assert max(worst(g, o) for g, o in zip(weights.tensors(grads), Oracle(TINY, init).net.gradients(X, y)[1])) > 1e-17


def test_the_oracles_functions_are_exact_to_far_past_a_long_double():
    assert abs(exp(Fraction(1)) - Fraction("2.71828182845904523536028747135266249775724709369995")) < Fraction(1, 10**45)
    assert abs(erf(Fraction(1, 2)) - Fraction("0.520499877813046537682746653891964528736451575757963")) < Fraction(1, 10**45)
    assert abs(erf(Fraction(-3)) + Fraction("0.999977909503001414558627223870417679620")) < Fraction(1, 10**38)
    assert rnd(Fraction(1, 3)) != Fraction(1, 3) and abs(rnd(Fraction(1, 3)) - Fraction(1, 3)) < Fraction(1, 2**256)


def test_a_long_double_survives_the_bundles_hi_lo_storage_bit_for_bit():
    x = np.longdouble(1) / 3 + np.arange(5, dtype=np.longdouble) * np.longdouble(2) ** -60
    hi, lo = extended.split(x)
    assert hi.dtype == lo.dtype == np.float64 and np.array_equal(extended.join(hi, lo), x)
    assert len(set(x.tolist())) == 5 and len(set(hi.tolist())) == 1  # the low bits live in lo


def test_ulps_count_spacings_of_the_runs_dtype():
    assert ulps.ulp(1.0, "float64") == 2.0**-52 and ulps.ulp(1.5, "float64") == 2.0**-52 and ulps.ulp(0.75, "float64") == 2.0**-53
    assert ulps.ulp(-1.0, "float32") == 2.0**-23 and ulps.ulp(0.0, "float32") == 2.0**-149 and ulps.ulp(1e-310, "float64") == 2.0**-1074
    one = np.longdouble(1)
    assert ulps.distance(np.nextafter(1.0, 2.0), one, "float64") == 1.0
    assert ulps.distance(np.float32(1) + np.float32(2**-23) * 3, one, "float32") == 3.0
    assert ulps.distance(1.0, one + np.longdouble(2) ** -54, "float64") == 0.25  # a quarter of a float64 spacing
    assert ulps.summary([1.0, 1.0, np.nextafter(1.0, 2.0) + 2**-52], [one] * 3, "float64") == {"ulps_max": 2.0, "ulps_median": 0.0}
    assert ulps.ratio(np.array([0.0, 1.0]), np.array([0.0, 4.0])) == 0.25 and ulps.ratio(np.array([1e-30]), np.array([0.0])) == np.inf


def test_auto_takes_the_whole_exact_curve_on_the_default_problem_and_part_of_a_large_one():
    assert measure.plan(Spec(), 1000, "auto") == 1000 and measure.plan(Spec(), 1000, "off") == 0
    big = Spec(layers=(64, 128, 64, 10), loss="ce", dataset="digits", batch_size=128, activation="relu")
    assert 1 <= measure.plan(big, 1000, "auto") < 200 and measure.plan(big, 1000, "on") == 1000 and measure.plan(big, 0, "on") == 0


def test_each_run_meets_the_exact_reference_of_its_own_update_rules():
    names = ["numpy", "numpy-keras", "torch", "tensorflow"]
    assert set(measure.conventions(Spec(optimizer="adam"), names).values()) == {"torch", "keras"}
    assert measure.conventions(Spec(optimizer="adam"), names)["tensorflow"] == "keras"
    assert set(measure.conventions(Spec(optimizer="momentum"), names).values()) == {"torch"}  # the same curve either way
    assert set(measure.conventions(Spec(batch_norm=True), names).values()) == {"torch"}  # running statistics: eval only
