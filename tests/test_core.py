"""float32 agreement, determinism, dtype isolation, exact weight round trips, and bad specs."""

import itertools

import numpy as np
import pytest

from compare.errors import SpecError
from compare.shared import data, implementations, weights
from compare.shared.spec import Spec, from_dict, load_toml
from tests.helpers import NAMES, curves, first_grads, grads_rel

BASE = Spec(layers=(2, 16, 16, 1), activation=("tanh", "sigmoid"), loss="mse", output="identity", optimizer="momentum",
            lr=0.05, n_samples=200, batch_size=32, epochs=5, init="glorot_uniform")  # fmt: skip


@pytest.mark.parametrize("loss,output,out", [("mse", "identity", 1), ("bce", "sigmoid", 1), ("ce", "softmax", 3)])
@pytest.mark.parametrize("activation", ["sigmoid", "relu", "tanh"])
def test_float32_first_step_gradients_agree_to_1e_5(loss, output, out, activation):
    spec = BASE.replace(dtype="float32", loss=loss, output=output, activation=activation, layers=(2, 16, 16, out),
                        dataset="blobs" if loss == "ce" else "moons")  # fmt: skip
    grads = first_grads(spec)
    for a, b in itertools.combinations(NAMES, 2):
        assert grads_rel(grads[a][1], grads[b][1]) <= 1e-5, (a, b)
    assert all(g.dtype == np.float32 for _, gs in grads.values() for pair in gs for g in pair)


@pytest.mark.parametrize("name", NAMES)
def test_same_spec_twice_gives_bit_identical_curves(name):
    spec = BASE.replace(optimizer="adam", lr=0.01)
    first, second = curves(spec, [name])[name], curves(spec, [name])[name]
    assert np.array_equal(first.losses, second.losses)
    assert all(np.array_equal(x, y) for pa, pb in zip(first.final, second.final) for x, y in zip(pa, pb))


def test_float32_and_float64_interleaved_give_the_numbers_of_each_alone():
    f64, f32 = BASE.replace(optimizer="adam", lr=0.01), BASE.replace(optimizer="adam", lr=0.01, dtype="float32")
    alone64, alone32 = curves(f64), curves(f32)
    for spec, alone in [(f64, alone64), (f32, alone32), (f64, alone64)]:
        again = curves(spec)
        for name in NAMES:
            assert np.array_equal(again[name].losses, alone[name].losses), (spec.dtype, name)
            assert again[name].losses.dtype == np.float64


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name", ["numpy", "torch", "tensorflow"])
def test_weight_round_trip_is_exact(name, dtype, tmp_path):
    spec = BASE.replace(dtype=dtype, init="torch_default")
    init = weights.init(spec)
    weights.save(tmp_path / "init.npz", init)
    loaded = weights.load(tmp_path / "init.npz")
    exported = implementations.build(name, spec, loaded).get_params()
    for (W, b), (W2, b2) in zip(init, exported):
        assert W2.shape == W.shape and W2.dtype == W.dtype and W2.tobytes() == W.tobytes()
        assert b2.shape == b.shape and b2.dtype == b.dtype and b2.tobytes() == b.tobytes()


@pytest.mark.parametrize("scheme,bound", [("glorot_uniform", np.sqrt(6 / 80)), ("torch_default", 1 / 8), ("he_uniform", np.sqrt(6 / 64))])
def test_init_schemes_draw_within_their_bounds(scheme, bound):
    W, b = weights.init(Spec(layers=(64, 16, 10), init=scheme, loss="ce", dataset="digits"))[0]
    assert W.shape == (64, 16) and np.abs(W).max() <= bound and np.abs(W).max() > 0.9 * bound
    assert (np.abs(b).max() <= bound) if scheme == "torch_default" else not b.any()


@pytest.mark.parametrize("name,features,classes", [("xor", 2, 2), ("moons", 2, 2), ("circles", 2, 2), ("spirals", 2, 2),
                                                   ("digits", 64, 10), ("iris", 4, 3), ("breast_cancer", 30, 2)])  # fmt: skip
def test_data_sets_are_standardised_with_training_statistics(name, features, classes):
    spec = Spec(layers=(features, 4, classes), loss="ce", dataset=name)
    d = data.load(spec)
    assert d.X_train.shape[1] == features and d.y_train.dtype == np.int64 and d.y_train.ndim == 1
    np.testing.assert_allclose(d.X_train.mean(axis=0), 0, atol=1e-12)
    assert set(np.unique(d.y_train)) == set(range(classes))
    assert abs(len(d.X_test) / (len(d.X_test) + len(d.X_train)) - spec.test_fraction) < 0.02


def test_targets_take_the_form_the_loss_takes():
    mse = data.load(Spec(layers=(4, 4, 3), loss="mse", output="identity", dataset="iris"))
    assert mse.y_train.shape == (len(mse.X_train), 3) and np.all(mse.y_train.sum(axis=1) == 1)  # one-hot
    bce = data.load(Spec(layers=(2, 4, 1), loss="bce"))
    assert bce.y_train.shape == (len(bce.X_train), 1) and bce.y_train.dtype == np.float64
    sine = data.load(Spec(layers=(1, 4, 1), loss="mse", output="identity", dataset="sine"))
    assert sine.n_classes is None and sine.y_train.shape[1] == 1


def test_csv_target_column_and_bad_csvs(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("a,label,b\n" + "".join(f"{i},{i % 2},{i * 0.5}\n" for i in range(40)))
    d = data.load(Spec(layers=(2, 3, 2), loss="ce", dataset=str(path), target="label", batch_size=8))
    assert d.X_train.shape[1] == 2 and d.n_classes == 2
    with pytest.raises(SpecError, match="spec.target: no column 'nope'"):
        data.load(Spec(layers=(2, 3, 2), loss="ce", dataset=str(path), target="nope"))
    path.write_text("a,b,y\n1,x,0\n2,y,1\n")
    with pytest.raises(SpecError, match="non-numeric feature column"):
        data.load(Spec(layers=(2, 3, 2), loss="ce", dataset=str(path), batch_size=1))
    path.write_text("a,b,y\n1,,0\n2,3,1\n")
    with pytest.raises(SpecError, match="missing values"):
        data.load(Spec(layers=(2, 3, 2), loss="ce", dataset=str(path), batch_size=1))


@pytest.mark.parametrize(
    "changes,field,allowed",
    [
        ({"activation": "swish"}, "activation", "sigmoid, relu, tanh"),
        ({"lr": 0.0}, "lr", "> 0"),
        ({"lr": -1}, "lr", "> 0"),
        ({"loss": "ce", "output": "softmax", "layers": (2, 4, 1), "activation": "tanh"}, "layers", ">= 2 for ce"),
        ({"loss": "hinge"}, "loss", "mse, bce, ce"),
        ({"optimizer": "adagrad"}, "optimizer", "sgd, momentum"),
        ({"layers": (2, 1), "activation": "tanh"}, "layers", "at least 3"),
        ({"activation": ("relu", "tanh", "relu")}, "activation", "a list of 2"),
        ({"momentum": 1.0}, "momentum", "[0, 1)"),
        ({"batch_size": 0}, "batch_size", ">= 1"),
        ({"dtype": "float16"}, "dtype", "float64, float32"),
        ({"init": "orthogonal"}, "init", "small_uniform"),
        ({"output": "softmax"}, "output", "identity, sigmoid"),
        ({"frameworks": ("numpy", "jax")}, "frameworks", "numpy, torch, tensorflow"),
        ({"dataset": "mnist"}, "dataset", "a .csv path or one of xor, moons"),
    ],
)
def test_bad_spec_names_the_field_and_what_is_allowed(changes, field, allowed):
    with pytest.raises(SpecError) as e:
        BASE.replace(**changes)
    assert f"spec.{field}:" in str(e.value) and allowed in str(e.value)


@pytest.mark.parametrize(
    "spec,field",
    [
        (Spec(layers=(3, 4, 1)), "layers: input size 3 does not fit 'moons', which has 2 features"),
        (Spec(layers=(64, 8, 3), loss="ce", dataset="digits"), "layers: output size 3 does not fit 'digits', which has 10 classes"),
        (Spec(batch_size=500), "batch_size: 500 is larger than the 150 training samples"),
        (Spec(dataset="missing.csv"), "dataset: no such file"),
    ],
)
def test_specs_that_do_not_fit_the_data_are_refused(spec, field):
    with pytest.raises(SpecError, match="spec." + field.replace("(", r"\(")):
        data.load(spec)


def test_spec_round_trips_through_toml_and_json(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text('layers = [2, 8, 1]\nactivation = ["relu"]\noptimizer = "adam"\nlr = 0.01\nbatch-size = 8\n')
    spec = from_dict(load_toml(path))
    assert spec.layers == (2, 8, 1) and spec.batch_size == 8 and spec.optimizer == "adam"
    assert from_dict(__import__("json").loads(__import__("json").dumps(spec.to_dict()))) == spec
    path.write_text("layers = [2, 8\n")
    with pytest.raises(SpecError, match="not valid TOML"):
        load_toml(path)
    with pytest.raises(SpecError, match="spec.learning_rate: unknown field"):
        from_dict({"learning_rate": 0.1})


def test_replacing_the_loss_brings_its_default_output_unless_one_was_chosen():
    assert Spec().replace(loss="ce", layers=(2, 4, 2)).output == "softmax"
    with pytest.raises(SpecError, match="spec.output: got 'identity'"):  # a chosen output is never swapped silently
        Spec(output="identity").replace(loss="bce")
