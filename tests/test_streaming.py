"""Memory flat in the number of epochs: the schedule is drawn an epoch at a time, the losses stream to
disk, and every table, CSV file and plot reads them a chunk at a time, with the same numbers."""

import gc
import tracemalloc

import numpy as np
import pandas as pd
import pytest

from compare.agree.tables import agreement_table, diff_frames
from compare.exact import extended
from compare.experiment import pipeline
from compare.io import bundle, plots
from compare.shared import harness, loss_file
from compare.shared.spec import Spec

ADAM = Spec(optimizer="adam", lr=0.05, epochs=6, batch_size=32)  # numpy-keras vs torch differ from step 1
BLOWUP = Spec(lr=1e6, activation="relu", output="identity", epochs=3, frameworks=("numpy", "torch"))


def curve_diffs(result) -> pd.DataFrame:
    """The whole curve_diffs table in memory."""
    return loss_file.concat(diff_frames(result), ["pair", "step", "abs_diff", "rel_diff", "tolerance", "ulps"])


def test_loss_file_is_nan_until_written_and_reads_back_what_was_written(tmp_path):
    losses = loss_file.LossFile(tmp_path / "l.npy", 10)
    assert len(losses) == 10 and np.isnan(np.asarray(losses)).all()
    losses[2:5] = [1.0, 2.0, 3.0]
    losses[9:10] = [np.inf]
    assert np.array_equal(losses[1:6], [np.nan, 1.0, 2.0, 3.0, np.nan], equal_nan=True)
    assert np.array_equal(np.load(tmp_path / "l.npy"), np.asarray(losses), equal_nan=True)
    with pytest.raises(ValueError, match="2 values for 3 steps"):
        losses[0:3] = [1.0, 2.0]
    with pytest.raises(TypeError):
        losses[3]


def test_the_lazy_schedule_draws_the_same_order_as_the_array():
    spec = Spec(epochs=5)
    lazy = harness.Schedule(spec, 150)
    rng = np.random.default_rng([spec.seed, 3])
    expected = np.stack([rng.permutation(150) for _ in range(5)])
    assert np.array_equal(np.asarray(lazy), expected) and np.array_equal(harness.schedule(spec, 150), expected)
    assert np.array_equal(np.stack(list(lazy)), expected)  # iterating twice gives the same order
    assert np.array_equal(lazy[3, :16], expected[3, :16]) and np.array_equal(lazy[-1], expected[-1])
    with pytest.raises(IndexError):
        lazy[5]


@pytest.mark.parametrize("spec", [ADAM, BLOWUP], ids=["adam-rules-differ", "blow-up"])
def test_streamed_runs_and_small_chunks_give_the_in_memory_numbers(spec, tmp_path, monkeypatch):
    memory = pipeline.run(spec)
    streamed = pipeline.run(spec, stream_to=tmp_path)
    assert all(isinstance(h.losses, loss_file.LossFile) for h in streamed.histories.values())
    for name, h in memory.histories.items():
        assert np.array_equal(np.asarray(streamed.histories[name].losses), h.losses, equal_nan=True)
        assert streamed.histories[name].failed_step == h.failed_step
    whole = {"agree": memory.tables["agreement"], "curves": memory.curves, "diffs": curve_diffs(memory)}
    monkeypatch.setattr(loss_file, "CHUNK", 7)  # chunk boundaries inside epochs and at the first divergent step
    for result in (memory, streamed):
        pd.testing.assert_frame_equal(agreement_table(result), whole["agree"])
        pd.testing.assert_frame_equal(result.curves, whole["curves"])
        pd.testing.assert_frame_equal(curve_diffs(result), whole["diffs"])
    agree = whole["agree"].set_index("pair")
    if spec is ADAM:
        assert agree.loc["numpy vs torch", "pass"] and agree.loc["numpy-keras vs tensorflow", "pass"]
        assert agree.loc["numpy vs tensorflow", "first_divergent_step"] == 2  # step 1's loss precedes any update
    else:
        assert memory.histories["numpy"].failed_step is not None
        assert memory.histories["torch"].failed_step == memory.histories["numpy"].failed_step


def test_a_streamed_bundle_is_byte_identical_to_one_written_from_memory(tmp_path, monkeypatch):
    monkeypatch.setattr(loss_file, "CHUNK", 5)
    a = pipeline.run(ADAM).save(tmp_path / "memory")
    with bundle.staging(tmp_path / "streamed") as staged:
        b = bundle.save(pipeline.run(ADAM, stream_to=staged), tmp_path / "streamed", staged=staged)
    for name in ["schedule.npy", "curves.csv", "curve_diffs.csv", "agreement.csv", "metrics.csv", "report.md"]:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    for name in ("numpy", "numpy-keras", "torch", "tensorflow"):
        assert (a / "losses" / f"{name}.npy").read_bytes() == (b / "losses" / f"{name}.npy").read_bytes(), name


def test_windows_read_in_blocks_give_the_whole_array_answer(monkeypatch):
    values = np.random.default_rng(0).standard_normal(10_007)
    whole = plots.windows(values, np.max)
    monkeypatch.setattr(loss_file, "CHUNK", 13)
    blocks = plots.windows(plots.Series(len(values), lambda a, b: values[a:b]), np.max)
    assert np.array_equal(whole[0], blocks[0]) and np.array_equal(whole[1], blocks[1])


def _run_memory(epochs: int, stream: bool, tmp_path, trace: bool = True) -> tuple[int, int]:
    """(bytes the Result keeps after training, peak bytes bundle.save adds), traced, numpy only."""
    spec = Spec(frameworks=("numpy",), epochs=epochs, batch_size=8)  # 19 steps an epoch
    out = tmp_path / f"{epochs}-{stream}"
    gc.collect()
    if trace:
        tracemalloc.start()
    try:
        with bundle.staging(out) as staged:
            result = pipeline.run(spec, stream_to=staged if stream else None)
            gc.collect()
            kept = tracemalloc.get_traced_memory()[0]
            tracemalloc.reset_peak()
            if stream:
                bundle.save(result, out, staged=staged)
            return kept, tracemalloc.get_traced_memory()[1] - kept
    finally:
        tracemalloc.stop()


def test_a_streamed_run_keeps_nothing_per_step_and_writes_its_bundle_in_flat_memory(tmp_path, monkeypatch):
    monkeypatch.setattr(loss_file, "CHUNK", 64)  # both runs longer than a chunk and than a plot's points
    monkeypatch.setattr(plots, "MAX_POINTS", 50)
    # the exact curve in long double: in quad, 57-byte objects allocated inside numpy-quaddtype 1.0.0's ufunc calls stay
    # alive, about 1.5 B a step once other tests have run (measured: 200 -> 400 epochs, +6.5 KB) -- its own, not the
    # per-step storage this measures
    monkeypatch.setattr(extended, "QUAD", None)
    for i in range(2):  # warm-up: imports and caches (the first may write the data set's cache, the second reads it:
        _run_memory(2, True, tmp_path / str(i), trace=False)  # np.load of an .npz imports a codec, 40 KB, once)
    short, long = _run_memory(10, True, tmp_path), _run_memory(200, True, tmp_path)
    extra_steps = (200 - 10) * 19
    assert abs(long[0] - short[0]) < 4096, (short, long)  # nothing kept per step (8 B a step would be 29 KB)
    # writing the bundle: its ~4.6 MB peak varies by up to ~55 KB between repeats of the same run; the per-step
    # DataFrames this replaced grew it by 0.6-1.8 MB per 1000 steps (2-6 MB here)
    assert long[1] - short[1] < 256 * 1024, (short, long)
    in_memory = _run_memory(200, False, tmp_path)[0] - _run_memory(10, False, tmp_path)[0]
    assert in_memory >= 7 * extra_steps  # the measurement does see per-step storage: the in-memory losses
