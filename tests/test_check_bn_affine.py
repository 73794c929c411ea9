"""The learner check on batch norm with a learned scale and shift: a learner's dgamma and dbeta judged (in a dict as
CS231n keys them, or in pairs after the layers'), gamma and beta moved off their start so that a slip in gamma's path
shows, and each slip in the scale and shift's backward named at its line."""

import numpy as np
import pytest

from compare.cli import main
from compare.learner.batches import first_batch
from compare.learner.grade import check, off_start
from compare.learner.loading import load
from compare.shared.spec import Spec
from tests.styles import STYLE_FILES

FILE = STYLE_FILES / "cs231n_batchnorm.py"
SPEC = Spec(layers=(2, 6, 3), activation="tanh", loss="ce", dataset="blobs", batch_norm=True, bn_affine=True, bn_eps=1e-5,
            frameworks=("numpy",))  # fmt: skip
ARGS = ["--layers", "2,6,3", "--activation", "tanh", "--loss", "ce", "--dataset", "blobs", "--batch-norm", "--bn-affine", "--bn-eps", "1e-5",
        "--params", "dict", "--frameworks", "numpy"]  # fmt: skip
SLIPS = {  # the line as written, the slip, the mistake's words
    "no_gamma": ("dxhat = dA * gamma", "dxhat = dA", "through batch norm's scale without gamma"),
    "no_y": ("dgamma = (dA * xhat).sum(axis=0)", "dgamma = dA.sum(axis=0)", "dgamma misses the normalised input"),
    "mean": ("dbeta = dA.sum(axis=0)", "dbeta = dA.mean(axis=0)", "averaged over the batch"),
}


def test_a_right_scale_and_shift_is_judged_tensor_by_tensor_and_by_its_own_finite_differences(capsys):
    assert main(["check", str(FILE), *ARGS]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "Right." in out and "gamma and beta drawn off 1 and 0" in out
    assert out.index("dW2") < out.index("dgamma1") < out.index("dbeta1") < out.index("dW1")  # walking back from the output
    assert out.count(" good ") >= 6  # dgamma1 and dbeta1 graded by central differences of the learner's own loss


def test_gamma_at_its_start_would_hide_the_missing_gamma_and_the_check_moves_it():
    params, X, y = first_batch(SPEC)
    fn = load(FILE, "loss_and_grads")
    slipped = load_slipped("no_gamma")
    as_dict = lambda p: {"W1": p[0][0], "b1": p[0][1], "W2": p[1][0], "b2": p[1][1], "gamma1": p[2][0], "beta1": p[2][1]}  # noqa: E731
    at_start = [fn(as_dict(params), X, y)[1]["W1"], slipped(as_dict(params), X, y)[1]["W1"]]
    np.testing.assert_array_equal(*at_start)  # gamma = 1: dY = dB * gamma is dB exactly
    moved = off_start(params, SPEC.seed)
    assert np.abs(moved[2][0] - 1).min() > 0 and np.abs(moved[2][1]).min() > 0
    apart = [fn(as_dict(moved), X, y)[1]["W1"], slipped(as_dict(moved), X, y)[1]["W1"]]
    assert np.abs(apart[0] - apart[1]).max() > 1e-3 * np.abs(apart[0]).max()


def slipped_source(slip: str) -> str:
    old, new, *_ = SLIPS[slip]
    source = FILE.read_text()
    assert source.count(old) == 1
    return source.replace(old, new)


def load_slipped(slip: str):
    namespace = {}
    exec(compile(slipped_source(slip), str(FILE), "exec"), namespace)
    return namespace["loss_and_grads"]


@pytest.mark.parametrize("slip", SLIPS)
def test_a_slip_in_the_scale_and_shift_backward_is_named_at_its_line(slip, tmp_path, capsys):
    old, new, said = SLIPS[slip]
    path = tmp_path / "slip.py"
    path.write_text(slipped_source(slip))
    assert main(["check", str(path), *ARGS]) == 1
    out = " ".join(capsys.readouterr().out.split())
    assert "Wrong." in out and said in out, out
    number = next(i for i, text in enumerate(path.read_text().splitlines(), start=1) if text.strip() == new)
    assert f"slip.py:{number} {new} ←" in out, out


def test_pairs_after_the_layers_are_read_as_gamma_and_beta_and_a_missing_key_is_one_line(tmp_path, capsys):
    fn = load(FILE, "loss_and_grads")

    def pairs(params, X, y):
        (W1, b1), (W2, b2), (g, b) = params
        loss, d = fn({"W1": W1, "b1": b1, "W2": W2, "b2": b2, "gamma1": g, "beta1": b}, X, y)
        return loss, [(d["W1"], d["b1"]), (d["W2"], d["b2"]), (d["gamma1"], d["beta1"])]

    report = check(pairs, SPEC, fd=False)
    assert report.ok and {"dgamma1", "dbeta1"} <= set(report.table["tensor"]), report.text()
    (tmp_path / "missing.py").write_text(FILE.read_text().replace(', "beta1": dbeta}', "}"))
    assert main(["check", str(tmp_path / "missing.py"), *ARGS]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "'beta1'" in err[0] and "gamma1, beta1" in err[0], err


def test_gamma_and_beta_unpacked_without_bn_affine_point_to_it_in_one_line(tmp_path, capsys):
    (tmp_path / "pairs.py").write_text(
        "def loss_and_grads(params, X, y):\n    (W1, b1), (W2, b2), (gamma, beta) = params\n    return 0.0, params\n"
    )
    args = [a for a in ARGS if a not in ("--bn-affine", "--params", "dict")]
    assert main(["check", str(tmp_path / "pairs.py"), *args]) == 2
    *theirs, line = capsys.readouterr().err.strip().splitlines()  # their own traceback, then the error in one line
    assert theirs[0] == "Traceback (your file only):" and line.startswith("mlp-compare check: error: loss_and_grads raised ValueError")
    assert "expected 3, got 2" in line and line.endswith("--batch-norm --bn-affine)"), line
