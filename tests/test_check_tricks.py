"""The check on a learner's training tricks: the step's dropout masks handed to a function that takes `masks` (in its
layout, one sample's per sample), the dropout and batch-norm backward slips named at their tensor and line, and a
function without masks told how to take them."""

import re
from pathlib import Path

import numpy as np
import pytest

from compare.cli import main
from compare.learner.batches import first_batch
from compare.learner.grade import NO_MASKS_NOTE, check
from compare.learner.layouts import Form
from compare.learner.loading import load
from compare.shared import harness, implementations
from compare.shared.spec import Spec
from tests.styles import STYLE_FILES

DLAI_FILE = STYLE_FILES / "dlai_dropout.py"
SPEC = Spec(layers=(2, 4, 1), dropout=0.3, frameworks=("numpy",))
DLAI = Form("columns", "dict")
ARGS = ["--layout", "columns", "--params", "dict", "--layers", "2,4,1", "--dropout", "0.3", "--frameworks", "numpy"]
SLIPS = {  # the edit, the mistake named, the line named
    "missing": (
        "dH1 = dA1 * D1 / keep_prob",
        "dH1 = dA1",
        "the dropout mask is not applied in backward (dH = dA, the mask not applied)",
        "dH1 = dA1",
    ),
    "unscaled": (
        "dH1 = dA1 * D1 / keep_prob",
        "dH1 = dA1 * D1",
        f"applied in backward without its 1/(1 - p) (dH = dA * keep, without 1 / (1 - p) = {1 / 0.7:.4g})",
        "dH1 = dA1 * D1",
    ),
}


def test_the_masks_reach_the_learner_in_its_layout_and_the_reference_drops_the_same_units():
    fn = load(DLAI_FILE, "loss_and_grads")
    params, X, y = first_batch(SPEC)
    seen = []
    report = check(lambda p, X, Y, masks: seen.append(masks) or fn(p, X, Y, masks), SPEC, form=DLAI, fd=False)
    assert report.ok, report.text()
    (mask,) = harness.Dropout(SPEC).draw(len(X))  # the first step's, (N, 4): 0 or 1 / 0.7
    np.testing.assert_array_equal(seen[0][0], mask.T)
    assert set(np.unique(mask)) == {0.0, np.float64(1 / 0.7)}
    with_masks = implementations.build("numpy", SPEC, params).gradients(X, y, [mask])[1]
    without = implementations.build("numpy", SPEC, params).gradients(X, y)[1]
    assert np.abs(with_masks[0][0] - without[0][0]).max() > 1e-3  # the masks change the gradients the learner matched


def test_a_correct_dropout_learner_is_right_with_its_finite_differences_and_curve(capsys):
    assert main(["check", str(DLAI_FILE), *ARGS, "--steps", "20"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "Right." in out and " WRONG" not in out and "good" in out


def test_per_sample_calls_get_their_samples_masks():
    spec = SPEC.replace(layers=(2, 3, 1))
    params, X, y = first_batch(spec)
    (mask,) = harness.Dropout(spec).draw(len(X))
    got = []

    def per_sample(p, x, t, masks, unscaled=False):
        got.append(masks[0].copy())
        W1, b1, W2, b2 = p["W1"], p["b1"], p["W2"], p["b2"]
        H = 1 / (1 + np.exp(-(W1 @ x + b1)))
        A1 = H * masks[0]
        out = 1 / (1 + np.exp(-(W2 @ A1 + b2)))
        dZ2 = 2 * (out - t) * out * (1 - out)
        dH1 = (W2.T @ dZ2) * (masks[0] > 0 if unscaled else masks[0])
        dZ1 = dH1 * H * (1 - H)
        return float(((out - t) ** 2).sum()), {"dW1": dZ1 @ x.T, "db1": dZ1, "dW2": dZ2 @ A1.T, "db2": dZ2}

    report = check(per_sample, spec, form=Form("columns", "dict", per_sample=True), fd=False)
    assert report.ok, report.text()
    assert len(got) == len(X) and got[5].shape == (3, 1)
    np.testing.assert_array_equal(got[5][:, 0], mask[5])
    slipped = check(lambda p, x, t, masks: per_sample(p, x, t, masks, unscaled=True), spec, form=Form("columns", "dict", per_sample=True))
    assert slipped.diagnosis.mistake == "dropout_unscaled"  # the tracer replays the first sample with its mask
    assert re.fullmatch(
        r"tests/test_check_tricks\.py:\d+  dH1 = \(W2\.T @ dZ2\) \* \(masks\[0\] > 0 if unscaled else masks\[0\]\)  ← dH1 departs here \(dH1: rel 0\.3\).*",
        slipped.line,
    ), slipped.line
    rows = []

    def per_sample_rows(p, x, t, masks):  # x (2,), t (1,), a mask (3,) in rows
        rows.append(masks[0].copy())
        (W1, b1), (W2, b2) = p
        H = 1 / (1 + np.exp(-(x @ W1 + b1)))
        A1 = H * masks[0]
        out = 1 / (1 + np.exp(-(A1 @ W2 + b2)))
        dZ2 = 2 * (out - t) * out * (1 - out)
        dZ1 = (W2 @ dZ2) * masks[0] * H * (1 - H)
        return float(((out - t) ** 2).sum()), [(np.outer(x, dZ1), dZ1), (np.outer(A1, dZ2), dZ2)]

    assert check(per_sample_rows, spec, form=Form(per_sample=True), fd=False).ok
    assert rows[5].shape == (3,) and (rows[5] == mask[5]).all() and (rows[6] == mask[6]).all()


@pytest.mark.parametrize("slip", SLIPS)
def test_a_dropout_slip_in_backward_is_named_at_its_tensor_and_line(slip, tmp_path, capsys):
    old, new, said, line = SLIPS[slip]
    source = (DLAI_FILE).read_text()
    assert source.count(old) == 1
    (tmp_path / "slip.py").write_text(source.replace(old, new))
    assert main(["check", str(tmp_path / "slip.py"), *ARGS]) == 1
    out = " ".join(capsys.readouterr().out.split())
    assert "Wrong. dW1 is the first wrong tensor walking back from the output" in out and said in out, out
    number = next(i for i, text in enumerate(source.replace(old, new).splitlines(), start=1) if text.strip() == line)
    assert f"slip.py:{number} {line} ←" in out, out


def test_a_function_without_masks_is_checked_without_dropout_and_told_how_to_take_them(capsys):
    assert main(["check", str(DLAI_FILE), "--function", "without_masks", *ARGS]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert " ".join(NO_MASKS_NOTE.split()[:12]) in out and "add a parameter `masks`" in out


BN_SLIPS = {  # batch norm's backward slips, as tests/test_tricks_slips.py's learner writes them: the mistake, the line
    "mean_only": ("bn_no_var", "dH = dB * inv - (dB * inv).mean(axis=0)"),
    "none": ("bn_no_stats", "dH = dB * inv"),
}


@pytest.mark.parametrize("slip", BN_SLIPS)
def test_a_batch_norm_backward_slip_is_named_at_its_line_through_the_check(slip):
    from tests.test_tricks_slips import SPEC as BN
    from tests.test_tricks_slips import learner

    spec = BN.replace(batch_norm=True, frameworks=("numpy",))
    mistake, line = BN_SLIPS[slip]
    report = check(lambda p, X, y: learner(spec, p, X, y, bn_back=slip), spec, fd=False)
    assert not report.ok and report.diagnosis.mistake == mistake and report.diagnosis.first_wrong == "dW1"
    source = Path(learner.__code__.co_filename).read_text().splitlines()
    number = next(i for i, text in enumerate(source, start=1) if text.strip() == line)
    assert report.line.startswith(f"tests/test_tricks_slips.py:{number}  {line}  ← dH departs here (dH1: rel "), report.line
    assert check(lambda p, X, y: learner(spec, p, X, y), spec, fd=False).ok  # the full backward, in training mode


def test_a_function_that_needs_masks_without_dropout_in_the_spec_is_bad_input(capsys):
    args = [a for a in ARGS if a not in ("--dropout", "0.3")]
    assert main(["check", str(DLAI_FILE), *args]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        "mlp-compare check: error: loss_and_grads takes dropout masks, and the spec has no dropout: give --dropout p, the rate your code drops at"
    ]
