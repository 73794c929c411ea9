"""The check meets learners' code as they wrote it: five styles right, the catalogue's mutants ported to them named
at the right tensor and localised to the mutated line, and no false alarm on random columns-layout networks."""

import re

import numpy as np
import pytest

from compare.cli import main
from compare.learner import conventions
from compare.learner.grade import check
from compare.learner.layouts import Form
from compare.learner.loading import load
from tests.styles import CATALOGUE, LEARNERS, STYLE_FILES, STYLES, expected, makers, mutated, ported, spec_for
from tests.test_check_random import random_spec

FAST = ["--frameworks", "numpy"]
MISSED: dict[str, list[str]] = {}  # the mutants whose line is not found (docs/checking.md says which and why): none
COMMANDS = {  # style -> the exact command a learner runs (docs/checking.md shows the same)
    "dlai": ["dlai.py", "--layout", "columns", "--params", "dict", "--layers", "2,3,1"],
    "nielsen": ["nielsen.py", "--function", "backprop", "--loss-function", "cost", "--layout", "columns", "--params", "lists",
                "--per-sample", "--layers", "2,3,3", "--dataset", "blobs"],
    "cs231n": ["cs231n.py", "--function", "loss", "--params", "dict", "--layers", "2,5,3", "--activation", "relu", "--loss", "ce",
               "--dataset", "blobs"],
    "nnfs": ["nnfs.py", "--layers", "2,5,3", "--activation", "relu", "--loss", "ce", "--dataset", "blobs"],
}  # fmt: skip


@pytest.mark.parametrize("style", COMMANDS)
def test_a_correct_learner_in_each_style_is_right_with_at_most_a_few_flags(style, capsys):
    file, *flags = COMMANDS[style]
    assert main(["check", str(STYLE_FILES / file), *flags, *FAST]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "Right." in out and " WRONG" not in out
    if style == "nielsen":  # ½‖a − y‖² per sample, three outputs, mean over the batch: 1.5 × MSELoss
        assert "under your convention, half+outputs (found from your loss and gradients)" in out
        assert "½‖ŷ − y‖² per sample, mean over the batch = 0.5 × 3 outputs × the spec's: 1.5 × torch's MSELoss(reduction='mean')" in out
    else:
        assert "The loss and every gradient match the reference." in out


def test_nielsens_gradients_alone_are_right_under_the_convention_they_show(capsys):
    file, *flags = COMMANDS["nielsen"]
    flags = flags[:2] + flags[4:]  # without --loss-function cost
    assert main(["check", str(STYLE_FILES / file), *flags, *FAST]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "Every gradient matches the reference under your convention, half+outputs (found from your gradients alone)" in out
    assert "- (no loss: --loss-function NAME)" in out


def test_a_loss_summed_over_the_batch_is_a_convention_named_with_torchs_reduction_sum(tmp_path, capsys):
    source = (LEARNERS / "correct.py").read_text()
    source = source.replace("L = np.mean((P - y) ** 2)", "L = np.sum((P - y) ** 2) / P.shape[1]")
    (tmp_path / "summed.py").write_text(source.replace("dA = 2 * (P - y) / y.size", "dA = 2 * (P - y) / P.shape[1]"))
    assert main(["check", str(tmp_path / "summed.py"), "--layers", "2,3,1", *FAST]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "under your convention, sum (found from your loss and gradients)" in out
    assert "summed over the batch = N = 16 × the spec's: torch's MSELoss(reduction='sum'), Keras's MeanSquaredError(reduction='sum')" in out
    assert "your steps are 16× larger" in out


@pytest.mark.parametrize("style", list(STYLES))
def test_each_ported_mutant_is_named_at_its_tensor_and_the_line_found_in_90_percent(style, tmp_path):
    hits, misses = 0, []
    for name in ported(style):
        spec = spec_for(style, name)
        path, line = mutated(style, name, tmp_path)
        fn, loss_fn = makers(style, path, spec)
        result = check(fn, spec, form=STYLES[style].form, loss_function=loss_fn, fd=False)
        assert not result.ok, (style, name)
        assert (result.diagnosis.first_wrong, result.diagnosis.mistake) == expected(style, name), result.diagnosis.message
        if re.match(rf"\S*{re.escape(path.name)}:{line}  ", result.line or ""):
            hits += 1
        else:
            misses.append((name, line, result.line))
    assert hits / len(ported(style)) >= 0.9, misses
    assert [name for name, _, _ in misses] == MISSED.get(style, []), misses  # the figures docs/checking.md quotes


def test_the_wrong_line_says_what_departs_and_what_it_read_was_right():
    spec = CATALOGUE["derivative_on_z"][0]
    path, line = mutated("rows", "derivative_on_z", None)
    fn, _ = makers("rows", path, spec)
    text = check(fn, spec, fd=False).line
    source = "dZ = dA * derivative(hidden[layer - 1], Zs[layer - 1], Zs[layer - 1])  # (N, fan_in)"
    assert re.fullmatch(
        rf"\S*derivative_on_z\.py:{line}  {re.escape(source)}  ← dZ departs here \(dZ1: rel 5\.6\); dA \(line {line - 1}\) was right, dA1",
        text,
    ), text


def test_in_columns_a_mistake_gets_the_columns_fix(tmp_path):
    spec = CATALOGUE["transposed_dw"][0]
    fn, _ = makers("dlai", mutated("dlai", "transposed_dw", tmp_path)[0], spec)
    message = check(fn, spec, form=STYLES["dlai"].form, fd=False).diagnosis.message
    assert "dW2 has shape (3, 1) and its transpose matches the reference, of shape (1, 3)" in message
    assert "Fix: dW = dZ @ A_prev.T, of shape (fan_out, fan_in) like W." in message


@pytest.mark.parametrize(
    "mutant,tensor,shapes", [("transposed_dw", "dW2", ("(3, 1)", "(1, 3)")), ("bias_not_summed", "db2", ("(1, 16)", "(1, 1)"))]
)
def test_a_tensor_of_the_wrong_shape_is_shown_with_the_columns_layouts_shape(tmp_path, mutant, tensor, shapes):
    spec = CATALOGUE[mutant][0]
    fn, _ = makers("dlai", mutated("dlai", mutant, tmp_path)[0], spec)
    rows = check(fn, spec, form=STYLES["dlai"].form, fd=False).table.set_index("tensor")
    assert rows.loc[tensor, ["shape", "verdict"]].tolist() == [shapes[0], f"wrong shape, expected {shapes[1]}"]


def test_a_convention_does_not_hide_a_mistake_on_top_of_it(tmp_path):
    spec = spec_for("nielsen", "derivative_missing")
    fn, loss_fn = makers("nielsen", mutated("nielsen", "derivative_missing", tmp_path)[0], spec)
    diagnosis = check(fn, spec, form=STYLES["nielsen"].form, loss_function=loss_fn, fd=False).diagnosis
    assert (diagnosis.first_wrong, diagnosis.mistake, diagnosis.convention.name) == ("dW1", "deriv_missing", "half+outputs")
    assert diagnosis.message.startswith("Under your convention (half+outputs, 0.5 × 3 outputs × the spec's loss): dW1 is the first wrong")


dlai = load(STYLE_FILES / "dlai.py", "make")


def scaled(fn, c: float):
    """The learner's loss and gradients × c: the same network under another convention."""
    return lambda p, X, Y: (lambda L, g: (c * L, {k: c * v for k, v in g.items()}))(*fn(p, X, Y))


def random_case(seed: int):
    """A random network (half of the mse and bce ones with three outputs) and a convention its loss allows."""
    spec, rng = random_spec(seed), np.random.default_rng([seed, 12])
    if spec.loss != "ce" and rng.random() < 0.5:
        spec = spec.replace(layers=(*spec.layers[:-1], 3), dataset="blobs")
    options = conventions.known(spec.loss, 1 if spec.loss == "ce" else spec.layers[-1])
    return spec, options[int(rng.integers(len(options)))]


@pytest.mark.parametrize("chunk", range(4))
def test_no_false_alarm_on_100_random_columns_networks_under_every_convention(chunk):
    for seed in range(chunk, 100, 4):
        spec, conv = random_case(seed)
        c = conv.factor(spec.batch_size, 1 if spec.loss == "ce" else spec.layers[-1])
        result = check(scaled(dlai(spec.activations, spec.output, spec.loss), c), spec, form=Form("columns", "dict"), fd=seed % 10 == 0)
        assert result.ok, (spec.short(), conv.name, result.diagnosis.message)
        assert result.diagnosis.scale == pytest.approx(c), (spec.short(), conv.name)
        assert (result.table["rel_numpy"] <= 1e-12).all(), spec.short()


def test_the_random_networks_cover_every_convention_factor():
    seen = {random_case(seed)[1].name for seed in range(100)}
    assert seen == {"mean", "half", "outputs", "sum", "half+outputs", "half+sum", "outputs+sum", "half+outputs+sum"}


def test_the_style_files_are_right_without_a_flag_beyond_their_form():
    for style, s in STYLES.items():
        fn = load(STYLE_FILES / s.file if style != "rows" else LEARNERS / "correct.py", s.function)
        assert callable(fn)
    assert np.dot is np.dot  # nothing patched by loading them
