"""The comparison core pinned by hand: the fixed tolerances and their growth, the measures of a difference (the
zero-scale cases included), the finite-difference grades, a curve's verdict (at once, or amplified round-off)."""

import numpy as np
import pandas as pd
import pytest

from compare.agree import finite_diff, tables
from compare.agree.differences import curve_diff, tensor_diff
from compare.agree.tolerances import CURVE_TOL, FD_TOL, GRAD_TOL, curve_tolerance, growth


def test_the_fixed_tolerances_and_how_the_curves_grow_with_the_step():
    assert GRAD_TOL == {"float64": 1e-12, "float32": 1e-5} and CURVE_TOL == {"float64": 1e-10, "float32": 1e-4} and FD_TOL == 1e-4
    np.testing.assert_allclose(growth(np.array([1, 100, 300])), [1.01, 2.0, 4.0])  # round-off grows linearly with the steps
    np.testing.assert_allclose(growth(np.array([100, 200]), adaptive=True), [2.0 * 2, 3.0 * 4])  # and doubles every 100 under Adam
    np.testing.assert_allclose(curve_tolerance("float32", np.array([100]), False), [2e-4])


def test_a_tensors_difference_its_zero_scale_cases_and_its_cosine():
    assert tensor_diff(np.array([2.0, -4.0]), np.array([2.5, -4.0])) == {
        "max_abs": 0.5,
        "max_rel": 0.125,
        "cosine": pytest.approx(21 / np.sqrt(20 * 22.25)),
    }
    assert tensor_diff(np.zeros(2), np.zeros(2)) == {"max_abs": 0.0, "max_rel": 0.0, "cosine": 1.0}
    assert tensor_diff(np.zeros(2), np.array([0.0, 1e-20])) == {"max_abs": 1e-20, "max_rel": np.inf, "cosine": 0.0}
    assert tensor_diff(np.array([]), np.array([])) == {"max_abs": 0.0, "max_rel": 0.0, "cosine": 1.0}
    diff, rel = curve_diff(np.array([1.0, 0.0, -2.0, 0.25, np.inf]), np.array([1.5, 0.0, -1.0, 0.5, np.inf]))
    np.testing.assert_array_equal(diff[:4], [0.5, 0.0, 1.0, 0.25])
    np.testing.assert_array_equal(rel[:4], [1 / 3, 0.0, 0.5, 0.5])
    assert np.isnan(diff[4]) and np.isnan(rel[4])  # inf - inf: NaN, reported as such


def test_finite_difference_grades_as_cs231n_reads_them():
    assert [finite_diff.grade(x) for x in (1e-7, 1.1e-7, 1e-4, 1.1e-4, 1e-2, 1.1e-2)] == [
        "good", "acceptable", "acceptable", "suspicious", "suspicious", "wrong"]  # fmt: skip
    assert [finite_diff.grade(x, float32=True) for x in (1e-3, 1.1e-3, 1e-2, 1.1e-2, 0.1, 0.2)] == [
        "good", "acceptable", "acceptable", "suspicious", "suspicious", "wrong"]  # fmt: skip
    assert finite_diff.relative_error(np.array([1.0, 2.0]), np.array([1.0, 2.5]), 4.0) == 0.125
    assert finite_diff.relative_error(np.array([1e-9]), np.array([3e-9]), 1e-9) == pytest.approx(2e-9 / 1e-8)  # below the floor
    assert finite_diff.H == 1e-6 and finite_diff.FLOOR == 1e-8
    rng = np.random.default_rng(0)
    assert len(finite_diff.sample_entries((3, 4), None, rng)) == 12 and len(finite_diff.sample_entries((3, 4), 5, rng)) == 5
    assert finite_diff.sample_entries((2,), 2, rng) == [(0,), (1,)]


def test_central_differences_of_a_quadratic_are_its_gradient():
    params = [(np.array([[1.0, -2.0]]), np.array([0.5, 0.0]))]
    loss = lambda p: float(np.sum(p[0][0] ** 2) + 3 * np.sum(p[0][1]))  # noqa: E731
    good = finite_diff.check(loss, params, [(np.array([[2.0, -4.0]]), np.array([3.0, 3.0]))], ["dW1", "db1"])
    assert list(good["grade"]) == ["good", "good"] and good["max_rel_error"].max() < 1e-9 and list(good["checked"]) == [2, 2]
    bad = finite_diff.check(loss, params, [(np.array([[2.0, -4.0]]), np.array([3.0, 4.0]))], ["dW1", "db1"])
    assert bad["max_rel_error"][1] == pytest.approx(0.25, rel=1e-6) and bad["grade"][1] == "wrong"


def summary(first, rel, tol):
    return {"first": first, "rel_at_first": rel, "tol_at_first": tol, "max_abs": rel, "max_rel": rel}


def test_a_curves_verdict_tells_a_difference_at_once_from_round_off_amplified():
    assert tables.verdict(summary(None, np.nan, np.nan), True) == "agree to round-off"
    assert tables.verdict(summary(2, 1e-9, 1e-10), True).startswith("differ from step 2 at once (1.0e-09): a real disagreement")
    assert tables.verdict(summary(3, 1e-9, 1e-10), True).startswith("drift grows gradually past the tolerance at step 3")
    assert tables.verdict(summary(3, 1.01e-7, 1e-10), False).startswith("differ from step 3 at once (1.0e-07): expected")
    assert tables.verdict(summary(30, 0.99e-7, 1e-10), True).startswith("drift grows")  # under 1000 times the tolerance
    assert tables.verdict(summary(4, np.inf, 1e-10), True) == "one run stopped at step 4"


def test_the_first_failing_tensor_walks_back_from_the_output_and_skips_what_is_not_compared():
    grads = pd.DataFrame({"pair": ["a vs b"] * 3 + ["c vs d", "e vs f"], "tensor": ["db2", "dW2", "dW1", "dW2", "-"],
                          "pass": [True, False, False, True, None], "status": ["ok"] * 4 + ["not installed"]})  # fmt: skip
    assert tables.first_failing_tensor(grads) == {"a vs b": "dW2", "c vs d": None}


def test_a_runs_rows_against_the_exact_reference_by_hand():
    from types import SimpleNamespace

    from compare.agree import exact_rows
    from compare.shared.spec import Spec

    spec = Spec(layers=(1, 1, 1), loss="mse", output="identity")
    one, ld = np.longdouble(1), np.longdouble
    exact = [(np.array([[one]]), np.array([ld(0.5)])), (np.array([[ld(-2)]]), np.array([ld(0.25)]))]
    mine = [(np.array([[1 + 2.0**-52]]), np.array([0.5])), (np.array([[-2.0]]), np.array([0.25 - 2.0**-54]))]  # 1 ulp, 0, 0, 1 ulp
    B = [np.array([[2.0**-50]]), np.array([2.0**-50]), np.array([[2.0**-50]]), np.array([2.0**-52])]
    curve = np.array([ld(1), ld(0.5), ld(0.25) + ld(2) ** -60])
    result = SimpleNamespace(
        spec=spec, native=(), grads={"torch": (0.0, mine)}, bounds=[(SimpleNamespace(e=B[0]), SimpleNamespace(e=B[1])), (SimpleNamespace(e=B[2]), SimpleNamespace(e=B[3]))],
        exact=SimpleNamespace(grads={"torch": (0.0, exact)}, runs={"torch": "torch"}, losses={"torch": curve}, steps=3, total=3),
        histories={"torch": SimpleNamespace(losses=np.array([1.0, 0.5, 0.25]))},
    )  # fmt: skip
    rows = {r["tensor"]: r for r in exact_rows.gradient_rows(result)}
    assert list(rows) == ["db2", "dW2", "db1", "dW1"]  # the output layer first
    assert rows["dW1"]["bound_ratio"] == 0.25 and rows["db2"]["bound_ratio"] == 0.25 and rows["dW2"]["bound_ratio"] == 0
    assert rows["dW1"]["ulps_max"] == 1 and rows["db2"]["ulps_max"] == 1 and all(r["pass"] for r in rows.values())
    stats = exact_rows.curve_stats(result, "torch")
    assert stats["first"] is None and stats["max_abs"] == 0.0 and stats["max_rel"] == 0.0  # 2^-60 is below float64's spacing at 0.25
    assert stats["ulps_max"] == float(ld(2) ** -60 / ld(2) ** -54) and stats["ulps_median"] == 0


def test_finite_differences_of_a_quadratic_by_hand_count_no_kink_and_every_tensor_has_its_row():
    from compare.experiment import pipeline
    from compare.shared.spec import Spec

    params = [(np.array([[1.0, -2.0]]), np.array([0.5, 0.0]))]  # loss = sum W^2 + sum b^3: gradient 2W, 3b^2
    loss = lambda p: float((p[0][0] ** 2).sum() + (p[0][1] ** 3).sum())  # noqa: E731
    fd = finite_diff.check(loss, params, [(2 * params[0][0], 3 * params[0][1] ** 2)], ["W1", "b1"])
    assert fd["kinks"].tolist() == [0, 0] and fd["checked"].tolist() == [2, 2] and fd["max_rel_error"].max() < 1e-9
    kink = [(np.array([[0.0, 2.0]]), None)]  # relu(w) summed: the first entry sits on the kink, its +-h steps flip its sign
    signs = lambda p: [p[0][0] > 0]  # noqa: E731
    fd = finite_diff.check(lambda p: float(np.maximum(p[0][0], 0).sum()), kink, [(np.array([[1.0, 1.0]]), None)], ["W1"], signs=signs)
    assert fd["kinks"].tolist() == [1] and fd["max_rel_error"].max() < 1e-9  # the kink skipped: its numeric slope 0.5 is not held against 1
    result = pipeline.gradients(Spec(layers=(2, 3, 1), frameworks=("numpy",)), exact="off")
    rows = tables.gradient_table(result).query(f"pair == '{tables.FD_PAIR}'")["tensor"].tolist()
    assert rows == ["db2", "dW2", "db1", "dW1"]  # every tensor, the output layer first


def test_a_curve_against_the_exact_one_is_judged_under_sgd_and_measured_under_adam():
    from types import SimpleNamespace

    from compare.agree import exact_rows
    from compare.shared.spec import Spec

    exact = np.array([np.longdouble(1), np.longdouble(0.5)])
    for optimizer, off, judged, status in (("sgd", 0.0, True, "ok"), ("sgd", 1e-6, False, "ok"), ("adam", 1e-6, None, "measured")):
        run = SimpleNamespace(losses=np.array([1.0, 0.5 + off]))
        result = SimpleNamespace(spec=Spec(optimizer=optimizer), native=(), grads={"torch": None}, histories={"torch": run},
                                 exact=SimpleNamespace(runs={"torch": "torch"}, losses={"torch": exact}, steps=2, total=2, method="longdouble"))  # fmt: skip
        (row,) = exact_rows.agreement_rows(result)
        assert row["pass"] is judged and row["status"] == status and row["first_divergent_step"] == (2 if off else None), row


def test_a_pairs_curve_summary_by_hand_a_nan_step_left_out_and_equal_curves_zero():
    from types import SimpleNamespace

    from compare.shared.spec import Spec

    a = np.array([1.0, 2.0, 3.0, 4.0, np.nan])
    b = np.array([1.0, 2.0 + 2e-10, 3.0 - 6e-9, 4.0, 5.0])
    result = SimpleNamespace(spec=Spec(), histories={"a": SimpleNamespace(losses=a), "b": SimpleNamespace(losses=b)})
    c = tables.curve_summary(result, "a", "b")
    assert c["max_abs"] == pytest.approx(6e-9, rel=1e-6) and c["max_rel"] == pytest.approx(2e-9, rel=1e-6)  # NaN left out
    assert c["first"] == 3 and c["rel_at_first"] == pytest.approx(2e-9, rel=1e-6)  # step 2: 1e-10, within 1e-10 (1 + 2/100)
    same = tables.curve_summary(
        SimpleNamespace(spec=Spec(), histories={"a": SimpleNamespace(losses=-a[:4]), "b": SimpleNamespace(losses=-a[:4])}), "a", "b"
    )
    assert same["max_abs"] == 0.0 and same["max_rel"] == 0.0 and same["first"] is None  # equal curves: 0, not -inf


def test_the_ulps_summary_row_of_a_run_by_hand_and_no_exact_steps_measure_nothing():
    from types import SimpleNamespace

    from compare.agree import exact_rows
    from compare.shared.spec import Spec

    ld = np.longdouble
    exact = [(np.array([[ld(1)]]), np.array([ld(0.5)])), (np.array([[ld(-2)]]), np.array([ld(0.25)]))]
    mine = [(np.array([[1 + 2.0**-52]]), np.array([0.5])), (np.array([[-2.0 - 2.0**-51]]), np.array([0.25]))]  # 1, 0, 1, 0 ulps
    B = [np.array([[2.0**-50]]), np.array([2.0**-50]), np.array([[2.0**-49]]), np.array([2.0**-52])]
    curve = np.array([ld(1), ld(0.5), ld(0.25)])
    result = SimpleNamespace(
        spec=Spec(layers=(1, 1, 1), loss="mse", output="identity"), native=(), grads={"torch": (0.0, mine)},
        bounds=[(SimpleNamespace(e=B[0]), SimpleNamespace(e=B[1])), (SimpleNamespace(e=B[2]), SimpleNamespace(e=B[3]))],
        exact=SimpleNamespace(grads={"torch": (0.0, exact)}, runs={"torch": "torch"}, losses={"torch": curve}, steps=3, total=3),
        histories={"torch": SimpleNamespace(losses=np.array([1.0, 0.5, 0.25]))},
    )  # fmt: skip
    row = exact_rows.summary_table(result).iloc[0]
    assert row["grad_ulps_max"] == 1 and row["grad_ulps_median"] == 0.5 and row["of_bound"] == 0.25  # 2^-52 of 2^-50
    assert row["curve_ulps_max"] == 0 and row["steps"] == "3/3"
    result.exact.steps, result.exact.losses = 0, {"torch": curve[:0]}
    none = exact_rows.curve_stats(result, "torch")
    assert np.isnan(none["ulps_max"]) and np.isnan(none["ulps_median"])  # no step of the exact curve: no ulps, not 0


def test_a_pairs_reason_names_the_runs_on_their_own_defaults_and_keras_fits_order():
    from types import SimpleNamespace

    from compare.shared.spec import Spec

    one = SimpleNamespace(spec=Spec(), native=("torch",), orders={})
    assert tables.reason("numpy", "torch", one) == "torch on its framework's own default initial weights and hyperparameters"
    both = SimpleNamespace(spec=Spec(), native=("torch", "tensorflow"), orders={"tensorflow": None})
    assert tables.reason("torch", "tensorflow", both) == (
        "torch and tensorflow on their framework's own default initial weights and hyperparameters, and Keras fit's sample order"
    )
    assert tables.reason("numpy", "torch", SimpleNamespace(spec=Spec(), native=(), orders={})) == "same update rule (sgd)"
