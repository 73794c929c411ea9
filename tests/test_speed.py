"""Structural speed properties (no timings): no retracing, lazy imports, no per-step allocations, memory flat in epochs."""

import json
import subprocess
import sys
import tracemalloc

import numpy as np
import pytest

from compare.bench import steps
from compare.bench.loops import problem
from compare.shared import harness, implementations, weights
from compare.shared.spec import Spec

SPEC = steps.bench_spec((8, 16, 8, 3), batch=16, dtype="float64")


def test_tensorflow_functions_trace_once_for_every_batch_size():
    import tf_impl

    data, order = problem(SPEC, steps=3, epochs=1)
    model = tf_impl.make(SPEC, weights.init(SPEC))
    harness.train("tensorflow", model, SPEC, data, order)  # steps, then loss and predict on train and test sets
    X, y = data.X_train, data.y_train
    for n in (16, 11, 5, len(X)):  # a smaller last batch, a whole data set
        model.train_step(X[:n], y[:n])
        model.gradients(X[:n], y[:n])
        model.loss(X[:n], y[:n])
        model.predict(X[:n])
    functions = [model._train_step, model._gradients, model._loss, model._predict]
    assert [f.experimental_get_tracing_count() for f in functions] == [1, 1, 1, 1]


@pytest.mark.parametrize("threads", [1, 2])
def test_torch_runs_with_the_spec_thread_count(threads):
    import torch

    before = torch.get_num_threads()
    try:
        implementations.build("torch", SPEC.replace(threads=threads), weights.init(SPEC))
        assert torch.get_num_threads() == threads
    finally:
        torch.set_num_threads(before)


def test_run_with_numpy_only_imports_neither_torch_nor_tensorflow(tmp_path):
    code = (
        "import json, sys\n"
        "from compare.cli import main\n"
        f"code = main(['run', '--frameworks', 'numpy', '--epochs', '2', '--out', {str(tmp_path / 'run')!r}])\n"
        "print(json.dumps([code, sorted(m for m in ('torch', 'tensorflow', 'keras', 'torch_impl', 'tf_impl') if m in sys.modules)]))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    code, loaded = json.loads(out.stdout.strip().splitlines()[-1])
    assert code == 0 and loaded == []


def test_the_cli_and_the_bench_command_import_no_framework_before_they_run():
    code = "import sys, compare.cli, compare.commands.bench; print(sorted(m for m in ('torch', 'tensorflow', 'keras') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "nesterov"])
def test_numpy_training_step_allocates_no_weight_sized_array(optimizer):
    import scratch

    spec = Spec(layers=(256, 512, 3), activation="relu", loss="ce", optimizer=optimizer, lr=0.01, batch_size=2, dataset="blobs")
    model = scratch.make(spec, weights.init(spec))
    X, y = np.ones((2, 256)), np.array([0, 2])
    model.train_step(X, y)  # optimizer state and buffers are created on the first step
    tracemalloc.start()
    model.train_step(X, y)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 256 * 512 * 8 / 4  # W1 alone is 1 MiB; a step's own arrays are a few KiB


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "adam", "rmsprop"])
def test_numpy_keeps_the_spec_dtype_through_training(dtype, optimizer):
    import scratch

    spec = SPEC.replace(dtype=dtype, optimizer=optimizer)
    data, order = problem(spec, steps=2, epochs=1)
    model = scratch.make(spec, weights.init(spec))
    harness.train("numpy", model, spec, data, order)
    loss, grads = model.gradients(data.X_train[:4], data.y_train[:4])
    assert all(t.dtype == dtype for pair in model.params + grads for t in pair)


def test_numpy_gradients_are_not_overwritten_by_later_training_steps():
    """train_step reuses buffers; gradients() must still hand out arrays of its own."""
    import scratch

    data, order = problem(SPEC, steps=2, epochs=1)
    model = scratch.make(SPEC, weights.init(SPEC))
    _, grads = model.gradients(data.X_train[:16], data.y_train[:16])
    kept = [t.copy() for pair in grads for t in pair]
    harness.train("numpy", model, SPEC, data, order)
    assert all(np.array_equal(a, b) for a, b in zip(kept, [t for pair in grads for t in pair]))


def test_harness_memory_is_flat_in_epochs():
    """Beyond the 8-byte loss of each step, a 10x longer run allocates nothing more at its peak."""
    import scratch

    data, _ = problem(SPEC, steps=4, epochs=1)
    peaks = {}
    for epochs in (5, 50):
        spec = SPEC.replace(epochs=epochs)
        order = harness.schedule(spec, len(data.X_train))
        model = scratch.make(spec, weights.init(spec))
        harness.train("numpy", model, spec, data, order.copy()[:1])  # warm-up: buffers, caches
        tracemalloc.start()
        harness.train("numpy", model, spec, data, order)
        peaks[epochs] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    extra_steps = (50 - 5) * 4
    assert peaks[50] - peaks[5] <= 16 * extra_steps + 4096, peaks


def test_quick_grid_starts_with_the_headline_network():
    first = next(steps.points(steps.QUICK))
    assert first == ((784, 128, 64, 10), 128, "float32") == (steps.layers_for(128, 2), 128, "float32")
    assert len(list(steps.points(steps.QUICK))) <= 16
    assert {len(layers) - 2 for layers, _, _ in steps.points(steps.FULL)} == {1, 2, 3}


def test_bench_report_writes_tables_plot_and_one_verdict_per_target(tmp_path):
    import pandas as pd

    from compare.bench import report

    steps = pd.DataFrame(
        [
            {"layers": layers, "depth": 2, "batch": 128, "dtype": "float32", "implementation": name, "madds": madds, "ms_per_step": ms}
            for layers, madds in (("784-128-64-10", 13975552), ("784-16-8-10", 1632256))
            for name, ms in (("numpy", 0.7), ("torch", 1.0), ("tensorflow", 1.4))
        ]
    )
    loops = pd.DataFrame([{"layers": "784-128-64-10", "batch": 128, "dtype": "float32", "implementation": "numpy", "overhead": 0.01}])
    memory = pd.DataFrame({"epochs": [100, 1000], "peak_rss_mib": [950.0, 950.0], "mib_per_1000_steps": [0.0, 0.0]})
    results = {"machine": report.machine(1), "steps": steps, "loops": loops, "memory": memory,
               "run": {"overhead": 0.5, "overhead_cold_cache": 0.6}, "numpy_only": {"loaded": []}}  # fmt: skip
    verdicts = {v["target"].split(",")[0]: v["met"] for v in report.verdicts(results)}
    assert list(verdicts.values()) == ["yes", "NO", "yes", "NO", "-", "yes", "yes"]  # the cold-cache run is shown, not judged
    path = report.write(results, tmp_path)
    assert "## Targets" in path.read_text() and (tmp_path / "steps.png").stat().st_size > 0
    assert {p.name for p in tmp_path.glob("*.csv")} == {"steps.csv", "loops.csv", "memory.csv", "run.csv"}
