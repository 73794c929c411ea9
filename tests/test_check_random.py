"""No false alarm: the correct learner passes 50 random networks; a slip is still caught on each of them."""

import numpy as np
import pytest

from compare.errors import LearnerError
from compare.learner.batches import first_batch
from compare.learner.grade import check
from compare.learner.loading import load
from compare.shared.spec import Spec
from tests.test_check import CATALOGUE, LEARNERS

ACTIVATIONS = ("sigmoid", "relu", "tanh")
HEADS = [("mse", "identity"), ("mse", "sigmoid"), ("bce", "sigmoid"), ("ce", "softmax")]


def random_spec(seed: int) -> Spec:
    """Depth 1-3, widths 1-6, any activation per layer, any loss and output, float64, on moons or blobs."""
    rng = np.random.default_rng(seed)
    depth = int(rng.integers(1, 4))
    loss, output = HEADS[seed % len(HEADS)]
    classes = int(rng.integers(2, 5)) if loss == "ce" else 2
    outputs = classes if loss == "ce" else int(rng.choice([1, 2])) if loss != "mse" or output == "sigmoid" else 1
    layers = (2, *(int(n) for n in rng.integers(1, 7, depth)), outputs)
    acts = tuple(str(a) for a in rng.choice(ACTIVATIONS, depth))
    init = str(rng.choice(["small_uniform", "glorot_uniform", "torch_default", "he_uniform"]))
    dataset = "blobs" if classes > 2 or outputs == 2 else "moons"
    return Spec(layers=layers, activation=acts, loss=loss, output=output, init=init, dataset=dataset,
                batch_size=int(rng.integers(3, 33)), seed=seed, frameworks=("numpy",))  # fmt: skip


SPECS = [random_spec(seed) for seed in range(50)]
correct = load(LEARNERS / "correct.py", "make")
wrong_sign = load(LEARNERS / "wrong_sign.py", "make")


def test_random_specs_cover_every_depth_activation_and_loss():
    assert {len(s.layers) - 2 for s in SPECS} == {1, 2, 3}
    assert {a for s in SPECS for a in s.activations} == set(ACTIVATIONS)
    assert {(s.loss, s.output) for s in SPECS} == set(HEADS)


@pytest.mark.parametrize("chunk", range(5))
def test_the_correct_learner_passes_50_random_specs_without_a_false_alarm(chunk):
    for spec in SPECS[chunk::5]:
        result = check(correct(spec.activations, spec.output, spec.loss), spec)
        assert result.ok and result.diagnosis.mistake is None, (spec.short(), result.diagnosis.message)
        assert (result.table["rel_numpy"] <= 1e-12).all(), spec.short()
        assert {g.split(",")[0].split(" (")[0] for g in result.table["fd_grade"]} <= {"good", "acceptable", "-"}, spec.short()


def test_a_slip_is_caught_on_every_random_spec():
    for spec in SPECS:
        if spec.loss != "mse":
            continue
        result = check(wrong_sign(spec.activations, spec.output, spec.loss), spec)
        assert not result.ok and result.diagnosis.mistake == "sign", spec.short()


@pytest.mark.parametrize("seed", [1, 6, 11])
def test_torch_and_tensorflow_agree_with_the_correct_learner(seed):
    spec = SPECS[seed].replace(frameworks=("numpy", "torch", "tensorflow"))
    table = check(correct(spec.activations, spec.output, spec.loss), spec).table
    assert (table[["rel_torch", "rel_tensorflow"]] <= 1e-12).all().all(), spec.short()


@pytest.mark.parametrize("name", [n for n in CATALOGUE if n != "loss_not_averaged"])
def test_on_random_specs_a_mutant_is_named_right_or_is_inert_there(name):
    make, counts = load(LEARNERS / f"{name}.py", "make"), {"named": 0, "inert": 0, "raised": 0}
    for spec in SPECS[:20]:
        fn, ref = make(spec.activations, spec.output, spec.loss), correct(spec.activations, spec.output, spec.loss)
        try:
            result = check(fn, spec, fd=False)  # the diagnosis needs no finite differences
        except LearnerError:  # the slip breaks their own code on this network's shapes: exit 2 with their traceback
            counts["raised"] += 1
            continue
        if result.ok:  # e.g. the ce delta on an mse network: the slipped line never runs
            params, X, y = first_batch(spec)
            assert all(np.array_equal(a, b) for pa, pb in zip(fn(params, X, y)[1], ref(params, X, y)[1]) for a, b in zip(pa, pb))
            counts["inert"] += 1
        else:
            assert result.diagnosis.mistake == CATALOGUE[name][2], (spec.short(), result.diagnosis.message)
            counts["named"] += 1
    assert counts["named"] >= 1, counts


def test_relu_at_zero_shows_up_on_its_own_and_parts_the_curves_without_failing_the_check():
    spec = SPECS[32]  # 2-1-6-4-1 relu/relu/sigmoid, biases from 0: a dead first unit sends z = 0 into the next ReLU
    assert spec.layers == (2, 1, 6, 4, 1) and spec.init == "glorot_uniform"
    result = check(load(LEARNERS / "relu_one_at_zero.py", "make")(spec.activations, spec.output, spec.loss), spec, fd=False, steps=10)
    assert result.diagnosis.mistake == "relu_zero" and result.ok
    assert not result.curves["pass"].all() and result.curves["max_rel"].max() > 1e-3  # the two conventions train apart
