"""The check on generated slips: every one-line mutant of each style's backward lines (tests/mutants.py) that changes
the gradients is named at its first wrong tensor and its line; every style's own file is judged right."""

import pytest

from compare.learner.grade import check
from compare.learner.layouts import Form
from compare.learner.side import Options
from compare.shared.spec import Spec
from tests.mutants import figures, measure

BEGINNER = Spec(layers=(2, 3, 1), frameworks=("numpy",))
CE = Spec(layers=(2, 5, 3), activation="relu", loss="ce", dataset="blobs", frameworks=("numpy",))
STYLES = {  # name -> (file, spec, how it is written, what to check, more options)
    "rows": ("tests/learners/correct.py", BEGINNER, Form(), "loss_and_grads", {}),
    "dlai": ("examples/styles/dlai.py", BEGINNER, Form("columns", "dict"), "loss_and_grads", {}),
    "dlai_course": (
        "examples/styles/dlai_course.py",
        Spec(layers=(2, 4, 1), activation="relu", loss="bce", frameworks=("numpy",)),
        Form("columns", "dict"),
        "loss_and_grads",
        {},
    ),
    "nielsen": ("examples/styles/nielsen.py", BEGINNER, Form("columns", "lists", per_sample=True), "backprop", {"loss_function": "cost"}),
    "cs231n": ("examples/styles/cs231n.py", CE, Form("rows", "dict"), "loss", {}),
    "cs231n_twolayer": ("examples/styles/cs231n_twolayer.py", CE.replace(l2=0.1), Form(), "TwoLayerNet.loss", {}),
    "nnfs": ("examples/styles/nnfs.py", CE, Form(), "loss_and_grads", {}),
    "loy": ("examples/styles/loy.py", Spec(layers=(2, 4, 1), bias=False, frameworks=("numpy",)), Form(), "NeuralNetwork.backprop", {}),
    "case_study": (
        "examples/styles/case_study.py",
        Spec(layers=(2, 100, 3), activation="relu", loss="ce", dataset="blobs", frameworks=("numpy",)),
        Form(),
        None,
        {"sizes_given": False},
    ),
}
# The figures measured (named at the line, at the first wrong tensor), each style at least this: a drop is a regression.
FLOOR = {"line": 0.90, "tensor": 0.95}


@pytest.mark.parametrize("style", STYLES)
def test_each_styles_generated_slips_are_named_at_their_line_and_tensor(style, tmp_path):
    path, spec, form, function, options = STYLES[style]
    outcomes = measure(path, spec, form, function, folder=tmp_path, **options)
    assert len(outcomes) >= 9, figures(outcomes)  # the operators reach every style's backward pass
    missed = [str(o.mutant) for o in outcomes if not o.line_hit]
    assert sum(o.line_hit for o in outcomes) >= FLOOR["line"] * len(outcomes), (figures(outcomes), missed)
    assert sum(o.tensor_hit for o in outcomes) >= FLOOR["tensor"] * len(outcomes), figures(outcomes)


@pytest.mark.parametrize("style", STYLES)
def test_each_styles_own_file_is_right(style):
    path, spec, form, function, options = STYLES[style]
    loss_function = options.get("loss_function")
    options = {k: v for k, v in options.items() if k != "loss_function"}
    report = check(path, spec, fd=False, options=Options(function, form, form != Form(), loss_function=loss_function), **options)
    assert report.ok, report.text()
