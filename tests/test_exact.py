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


def _errors(spec, losses: list) -> list:
    """Per tensor and loss, the reference's error against the oracle over three steps of both update rules; each
    step's training loss into `losses`."""
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
            losses.append(worst([ld.train_step(X.astype(np.longdouble), wide)], [oracle.net.train_step(X, y)]))
    return errors


@pytest.mark.parametrize("changes", CASES, ids=lambda c: "-".join(f"{k}={v}" for k, v in c.items() if k != "layers"))
def test_the_quad_reference_agrees_with_the_fraction_oracle_to_1e_18_over_three_steps(changes):
    assert extended.method() == "quad"
    losses = []
    errors = _errors(TINY.replace(**changes), losses)
    # computed in quad (u = 9.6e-35), handed on rounded to long double: within a long double's ulp (1.1e-19) of exact
    assert max(errors + losses) <= 1.1e-19 and np.median(errors) <= 5.5e-20, (max(errors), np.median(errors))


@pytest.mark.parametrize("changes", CASES[4::4], ids=lambda c: "-".join(f"{k}={v}" for k, v in c.items() if k != "layers"))
def test_the_long_double_fallback_agrees_with_the_fraction_oracle_over_three_steps(changes, monkeypatch):
    monkeypatch.setattr(extended, "QUAD", None)
    assert extended.method() == "longdouble"
    spec, losses = TINY.replace(**changes), []
    errors = _errors(spec, losses)
    # batch norm on 4 samples and a bias summing 4 terms of mixed sign amplify the long double's 5.4e-20 by cancellation
    tight = not spec.batch_norm
    assert max(losses) <= 4e-18 and max(errors) <= (4e-18 if tight else 3e-17)
    assert np.median(errors) <= (3e-19 if tight else 1e-18), (max(errors), np.median(errors))
    assert max(errors) > 1.1e-19  # what the quad reference does better


def test_the_quad_arrays_fix_numpy_quaddtypes_strided_matmul_casts_and_mean():
    a, b = np.arange(6.0).reshape(2, 3) / 7, np.arange(6.0).reshape(2, 3) / 3
    q = extended.to_quad(a)
    assert isinstance(q, extended.Quad) and np.array_equal((q.T @ extended.to_quad(b)).astype(np.float64), a.T @ b)
    x = np.longdouble(1) / 3
    assert extended._ld(extended.to_quad(np.array([x])))[0] == x  # long double -> quad -> long double, bit for bit
    assert extended._ld(np.mean(extended.to_quad(np.array([x, x, x])))) == x
    g = extended.to_quad(np.array([-3.0, 0.5, 2.0]))
    np.clip(g, -1.0, 1.0, out=g)  # in place, as the optimizer clips: numpy-quaddtype has no clip loop of its own
    assert np.array_equal(g.astype(np.float64), [-1.0, 0.5, 1.0])


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
    assert all(np.isnan(v) for v in ulps.summary([], [], "float64").values())  # no entry: nothing measured, not 0 ulps
    assert ulps.ratio(np.array([0.0, 1.0]), np.array([0.0, 4.0])) == 0.25 and ulps.ratio(np.array([1e-30]), np.array([0.0])) == np.inf


def test_auto_takes_what_fits_a_fifth_of_the_run_more_of_a_small_network_than_of_a_large_one():
    step, mac = measure.COST["quad"]
    runs = 4 * 1000 * (measure.RUN_STEP + measure.RUN_MAC * measure.macs(Spec()))  # numpy in both rules, torch, TF
    assert measure.plan(Spec(), 1000, "auto") == int(measure.SHARE * runs / (step + mac * measure.macs(Spec())))
    assert measure.plan(Spec(), 1000, "auto", n_refs=2) == measure.plan(Spec(), 1000, "auto") // 2  # two update rules
    assert measure.plan(Spec(), 1000, "off") == 0 and measure.plan(Spec(), 100, "on") == 100
    big = Spec(layers=(64, 128, 64, 10), loss="ce", dataset="digits", batch_size=128, activation="relu")
    assert 1 <= measure.plan(big, 1000, "auto") < 200 and measure.plan(big, 1000, "on") == 1000 and measure.plan(big, 0, "on") == 0


def test_each_run_meets_the_exact_reference_of_its_own_update_rules():
    names = ["numpy", "numpy-keras", "torch", "tensorflow"]
    assert set(measure.conventions(Spec(optimizer="adam"), names).values()) == {"torch", "keras"}
    assert measure.conventions(Spec(optimizer="adam"), names)["tensorflow"] == "keras"
    assert set(measure.conventions(Spec(optimizer="momentum"), names).values()) == {"torch"}  # the same curve either way
    assert set(measure.conventions(Spec(batch_norm=True), names).values()) == {"torch"}  # running statistics: eval only


def test_the_quad_curve_stays_exact_over_240_adam_steps_where_the_long_double_one_drifts(monkeypatch):
    from compare.exact.oracle_net import longdouble
    from compare.shared import harness

    spec, steps = Spec(optimizer="adam"), 240
    data, init, order = prepare(spec)
    X, y = measure._cast(data.X_train, data.y_train)
    quad = measure._curve(measure._model(spec, init, "torch"), spec, X, y, order, measure.Curve(steps))[:]
    monkeypatch.setattr(extended, "QUAD", None)
    wide = measure._curve(measure._model(spec, init, "torch"), spec, X, y, order, measure.Curve(steps))[:]
    oracle, exact = Oracle(spec, init, "torch").net, []
    for _, (_, _, idx) in zip(range(steps), harness.batches(order, spec.batch_size)):
        exact.append(longdouble(oracle.train_step(data.X_train[idx], data.y_train[idx])))
    exact = np.array(exact)
    assert np.max(np.abs(quad - exact) / exact) <= 1.1e-19  # every step within a long double's ulp
    assert np.max(np.abs(wide - exact) / exact) > 1e-16  # Adam amplifies the long double's 5.4e-20 past float64's ulp
