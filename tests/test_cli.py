"""The CLI's exit codes, its bad-input messages, a missing framework, NaN, Ctrl-C, and a
deliberately broken implementation caught and localised to the right tensor."""

import subprocess
import sys

import numpy as np
import pytest

from compare.cli import main
from compare.shared import harness, implementations

QUICK = ["--epochs", "2"]


def error_line(capsys) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    return err[0]


@pytest.mark.parametrize(
    "argv,message",
    [
        (["run", "--activation", "swish"], "spec.activation: got 'swish'; expected one of sigmoid, relu, tanh"),
        (["run", "--optimizer", "adagrad"], "spec.optimizer: got 'adagrad'"),
        (["run", "--loss", "hinge"], "spec.loss: got 'hinge'"),
        (["run", "--dtype", "float16"], "spec.dtype: got 'float16'"),
        (["run", "--lr", "0"], "spec.lr: got 0.0; expected a learning rate > 0"),
        (["run", "--layers", "3,4,1"], "spec.layers: input size 3 does not fit 'moons', which has 2 features"),
        (["run", "--layers", "2,4,3", "--loss", "ce"], "spec.layers: output size 3 does not fit 'moons', which has 2 classes"),
        (["run", "--loss", "ce"], "spec.layers: got [2, 4, 1]; expected an output size >= 2 for ce"),
        (["run", "--batch-size", "1000"], "spec.batch_size: 1000 is larger than the 150 training samples"),
        (["run", "--frameworks", "numpy,jax"], "spec.frameworks: got 'jax'; expected one of numpy, torch, tensorflow"),
        (["run", "--dataset", "mnist"], "spec.dataset: got 'mnist'; expected a .csv path or one of"),
        (["run", "--config", "nope.toml"], "config nope.toml: no such file"),
        (["gradcheck", "--fd-entries", "0"], "--fd-entries: got 0; expected a whole number >= 1"),
        (["table", "/"], "/: not a run bundle"),
    ],
)
def test_bad_input_exits_2_with_one_clear_line(argv, message, capsys):
    assert main(argv) == 2
    assert message in error_line(capsys)


@pytest.mark.parametrize("argv", [["run", "--dataset", "moon"], ["run", "--layers", "3,4,1"], ["run", "--dataset", "missing.csv"]])
def test_bad_data_is_refused_before_any_progress_bar_and_leaves_nothing(argv, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert "epochs" not in captured.out and "mlp-compare run:" not in captured.out  # no header, no bar drawn
    assert len(captured.err.strip().splitlines()) == 1 and "spec." in captured.err
    assert not any(tmp_path.iterdir())  # no runs/ folder, no staging folder


@pytest.mark.parametrize(
    "argv,words",
    [
        (["run", "--layers", "2,x,1"], "malformed --layers '2,x,1'"),
        (["run", "--nope"], "unrecognized arguments: --nope"),
        (["table"], "the following arguments are required: RUN_DIR"),
        (["frobnicate"], "invalid choice: 'frobnicate'"),
    ],
)
def test_argparse_errors_are_one_line_and_exit_2(argv, words, capsys):
    with pytest.raises(SystemExit) as e:
        main(argv)
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert e.value.code == 2 and words in line and line.startswith("mlp-compare")


def test_malformed_layers_and_unknown_choices_are_argparse_errors(capsys):
    with pytest.raises(SystemExit) as e:
        main(["run", "--layers", "2,x,1"])
    assert e.value.code == 2 and "malformed --layers '2,x,1'" in capsys.readouterr().err
    with pytest.raises(SystemExit) as e:
        main(["table", "x", "--format", "pdf"])
    assert e.value.code == 2


def test_malformed_config_and_unknown_config_key(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text("layers = [2, 4\n")
    assert main(["run", "--config", str(bad)]) == 2
    assert "not valid TOML" in error_line(capsys)
    bad.write_text("learning_rate = 0.1\n")
    assert main(["run", "--config", str(bad)]) == 2
    assert "spec.learning_rate: unknown field" in error_line(capsys)
    good = tmp_path / "good.toml"
    good.write_text('layers = [2, 8, 1]\nloss = "bce"\nepochs = 1\nlr = 0.3\n')
    assert main(["run", "--config", str(good), "--lr", "0.1", "--frameworks", "numpy", "--out", str(tmp_path / "o")]) == 0
    assert '"lr": 0.1' in (tmp_path / "o" / "spec.json").read_text()  # the flag overrides the file


@pytest.mark.parametrize(
    "content,flags,message",
    [
        (None, [], "no such file"),
        ("a,b,y\n1,x,0\n2,y,1\n3,z,0\n4,w,1\n", [], "non-numeric feature column(s) b"),
        ("a,b,y\n1,,0\n2,3,1\n3,4,0\n4,5,1\n", [], "missing values in column(s) b"),
        ("a,b,y\n1,2,0\n2,3,1\n3,4,0\n4,5,1\n", ["--target", "label"], "spec.target: no column 'label'"),
    ],
)
def test_bad_csvs_exit_2(tmp_path, capsys, monkeypatch, content, flags, message):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "d.csv"
    if content is not None:
        path.write_text(content)
    assert main(["run", "--dataset", str(path), "--batch-size", "1", *flags]) == 2
    assert message in error_line(capsys)
    assert not (tmp_path / "runs").exists()  # not even an empty runs/ folder


def test_out_that_exists_and_is_not_empty_is_refused_unless_forced(tmp_path, capsys):
    out = tmp_path / "taken"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    assert main(["run", *QUICK, "--frameworks", "numpy", "--out", str(out)]) == 2
    assert "not empty; pass --force" in error_line(capsys) and (out / "keep.txt").exists()
    assert main(["run", *QUICK, "--frameworks", "numpy", "--out", str(out), "--force"]) == 0
    assert not (out / "keep.txt").exists() and (out / "curves.csv").is_file()


def test_missing_framework_is_marked_not_installed_and_the_others_decide(tmp_path, monkeypatch, capsys):
    real = implementations.installed
    monkeypatch.setattr(implementations, "installed", lambda name: name != "tensorflow" and real(name))
    assert main(["run", *QUICK, "--out", str(tmp_path / "o")]) == 0
    out = capsys.readouterr().out
    assert out.count("not installed") >= 3
    for table in ("gradients.csv", "agreement.csv", "metrics.csv"):
        assert "not installed" in (tmp_path / "o" / table).read_text(), table


def test_nan_loss_stops_that_framework_names_the_step_and_exits_1(tmp_path, capsys):
    argv = ["run", "--output", "identity", "--activation", "relu", "--lr", "1e6", "--epochs", "3", "--out", str(tmp_path / "o")]
    assert main(argv) == 1
    out = capsys.readouterr().out
    assert "non-finite loss at step" in out and "stopped: the loss became NaN or infinite at step" in out


def test_ctrl_c_leaves_no_partial_bundle(tmp_path, monkeypatch, capsys):
    real_train = harness.train

    def interrupted(name, *args, **kwargs):
        if name == "tensorflow":
            raise KeyboardInterrupt
        return real_train(name, *args, **kwargs)

    monkeypatch.setattr(harness, "train", interrupted)
    assert main(["run", *QUICK, "--out", str(tmp_path / "new" / "o")]) == 130  # nor the folders made for it
    assert list(tmp_path.iterdir()) == [] and "interrupted; nothing written" in capsys.readouterr().err


def test_ctrl_c_while_writing_the_bundle_leaves_nothing(tmp_path, monkeypatch):
    from compare.io import plots

    def interrupted(*args):
        raise KeyboardInterrupt

    monkeypatch.setattr(plots, "grad_errors", interrupted)
    assert main(["run", *QUICK, "--frameworks", "numpy", "--out", str(tmp_path / "o")]) == 130
    assert list(tmp_path.iterdir()) == []


def test_broken_backprop_is_caught_and_localised_to_the_scaled_tensor(monkeypatch, capsys, tmp_path):
    """Scale the NumPy gradient of W2 by 1.01: the numpy pairs fail at dW2, torch vs tensorflow passes."""
    import scratch.mlp

    real_backward = scratch.mlp.MLP.backward

    def scaled(self, dZ, cache, *buffers):
        grads = real_backward(self, dZ, cache, *buffers)
        grads[1] = (grads[1][0] * 1.01, grads[1][1])
        return grads

    monkeypatch.setattr(scratch.mlp.MLP, "backward", scaled)
    assert main(["gradcheck", "--layers", "2,8,8,1", "--activation", "tanh"]) == 1
    out = capsys.readouterr().out
    assert "numpy vs torch: first failing tensor walking back from the output: dW2" in out
    assert "numpy vs tensorflow: first failing tensor walking back from the output: dW2" in out
    assert "numpy vs finite differences: first failing tensor walking back from the output: dW2" in out
    assert "torch vs tensorflow: first failing" not in out
    out_dir = ["--out", str(tmp_path / "broken")]
    assert main(["run", "--layers", "2,8,8,1", "--activation", "tanh", *QUICK, "--frameworks", "numpy,torch", *out_dir]) == 1
    assert "first failing tensor is `dW2`" in capsys.readouterr().out


def test_help_on_every_command_shows_examples():
    for command in ("run", "gradcheck", "table"):
        out = subprocess.run([sys.executable, "-m", "compare", command, "--help"], capture_output=True, text=True, check=True).stdout
        assert "examples:" in out and "mlp-compare" in out


def test_identical_runs_are_bit_identical_in_the_bundle(tmp_path):
    for name in ("a", "b"):
        assert main(["run", *QUICK, "--out", str(tmp_path / name)]) == 0
    a, b = ((tmp_path / n / "curves.csv").read_text() for n in ("a", "b"))
    assert a == b and np.isfinite(np.loadtxt(tmp_path / "a" / "curves.csv", delimiter=",", skiprows=1, usecols=3)).all()


def test_run_explain_names_adams_eps_placement(tmp_path, capsys):
    argv = ["run", "--optimizer", "adam", "--lr", "0.01", "--epochs", "3", "--explain", "--out", str(tmp_path / "o")]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "tensorflow: explained by Adam eps placement, Keras form" in out
    assert "torch: matches the NumPy reference as is" in out


def test_run_defaults_native_is_accounted_for_by_each_frameworks_defaults(tmp_path, capsys):
    assert main(["run", "--defaults", "native", "--epochs", "3", "--out", str(tmp_path / "o")]) == 0
    out = capsys.readouterr().out
    assert "torch: explained by torch's default initialisation and hyperparameters" in out
    assert "tensorflow: explained by" in out and "Keras's default initialisation" in out


def test_the_console_script_exits_with_mains_code_and_a_complete_bundle(tmp_path):
    """entry() skips the interpreter's last garbage collection: the exit code and every file must survive it."""
    from compare.io import bundle

    script = [sys.executable, "-m", "compare"]
    ok = subprocess.run([*script, "run", "--frameworks", "numpy", *QUICK, "--out", str(tmp_path / "b")], capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
    assert sorted(p.name for p in (tmp_path / "b").iterdir() if p.is_file()) == sorted(bundle.FILES + bundle.EXACT_FILES)
    assert sorted(p.name for p in (tmp_path / "b").iterdir() if p.is_dir()) == sorted(bundle.FOLDERS + [bundle.EXACT])
    bad = subprocess.run([*script, "run", "--lr", "-1"], capture_output=True, text=True)
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and "spec.lr" in bad.stderr
