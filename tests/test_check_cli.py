"""mlp-compare check as a learner meets it: the examples, --function, --steps, bad input, assert_gradients_match."""

import re
from pathlib import Path

import pytest

from compare.cli import main
from compare.learner.keywords import assert_gradients_match
from compare.learner.loading import load
from tests.test_check import LEARNERS

EXAMPLES = Path(__file__).parent.parent / "examples"
BEGINNER = ["--layers", "2,3,1", "--activation", "sigmoid", "--output", "sigmoid", "--loss", "mse"]
FAST = ["--frameworks", "numpy"]


def rows(out: str) -> dict[str, list[str]]:
    """Table rows by tensor name: the cells after it."""
    found = re.findall(r"│ (loss|d[Wb]\d) +│(.*)│", out)
    return {name: [c.strip() for c in rest.split("│")] for name, rest in found}


def test_the_correct_example_passes_against_all_three_frameworks(capsys):
    assert main(["check", str(EXAMPLES / "beginner_mlp.py"), *BEGINNER]) == 0
    out = capsys.readouterr().out
    table = rows(out)
    assert list(table) == ["loss", "dW2", "db2", "dW1", "db1"]
    for name in ("dW2", "db2", "dW1", "db1"):
        shape, max_abs, rel_numpy, rel_torch, rel_tf, fd, grade, verdict = table[name]
        assert max(float(rel_numpy), float(rel_torch), float(rel_tf)) <= 1e-12 and float(fd) <= 1e-7
        assert (grade, verdict) == ("good", "right")
    assert "Right. The loss and every gradient match the reference." in out


def test_the_buggy_example_fails_at_dW1_with_the_derivative_named(capsys):
    assert main(["check", str(EXAMPLES / "beginner_mlp_buggy.py"), *BEGINNER, *FAST]) == 1
    out = capsys.readouterr().out
    table = rows(out)
    assert table["dW2"][-1] == "right" and table["dW1"][-1] == "WRONG" and table["db1"][-1] == "WRONG"
    assert float(table["db1"][3]) > 0.1  # rel error vs numpy
    assert "dW1 is the first wrong tensor" in out and "σ(a)(1 - σ(a)) instead of a (1 - a)" in out


def test_function_flag_picks_another_name(tmp_path, capsys):
    source = (EXAMPLES / "beginner_mlp.py").read_text().replace("def loss_and_grads", "def backprop")
    (tmp_path / "mine.py").write_text(source)
    assert main(["check", str(tmp_path / "mine.py"), "--function", "backprop", *BEGINNER, *FAST]) == 0
    assert main(["check", str(tmp_path / "mine.py"), *BEGINNER, *FAST]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        f"mlp-compare check: error: {tmp_path / 'mine.py'}: no function 'loss_and_grads'; it defines backprop, sigmoid (choose one with --function)"
    ]


def test_steps_trains_with_the_learners_gradients_next_to_the_frameworks(capsys):
    assert main(["check", str(EXAMPLES / "beginner_mlp.py"), *BEGINNER, "--frameworks", "numpy,torch", "--steps", "30"]) == 0
    out = capsys.readouterr().out
    curves = re.findall(r"│ (numpy|torch) +│ +([\d.e-]+) │ +- +│ +([\d.e-]+) │ +([\d.e-]+) │ pass +│", out)
    assert [c[0] for c in curves] == ["numpy", "torch"]
    assert all(float(rel) <= 1e-12 and abs(float(a) - float(b)) <= 1e-12 for _, rel, a, b in curves)


def test_steps_shows_a_wrong_gradient_diverging_from_step_2(capsys):
    assert main(["check", str(LEARNERS / "wrong_sign.py"), *BEGINNER, *FAST, "--steps", "20"]) == 1
    out = capsys.readouterr().out
    row = re.search(r"│ numpy +│ +([\d.e-]+) │ +(\d+) │ +([\d.e-]+) │ +([\d.e-]+) │ FAIL +│", out)
    assert row and int(row.group(2)) == 2  # the loss of step 1 is taken before the first update
    assert float(row.group(3)) > float(row.group(4))  # gradient ascent: your loss ends higher


def lines(capsys) -> list[str]:
    return capsys.readouterr().err.strip().splitlines()


@pytest.mark.parametrize(
    "body,message",
    [
        ("    return 1.0", "loss_and_grads returned float; expected a pair (loss, grads) or the gradients alone"),
        ("    return 1.0, [(np.zeros((2, 3)), np.zeros(3))]", "grads has 1 entries; expected 2 (dW, db) pairs, one per layer"),
        ("    return [(np.zeros((2, 3)), np.zeros(3)), (np.zeros((3, 1)), np.zeros(1))], 1.0",
         "loss_and_grads returned (grads, loss); expected (loss, grads)"),
        ("    return 1.0, [np.zeros((2, 3)), np.zeros((3, 1)), np.zeros(3), np.zeros(1)]",
         "grads is a flat list of 4 arrays whose shapes are not dW1, db1, dW2, db2, ...; expected that order or 2 (dW, db) pairs"),
        ("    return 1.0, [(np.zeros((2, 3)), np.zeros(3)), (np.zeros(3), np.zeros(1))]", "dW2 has shape (3,); expected (3, 1), the shape of W2 in the rows layout"),
        ("    return 1.0, [(np.zeros((2, 3)), np.zeros((3, 1))), (np.zeros((3, 1)), np.zeros(1))]",
         "db1 has shape (3, 1); expected (3,) or (1, 3), the shape of b1 in the rows layout; (3, 1) is the columns layout's (--layout columns)"),
        ("    return np.zeros(4), [(np.zeros((2, 3)), np.zeros(3)), (np.zeros((3, 1)), np.zeros(1))]",
         "the loss has shape (4,); expected one number (the mean over the batch)"),
        ("    return 1.0, [(np.zeros((2, 3)), np.zeros(3)), (np.full((3, 1), np.nan), np.zeros(1))]",
         "dW2 has 3 NaN entries; expected finite numbers"),
        ("    return np.inf, [(np.zeros((2, 3)), np.zeros(3)), (np.zeros((3, 1)), np.zeros(1))]", "the loss has 1 inf entry; expected finite numbers"),
    ],
)  # fmt: skip
def test_a_wrong_return_exits_2_naming_the_tensor_and_the_expected_shape(tmp_path, capsys, body, message):
    (tmp_path / "mine.py").write_text(f"import numpy as np\n\n\ndef loss_and_grads(params, X, y):\n{body}\n")
    assert main(["check", str(tmp_path / "mine.py"), *BEGINNER, *FAST]) == 2
    assert lines(capsys) == [f"mlp-compare check: error: {message}"]


def test_a_learner_that_raises_gets_its_own_traceback_and_exit_2(tmp_path, capsys):
    source = (
        "import numpy as np\n\n\ndef helper(W):\n    return W @ W\n\n\ndef loss_and_grads(params, X, y):\n    return helper(params[0][0])\n"
    )
    (tmp_path / "mine.py").write_text(source)
    assert main(["check", str(tmp_path / "mine.py"), *BEGINNER, *FAST]) == 2
    err = [line for line in lines(capsys) if set(line.strip()) - set("^~")]  # without the caret lines under the code
    assert err[0] == "Traceback (your file only):"
    assert [line.strip() for line in err[1:5]] == [
        f'File "{tmp_path / "mine.py"}", line 9, in loss_and_grads', "return helper(params[0][0])",
        f'File "{tmp_path / "mine.py"}", line 5, in helper', "return W @ W"]  # fmt: skip
    assert err[5].startswith("ValueError: matmul") and len(err) == 7 and "site-packages" not in "\n".join(err)
    assert err[-1].startswith("mlp-compare check: error: loss_and_grads raised ValueError: matmul")


@pytest.mark.parametrize(
    "args,message",
    [
        (["nowhere.py"], "nowhere.py: no such file; expected a Python file defining loss_and_grads(params, X, y), or a training script"),
        ([str(EXAMPLES / "beginner_mlp.py"), "--steps", "-1"], "--steps -1: expected a whole number >= 0"),
        ([str(EXAMPLES / "beginner_mlp.py"), "--layers", "3,3,1", "--dataset", "moons"],
         "spec.layers: input size 3 does not fit 'moons', which has 2 features; expected 2"),
    ],
)  # fmt: skip
def test_bad_input_exits_2_with_one_line(capsys, args, message):
    assert main(["check", *args, *FAST]) == 2
    assert lines(capsys) == [f"mlp-compare check: error: {message}"]


def test_layers_the_default_data_does_not_fit_are_checked_on_blobs_of_their_size(capsys):
    assert main(["check", str(EXAMPLES / "beginner_mlp.py"), "--layers", "3,3,1", *FAST]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "3-3-1" in out and "Data: blobs with 3 features (your layers do not fit the default data set; --dataset names another)." in out


def test_a_syntax_error_in_the_learners_file_exits_2_with_the_line(tmp_path, capsys):
    (tmp_path / "mine.py").write_text("def loss_and_grads(params, X, y)\n    return 1\n")
    assert main(["check", str(tmp_path / "mine.py"), *FAST]) == 2
    err = lines(capsys)
    assert "line 1" in err[1] and err[-2] == "SyntaxError: expected ':'"
    assert err[-1] == f"mlp-compare check: error: {tmp_path / 'mine.py'} raised SyntaxError while loading (traceback above)"


def test_assert_gradients_match_passes_quietly_and_fails_with_the_table_and_the_diagnosis():
    right = load(EXAMPLES / "beginner_mlp.py")
    result = assert_gradients_match(right, layers=(2, 3, 1), activation="sigmoid", loss="mse", frameworks=("numpy",))
    assert result.ok and (result.table["rel_numpy"] <= 1e-12).all()
    wrong = load(LEARNERS / "missing_weights.py")
    with pytest.raises(AssertionError) as caught:
        assert_gradients_match(wrong, layers=(2, 3, 1), frameworks=("numpy",))
    text = str(caught.value)
    assert re.search(r"│ dW1 +│ \(2, 3\) +│.*│ WRONG +│", text)
    assert "dW1 is the first wrong tensor" in text and "missing ·Wᵀ" in text


def test_assert_gradients_match_takes_a_loss_without_its_output():
    make = load(LEARNERS / "correct.py", "make")
    result = assert_gradients_match(make(("tanh",), "softmax", "ce"), layers=(2, 5, 2), activation="tanh", loss="ce", frameworks=("numpy",))
    assert result.spec.output == "softmax"


def test_steps_stops_where_the_learners_gradients_cannot_update_the_weights(capsys):
    assert main(["check", str(LEARNERS / "transposed_dw.py"), *BEGINNER, *FAST, "--steps", "5"]) == 1
    out = capsys.readouterr().out
    row = re.search(
        r"│ numpy +│ +0 │ +2 │ +([\d.e-]+) │ +([\d.e-]+) │ FAIL │ stopped at step 1: your gradients cannot update the weights", out
    )
    assert row and float(row.group(1)) != float(row.group(2))  # your one loss, their loss after 5 steps


def test_a_learner_split_over_files_in_its_folder_loads(tmp_path, capsys):
    source = (EXAMPLES / "beginner_mlp.py").read_text()
    (tmp_path / "activations.py").write_text("import numpy as np\n\n\ndef sigmoid(z):\n    return 1 / (1 + np.exp(-z))\n")
    body = source[source.index("def loss_and_grads") :]
    (tmp_path / "net.py").write_text(
        f"from dataclasses import dataclass\n\nimport numpy as np\nfrom activations import sigmoid\n\n\n@dataclass\nclass Layer:\n    n: int\n\n\n{body}"
    )
    assert main(["check", str(tmp_path / "net.py"), *BEGINNER, *FAST]) == 0
    assert "Right." in capsys.readouterr().out


def test_a_learners_prints_show_once_not_once_per_finite_difference(tmp_path, capsys):
    source = (EXAMPLES / "beginner_mlp.py").read_text().replace("    # backward\n", "    print('my loss', loss)\n    # backward\n")
    (tmp_path / "chatty.py").write_text(source)
    assert main(["check", str(tmp_path / "chatty.py"), *BEGINNER, *FAST, "--steps", "3"]) == 0
    assert len(re.findall(r"^my loss 0\.25\d+$", capsys.readouterr().out, re.M)) == 1
