"""compare.check_cell: a notebook cell's training loop judged on its first step, on copies of the notebook's variables,
its wrong line named in the cell; a cell that never steps is refused in one line."""

import numpy as np
import pytest

import compare
from compare.errors import LearnerError

LOOP = """
for step in range(100):
    H = np.tanh(X @ W1)
    out = 1 / (1 + np.exp(-(H @ W2)))
    d_out = (out - y) / len(X)
    dW2 = H.T @ d_out
    dH = d_out @ W2.T * (1 - H ** 2)
    dW1 = X.T @ dH
    W2 -= 0.5 * dW2
    W1 -= 0.5 * dW1
"""
FLAGS = {"activation": "tanh", "output": "sigmoid", "loss": "bce", "frameworks": ("numpy",)}


@pytest.fixture
def notebook():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(8, 2))
    return {"np": np, "X": X, "y": (X[:, :1] > 0).astype(float), "W1": rng.normal(size=(2, 3)), "W2": rng.normal(size=(3, 1))}


def test_a_right_loop_is_right_and_the_notebooks_weights_are_left_as_they_were(notebook):
    before = {k: notebook[k].copy() for k in ("W1", "W2")}
    report = compare.check_cell(LOOP, namespace=notebook, **FLAGS)
    assert report.ok and set(report.table["verdict"]) == {"right"}, report.text()
    assert report.spec.layers == (2, 3, 1) and not report.spec.bias and report.spec.batch_size == 8
    assert all(np.array_equal(notebook[k], before[k]) for k in before)
    assert "lr 0.5 (0.5, written in your update)" in report.text()


def test_a_slip_in_the_loop_is_named_at_its_line_in_the_cell(notebook):
    report = compare.check_cell(LOOP.replace("dW1 = X.T @ dH", "dW1 = X.T @ dH * 2"), namespace=notebook, **FLAGS)
    assert not report.ok and report.diagnosis.first_wrong == "dW1"
    assert report.line.startswith("your cell, line 8  dW1 = X.T @ dH * 2  ← dW1 departs here")


def test_a_cell_that_never_steps_is_refused_in_one_line(notebook):
    with pytest.raises(LearnerError, match=r"^your cell changed no array of a network's shape before it ended"):
        compare.check_cell("H = np.tanh(X @ W1)\n", namespace=notebook, **FLAGS)
