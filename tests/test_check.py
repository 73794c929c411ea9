"""The mutation catalogue: each one-line slip in tests/learners is flagged, localised and named; ReLU at 0 is not."""

import difflib

import numpy as np
import pytest

from compare.learner.batches import first_batch
from compare.learner.grade import check
from compare.learner.loading import load
from compare.learner.mistakes import MISTAKES
from compare.shared.spec import Spec
from tests.styles import BEGINNER, CATALOGUE, LEARNERS  # mutant -> (spec, first wrong tensor, mistake named)


def learner(name: str, spec: Spec):
    """The catalogue file's loss_and_grads for the spec's network."""
    return load(LEARNERS / f"{name}.py", "make")(spec.activations, spec.output, spec.loss)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name", CATALOGUE)
def test_each_mutant_is_flagged_at_the_right_tensor_with_the_right_mistake(name, dtype):
    spec, first, mistake = CATALOGUE[name]
    spec = spec.replace(dtype=dtype)
    result = check(learner(name, spec), spec)
    assert not result.ok
    assert (result.diagnosis.first_wrong, result.diagnosis.mistake) == (first, mistake), result.diagnosis.message
    row = result.table.set_index("tensor").loc[first]
    assert row["verdict"] != "right"
    assert not row["rel_numpy"] <= 1e-3  # far from round-off (NaN where the shape is wrong)
    right = result.table[result.table["verdict"] == "right"]
    assert (right["rel_numpy"] <= (1e-12 if dtype == "float64" else 1e-5)).all()
    assert MISTAKES[mistake].what in result.diagnosis.message


def test_the_correct_learner_passes_every_catalogue_spec():
    for spec, *_ in CATALOGUE.values():
        result = check(learner("correct", spec), spec)
        assert result.ok and result.diagnosis.mistake is None, spec.short()
        assert (result.table["rel_numpy"] <= 1e-12).all() and set(result.table["fd_grade"]) <= {"good", "-"}


@pytest.mark.parametrize("name,ratio", [("not_divided_by_batch", 16), ("divided_twice", 1 / 16), ("factor_two", 0.5), ("wrong_sign", -1)])
def test_scale_mutants_are_exactly_their_ratio_times_the_reference(name, ratio):
    spec = BEGINNER
    params, X, y = first_batch(spec)
    from compare.shared import implementations

    _, ref = implementations.build("numpy", spec, params).gradients(X, y)
    _, grads = learner(name, spec)(params, X, y)
    for (dW, db), (rW, rb) in zip(grads, ref):
        np.testing.assert_allclose(dW, ratio * rW, rtol=1e-12, atol=1e-18)
        np.testing.assert_allclose(db, ratio * rb, rtol=1e-12, atol=1e-18)
    message = check(learner(name, spec), spec).diagnosis.message
    assert "dW2, db2, dW1, db1 are exactly" in message


def test_each_mutant_changes_one_line_of_the_correct_learner():
    correct = (LEARNERS / "correct.py").read_text().splitlines()[1:]
    for path in sorted(LEARNERS.glob("*.py")):
        if path.name == "correct.py":
            continue
        mutant = path.read_text().splitlines()
        assert mutant[0].startswith('"""Mutant of correct.py: ')
        changed = [line for line in difflib.unified_diff(correct, mutant[1:], lineterm="", n=0) if line[:1] in "+-"][2:]
        assert len(changed) == 2, (path.name, changed)


def test_relu_derivative_of_one_at_zero_is_a_convention_not_a_mistake():
    spec = Spec(layers=(2, 4, 4, 1), activation="relu", init="he_uniform", frameworks=("numpy",))  # biases start at 0
    params, X, y = first_batch(spec)
    X[0] = 0  # a sample at the kink: z = 0 in every hidden unit of both layers
    result = check(learner("relu_one_at_zero", spec), spec, params=params, X=X, y=y)
    assert result.ok and result.diagnosis.mistake == "relu_zero"
    assert "convention" in result.diagnosis.message
    table = result.table.set_index("tensor")
    assert table.loc["db1", "verdict"] == "convention" and table.loc["db1", "rel_numpy"] > 1e-3
    correct = check(learner("correct", spec), spec, params=params, X=X, y=y)
    assert correct.ok and correct.diagnosis.mistake is None


def test_the_frameworks_see_the_same_error_as_the_numpy_reference():
    spec = BEGINNER.replace(frameworks=("numpy", "torch", "tensorflow"))
    table = check(learner("derivative_missing", spec), spec).table.set_index("tensor")
    for name in ("torch", "tensorflow"):
        np.testing.assert_allclose(table[f"rel_{name}"], table["rel_numpy"], rtol=1e-9, atol=1e-12)
    assert table.loc["dW1", "rel_torch"] > 1e-2 and table.loc["dW2", "rel_tensorflow"] <= 1e-12


def mutant(tmp_path, old: str, new: str, spec: Spec = BEGINNER):
    """A one-off mutant of the correct learner, written to tmp_path."""
    source = (LEARNERS / "correct.py").read_text()
    assert source.count(old) == 1
    (tmp_path / "mutant.py").write_text(source.replace(old, new))
    return load(tmp_path / "mutant.py", "make")(spec.activations, spec.output, spec.loss)


def test_a_mistake_no_rule_knows_is_said_plainly_with_the_numbers_and_where_to_look(tmp_path):
    fn = mutant(tmp_path, "dW = As[layer].T @ dZ  # (fan_in, fan_out)", "dW = As[layer].T @ dZ * (1.3 if layer == 0 else 1)")
    diagnosis = check(fn, BEGINNER).diagnosis
    assert (diagnosis.ok, diagnosis.first_wrong, diagnosis.mistake) == (False, "dW1", None)
    assert "no known mistake fits (best scalar fit 1.3 × the reference, cosine 1.000)" in diagnosis.message
    assert "db1 is right, so dZ1 is right: the mistake is in dW1 itself" in diagnosis.message


def test_two_mistakes_name_the_first_and_say_the_rest_is_wrong_in_another_way(tmp_path):
    fn = mutant(tmp_path, "dA = 2 * (P - y) / y.size  # (N, O)", "dA = -2 * (P - y) / y.size  # (N, O)")
    fn2 = lambda p, X, y: (lambda L, g: (L, [(g[0][0] * 3, g[0][1]), g[1]]))(*fn(p, X, y))  # and dW1 three times too big
    diagnosis = check(fn2, BEGINNER, fd=False).diagnosis
    assert (diagnosis.first_wrong, diagnosis.mistake) == ("dW2", "sign")
    assert "dW2, db2, db1 are exactly -1 × the reference; dW1 is wrong in another way as well" in diagnosis.message


def test_a_learner_that_changes_its_arguments_in_place_cannot_change_the_reference(tmp_path):
    fn = mutant(tmp_path, "        N = len(X)\n", "        N = len(X)\n        params[0][0][:] = 0\n        X[:] = 0\n")
    params, X, y = first_batch(BEGINNER)
    before = [W.copy() for W, _ in params], X.copy()
    result = check(fn, BEGINNER, params=params, X=X, y=y)
    assert np.array_equal(params[0][0], before[0][0]) and np.array_equal(X, before[1])
    assert not result.ok  # their own forward pass ran on zeros
    assert check(learner("correct", BEGINNER), BEGINNER, params=params, X=X, y=y).ok
