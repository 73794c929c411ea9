"""Each message names the right tensor, layer and count: where to look when no known mistake fits, the layer a
slip is in, N against N × outputs (and cross-entropy's one output per sample), the loss ratio."""

import re
from pathlib import Path

import numpy as np
import pytest

from compare.learner import conventions, reference, slips
from compare.learner.batches import first_batch
from compare.learner.grade import check
from compare.learner.layouts import Form
from compare.learner.loading import load
from compare.shared.spec import Spec
from tests.styles import LEARNERS

make = load(LEARNERS / "correct.py", "make")
DEEP = Spec(layers=(2, 3, 3, 1), frameworks=("numpy",))  # three layers: the hints must name the middle one


def perturbed(spec: Spec, *tensors: tuple[int, int]):
    """The correct learner with noise (no scalar fits it) added to some of its tensors: (layer index, 0 dW / 1 db)."""
    right = make(spec.activations, spec.output, spec.loss)

    def fn(params, X, y):
        loss, grads = right(params, X, y)
        grads = [list(pair) for pair in grads]
        for i, j in tensors:
            g = grads[i][j]
            grads[i][j] = g + np.linspace(0.3, -0.7, g.size).reshape(g.shape) * np.abs(g).max()
        return loss, [tuple(pair) for pair in grads]

    return fn


def test_where_to_look_says_only_dw_is_right_in_a_network_without_biases():
    spec = DEEP.replace(bias=False)

    def fn(params, X, y):
        ref = reference.build(spec, [(W, None) for W in params], X, y)  # a network without biases: its weights alone
        grads = [(dW, None) for dW, _ in ref.grads]
        W = grads[0][0]
        grads[0] = (W + np.linspace(0.3, -0.7, W.size).reshape(W.shape) * np.abs(W).max(), None)
        return ref.loss, [dW for dW, _ in grads]

    diagnosis = check(fn, spec, fd=False).diagnosis
    assert diagnosis.message.endswith(
        "; dW2 is right, so dZ2 is: the error goes wrong on its way back into layer 1, at @ W2.T or at the derivative."
    )


@pytest.mark.parametrize(
    "tensors,first,where",
    [
        ([(1, 0)], "dW2", "db2 is right, so dZ2 is right: the mistake is in dW2 itself"),
        ([(1, 1)], "db2", "dW2 is right, so dZ2 is right: the mistake is in db2 itself"),
        ([(1, 0), (1, 1)], "dW2", "dW3 and db3 are right, so dZ3 is: the error goes wrong on its way back into layer 2, at @ W3.T or at the derivative"),
        ([(0, 0), (0, 1)], "dW1", "dW2 and db2 are right, so dZ2 is: the error goes wrong on its way back into layer 1, at @ W2.T or at the derivative"),
        ([(2, 0), (2, 1)], "dW3", "the output layer is already wrong: check the output delta dZ = dL/dlogits first"),
    ],
)  # fmt: skip
def test_where_to_look_names_the_layer_whose_dz_is_right(tensors, first, where):
    diagnosis = check(perturbed(DEEP, *tensors), DEEP, fd=False).diagnosis
    assert (diagnosis.first_wrong, diagnosis.mistake) == (first, None)
    assert diagnosis.message.startswith(f"{first} is the first wrong tensor walking back from the output, and no known mistake fits")
    assert diagnosis.message.endswith(f"; {where}.")


@pytest.mark.parametrize(
    "spec,words",
    [
        (Spec(layers=(2, 3, 1), frameworks=("numpy",)), "exactly 16 = N × the reference"),
        (Spec(layers=(2, 4, 3), dataset="blobs", frameworks=("numpy",)), "exactly 48 = N × outputs × the reference"),
        (Spec(layers=(2, 3, 3), loss="ce", dataset="blobs", frameworks=("numpy",)), "exactly 16 = N × the reference"),  # one loss per sample
        (Spec(layers=(2, 3, 2), loss="bce", dataset="blobs", frameworks=("numpy",)), "exactly 32 = N × outputs × the reference"),
    ],
)  # fmt: skip
def test_a_gradient_summed_over_the_batch_names_n_or_n_times_outputs(spec, words):
    right = make(spec.activations, spec.output, spec.loss)
    outputs = 1 if spec.loss == "ce" else spec.layers[-1]

    def fn(params, X, y):
        loss, grads = right(params, X, y)
        c = len(X) * outputs
        return loss, [(c * dW, c * db) for dW, db in grads]

    diagnosis = check(fn, spec, fd=False).diagnosis
    assert (diagnosis.first_wrong, diagnosis.mistake) == ("dW2", "batch")
    assert f"dW2, db2, dW1, db1 are {words}" in diagnosis.message


def test_slips_are_named_at_their_layer_in_a_deeper_network(tmp_path):
    source = (LEARNERS / "correct.py").read_text()
    old = "dZ = dA * derivative(hidden[layer - 1], Zs[layer - 1], As[layer])"
    spec = Spec(layers=(2, 3, 3, 1), activation=("sigmoid", "tanh"), frameworks=("numpy",))
    cases = {  # only in layer 2 (layer == 2 there), or only in layer 1
        "dZ = dA if layer == 2 else dA * derivative(hidden[layer - 1], Zs[layer - 1], As[layer])": (
            "dW2",
            "in hidden layer 2 (tanh): dZ = dA, without f'(z)",
        ),
        "dZ = dA * derivative(hidden[layer - 1], Zs[layer - 1], Zs[layer - 1] if layer == 1 else As[layer])": (
            "dW1",
            "in hidden layer 1 (sigmoid): the formula in a is given z: z (1 - z) instead of a (1 - a)",
        ),
    }
    for k, (new, (first, words)) in enumerate(cases.items()):
        (tmp_path / f"m{k}.py").write_text(source.replace(old, new))
        fn = load(tmp_path / f"m{k}.py", "make")(spec.activations, spec.output, spec.loss)
        diagnosis = check(fn, spec, fd=False).diagnosis
        assert diagnosis.first_wrong == first and f"({words})" in diagnosis.message, diagnosis.message
    (tmp_path / "w.py").write_text(source.replace("dA = dZ @ W.T", "dA = dZ if layer == 2 else dZ @ W.T"))
    fn = load(tmp_path / "w.py", "make")(spec.activations, spec.output, spec.loss)
    diagnosis = check(fn, spec, fd=False).diagnosis
    assert diagnosis.first_wrong == "dW2" and "(into hidden layer 2: dA2 = dZ3, without @ W3.T)" in diagnosis.message


def test_a_loss_not_averaged_names_its_ratio_and_both_values():
    fn = load(LEARNERS / "loss_not_averaged.py", "make")()
    diagnosis = check(fn, Spec(layers=(2, 3, 1), frameworks=("numpy",)), fd=False).diagnosis
    loss, ref = (float(v) for v in diagnosis.message.split("your loss is ")[1].split(" (ratio")[0].split(" against "))
    assert loss == pytest.approx(16 * ref, rel=1e-5) and "(ratio 16 = N)" in diagnosis.message


@pytest.mark.parametrize(
    "spec",
    [
        Spec(layers=(2, 3, 1), frameworks=("numpy",)),
        Spec(layers=(2, 3, 3, 1), activation=("tanh", "sigmoid"), frameworks=("numpy",)),
        Spec(layers=(2, 4, 3), activation="relu", loss="ce", dataset="blobs", frameworks=("numpy",)),
    ],
)
def test_the_catalogue_holds_each_slip_once(spec):
    params, _, _ = first_batch(spec)
    found = slips.catalogue(spec, params)
    plans = [repr(sorted(plan.items(), key=repr)) for _, _, plan in found]
    assert len(set(plans)) == len(plans) and len({how for _, how, _ in found}) == len(found)
    if len(spec.activations) == 1:
        assert not any("every hidden layer" in how for _, how, _ in found)


def test_a_slip_in_every_hidden_layer_is_worded_for_the_first_layers_activation(tmp_path):
    source = (LEARNERS / "correct.py").read_text()
    old = "dZ = dA * derivative(hidden[layer - 1], Zs[layer - 1], As[layer])"
    (tmp_path / "relu_everywhere.py").write_text(source.replace(old, 'dZ = dA * derivative("relu", Zs[layer - 1], As[layer])'))
    spec = Spec(layers=(2, 3, 3, 1), activation=("tanh", "sigmoid"), frameworks=("numpy",))
    fn = load(tmp_path / "relu_everywhere.py", "make")(spec.activations, spec.output, spec.loss)
    diagnosis = check(fn, spec, fd=False).diagnosis
    assert (diagnosis.first_wrong, diagnosis.mistake) == ("dW2", "deriv_wrong")
    assert "(in every hidden layer: it uses relu's derivative (in z) on a tanh layer)" in diagnosis.message


@pytest.mark.parametrize("targets", ["labels", "row"])
def test_per_sample_rows_take_a_label_per_sample_whatever_the_targets_form(targets):
    spec = Spec(layers=(2, 4, 3), activation="tanh", loss="ce", dataset="blobs", frameworks=("numpy",))
    batch = make(spec.activations, spec.output, spec.loss)
    seen = []

    def one(params, x, y):
        seen.append((x.shape, np.shape(y)))
        return batch(params, x[None], np.array([y]).reshape(1))

    result = check(one, spec, form=Form(per_sample=True, targets=targets), fd=False)
    assert result.ok and (result.table["rel_numpy"] <= 1e-12).all()
    assert set(seen) == {((2,), ())} and len(seen) == spec.batch_size


def test_swapped_and_shared_factor_messages_name_the_layer_and_the_loss():
    spec = Spec(layers=(2, 3, 1), frameworks=("numpy",))
    diagnosis = check(load(LEARNERS / "swapped_dw_db.py", "make")(), spec, fd=False).diagnosis
    assert "(dW2 has the shape of b2, (1,), and db2 that of W2, (3, 1))" in diagnosis.message
    right = make()

    def doubled(params, X, y):  # loss and gradients of 2 × MSE: consistent, but 2 is no convention
        loss, grads = right(params, X, y)
        return 2 * loss, [(2 * dW, 2 * db) for dW, db in grads]

    diagnosis = check(doubled, spec, fd=False).diagnosis
    assert (diagnosis.first_wrong, diagnosis.mistake) == ("dW2", "factor2")
    assert (
        "are exactly 2 × the reference; your loss is 2 × too, so it agrees with your gradients but not with the spec's loss"
        in diagnosis.message
    )


def test_cross_entropy_has_one_loss_per_sample_so_n_times_classes_is_no_known_factor():
    spec = Spec(layers=(2, 3, 2), loss="ce", dataset="moons", frameworks=("numpy",))
    right = make(spec.activations, spec.output, spec.loss)

    def fn(params, X, y):  # N × classes = 32: a known factor for mse or bce with two outputs, not for ce
        loss, grads = right(params, X, y)
        return loss, [(32 * dW, 32 * db) for dW, db in grads]

    diagnosis = check(fn, spec, fd=False).diagnosis
    assert (diagnosis.first_wrong, diagnosis.mistake) == ("dW2", None)
    assert "no known mistake fits (best scalar fit 32 × the reference, cosine 1.000)" in diagnosis.message


@pytest.mark.parametrize(
    "name,loss,outputs,torch,keras",
    [
        ("sum", "mse", 1, "torch's MSELoss(reduction='sum')", "Keras's MeanSquaredError(reduction='sum')"),
        ("sum", "mse", 2, "16 × torch's MSELoss(reduction='mean')", "Keras's MeanSquaredError(reduction='sum')"),
        ("outputs+sum", "mse", 2, "torch's MSELoss(reduction='sum')", "32 × Keras's MeanSquaredError()"),
        ("half+outputs", "mse", 2, "torch's MSELoss(reduction='mean')", "Keras's MeanSquaredError()"),  # 0.5 × 2 = 1
        ("sum", "ce", 1, "torch's CrossEntropyLoss(reduction='sum')", "Keras's SparseCategoricalCrossentropy(from_logits=True, reduction='sum')"),
        ("outputs", "bce", 3, "3 × torch's BCEWithLogitsLoss(reduction='mean')", "3 × Keras's BinaryCrossentropy(from_logits=True)"),
    ],
)  # fmt: skip
def test_each_convention_maps_onto_torch_and_keras(name, loss, outputs, torch, keras):
    assert conventions.parse(name).frameworks(loss, 16, outputs) == f"{torch}, {keras}"


def test_the_wrong_line_reports_what_a_line_with_keywords_read(tmp_path):
    source = (Path(__file__).parent.parent / "examples" / "beginner_mlp.py").read_text()
    (tmp_path / "twice.py").write_text(source.replace("db1 = dZ1.sum(axis=0)  # (3,)", "db1 = dZ1.sum(axis=0, keepdims=False) * 2  # (3,)"))
    result = check(load(tmp_path / "twice.py"), Spec(layers=(2, 3, 1), frameworks=("numpy",)), fd=False)
    assert (result.diagnosis.first_wrong, result.diagnosis.mistake) == ("db1", "factor2")
    assert re.search(
        r"twice\.py:\d+  db1 = dZ1\.sum\(axis=0, keepdims=False\) \* 2  # \(3,\)  ← db1 departs here \(db1: rel 1\); dZ1 \(line \d+\) was right$",
        result.line,
    ), result.line


def test_a_tensor_of_the_wrong_shape_shows_the_shape_expected_in_the_learners_layout():
    spec = Spec(layers=(2, 3, 1), frameworks=("numpy",))
    rows = check(load(LEARNERS / "transposed_dw.py", "make")(), spec, fd=False).table.set_index("tensor")
    assert rows.loc["dW2", ["shape", "verdict"]].tolist() == ["(1, 3)", "wrong shape, expected (3, 1)"]
    rows = check(load(LEARNERS / "bias_not_summed.py", "make")(), spec, fd=False).table.set_index("tensor")
    assert rows.loc["db2", ["shape", "verdict"]].tolist() == ["(16, 1)", "wrong shape, expected (1,)"]


def test_one_tensor_at_a_known_factor_is_said_in_the_singular():
    right = make()

    def fn(params, X, y):
        loss, grads = right(params, X, y)
        return loss, [grads[0], (-grads[1][0], grads[1][1])]

    diagnosis = check(fn, Spec(layers=(2, 3, 1), frameworks=("numpy",)), fd=False).diagnosis
    assert (diagnosis.first_wrong, diagnosis.mistake) == ("dW2", "sign")
    assert "(dW2 is exactly -1 × the reference)" in diagnosis.message


@pytest.mark.parametrize(
    "spec,words",
    [
        (Spec(layers=(2, 3, 1), frameworks=("numpy",)), "exactly 1/16 = 1/N × the reference"),
        (Spec(layers=(2, 4, 3), dataset="blobs", frameworks=("numpy",)), "exactly 1/48 = 1/(N × outputs) × the reference"),
        (Spec(layers=(2, 3, 2), loss="bce", dataset="blobs", frameworks=("numpy",)), "exactly 1/32 = 1/(N × outputs) × the reference"),
    ],
)  # fmt: skip
def test_a_gradient_divided_twice_names_1_over_n_or_n_times_outputs(spec, words):
    right = make(spec.activations, spec.output, spec.loss)
    c = len(first_batch(spec)[1]) * (spec.layers[-1])

    def fn(params, X, y):
        loss, grads = right(params, X, y)
        return loss, [(dW / c, db / c) for dW, db in grads]

    diagnosis = check(fn, spec, fd=False).diagnosis
    assert (diagnosis.first_wrong, diagnosis.mistake) == ("dW2", "twice")
    assert f"the gradient is divided by the batch size twice (dW2, db2, dW1, db1 are {words})" in diagnosis.message


@pytest.mark.parametrize(
    "new,first,words",
    [
        ("dA = dZ @ W", "dW2", "in every layer: dZ @ W, without .T"),
        ("dA = dZ @ (W if layer == 1 else W.T)", "dW1", "into hidden layer 1: dZ2 @ W2 instead of @ W2.T"),
        ("dA = dZ @ (W if layer == 2 else W.T)", "dW2", "into hidden layer 2: dZ3 @ W3 instead of @ W3.T"),
        ("dA = dZ @ (params[1][0].T if layer == 2 else W.T)", "dW2", "into hidden layer 2: dZ3 @ W2.T instead of @ W3.T"),
        ("dA = dZ @ (params[2][0].T if layer == 1 else W.T)", "dW1", "into hidden layer 1: dZ2 @ W3.T instead of @ W2.T"),
        ("dA = dZ @ (params[0][0] if layer == 1 else W.T)", "dW1", "into hidden layer 1: dZ2 @ W1 instead of @ W2.T"),
    ],
)  # fmt: skip
def test_a_missing_transpose_or_another_layers_weights_is_named_at_its_layer(tmp_path, new, first, words):
    spec = Spec(layers=(2, 2, 2, 2), loss="ce", output="softmax", frameworks=("numpy",))  # square: W without .T fits
    source = (LEARNERS / "correct.py").read_text()
    (tmp_path / "untransposed.py").write_text(source.replace("dA = dZ @ W.T", new))
    fn = load(tmp_path / "untransposed.py", "make")(spec.activations, spec.output, spec.loss)
    result = check(fn, spec, fd=False)
    assert (result.diagnosis.first_wrong, result.diagnosis.mistake) == (first, "wrong_weights")
    assert f"the error is propagated through the wrong layer's weights ({words})" in result.diagnosis.message
    assert f"untransposed.py:60  {new}  # (N, fan_in)  ← dA departs here (dA{first[-1]}: rel " in result.line


def test_rel_is_relative_to_the_reference_and_absolute_where_it_is_zero():
    from compare.learner.numbers import rel

    assert rel(np.array([2e-3, 0.0]), np.array([1e-3, 0.0])) == pytest.approx(1.0)  # small tensors are not judged absolutely
    assert rel(np.array([-3.0]), np.array([2.0])) == pytest.approx(2.5)
    assert rel(np.array([0.5]), np.zeros(1)) == 0.5 and rel(np.zeros(3), np.zeros(3)) == 0.0
    assert rel(np.zeros((0, 2)), np.zeros((0, 2))) == 0.0  # an empty tensor (a layer of no samples) is equal


def test_the_table_shows_each_tensors_largest_absolute_and_relative_error():
    spec = Spec(layers=(2, 3, 1), frameworks=("numpy",))
    right = make()

    def doubled_dw2(params, X, y):
        loss, grads = right(params, X, y)
        return loss, [grads[0], (2 * grads[1][0], grads[1][1])]

    params, X, y = first_batch(spec)
    reference = right(params, X, y)[1][1][0]
    rows = check(doubled_dw2, spec, fd=False).table.set_index("tensor")
    assert rows.loc["dW2", "max_abs"] == pytest.approx(np.abs(reference).max(), rel=1e-12)  # |2r - r| = |r|
    assert rows.loc["dW2", "rel_numpy"] == pytest.approx(1.0, rel=1e-12) and rows.loc["db2", "max_abs"] < 1e-15


@pytest.mark.parametrize(
    "factor,mistake",
    [(2.0, "factor2"), (2 * (1 + 0.9e-6), "factor2"), (2 * (1 + 1.5e-6), None), (-1.0, "sign"), (-(1 + 0.9e-6), "sign"), (-(1 + 1.5e-6), None)],
)  # fmt: skip
def test_a_factor_is_named_only_when_it_is_that_factor_to_ten_tolerances(factor, mistake):
    """Within 10 tolerances (10 × 1e-7, relative) of 2 or -1 a ratio is that mistake; past them it is a scale no mistake explains."""
    right = make()

    def scaled(params, X, y):
        loss, grads = right(params, X, y)
        return loss, [(factor * dW, factor * db) for dW, db in grads]

    diagnosis = check(scaled, Spec(layers=(2, 3, 1), frameworks=("numpy",)), fd=False).diagnosis
    assert (diagnosis.first_wrong, diagnosis.mistake) == ("dW2", mistake), diagnosis.message


def test_a_gradient_where_the_reference_is_zero_has_no_scalar_fit():
    """Zero first-layer weights under ReLU: every hidden unit is 0, so the reference's dW2 is exactly zero."""
    spec = Spec(layers=(2, 3, 1), activation="relu", frameworks=("numpy",))
    params, X, y = first_batch(spec)
    params = [(np.zeros_like(params[0][0]), np.zeros_like(params[0][1])), params[1]]
    right = make(spec.activations, spec.output, spec.loss)

    def fn(params, X, y):
        loss, grads = right(params, X, y)
        return loss, [grads[0], (np.ones_like(grads[1][0]), grads[1][1])]

    diagnosis = check(fn, spec, params=params, X=X, y=y, fd=False).diagnosis
    assert diagnosis.first_wrong == "dW2" and "no known mistake fits (best scalar fit 0 × the reference, cosine 0.000)" in diagnosis.message


@pytest.mark.parametrize("separate_loss", [False, True])
def test_under_convention_sum_finite_differences_take_n_times_the_mean_loss_the_learner_reports(separate_loss):
    spec = Spec(layers=(2, 3, 1), frameworks=("numpy",))
    right = make()

    def grads_of_the_sum(params, X, y):  # the mean loss printed, the summed loss descended
        loss, grads = right(params, X, y)
        grads = [(len(X) * dW, len(X) * db) for dW, db in grads]
        return grads if separate_loss else (loss, grads)

    mean_loss = (lambda params, X, y: right(params, X, y)[0]) if separate_loss else None
    result = check(grads_of_the_sum, spec, loss_function=mean_loss, convention="sum")
    rows = result.table.set_index("tensor")
    assert result.ok and list(rows["fd_grade"]) == ["-", "good", "good", "good", "good"], result.text()
    assert (rows["finite_diff"].iloc[1:] < 1e-6).all()
    if not separate_loss:  # their mean loss is the reference's mean: the loss row is right
        assert rows.loc["loss", "verdict"] == "right" and rows.loc["loss", "rel_numpy"] < 1e-12


def test_under_outputs_plus_sum_the_mean_reported_is_the_sum_over_outputs_and_finite_differences_follow():
    spec = Spec(layers=(2, 4, 3), dataset="blobs", frameworks=("numpy",))
    right = make(spec.activations, spec.output, spec.loss)

    def fn(params, X, y):  # per sample ‖ŷ − y‖², printed as the batch's mean, descended as its sum
        loss, grads = right(params, X, y)
        c = len(X) * y.shape[1]
        return y.shape[1] * loss, [(c * dW, c * db) for dW, db in grads]

    result = check(fn, spec, convention="outputs+sum")
    rows = result.table.set_index("tensor")
    assert result.ok and list(rows["fd_grade"]) == ["-", "good", "good", "good", "good"], result.text()
    assert rows.loc["loss", "verdict"] == "right" and rows.loc["loss", "rel_numpy"] < 1e-12  # 3 × the spec's mean, as reported


@pytest.mark.parametrize(
    "dtype,off,right",
    [("float64", 0.5e-7, True), ("float64", 1.5e-7, False), ("float32", 0.5e-4, True), ("float32", 1.5e-4, False)],
)
def test_a_tensor_is_right_to_the_checks_tolerance_and_wrong_past_it(dtype, off, right):
    """1e-7 of the reference in float64 (a reordered sum moves ~1e-15, a mistake the first digits), 1e-4 in float32."""
    spec = Spec(layers=(2, 3, 1), dtype=dtype, frameworks=("numpy",))
    correct = make()

    def fn(params, X, y):
        loss, grads = correct(params, X, y)
        return loss, [grads[0], ((1 + off) * grads[1][0], grads[1][1])]

    rows = check(fn, spec, fd=False).table.set_index("tensor")
    assert rows.loc["dW2", "verdict"] == ("right" if right else "WRONG") and rows.loc["dW2", "rel_numpy"] == pytest.approx(off, rel=1e-3)


@pytest.mark.parametrize("error,float32,expected", [
    (0.9e-7, False, "good"), (1.1e-7, False, "acceptable"), (0.9e-4, False, "acceptable"), (1.1e-4, False, "suspicious"),
    (0.9e-2, False, "suspicious"), (1.1e-2, False, "wrong"),
    (0.9e-3, True, "good"), (1.1e-3, True, "acceptable"), (0.9e-2, True, "acceptable"), (1.1e-2, True, "suspicious"),
    (0.9e-1, True, "suspicious"), (1.1e-1, True, "wrong"),
])  # fmt: skip
def test_finite_differences_are_graded_as_cs231n_does_and_a_decade_looser_for_float32_code(error, float32, expected):
    from compare.agree import finite_diff

    assert finite_diff.grade(error, float32=float32) == expected


def test_gradients_alone_under_a_convention_train_against_the_references_loss_at_their_weights_scaled():
    spec = Spec(layers=(2, 3, 1), frameworks=("numpy",))
    right = make()

    def grads_of_the_sum(params, X, y):
        return [(len(X) * dW, len(X) * db) for dW, db in right(params, X, y)[1]]

    result = check(grads_of_the_sum, spec, convention="sum", steps=5, fd=False)
    curve = result.curves.set_index("framework").loc["numpy"]
    assert result.ok and bool(curve["pass"]) and curve["max_rel"] < 1e-12
    assert curve["reference_lr"] == "0.5 × 16 (your convention)"


@pytest.mark.parametrize("off,said", [(0.9e-6, True), (1.5e-6, False)])
def test_a_loss_at_the_same_factor_as_the_gradients_is_said_to_agree_to_a_millionth(off, said):
    right = make()

    def doubled(params, X, y):
        loss, grads = right(params, X, y)
        return 2 * (1 + off) * loss, [(2 * dW, 2 * db) for dW, db in grads]

    diagnosis = check(doubled, Spec(layers=(2, 3, 1), frameworks=("numpy",)), fd=False).diagnosis
    assert diagnosis.mistake == "factor2"
    assert ("your loss is 2 × too, so it agrees with your gradients" in diagnosis.message) == said, diagnosis.message
