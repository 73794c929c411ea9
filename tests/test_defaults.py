"""The defaults table: every row measured live, each number moves when its probe changes, formats and CLI."""

import io
import pickle
import platform
from contextlib import redirect_stdout

import numpy as np
import pandas as pd
import pytest
from filelock import FileLock

from compare.cli import main
from compare.defaults import table as defaults
from compare.defaults.numerics import runtime_subprocesses
from compare.defaults.probe import Probe
from compare.io import formats

PROBE = Probe(steps=6)  # short runs keep the suite fast; the command defaults to 20 steps


@pytest.fixture(scope="module")
def measured(tmp_path_factory, worker_id):
    """(oneDNN subprocess results, the table), measured once per test session: under pytest-xdist the first
    worker measures and the others read its pickle (each oneDNN subprocess costs a TensorFlow import)."""
    if worker_id == "master":
        runtime = runtime_subprocesses(PROBE)
        return runtime, defaults.measure(PROBE, runtime=runtime)
    path = tmp_path_factory.getbasetemp().parent / "defaults-table.pkl"  # shared by this session's workers
    with FileLock(f"{path}.lock"):
        if not path.is_file():
            runtime = runtime_subprocesses(PROBE)
            path.write_bytes(pickle.dumps((runtime, defaults.measure(PROBE, runtime=runtime))))
        return pickle.loads(path.read_bytes())


@pytest.fixture(scope="module")
def runtime(measured):
    return measured[0]


@pytest.fixture(scope="module")
def table(measured):
    return measured[1]


def numbers(row: dict) -> dict:
    return {k: v for k, v in row.items() if isinstance(v, (int, float, np.floating)) and not isinstance(v, bool)}


def test_every_row_named_in_the_issue_is_measured(table):
    assert list(table.index) == defaults.KEYS
    for key in ("weight-layout", "default-init", "default-lr", "momentum", "nesterov", "adam", "rmsprop", "rmsprop-centered",
                "weight-decay", "bce-probabilities", "ce-probabilities", "mse-shapes", "float32-rounding",
                "float32-vs-float64", "onednn", "threads"):  # fmt: skip
        assert key in table.index
    assert table[["default", "aligned"]].notna().all().all()


@pytest.mark.parametrize("row", defaults.ROWS, ids=defaults.KEYS)
def test_changing_the_probe_moves_the_measured_numbers(row, table, runtime):
    before = numbers(table.loc[row.key].dropna().to_dict())
    probe = PROBE.replace(**row.knob)
    after = numbers(row.measure(probe, runtime) if row.runtime else row.measure(probe))
    assert set(after) <= set(before) | {"n_differ"}
    assert any(after[k] != before[k] for k in after if k in before), (row.key, row.knob, before, after)


def test_defaults_differ_and_aligned_agree_to_round_off(table):
    aligned_f64 = ["weight-layout", "default-init", "default-lr", "momentum", "nesterov", "adam", "rmsprop", "rmsprop-centered",
                   "weight-decay", "bce-probabilities", "ce-probabilities", "mse-shapes", "float32-rounding"]  # fmt: skip
    for key in aligned_f64:
        assert table.loc[key, "aligned"] < 1e-13, key
        assert table.loc[key, "default"] > 1e-11, key
    # Adam's and RMSprop's placements of eps differ by more than round-off even with equal eps
    assert table.loc["adam", "same_eps"] > 1e-7 and table.loc["rmsprop", "same_eps"] > 1e-5
    # float32 differs by round-off only, float64 by less
    assert 1e-9 < table.loc["float32-vs-float64", "default"] < 1e-4 and table.loc["float32-vs-float64", "aligned"] < 1e-13


def test_keras_rounds_a_python_float_learning_rate_to_float32(table):
    assert table.loc["float32-rounding", "lr_error"] == pytest.approx(float(np.float32(0.1)) - 0.1, abs=1e-17)
    assert "0.8999999762" in table.loc["float32-rounding", "keras"]


def test_onednn_flag_is_read_at_import_and_changes_float32_only(table, runtime):
    assert runtime["reported"]["off"] is False
    if platform.machine().lower() in ("x86_64", "amd64"):  # oneDNN's custom ops are on by default on x86 only
        assert runtime["reported"]["on"] is True
    assert table.loc["onednn", "aligned"] == 0.0  # float64: identical
    assert table.loc["onednn", "default"] < 1e-5


def test_probability_rows_report_the_clamp_and_the_clip():
    row = defaults.losses.bce_probabilities(PROBE.replace(steps=1), z=-30.0)
    assert "loss at z=-200 100;" in row["torch"]  # log clamped at -100
    assert "loss at z=-200 16.12" in row["keras"]  # -log(1e-7)
    assert "dL/dz 0;" in row["keras"] and "dL/dz -1" in row["numpy"]


@pytest.mark.parametrize("fmt", formats.FORMATS)
def test_each_format_renders_every_row(table, fmt):
    text = defaults.render(table, fmt)
    assert text.count("weight layout") == 1 and "oneDNN" in text
    if fmt == "markdown":
        lines = [line for line in text.splitlines() if line.startswith("|")]
        assert len(lines) == len(table) + 2
        assert all(line.replace("\\|", "").count("|") == 7 for line in lines)  # 6 columns: no stray pipes
    if fmt == "csv":
        back = pd.read_csv(io.StringIO(text))
        assert list(back["key"]) == defaults.KEYS and np.isclose(back.loc[0, "aligned"], table.iloc[0]["aligned"], rtol=1e-5)
    if fmt == "latex":
        assert "\\begin{tabular}" in text
    if fmt == "html":
        assert text.count("<tr") == len(table) + 1


def test_cli_writes_a_table_for_chosen_rows(tmp_path):
    out = tmp_path / "defaults.md"
    assert main(["defaults", "--rows", "default-lr,mse-shapes", "--steps", "2", "--output", str(out)]) == 0
    text = out.read_text()
    assert "default learning rates" in text and "MSE shape broadcast" in text and "Adam" not in text


@pytest.mark.parametrize("argv,message", [
    (["--rows", "adam,nope"], "unknown row(s) nope"),
    (["--steps", "0"], "--steps: got 0"),
    (["--output", "/no/such/folder/t.md"], "does not exist"),
])  # fmt: skip
def test_cli_bad_input_is_one_line_and_exit_2(argv, message, capsys):
    assert main(["defaults", *argv]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0]


def test_cli_unknown_format_exits_2():
    with pytest.raises(SystemExit) as e, redirect_stdout(io.StringIO()):
        main(["defaults", "--format", "xml"])
    assert e.value.code == 2


def test_cli_csv_on_stdout_is_only_the_table(capsys):
    assert main(["defaults", "--rows", "default-lr", "--steps", "2", "--format", "csv"]) == 0
    captured = capsys.readouterr()
    back = pd.read_csv(io.StringIO(captured.out))
    assert list(back["key"]) == ["default-lr"] and back.loc[0, "default"] > 1e-6
    assert "measuring 1 rows" in captured.err


TRICKS = [
    "leaky-relu",
    "gelu",
    "l2",
    "class-weights",
    "clipping",
    "lr-schedule",
    "dropout",
    "batch-norm",
    "batch-norm-affine",
    "data-order",
]


def test_training_trick_rows_report_real_gaps_that_vanish_when_aligned(table):
    for key in TRICKS:
        assert table.loc[key, "default"] > 1e-6, key
        assert table.loc[key, "aligned"] < 1e-13, key
    assert 1e-12 < table.loc["clipping", "global_vs_global"] < 1e-5  # torch's 1e-6 in clip_grad_norm_
    assert table.loc["lr-schedule", "momentum_forms"] > 1e-4  # the momentum forms part once the rate changes
    assert table.loc["gelu", "tf_gelu_error"] > 1e-12  # tf.nn.gelu is not exact in float64
    assert "negative_slope 0.01" in table.loc["leaky-relu", "torch"] and "LeakyReLU 0.3" in table.loc["leaky-relu", "keras"]
    assert "momentum 0.99" in table.loc["batch-norm", "keras"] and "epsilon 0.001" in table.loc["batch-norm", "keras"]
    assert "affine=True" in table.loc["batch-norm-affine", "torch"] and table.loc["batch-norm-affine", "keras_default"] > 1e-6
    # the running statistics show in eval mode only: Keras's 0.99 against torch's 0.1, and the biased variance left when aligned
    assert table.loc["batch-norm", "eval_momentum"] > 1e-2 and 1e-5 < table.loc["batch-norm", "eval_variance"] < 1e-1
    assert "every epoch repeats one permutation" in table.loc["data-order", "keras"]  # Keras's own fit order, measured
    # iris is stored class by class (50 each): the last 20% Keras holds out is class 2 alone
    assert (
        "validation_split=0.2 on iris holds out samples 120-149 of 150, 30 of class 2 only (3 classes in the data)"
        in table.loc["data-order", "keras"]
    )


def test_keras_fit_rows_measure_the_running_mean_it_logs_and_what_accuracy_becomes(table):
    fit, accuracy = table.loc["fit-running-mean"], table.loc["accuracy-metric"]
    assert fit["default"] > 1e-4 and fit["aligned"] < 1e-13  # the epoch's running mean, not its last batch's loss
    assert fit["recovered"] < 1e-13  # each batch's loss recovered from the running means, as the idiomatic export does
    for name in ("BinaryAccuracy", "SparseCategoricalAccuracy", "CategoricalAccuracy"):
        assert name in accuracy["keras"]
    # binary_accuracy thresholds logits at 0.5: at least one of the 64 probe samples moves, and threshold=0.0 fixes it
    assert accuracy["default"] >= 1 / 64 and accuracy["aligned"] == 0.0
    assert accuracy["keras_accuracy"] != accuracy["right_accuracy"]
