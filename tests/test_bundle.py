"""The run bundle: every file, re-verification from the bundle alone, tables in every format."""

import io
import json

import numpy as np
import pandas as pd
import pytest

from compare.cli import main
from compare.io import bundle
from compare.shared import harness, implementations
from compare.shared.spec import Spec

SPEC_FLAGS = ["--layers", "2,6,3", "--activation", "tanh", "--loss", "ce", "--dataset", "blobs", "--optimizer", "adam",
              "--lr", "0.01", "--epochs", "4", "--batch-size", "25"]  # fmt: skip


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "adam"
    assert main(["run", *SPEC_FLAGS, "--out", str(out)]) == 0
    return out


def test_bundle_holds_every_file_with_the_right_keys_shapes_and_dtypes(run_dir):
    for name in bundle.FILES:
        assert (run_dir / name).is_file(), name
    spec = json.loads((run_dir / "spec.json").read_text())
    assert spec["layers"] == [2, 6, 3] and spec["optimizer"] == "adam" and spec["beta2"] == 0.999 and spec["eps"] == 1e-8
    assert spec["conventions"] == {"numpy": "torch update rules", "numpy-keras": "keras update rules",
                                   "torch": "torch update rules", "tensorflow": "keras update rules"}  # fmt: skip
    with np.load(run_dir / "data.npz") as d:
        assert d["X_train"].shape == (150, 2) and d["X_train"].dtype == np.float64
        assert d["y_train"].shape == (150,) and d["y_train"].dtype == np.int64 and d["X_test"].shape == (50, 2)
    with np.load(run_dir / "init.npz") as w:
        assert sorted(w.files) == ["W1", "W2", "b1", "b2"] and w["W1"].shape == (2, 6) and w["b2"].shape == (3,)
    schedule = np.load(run_dir / "schedule.npy")
    assert schedule.shape == (4, 150) and schedule.dtype.kind == "i"
    assert all(sorted(row) == list(range(150)) for row in schedule)
    curves = pd.read_csv(run_dir / "curves.csv")
    assert list(curves.columns) == ["framework", "epoch", "step", "loss"]
    assert set(curves["framework"]) == {"numpy", "numpy-keras", "torch", "tensorflow"} and curves["step"].max() == 4 * 6
    for name in ("numpy", "numpy-keras", "torch", "tensorflow"):
        with np.load(run_dir / "grads" / f"{name}.npz") as g:
            assert sorted(g.files) == ["dW1", "dW2", "db1", "db2"]
            assert g["dW2"].shape == (6, 3)
        with np.load(run_dir / "final" / f"{name}.npz") as f:
            assert f["W1"].shape == (2, 6) and f["W1"].dtype == np.float64
    diffs = pd.read_csv(run_dir / "curve_diffs.csv")
    steps = json.loads((run_dir / "exact" / "exact.json").read_text())["steps"]  # of the exact curve, under --exact auto
    assert list(diffs.columns) == ["pair", "step", "abs_diff", "rel_diff", "tolerance", "ulps"] and len(diffs) == 6 * 24 + 4 * steps
    assert (diffs["tolerance"].diff()[diffs["step"] > 1] > 0).all()  # the tolerance grows with the step
    exact = diffs[diffs["pair"].str.endswith(" vs exact")]  # each run against the exact curve, in ulps of float64
    assert set(exact["pair"]) == {"numpy vs exact", "numpy-keras vs exact", "torch vs exact", "tensorflow vs exact"}
    assert exact["ulps"].median() < 4 and diffs[~diffs.index.isin(exact.index)]["ulps"].isna().all()
    env = json.loads((run_dir / "environment.json").read_text())
    assert env["torch"].startswith("2.13.0") and env["tensorflow"] == "2.21.0" and env["torch_num_threads"] == 1
    assert {"keras", "numpy", "python", "tf_intra_op_threads", "tf_onednn_opts", "platform"} <= set(env)
    agree = pd.read_csv(run_dir / "agreement.csv")
    row = agree.set_index("pair").loc["torch vs tensorflow"]
    assert not row["should_agree"] and "Adam" in row["reason"] and row["max_rel"] > 1e-9
    assert agree.set_index("pair").loc["numpy-keras vs tensorflow", "pass"]
    assert "![loss curves](loss_curves.png)" in (run_dir / "report.md").read_text()
    assert (run_dir / "loss_curves.png").read_bytes()[:4] == b"\x89PNG"


def test_curves_recomputed_from_the_bundle_alone_match_curves_csv_bit_for_bit(run_dir):
    spec, data, init, schedule, curves = bundle.load(run_dir)
    for name in ("numpy", "numpy-keras", "torch", "tensorflow"):
        recomputed = harness.train(name, implementations.build(name, spec, init), spec, data, schedule).losses
        stored = curves[curves["framework"] == name]["loss"].to_numpy()
        assert np.array_equal(recomputed, stored), name


def test_final_weights_in_the_bundle_are_the_trained_weights(run_dir):
    spec, data, init, schedule, _ = bundle.load(run_dir)
    history = harness.train("torch", implementations.build("torch", spec, init), spec, data, schedule)
    with np.load(run_dir / "final" / "torch.npz") as f:
        assert all(np.array_equal(f[f"W{i + 1}"], W) and np.array_equal(f[f"b{i + 1}"], b) for i, (W, b) in enumerate(history.final))


@pytest.mark.parametrize(
    "fmt,marker", [("markdown", "| run "), ("csv", "run,spec,pair"), ("latex", "\\begin{tabular}"), ("html", "<table")]
)
def test_table_renders_every_format_with_a_row_per_run_and_pair(run_dir, tmp_path, fmt, marker):
    out = tmp_path / f"table.{fmt}"
    assert main(["table", str(run_dir), str(run_dir), "--format", fmt, "--output", str(out)]) == 0
    text = out.read_text()
    assert marker in text and text.count("torch vs tensorflow") == 2 and text.count("numpy-keras vs tensorflow") == 2
    if fmt == "csv":
        frame = pd.read_csv(out)
        assert len(frame) == 12 and frame["max_grad_rel_diff"].max() < 1e-12 and frame["test_acc_a"].between(0, 1).all()


def test_table_skips_a_folder_that_is_not_a_bundle_with_a_note(run_dir, tmp_path, capsys):
    bench = tmp_path / "bench"  # what `mlp-compare bench` leaves beside the bundles in runs/
    bench.mkdir()
    (bench / "bench.md").write_text("# not a bundle\n")
    assert main(["table", str(run_dir), str(bench), "--format", "csv"]) == 0
    captured = capsys.readouterr()
    assert captured.err.strip() == f"mlp-compare table: note: {bench} is not a run bundle (no spec.json); skipped"
    assert len(pd.read_csv(io.StringIO(captured.out))) == 6 and str(bench.name) not in captured.out


def test_run_without_out_writes_under_runs(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["run", "--epochs", "2", "--frameworks", "numpy"]) == 0
    (folder,) = (tmp_path / "runs").iterdir()
    assert "2-4-1-sigmoid-mse-sgd-moons" in folder.name and (folder / "report.md").is_file()


def test_python_api_exposes_tables_curves_and_save(tmp_path):
    import compare

    result = compare.run(Spec(epochs=2, frameworks=("numpy", "torch")))
    assert set(result.tables) == {"gradients", "agreement", "metrics", "exact"} and len(result.curves) == 2 * 2 * 10
    assert result.save(tmp_path / "api") == tmp_path / "api" and (tmp_path / "api" / "curves.csv").is_file()
    grads = compare.gradcheck(Spec(frameworks=("numpy", "tensorflow")))
    assert grads.tables["gradients"]["pass"].all() and grads.first_failing_tensor() == {
        "numpy vs tensorflow": None, "numpy vs exact": None, "tensorflow vs exact": None, "numpy vs finite differences": None}  # fmt: skip


def test_long_runs_are_drawn_per_window_so_the_figure_cost_stays_flat():
    from compare.io import plots

    steps, means = plots.windows(np.arange(10_000, dtype=float), np.mean)
    assert len(steps) == plots.MAX_POINTS and steps[1] == 6 and means[0] == 2.0  # windows of 5: mean of 0..4
    steps, worst = plots.windows(np.array([0.0, 3.0, 1.0] * 2000), np.max)
    assert len(steps) == 2000 and worst.min() == 3.0  # windows of 3: the largest difference in each survives
    short = np.arange(50.0)
    assert np.array_equal(plots.windows(short, np.max)[1], short)
