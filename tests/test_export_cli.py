"""mlp-compare export from a real run bundle, the folder it writes, what every generated file is (ruff-clean, NumPy and its
framework only, the same for the same spec), and bad input: one line, exit 2, nothing written."""

import ast
import json
import shutil
import subprocess
import sys

import numpy as np
import pytest

import compare
from compare.cli import main
from compare.errors import SpecError
from compare.export import Convention
from compare.export import folder as export_folder
from compare.io import manifest
from compare.shared.spec import Spec
from tests.exports import BUNDLE, CASES

RUNS = {"torch": "torch", "keras": "tensorflow"}
SMALL = Spec(layers=(2, 4, 1), epochs=2, n_samples=40, dropout=0.1)


def test_a_bundles_export_reproduces_its_torch_and_tensorflow_curves_and_final_weights(exported):
    folder, run = exported[BUNDLE], exported[BUNDLE].parent / f"{BUNDLE}.run"
    for name in ("init.npz", "data.npz", "schedule.npy"):
        assert (folder / name).read_bytes() == (run / name).read_bytes()
    for framework, name in RUNS.items():
        ours, theirs = np.load(folder / f"{framework}_losses.npy"), np.load(run / "losses" / f"{name}.npy")
        assert ours.shape == theirs.shape and np.abs(ours - theirs).max() <= 1e-12 * np.abs(theirs).max()
        with np.load(folder / f"{framework}_final.npz") as a, np.load(run / "final" / f"{name}.npz") as b:
            assert sorted(a.files) == sorted(b.files)
            assert max(np.abs(a[k] - b[k]).max() for k in b.files) <= 1e-12
    readme = (folder / "README.md").read_text()
    assert "torch_train.py" in readme and "masks.npz" in readme and "losses/tensorflow.npy" in readme


def test_a_bundle_and_its_spec_json_export_the_same_scripts_and_arrays(exported, tmp_path):
    folder, run = exported[BUNDLE], exported[BUNDLE].parent / f"{BUNDLE}.run"
    again = compare.export(run / "spec.json", out=tmp_path / "from-spec")
    for name in ("torch_train.py", "keras_train.py", "schedule.npy"):
        assert (again / name).read_bytes() == (folder / name).read_bytes(), name
    for name in ("data.npz", "init.npz", "masks.npz"):
        with np.load(again / name) as a, np.load(folder / name) as b:
            assert a.files == b.files and all(np.array_equal(a[k], b[k]) for k in a.files), name


def test_every_generated_file_passes_ruff_check_and_format(exported):
    root = next(iter(exported.values())).parent
    files = sorted(str(p) for p in root.glob("*/*_train.*"))
    assert len(files) >= 2 * len(CASES)
    rules = ["--isolated", "--select", "E,F,W,I,B,UP", "--line-length", "88"]
    check = subprocess.run([sys.executable, "-m", "ruff", "check", *rules, *files], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout[-3000:]
    fmt = subprocess.run([sys.executable, "-m", "ruff", "format", "--isolated", "--check", *files], capture_output=True, text=True)
    assert fmt.returncode == 0, fmt.stdout[-3000:] + fmt.stderr[-3000:]


def test_every_script_imports_numpy_and_its_framework_only(exported):
    allowed = {"torch": {"numpy", "torch", "math"}, "keras": {"numpy", "keras", "math"}}
    for path in next(iter(exported.values())).parent.glob("*/*_train.py"):
        framework = path.name.split("_")[0]
        tree = ast.parse(path.read_text())
        imported = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
        imported |= {node.module.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
        assert imported <= allowed[framework] and {"numpy", framework} <= imported, (path, imported)


def test_the_same_spec_twice_gives_the_same_scripts_and_bit_identical_arrays(tmp_path):
    a = compare.export(SMALL, out=tmp_path / "a")
    b = compare.export(SMALL, out=tmp_path / "b")
    assert sorted(p.name for p in a.iterdir()) == sorted(p.name for p in b.iterdir())
    for path in a.iterdir():
        if path.suffix == ".npz":
            with np.load(path) as x, np.load(b / path.name) as y:
                assert x.files == y.files and all(np.array_equal(x[k], y[k]) and x[k].dtype == y[k].dtype for k in x.files)
        else:
            assert path.read_bytes() == (b / path.name).read_bytes(), path.name


def test_the_masks_are_the_ones_each_training_step_draws(tmp_path):
    from compare.shared import harness

    folder = compare.export(SMALL, to="torch", out=tmp_path / "m")
    schedule = np.load(folder / "schedule.npy")
    with np.load(folder / "masks.npz") as f:
        mask = f["mask1"]
    dropout, n = harness.Dropout(SMALL), schedule.shape[1]
    for epoch, i, idx in harness.batches(schedule, SMALL.batch_size):
        start = i * SMALL.batch_size
        assert np.array_equal(mask[epoch, start : start + len(idx)], dropout.draw(len(idx))[0])
    assert mask.shape == (SMALL.epochs, n, 4) and set(np.unique(mask)) == {0.0, 1 / 0.9}


def test_the_command_writes_the_folder_and_force_replaces_it(tmp_path, capsys):
    spec_file = tmp_path / "spec.toml"
    spec_file.write_text('layers = [2, 4, 1]\nepochs = 2\nn_samples = 40\noptimizer = "momentum"\nlr = 0.1\n')
    out = tmp_path / "out"
    assert main(["export", str(spec_file), "--to", "keras", "--out", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["README.md", "data.npz", "init.npz", "keras_train.py", "schedule.npy"]
    assert "python keras_train.py" in capsys.readouterr().out
    assert main(["export", str(spec_file), "--to", "torch", "--style", "idiomatic", "--out", str(out), "--force"]) == 0
    assert (out / "torch_train.py").is_file() and not (out / "keras_train.py").exists()
    assert "DataLoader" in (out / "torch_train.py").read_text()


def test_help_has_examples(capsys):
    with pytest.raises(SystemExit):
        main(["export", "--help"])
    text = capsys.readouterr().out
    assert "examples:" in text and "--style idiomatic" in text and "SPEC_OR_RUN_DIR" in text


def _native_bundle(tmp_path):
    """A bundle whose environment.json says its torch and tensorflow runs kept their own defaults."""
    run = tmp_path / "native"
    compare.run(SMALL.replace(frameworks=("numpy",), dropout=0.0)).save(run)
    environment = json.loads((run / "environment.json").read_text())
    (run / "environment.json").write_text(json.dumps({**environment, "defaults": "native"}))
    manifest.write(run)  # as such a run seals it
    return run


@pytest.mark.parametrize(
    "make, extra, message",
    [
        (lambda tmp: tmp / "nowhere", [], "no such file or folder"),
        (lambda tmp: tmp, [], "not a run bundle (missing spec.json"),
        (lambda tmp: (tmp / "bad.toml").write_text("lr = -1\n") and tmp / "bad.toml", [], "spec.lr: got -1.0"),
        (lambda tmp: (tmp / "x.txt").write_text("") and tmp / "x.txt", [], "expected a run bundle's folder or a spec file"),
        (_native_bundle, [], "--defaults native"),
        (lambda tmp: (tmp / "s.toml").write_text("epochs = 1\n") and tmp / "s.toml", ["--out", "{tmp}"], "pass --force"),
    ],
    ids=["missing", "not-a-bundle", "bad-spec", "not-a-spec-file", "native-bundle", "out-exists"],
)
def test_bad_input_is_one_line_exit_2_and_nothing_written(tmp_path, capsys, make, extra, message):
    where = tmp_path / "in"
    where.mkdir()
    (where / "keep").write_text("")  # an --out that exists and is not empty
    source = make(where)
    out = tmp_path / "out"
    argv = ["export", str(source), "--out", str(out)] if not extra else ["export", str(source), *[a.format(tmp=where) for a in extra]]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0], err
    assert not out.exists() and sorted(p.name for p in tmp_path.iterdir()) == ["in"]
    assert (where / "keep").is_file()


def test_a_failure_while_writing_leaves_nothing_behind(tmp_path, monkeypatch):
    def broken(*args):
        raise RuntimeError("disk full")

    monkeypatch.setitem(export_folder.SCRIPTS, "keras", broken)  # after torch_train.py and the arrays are written
    with pytest.raises(RuntimeError):
        compare.export(SMALL, out=tmp_path / "deep" / "out")
    assert list(tmp_path.iterdir()) == []


def test_a_convention_the_spec_cannot_take_is_refused_by_field():
    with pytest.raises(SpecError, match="convention.l2_penalty_factor: the spec has no L2 penalty"):
        compare.export(SMALL, out="unused", convention=Convention(l2_penalty_factor=2.0))
    with pytest.raises(SpecError, match="convention.loss_factor: got 0"):
        Convention(loss_factor=0)


def test_an_unknown_target_or_style_exits_2(capsys):
    for argv in (["--to", "jax"], ["--style", "clever"]):
        with pytest.raises(SystemExit) as e:
            main(["export", "runs/x", *argv])
        assert e.value.code == 2
    assert "invalid choice" in capsys.readouterr().err


def test_an_export_is_never_half_written_over_an_existing_folder(tmp_path):
    out = compare.export(SMALL, to="torch", out=tmp_path / "o")
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    with pytest.raises(Exception, match="pass force=True"):
        compare.export(SMALL.replace(epochs=3), to="torch", out=out)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    shutil.rmtree(out)
