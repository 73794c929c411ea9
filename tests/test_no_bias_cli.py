"""Networks without biases through the command line: run --no-bias and its bundle (no b anywhere, curves recomputed
bit for bit), bias = false in a TOML config, --defaults native explained, table, a sweep over bias, and bad input."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import compare
from compare.cli import main
from compare.io import bundle
from compare.shared import harness, implementations

NAMES = ("numpy", "numpy-keras", "torch", "tensorflow")
LEARNER = str(Path(__file__).parent / "learners" / "correct.py")
FLAGS = ["--no-bias", "--layers", "2,6,3", "--activation", "tanh", "--loss", "ce", "--dataset", "blobs", "--optimizer", "adam",
         "--lr", "0.01", "--l2", "0.01", "--dropout", "0.1", "--epochs", "3", "--batch-size", "25"]  # fmt: skip


def error_line(capsys) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    return err[0]


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "nobias"
    assert main(["run", *FLAGS, "--out", str(out)]) == 0
    return out


def test_run_no_bias_writes_a_bundle_without_any_bias(run_dir):
    assert json.loads((run_dir / "spec.json").read_text())["bias"] is False
    with np.load(run_dir / "init.npz") as w:
        assert sorted(w.files) == ["W1", "W2"] and w["W1"].shape == (2, 6) and w["W2"].shape == (6, 3)
    for name in NAMES:
        with np.load(run_dir / "grads" / f"{name}.npz") as g:
            assert sorted(g.files) == ["dW1", "dW2"]
        with np.load(run_dir / "final" / f"{name}.npz") as f:
            assert sorted(f.files) == ["W1", "W2"]
    grads = pd.read_csv(run_dir / "gradients.csv")
    assert set(grads["tensor"]) == {"dW1", "dW2"} and len(grads) == 11 * 2  # 6 pairs, 4 runs vs exact, finite differences
    assert grads["pass"].all() and grads[grads["pair"] != "numpy vs finite differences"]["max_rel"].max() < 1e-13
    agree = pd.read_csv(run_dir / "agreement.csv")
    assert agree[agree["should_agree"]]["pass"].all()
    assert "`init.npz` (W1, W2, ..., no biases in (fan_in, fan_out) layout)" in (run_dir / "report.md").read_text()


def test_curves_recomputed_from_a_no_bias_bundle_match_curves_csv_bit_for_bit(run_dir):
    spec, data, init, schedule, curves = bundle.load(run_dir)
    assert not spec.bias and all(b is None for _, b in init)
    for name in NAMES:
        recomputed = harness.train(name, implementations.build(name, spec, init), spec, data, schedule).losses
        assert np.array_equal(recomputed, curves[curves["framework"] == name]["loss"].to_numpy()), name


def test_explain_and_table_read_a_no_bias_bundle(run_dir, capsys):
    assert main(["explain", str(run_dir)]) == 0
    out = capsys.readouterr().out
    assert "torch: matches the NumPy reference as is" in out and "tensorflow: explained by Adam eps placement, Keras form" in out
    assert main(["table", str(run_dir), "--format", "csv"]) == 0
    assert "2-6-3 nobias tanh ce adam lr=0.01 f64 blobs" in capsys.readouterr().out


def test_bias_false_in_a_toml_config_gives_tables_without_db_rows(tmp_path):
    config = tmp_path / "rashid.toml"  # "Make Your Own Neural Network": wih, who, no biases
    config.write_text('layers = [2, 8, 1]\nbias = false\nepochs = 2\nframeworks = ["numpy", "torch"]\n')
    assert main(["run", "--config", str(config), "--out", str(tmp_path / "run")]) == 0
    grads = pd.read_csv(tmp_path / "run" / "gradients.csv")
    assert list(grads["tensor"]) == ["dW2", "dW1"] * 4 and grads["pass"].all()  # numpy vs torch, each vs exact, finite differences


def test_defaults_native_without_biases_is_explained_by_each_frameworks_defaults(tmp_path, capsys):
    argv = ["run", "--no-bias", "--layers", "2,8,1", "--optimizer", "adam", "--epochs", "2", "--defaults", "native"]
    assert main([*argv, "--out", str(tmp_path / "native"), "--explain"]) == 0
    out = capsys.readouterr().out
    assert "torch: explained by torch's default initialisation and hyperparameters" in out
    assert "tensorflow: explained by" in out and "Keras's default initialisation" in out and "zero bias" not in out
    with np.load(tmp_path / "native" / "final" / "torch.npz") as f:
        assert sorted(f.files) == ["W1", "W2"]


def test_a_sweep_over_bias_runs_both_networks(tmp_path):
    from distributed import Client

    grid = {"layers": [2, 4, 1], "epochs": 2, "batch_size": 50, "frameworks": ["numpy", "torch"], "grid": {"bias": [True, False]}}
    with Client(processes=False, n_workers=1, threads_per_worker=1, dashboard_address=None) as client:
        table = compare.sweep(grid, client=client, out=tmp_path / "sweep")
    assert list(table["name"]) == ["bias-True", "bias-False"] and list(table["bias"].astype(str)) == ["True", "False"]
    assert (table["status"] == "ok").all() and table["max_grad_rel[numpy vs torch]"].max() < 1e-13
    for name, keys in (("bias-True", ["W1", "W2", "b1", "b2"]), ("bias-False", ["W1", "W2"])):
        with np.load(tmp_path / "sweep" / "runs" / name / "init.npz") as w:
            assert sorted(w.files) == keys


@pytest.mark.parametrize(
    "argv,config,message",
    [
        (["run"], 'bias = "no"\n', "spec.bias: got 'no'; expected true or false"),
        (["run", "--no-bias", "--decay-biases", "--l2", "0.01"], "", "spec.decay_biases: got True; expected false when bias is false"),
        (["gradcheck"], "bias = false\ndecay_biases = true\n", "spec.decay_biases: got True; expected false when bias is false"),
    ],
)
def test_bad_bias_input_exits_2_in_one_line_and_writes_nothing(argv, config, message, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    if config:
        (tmp_path / "c.toml").write_text(config)
        argv = [*argv, "--config", "c.toml"]
    assert main(argv) == 2  # run without --out: a bundle would go to runs/<time>-...
    assert message in error_line(capsys)
    assert sorted(p.name for p in tmp_path.iterdir()) == (["c.toml"] if config else [])


def test_a_sweep_grid_with_a_bad_bias_is_refused_before_anything_runs(tmp_path, capsys):
    grid = tmp_path / "grid.toml"
    grid.write_text('layers = [2, 4, 1]\nframeworks = ["numpy"]\n\n[grid]\nbias = [true, "no"]\n')
    assert main(["sweep", str(grid), "--out", str(tmp_path / "out")]) == 2
    assert error_line(capsys) == "mlp-compare sweep: error: spec.bias: got 'no'; expected true or false (in combination bias=no)"
    assert not (tmp_path / "out").exists()


def test_run_without_out_names_its_folder_nobias(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["run", "--no-bias", "--epochs", "1", "--frameworks", "numpy"]) == 0
    (folder,) = (tmp_path / "runs").iterdir()
    assert folder.name.endswith("-2-4-1-nobias-sigmoid-mse-sgd-moons")
