"""A fifth container: one flat list [W1, b1, W2, b2] in and out, as Dive into Deep Learning writes its from-scratch MLP."""

import pytest

from compare.cli import main

RIGHT = """import numpy as np


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def loss_and_grads(params, X, y):
    W1, b1, W2, b2 = params
    H = sigmoid(X @ W1 + b1)
    out = sigmoid(H @ W2 + b2)
    y = y.reshape(out.shape)
    loss = np.mean((out - y) ** 2)
    dZ2 = 2 * (out - y) / y.size * out * (1 - out)
    dW2 = H.T @ dZ2
    db2 = dZ2.sum(axis=0)
    dZ1 = (dZ2 @ W2.T) * H * (1 - H)
    dW1 = X.T @ dZ1
    db1 = dZ1.sum(axis=0)
    return loss, [dW1, db1, dW2, db2]
"""
ARGS = ["--layers", "2,3,1", "--frameworks", "numpy"]


def check(tmp_path, capsys, source: str, *flags: str) -> tuple[int, str]:
    path = tmp_path / "d2l_style.py"
    path.write_text(source)
    code = main(["check", str(path), *ARGS, *flags])
    out = capsys.readouterr()
    return code, " ".join((out.out + out.err).split())


def test_a_flat_list_in_and_out_is_right(tmp_path, capsys):
    code, out = check(tmp_path, capsys, RIGHT, "--params", "flat")
    assert code == 0 and "Right. The loss and every gradient match the reference." in out


def test_unpacking_pairs_as_a_flat_list_suggests_the_other_containers(tmp_path, capsys):
    code, out = check(tmp_path, capsys, RIGHT)
    assert code == 2
    assert "ValueError: not enough values to unpack (expected 4, got 2); your code unpacks params in another way than --params pairs" in out
    assert "try --params dict or lists or flat" in out


@pytest.mark.parametrize(
    "line,mutant,departs",
    [
        (19, "db1 = dZ1.mean(axis=0)", "db1 departs here (db1: rel 0.94)"),  # 1 - 1/16
        (18, "dW1 = X.T @ dZ1 / len(X)", "dW1 departs here (dW1: rel 0.94)"),
        (16, "db2 = dZ2.sum(axis=0) * 2", "db2 departs here (db2: rel 1)"),
        # no known mistake fits these: the first backward value that departs while what it read was right
        (14, "dZ2 = 2 * (out - y) / y.size * out", "dZ2 departs here (dZ2: rel "),  # the output's f' without its (1 - out)
        (17, "dZ1 = (dZ2 @ W2.T) * H", "dZ1 departs here (dZ1: rel "),
        # a one-output layer's dW transposed, (1, 3) against (3, 1): the same numbers, not the same tensor
        (15, "dW2 = dZ2.T @ H", "dW2 departs here (dW2 transposed: (1, 3) where (3, 1)); H (line 10) was right, A1; dZ2 (line 14) was right"),
        (18, "dW1 = dZ1.T @ X", "dW1 departs here (dW1 transposed: (3, 2) where (2, 3)); dZ1 (line 17) was right"),
        # forward: an activation's name says A, not Z
        (10, "H = sigmoid(X @ W1 - b1)", "H departs here (A1: rel "),
        (11, "out = sigmoid(H @ W2)", "out departs here (A2: rel "),
        # keyword arguments: the names a line reads are right of its first =
        (10, "H = sigmoid(np.clip(X @ W1 + b1, a_min=-0.1, a_max=None))", "H departs here (A1: rel "),
        (17, "dZ1 = (dZ2 @ W2.T) * H * (1 - H).clip(max=0.2)", "dZ1 departs here (dZ1: rel "),
    ],
)  # fmt: skip
def test_a_slip_in_a_flat_style_learner_is_named_at_its_line(tmp_path, capsys, line, mutant, departs):
    lines = RIGHT.splitlines()
    original = lines[line - 1]
    lines[line - 1] = original[: len(original) - len(original.lstrip())] + mutant
    code, out = check(tmp_path, capsys, "\n".join(lines) + "\n", "--params", "flat")
    assert code == 1
    assert f"d2l_style.py:{line} {mutant} ← {departs}" in out, out


def test_the_line_is_read_afresh_when_the_file_changed_in_the_same_process(tmp_path, capsys):
    """A notebook or a watch loop checks the file again after an edit: the line shown is the one that ran."""
    for mutant in ("db1 = dZ1.mean(axis=0)", "db1 = dZ1.sum(axis=0) / 2"):
        code, out = check(tmp_path, capsys, RIGHT.replace("db1 = dZ1.sum(axis=0)", mutant), "--params", "flat")
        assert code == 1 and f"d2l_style.py:19 {mutant} ← db1 departs here" in out, out
