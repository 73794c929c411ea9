"""Sweeps on a LocalCluster: rows and statuses, bundles that re-verify, a run that diverges and one that raises, the
table/heatmap/report, resume and --force, and Ctrl-C (SIGINT) mid-sweep then resumed. The sweep with all three
frameworks (TensorFlow's import is its cost) is checked by one test, so that pytest-xdist never runs it twice."""

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import compare
from compare.cli import main
from compare.io import bundle
from compare.shared import harness, implementations
from compare.sweeps import cluster, results

NUMPY_GRID = """layers = [2, 4, 1]
epochs = 3
batch_size = 50
frameworks = ["numpy"]

[grid]
activation = ["sigmoid", "tanh"]
lr = [0.1, 0.5]
seed = [0, 1]
"""
GRID = (
    NUMPY_GRID
    + """
[[include]]  # all three frameworks
activation = "tanh"
frameworks = ["numpy", "torch", "tensorflow"]

[[include]]  # diverges: a ReLU network with a linear output and a huge learning rate
activation = "relu"
output = "identity"
lr = 1e6

[[include]]  # raises: three inputs do not fit moons
layers = [3, 4, 1]
"""
)
NUMPY_NAMES = [f"activation-{a}_lr-{lr}_seed-{s}" for a in ("sigmoid", "tanh") for lr in (0.1, 0.5) for s in (0, 1)]
ALL_THREE, DIVERGES, RAISES = (
    "activation-tanh_frameworks-numpy+torch+tensorflow",
    "activation-relu_output-identity_lr-1000000.0",
    "layers-3x4x1",
)


@pytest.fixture(scope="module")
def client():
    with cluster.client(workers=2) as c:
        yield c


@pytest.fixture(scope="module")
def grid_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("grid") / "grid.toml"
    path.write_text(GRID)
    return path


@pytest.fixture(scope="module")
def swept(client, grid_file):
    out = grid_file.parent / "sweep"
    return out, compare.sweep(grid_file, client=client, out=out)


def mtimes(out) -> dict:
    return {p.name: (p / "spec.json").stat().st_mtime_ns for p in (out / results.RUNS).iterdir()}


def same_but_timings(a: pd.DataFrame, b: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(a.drop(columns="wall_s").reset_index(drop=True), b.drop(columns="wall_s").reset_index(drop=True))


def test_a_sweep_with_a_run_in_all_three_frameworks_one_that_diverges_and_one_that_raises(swept, capsys, tmp_path):
    rows_hold_every_combination_with_the_right_status_and_numbers(*swept)
    each_bundle_loads_and_its_curves_recompute_bit_for_bit_and_nothing_partial_is_left(*swept)
    table_renders_the_sweep_and_the_report_and_heatmap_name_what_went_wrong(*swept, capsys)
    a_bundle_whose_pair_fails_is_a_row_that_disagrees_and_names_the_pair(swept[0], tmp_path)


def a_bundle_whose_pair_fails_is_a_row_that_disagrees_and_names_the_pair(out, tmp_path):
    copy = shutil.copytree(out / results.RUNS / ALL_THREE, tmp_path / "copy")
    grads = pd.read_csv(copy / "gradients.csv")
    grads.loc[(grads["pair"] == "torch vs tensorflow") & (grads["tensor"] == "dW1"), "pass"] = False
    grads.to_csv(copy / "gradients.csv", index=False)
    row = results.bundle_row(copy)
    assert row["status"] == "disagrees" and row["error"] == "torch vs tensorflow"


def rows_hold_every_combination_with_the_right_status_and_numbers(out, frame):
    assert list(frame["name"]) == [*NUMPY_NAMES, ALL_THREE, DIVERGES, RAISES]
    assert list(frame.columns[:8]) == ["name", "activation", "lr", "seed", "frameworks", "output", "layers", "status"]
    status = dict(zip(frame["name"], frame["status"]))
    assert [status[n] for n in NUMPY_NAMES] == ["ok"] * 8 and status[ALL_THREE] == "ok"
    row = frame.set_index("name").loc
    assert status[DIVERGES] == "diverged" and row[DIVERGES, "error"] == "numpy: non-finite loss at step 5"
    assert status[RAISES] == "failed" and row[RAISES, "error"].startswith("spec.layers: input size 3 does not fit 'moons'")
    assert row[ALL_THREE, "max_grad_rel[torch vs tensorflow]"] < 1e-12 and row[ALL_THREE, "max_curve_rel[numpy vs torch]"] < 1e-12
    assert pd.isna(row[ALL_THREE, "first_divergent_step[torch vs tensorflow]"]) and 0 < row[ALL_THREE, "test_loss[tensorflow]"] < 1
    assert row[ALL_THREE, "test_acc[torch]"] == row[ALL_THREE, "test_acc[tensorflow]"] == row[ALL_THREE, "test_acc[numpy]"]
    assert 1e-12 < row[NUMPY_NAMES[0], "max_grad_rel[numpy vs finite differences]"] < 1e-4 and pd.isna(
        row[NUMPY_NAMES[0], "test_loss[torch]"]
    )
    assert (frame["wall_s"].drop(index=10) > 0).all()
    on_disk = results.read(out)
    assert list(on_disk["name"]) == list(frame["name"]) and on_disk["max_curve_rel[numpy vs torch]"].equals(
        frame["max_curve_rel[numpy vs torch]"]
    )


def each_bundle_loads_and_its_curves_recompute_bit_for_bit_and_nothing_partial_is_left(out, frame):
    assert sorted(p.name for p in (out / results.RUNS).iterdir()) == sorted(frame["name"][frame["status"] != "failed"])
    for name in [NUMPY_NAMES[0], NUMPY_NAMES[-1], ALL_THREE, DIVERGES]:
        spec, data, init, schedule, curves = bundle.load(out / results.RUNS / name)
        for framework in spec.frameworks:
            recomputed = harness.train(framework, implementations.build(framework, spec, init), spec, data, schedule).losses
            assert np.array_equal(recomputed, curves[curves["framework"] == framework]["loss"].to_numpy(), equal_nan=True), (
                name,
                framework,
            )


def table_renders_the_sweep_and_the_report_and_heatmap_name_what_went_wrong(out, frame, capsys):
    assert main(["table", str(out), "--format", "csv"]) == 0
    assert capsys.readouterr().out == (out / results.SWEEP_CSV).read_text()
    assert main(["table", str(out)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2 + 11 and lines[0].startswith("| name") and "| diverged " in lines[11] and "| 1e+06 " in lines[11]
    assert main(["table", str(out), str(out / results.RUNS / NUMPY_NAMES[0])]) == 2
    report = (out / "report.md").read_text()
    assert "11 combinations: 9 ok, 0 disagrees, 1 diverged, 1 failed." in report and f"| {RAISES} " in report
    assert f"[report](runs/{DIVERGES}/report.md)" in report and f"| {ALL_THREE} " in report.split("## Largest differences")[1]
    assert (out / "heatmap.png").read_bytes()[:4] == b"\x89PNG"


def test_a_second_sweep_redoes_only_what_is_missing_or_changed_and_force_redoes_all(client, tmp_path):
    (tmp_path / "grid.toml").write_text(NUMPY_GRID.replace("seed = [0, 1]", "seed = [0]"))
    out = tmp_path / "sweep"
    first = compare.sweep(tmp_path / "grid.toml", client=client, out=out)
    before = mtimes(out)
    (out / results.RUNS / NUMPY_NAMES[0] / "report.md").unlink()  # an incomplete bundle
    spec_json = out / results.RUNS / NUMPY_NAMES[2] / "spec.json"
    spec_json.write_text(spec_json.read_text().replace('"epochs": 3', '"epochs": 4'))  # made from another spec
    again = compare.sweep(tmp_path / "grid.toml", client=client, out=out)
    after = mtimes(out)
    assert len(before) == 4 and {n for n in before if after[n] != before[n]} == {NUMPY_NAMES[0], NUMPY_NAMES[2]}
    same_but_timings(first, again)
    assert again["wall_s"][3] == first["wall_s"][3]  # a kept row keeps its time
    compare.sweep(tmp_path / "grid.toml", client=client, out=out, force=True)
    assert all(t != after[n] for n, t in mtimes(out).items())


def test_ctrl_c_mid_sweep_keeps_completed_bundles_and_a_whole_sweep_csv_then_resume_equals_one_uninterrupted_run(client, tmp_path):
    """SIGINT is sent once the third combination has started (tests/held.py holds it there and says so), so that
    exactly two are complete, however fast the machine."""
    grid_path, out = tmp_path / "numpy.toml", tmp_path / "sweep"
    grid_path.write_text(NUMPY_GRID)
    held = [sys.executable, str(Path(__file__).parent / "held.py")]
    proc = subprocess.Popen([*held, "sweep", str(grid_path), "--workers", "1", "--out", str(out)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
    for line in proc.stderr:  # Dask's log lines, then the held combination's
        if line.startswith("held "):
            break
    else:
        raise AssertionError(f"the sweep ended before its third combination: {proc.wait()}")
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr
    assert "interrupted: the completed combinations are in" in stdout
    partial = results.read(out)
    assert len(partial) == 2 and set(partial["status"]) == {"ok"}
    assert sorted(os.listdir(out / results.RUNS)) == sorted(partial["name"])  # no partial bundle, no staging folder
    before = mtimes(out)
    assert main(["sweep", str(grid_path), "--scheduler", client.scheduler.address, "--out", str(out)]) == 0  # resumed, on tcp://
    assert all(mtimes(out)[n] == t for n, t in before.items())  # completed combinations are not redone
    compare.sweep(grid_path, client=client, out=tmp_path / "uninterrupted")
    same_but_timings(results.read(out), results.read(tmp_path / "uninterrupted"))


def test_the_local_cluster_listens_on_loopback_only_and_retries_a_dead_workers_task_once(client):
    assert client.scheduler.address.startswith("tcp://127.0.0.1:")
    assert all(a.startswith("tcp://127.0.0.1:") for a in client.scheduler_info()["workers"])
    assert client.run_on_scheduler(lambda dask_scheduler: dask_scheduler.allowed_failures) == cluster.ALLOWED_FAILURES == 1
    assert client.run(lambda: __import__("threadpoolctl").threadpool_info()[0]["num_threads"]) == dict.fromkeys(
        client.scheduler_info()["workers"], 1
    )


def test_a_combination_whose_worker_dies_twice_is_recorded_as_failed_and_the_rest_complete(client, tmp_path):
    """Every worker that starts one combination dies (os._exit): it is retried once on the other worker, then the
    scheduler gives up on it (KilledWorker) and its row says so; the combination beside it completes."""
    from distributed.diagnostics.plugin import WorkerPlugin

    victim, deaths = "seed-1", tmp_path / "deaths"
    deaths.mkdir()

    class DiesOnVictim(WorkerPlugin):  # defined here so that cloudpickle sends it by value
        def transition(self, key, start, finish, **kwargs):
            if finish == "executing" and str(key).endswith(victim):
                (deaths / str(os.getpid())).touch()
                os._exit(1)

    grid = {"layers": [2, 4, 1], "epochs": 2, "batch_size": 50, "frameworks": ["numpy"], "grid": {"seed": [0, 1]}}
    client.register_plugin(DiesOnVictim(), name="dies-on-victim")
    try:
        frame = compare.sweep(grid, client=client, out=tmp_path / "sweep").set_index("name")
    finally:
        client.unregister_worker_plugin("dies-on-victim")
    assert len(list(deaths.iterdir())) == 2  # two workers died on it: the first try and the one retry
    assert frame.loc["seed-0", "status"] == "ok"
    assert frame.loc[victim, "status"] == "failed" and frame.loc[victim, "error"].startswith("KilledWorker"), frame.loc[victim, "error"]
    assert sorted(p.name for p in (tmp_path / "sweep" / results.RUNS).iterdir()) == ["seed-0"]  # nothing half-written
