"""The sweep's grid file: cartesian expansion, include and exclude, stable names, and every bad grid refused in one
line with exit 2 before anything is written (no cluster is started for any of these)."""

import pytest

from compare.cli import main
from compare.errors import SpecError
from compare.sweeps import grid

BASE = 'layers = [2, 4, 1]\nepochs = 2\nframeworks = ["numpy"]\n'


def write(tmp_path, text: str):
    path = tmp_path / "grid.toml"
    path.write_text(text)
    return path


def test_grid_expands_as_a_cartesian_product_less_excludes_plus_includes_in_file_order():
    combos = grid.expand(
        {
            "epochs": 2,
            "grid": {"activation": ["sigmoid", "tanh"], "lr": [0.1, 0.5], "seed": [0, 1, 2]},
            "exclude": [{"activation": "tanh", "lr": 0.5}],
            "include": [{"activation": "relu", "layers": [2, 8, 1]}, {"activation": "sigmoid", "lr": 0.1, "seed": 0}],
        }
    )
    names = [c.name for c in combos]
    assert len(combos) == 2 * 2 * 3 - 3 + 1  # the second include repeats a grid point and runs once
    assert names[:3] == ["activation-sigmoid_lr-0.1_seed-0", "activation-sigmoid_lr-0.1_seed-1", "activation-sigmoid_lr-0.1_seed-2"]
    assert names[-1] == "activation-relu_layers-2x8x1" and combos[-1].spec.layers == (2, 8, 1) and combos[-1].spec.lr == 0.5
    assert not any(c.spec.activation == "tanh" and c.spec.lr == 0.5 for c in combos)
    assert all(c.spec.epochs == 2 for c in combos) and len(set(names)) == len(names)
    assert grid.fields_of(combos) == ["activation", "lr", "seed", "layers"]


def test_a_grid_of_1200_combinations_expands_and_validates(tmp_path):
    lists = {
        "activation": ["sigmoid", "tanh", "relu"],
        "loss": ["mse", "bce"],
        "optimizer": ["sgd", "momentum", "nesterov", "adam", "rmsprop"],
    }
    lists |= {"dtype": ["float32", "float64"], "layers": [[2, 4, 1], [2, 4, 4, 1]], "seed": list(range(10))}
    combos = grid.load(write(tmp_path, "[grid]\n" + "\n".join(f"{k} = {v!r}".replace("'", '"') for k, v in lists.items())))
    assert len(combos) == 1200 and len({c.name for c in combos}) == 1200
    assert combos[-1].spec.layers == (2, 4, 4, 1) and combos[-1].spec.seed == 9 and combos[-1].spec.optimizer == "rmsprop"


def test_names_are_stable_and_safe_as_folder_names():
    values = {"dataset": "data/my file.csv", "frameworks": ["numpy", "torch"]}
    assert grid.name_of(values) == "dataset-data_my_file.csv_frameworks-numpy+torch"
    long = grid.expand({"grid": {"init_scale": [0.1 + i * 1e-12 for i in range(3)], "noise": [0.123456789012345678]}, "epochs": 1})
    assert [c.name for c in long] == [
        c.name
        for c in grid.expand({"grid": {"init_scale": [0.1 + i * 1e-12 for i in range(3)], "noise": [0.123456789012345678]}, "epochs": 1})
    ]


@pytest.mark.parametrize(
    "text,message",
    [
        (BASE + "[grid]\nactivations = ['relu']\n", "[grid].activations: unknown field; expected one of layers, activation,"),
        (BASE + "colour = 'red'\n[grid]\nlr = [0.1]\n", "base.colour: unknown field"),
        (BASE + "[grid]\nlr = []\n", "[grid].lr: empty list; expected at least one value"),
        (BASE + "[grid]\nlr = 0.1\n", "[grid].lr: got 0.1; expected a list of values, e.g. lr = [0.1]"),
        (
            BASE + "[grid]\nactivation = ['relu']\nlr = [0.1, -1]\n",
            "spec.lr: got -1.0; expected a learning rate > 0 (in combination activation=relu, lr=-1)",
        ),
        (
            BASE + "[grid]\noptimizer = ['sgd', 'adagrad']\n",
            "spec.optimizer: got 'adagrad'; expected one of sgd, momentum, nesterov, adam, rmsprop (in combination optimizer=adagrad)",
        ),
        (BASE + "[grid]\nlr = [0.1]\n[[include]]\nseed = -2\n", "spec.seed: got -2; expected a whole number >= 0 (in [[include]] seed=-2)"),
        (BASE + "[grid]\nlr = [0.1]\n[[exclude]]\nrate = 0.1\n", "[[exclude]].rate: unknown field"),
        (BASE + "[grid]\nlr = [0.1]\n[[exclude]]\nlr = 0.1\n", "grid: no combination to run"),
        (BASE + "[grid\nlr = [0.1]\n", "not valid TOML"),
    ],
)
def test_a_bad_grid_exits_2_in_one_line_naming_field_value_and_combination_and_writes_nothing(text, message, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(tmp_path, text)
    assert main(["sweep", "grid.toml", "--workers", "1"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0], err
    assert [p.name for p in tmp_path.iterdir()] == ["grid.toml"]


@pytest.mark.parametrize(
    "argv,message",
    [
        (["missing.toml"], "grid missing.toml: no such file; expected a TOML file"),
        (["."], "grid .: cannot read it"),
        (["grid.toml", "--workers", "0"], "--workers 0: expected a whole number >= 1"),
        (
            ["grid.toml", "--scheduler", "http://127.0.0.1:8786"],
            "--scheduler http://127.0.0.1:8786: expected tcp://HOST:PORT or tls://HOST:PORT",
        ),
        (["grid.toml", "--tls-ca", "ca.pem"], "--tls-ca/--tls-cert/--tls-key: need --scheduler tls://HOST:PORT"),
        (["grid.toml", "--scheduler", "tls://127.0.0.1:1", "--tls-ca", "ca.pem"], "--tls-cert: missing"),
        (["grid.toml", "--out", "grid.toml"], "--out grid.toml: exists and is not a folder"),
    ],
)
def test_bad_flags_and_unreadable_files_exit_2_in_one_line_and_write_nothing(argv, message, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(tmp_path, BASE + "[grid]\nlr = [0.1]\n")
    assert main(["sweep", *argv]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0], err
    assert [p.name for p in tmp_path.iterdir()] == ["grid.toml"]


def test_python_callers_get_the_same_errors_as_exceptions():
    with pytest.raises(SpecError, match=r"\[grid\]\.lr: empty list"):
        grid.load({"grid": {"lr": []}})
