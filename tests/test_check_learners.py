"""What running public learner code taught the check: bad input in one line, float32 behind the learner's back,
a library that patches NumPy, tracebacks through their folder, methods and other signatures, a loss that differs,
the forgotten 1/N read two ways, and the report in a notebook."""

import re
import shutil
from pathlib import Path

import numpy as np
import pytest

import compare
import compare.testing
from compare.cli import main
from compare.errors import LearnerError
from compare.learner.grade import check
from compare.learner.layouts import Form
from compare.learner.loading import load
from compare.shared.spec import Spec
from tests.styles import STYLE_FILES

LEARNERS = Path(__file__).parent / "learners"
BEGINNER = ["--layers", "2,3,1", "--frameworks", "numpy"]
SPEC = Spec(layers=(2, 3, 1), frameworks=("numpy",))


def err_lines(capsys) -> list[str]:
    return capsys.readouterr().err.strip().splitlines()


def write(tmp_path, body: str, name: str = "mine.py") -> str:
    (tmp_path / name).write_text("import numpy as np\n\n\n" + body)
    return str(tmp_path / name)


DLAI_WRAP = f"""import importlib.util
spec = importlib.util.spec_from_file_location("dlai", {str(STYLE_FILES / "dlai.py")!r})
dlai = importlib.util.module_from_spec(spec)
spec.loader.exec_module(dlai)

"""


ROWS_WRAP = DLAI_WRAP.replace("dlai", "rows").replace(str(STYLE_FILES / "rows.py"), str(LEARNERS / "correct.py"))
NIELSEN_WRAP = DLAI_WRAP.replace("dlai", "n").replace(str(STYLE_FILES / "n.py"), str(STYLE_FILES / "nielsen.py"))


@pytest.mark.parametrize(
    "body,flags,message",
    [
        (DLAI_WRAP + "def loss_and_grads(params, X, y):\n    return dlai.loss_and_grads(params, X, y)\n", ["--params", "dict"],
         "loss_and_grads raised ValueError: matmul: Input operand 1 has a mismatch in its core dimension 0, with gufunc signature "
         "(n?,k),(k,m?)->(n?,m?) (size 16 is different from 3); if your code takes samples as columns, X of shape (fan_in, N), try --layout columns"),
        (DLAI_WRAP + "def loss_and_grads(params, X, y):\n"
         "    p = {k: (v.T if k[0] == 'W' else v[:, None]) for k, v in params.items()}\n    return dlai.loss_and_grads(p, X.T, y.T)\n",
         ["--params", "dict"],
         "every dW comes back transposed and every db of shape (n, 1): your code takes samples as columns (X of shape (fan_in, N)); try --layout columns"),
        (ROWS_WRAP + "def loss_and_grads(params, X, y):\n    p = [(W.T, b.ravel()) for W, b in params]\n"
         "    L, g = rows.loss_and_grads(p, X.T, y.T)\n    return L, [(dW, db[None]) for dW, db in g]\n",
         ["--layout", "columns"],
         "every dW comes back transposed and every db of shape (1, n): your code takes samples as rows (X of shape (N, fan_in)); try --layout rows"),
        (DLAI_WRAP + "def loss_and_grads(params, X, y):\n    L, g = dlai.loss_and_grads(params, X, y)\n    g['db1'] = g['db1'].T\n    return L, g\n",
         ["--params", "dict", "--layout", "columns"],
         "db1 has shape (1, 3); expected (3, 1) or (3,), the shape of b1 in the columns layout; (1, 3) is the rows layout's (--layout rows)"),
        (DLAI_WRAP + "def loss_and_grads(params, X, y):\n    L, g = dlai.loss_and_grads(params, X, y)\n    del g['db1']\n    return L, g\n",
         ["--params", "dict", "--layout", "columns"], "grads has no key 'db1'; expected dW1, db1 .. dW2, db2"),
        (DLAI_WRAP + "def loss_and_grads(params, X, y):\n    L, g = dlai.loss_and_grads(params, X, y)\n    g['dW3'] = g['dW2']\n    return L, g\n",
         ["--params", "dict", "--layout", "columns"], "grads key 'dW3' matches no parameter; the network has W1..W2 and b1..b2"),
        (NIELSEN_WRAP +
         "def backprop(params, x, y):\n    nb, nw = n.backprop(params, x, y)\n    return nb, [w[None] for w in nw]\n",
         ["--function", "backprop", "--layout", "columns", "--params", "lists", "--per-sample"],
         "dW1 has shape (1, 3, 2); expected (3, 2), the shape of W1 in the columns layout; --per-sample expects one sample's gradient, not a batch of them"),
        (NIELSEN_WRAP +
         "def backprop(params, x, y):\n    nb, nw = n.backprop(params, x, y)\n    return nb, [w[:, :1] for w in nw]\n",
         ["--function", "backprop", "--layout", "columns", "--params", "lists", "--per-sample"],
         "dW1 has shape (3, 1); expected (3, 2), the shape of W1 in the columns layout"),
        (NIELSEN_WRAP +
         "def backprop(params, x, y):\n    return n.backprop(params, x, y)\n",
         ["--function", "backprop", "--layout", "columns", "--params", "lists"],
         "every db comes back with one column per sample ((3, 16), (1, 16)) and no loss: a function written for one sample at a time? try --per-sample"),
        ("def loss_and_grads(params, X, y):\n    return 1.0, []\n", ["--convention", "median"],
         "--convention median: expected mean, or half, outputs, sum joined by + (e.g. half+outputs)"),
    ],
)  # fmt: skip
def test_bad_input_is_one_line_and_exit_2(tmp_path, capsys, body, flags, message):
    if "every dW comes back transposed" in message:  # also where no layer is wider than 2
        assert main(["check", write(tmp_path, body), *BEGINNER, *flags, "--layers", "2,2,1"]) == 2
        assert err_lines(capsys)[-1] == f"mlp-compare check: error: {message}"
    assert main(["check", write(tmp_path, body), *BEGINNER, *flags]) == 2
    lines = err_lines(capsys)
    assert lines[-1] == f"mlp-compare check: error: {message}"
    assert sorted(p.name for p in tmp_path.iterdir() if p.name != "__pycache__") == ["mine.py"]  # nothing written


def test_gradients_alone_under_a_declared_convention_that_disagrees_fail_saying_which_they_follow(capsys):
    flags = [
        "--function",
        "backprop",
        "--layout",
        "columns",
        "--params",
        "lists",
        "--per-sample",
        "--layers",
        "2,3,3",
        "--dataset",
        "blobs",
    ]
    assert main(["check", str(STYLE_FILES / "nielsen.py"), *flags, "--frameworks", "numpy", "--convention", "half"]) == 1
    out = " ".join(capsys.readouterr().out.split())
    assert (
        "Wrong. Your gradients follow the convention half+outputs, not the declared half (0.5 × the spec's loss): drop --convention, or declare --convention half+outputs."
        in out
    )
    assert main(["check", str(STYLE_FILES / "nielsen.py"), *flags, "--frameworks", "numpy", "--convention", "half+outputs"]) == 0
    assert "half+outputs (declared)" in " ".join(capsys.readouterr().out.split())


def test_a_forgotten_1_over_n_is_a_mistake_read_two_ways_and_right_when_declared(capsys):
    assert main(["check", str(LEARNERS / "not_divided_by_batch.py"), *BEGINNER]) == 1
    out = " ".join(capsys.readouterr().out.split())
    assert "dW2 is the first wrong tensor walking back from the output: the gradient is not divided by the batch size" in out
    assert (
        "or, if you train on the summed loss on purpose (several tutorials do: the learning rate absorbs N), say so with --convention sum"
        in out
    )
    assert main(["check", str(LEARNERS / "not_divided_by_batch.py"), *BEGINNER, "--convention", "sum", "--steps", "5"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "under your convention, sum (declared)" in out
    assert "your reported loss is the mean, not the sum your gradients descend, and your learning rate is effectively 16× (N)" in out
    assert re.search(r"│ numpy +│ +[\d.e-]+ │ +- +│ +[\d.e-]+ │ +[\d.e-]+ │ pass +│ 0.5 × 16 \(your convention\) │", out)


def test_sign_and_scale_together_are_named_together_with_one_fix(tmp_path):
    source = (LEARNERS / "correct.py").read_text().replace("dA = 2 * (P - y) / y.size", "dA = 2 * (y - P)")
    (tmp_path / "minus_n.py").write_text(source)
    make = load(tmp_path / "minus_n.py", "make")
    diagnosis = check(make(), SPEC, fd=False).diagnosis
    assert (diagnosis.first_wrong, diagnosis.mistake) == ("dW2", "sign+batch")
    assert (
        "the gradient has the wrong sign, and is not divided by the batch size (dW2, db2, dW1, db1 are exactly -16 = N × the reference)"
        in diagnosis.message
    )
    assert "Fix: the output delta is a - y (prediction minus target), not y - a; and the loss is a mean" in diagnosis.message


def test_float32_behind_the_learners_back_is_judged_at_float32_and_never_changes_the_references(capsys, tmp_path):
    dot = np.dot
    fn = load(LEARNERS / "float32" / "net.py")
    assert np.dot is dot  # the patch its library made on import is off outside their calls
    assert "fastmath: np.dot now runs in float32" in capsys.readouterr().out
    for seed in range(6):
        spec = SPEC.replace(seed=seed)
        result = check(fn, spec)
        assert result.ok and result.notes == [
            "Your code computes in float32; judged at float32 tolerance (1e-4), finite differences graded at float32 precision."
        ]
        assert set(result.table["fd_grade"]) <= {"good", "-"} and (result.table["rel_numpy"] > 1e-10).any()  # float32-sized differences
        assert np.dot is dot
    shutil.copytree(LEARNERS / "float32", tmp_path / "float32")
    wrong_file = tmp_path / "float32" / "net.py"
    wrong_file.write_text(wrong_file.read_text().replace("dZ1 = dA1 * A1 * (1 - A1)", "dZ1 = dA1"))
    wrong = check(load(wrong_file), SPEC).table.set_index("tensor")
    assert wrong.loc["dW1", "verdict"] == "WRONG" and wrong.loc["dW1", "fd_grade"] == "wrong"
    assert wrong.loc["dW2", "verdict"] == "right" and wrong.loc["dW2", "fd_grade"] == "good"


def test_a_traceback_keeps_the_frames_of_every_file_in_the_learners_folder(tmp_path, capsys):
    (tmp_path / "layers.py").write_text("import numpy as np\n\n\ndef dense(X, W, b):\n    return X @ W.T + b\n")
    write(tmp_path, "from layers import dense\n\n\ndef loss_and_grads(params, X, y):\n    return dense(X, *params[0])\n", "net.py")
    assert main(["check", str(tmp_path / "net.py"), *BEGINNER]) == 2
    err = [line.strip() for line in err_lines(capsys) if set(line.strip()) - set("^~")]
    assert err[1:3] == [f'File "{tmp_path / "net.py"}", line 8, in loss_and_grads', "return dense(X, *params[0])"]
    assert err[3:5] == [f'File "{tmp_path / "layers.py"}", line 5, in dense', "return X @ W.T + b"]


def test_a_class_it_cannot_make_or_another_signature_says_what_is_accepted(capsys):
    assert main(["check", str(STYLE_FILES / "nielsen.py"), "--function", "Network.backprop", *BEGINNER]) == 2
    assert err_lines(capsys) == [
        "mlp-compare check: error: Network(hidden, output, cost): the check cannot tell what to pass for output; "
        "give it with --init-args 'output=...'"
    ]
    assert main(["check", str(STYLE_FILES / "cs231n.py"), "--function", "softmax_loss", *BEGINNER]) == 2
    assert err_lines(capsys) == [
        "mlp-compare check: error: softmax_loss takes (x, y); the check calls f(params, X, y) (one sample x with --per-sample; "
        "f(params, X, y, masks) with dropout) and takes back (loss, grads) or the gradients alone"
    ]


@pytest.mark.parametrize(
    "reduce,divide,said",
    [
        ("np.mean", "Y.size", ""),
        ("0.5 * np.mean", "Y.size * 2", "½ × "),
        ("len(X) ** -1 * np.sum", "len(X)", "3 outputs × "),  # summed over the outputs, averaged over the batch
        ("Y.shape[1] ** -1 * np.sum", "Y.shape[1]", "N × "),
        ("np.sum", "1", "N × outputs × "),
    ],
)  # fmt: skip
def test_a_loss_that_is_another_function_is_said_to_differ_and_named(tmp_path, reduce, divide, said):
    body = f"""def loss_and_grads(params, X, y):
    (W1, b1), (W2, b2) = params
    A1 = np.tanh(X @ W1 + b1)
    Z2 = A1 @ W2 + b2
    S = 1 / (1 + np.exp(-Z2))  # 'cross-entropy' as element-wise BCE over one-hot targets
    Y = np.eye(Z2.shape[1])[y]
    loss = {reduce}(-Y * np.log(S) - (1 - Y) * np.log(1 - S))
    dZ2 = (S - Y) / ({divide})
    dZ1 = dZ2 @ W2.T * (1 - A1**2)
    return loss, [(X.T @ dZ1, dZ1.sum(axis=0)), (A1.T @ dZ2, dZ2.sum(axis=0))]
"""
    fn = load(write(tmp_path, body))
    spec = Spec(layers=(2, 4, 3), activation="tanh", loss="ce", dataset="blobs", frameworks=("numpy",))
    diagnosis = check(fn, spec).diagnosis
    assert (diagnosis.first_wrong, diagnosis.mistake) == ("dW2", "loss_differs"), diagnosis.message
    assert "so the loss itself differs from the spec's ce" in diagnosis.message
    words = f"it is {said}binary cross-entropy of sigmoid(logits), element-wise over one-hot targets on the network's outputs"
    assert words in diagnosis.message, diagnosis.message


def test_compare_check_takes_a_function_and_the_clis_options_and_renders_html(tmp_path):
    dlai = load(STYLE_FILES / "dlai.py")
    report = compare.check(dlai, layers=(2, 3, 1), layout="columns", params="dict", frameworks=("numpy",))
    assert report.ok and "<table" in report._repr_html_() and "Right." in report._repr_html_()
    path = tmp_path / "bug.py"
    path.write_text((STYLE_FILES / "dlai.py").read_text().replace("dA_prev = parameters", "dA_prev = 0.5 * parameters"))
    bug = compare.testing.check(load(path), layers=(2, 3, 1), layout="columns", params="dict", frameworks=("numpy",))
    html = bug._repr_html_()
    assert not bug.ok and "Wrong." in html and "dW1 is the first wrong tensor" in html
    assert re.search(
        r"<pre>\S*bug\.py:70  dA_prev = 0\.5 \* parameters\[&quot;W&quot; \+ str\(l\)\]\.T @ dZ  # \(n_\{l-1\}, m\)  ← dA_prev departs",
        html,
    ), html
    assert Form("columns", "dict") == Form(layout="columns", params="dict")


def test_a_forward_pass_mistake_names_the_first_departing_forward_line(tmp_path):
    source = (Path(__file__).parent.parent / "examples" / "beginner_mlp.py").read_text()
    (tmp_path / "fwd.py").write_text(source.replace("Z1 = X @ W1 + b1  # (N, 3)", "Z1 = X @ W1 - b1  # (N, 3)"))
    result = check(load(tmp_path / "fwd.py"), SPEC, fd=False)
    assert not result.ok and result.diagnosis.first_wrong == "dW2"
    assert re.fullmatch(
        r"\S*fwd\.py:14  Z1 = X @ W1 - b1  # \(N, 3\)  ← Z1 departs here \(Z1: rel 0\.87\); b1 \(line 11\) was right; W1 \(line 11\) was right",
        result.line,
    ), result.line


def test_a_squared_error_on_softmax_outputs_is_said_to_be_mse(tmp_path):
    body = """def loss_and_grads(params, X, y):
    (W1, b1), (W2, b2) = params
    A1 = np.tanh(X @ W1 + b1)
    Z2 = A1 @ W2 + b2
    P = np.exp(Z2 - Z2.max(axis=1, keepdims=True))
    P = P / P.sum(axis=1, keepdims=True)
    Y = np.eye(Z2.shape[1])[y]
    loss = np.mean((P - Y) ** 2)
    dP = 2 * (P - Y) / Y.size
    dZ2 = P * (dP - (dP * P).sum(axis=1, keepdims=True))  # back through the softmax
    dZ1 = dZ2 @ W2.T * (1 - A1**2)
    return loss, [(X.T @ dZ1, dZ1.sum(axis=0)), (A1.T @ dZ2, dZ2.sum(axis=0))]
"""
    spec = Spec(layers=(2, 4, 3), activation="tanh", loss="ce", dataset="blobs", frameworks=("numpy",))
    diagnosis = check(load(write(tmp_path, body)), spec).diagnosis
    assert diagnosis.mistake == "loss_differs" and diagnosis.message.endswith(", and it is mse on the network's outputs.")


def test_a_learner_computing_in_float32_trains_like_the_references_at_float32_tolerance():
    right = load(LEARNERS / "correct.py", "make")()

    def in_float32(params, X, y):
        return right([(W.astype(np.float32), b.astype(np.float32)) for W, b in params], X.astype(np.float32), y.astype(np.float32))

    result = check(in_float32, SPEC, steps=100, fd=False)
    curve = result.curves.set_index("framework").loc["numpy"]
    assert result.ok and bool(curve["pass"]) and curve["first_divergent_step"] is None
    assert 1e-7 < curve["max_rel"] < 1e-5  # float32's round-off: over float64's tolerance, far under float32's


def _returning(what):
    """A rows learner returning what(loss, grads, X) instead of its right (loss, grads)."""
    right = load(LEARNERS / "correct.py", "make")()

    def fn(params, X, y):
        loss, grads = right(params, X, y)
        return what(loss, grads, X)

    return fn


def _nan_and_inf(loss, grads, X):
    dW2 = grads[1][0].copy()
    dW2[0, 0], dW2[1, 0] = np.nan, np.inf
    return loss, [grads[0], (dW2, grads[1][1])]


def _one_nan(loss, grads, X):
    db1 = grads[0][1].copy()
    db1[2] = np.nan
    return loss, [(grads[0][0], db1), grads[1]]


@pytest.mark.parametrize(
    "what,per_sample,message",
    [
        (lambda loss, grads, X: ("0.5", grads), False, "the loss is str; expected a NumPy array of floats"),
        (lambda loss, grads, X: (loss, [grads[0], (None, grads[1][1])]), False, "dW2 is NoneType; expected a NumPy array of floats"),
        (lambda loss, grads, X: (loss, [grads[0], (grads[1][0], "db")]), False, "db2 is str; expected a NumPy array of floats"),
        (lambda loss, grads, X: [], False, "fn returned an empty list; expected a pair (loss, grads) or the gradients alone"),
        (lambda loss, grads, X: (loss, [grads[0], grads[1][0]]), False, "grads[1] is ndarray; expected a pair (dW2, db2)"),
        (_nan_and_inf, False, "dW2 has 2 NaN and inf entries; expected finite numbers"),
        (_one_nan, False, "db1 has 1 NaN entry; expected finite numbers"),
        (lambda loss, grads, X: (loss, [grads[0], (grads[1][0], np.ones((16, 1)))]), True,
         "db2 has shape (16, 1); expected (1,) or (1, 1), the shape of b2 in the rows layout; --per-sample expects one sample's gradient"),
        (lambda loss, grads, X: (loss, [(np.ones((16, 2, 3)), grads[0][1]), grads[1]]), True,
         "dW1 has shape (16, 2, 3); expected (2, 3), the shape of W1 in the rows layout; --per-sample expects one sample's gradient, not a batch of them"),
        (lambda loss, grads, X: (loss, [grads[0], (grads[1][0], np.ones((3, 1)))]), False,
         "db2 has shape (3, 1); expected (1,) or (1, 1), the shape of b2 in the rows layout"),
    ],
)  # fmt: skip
def test_what_a_function_returns_is_refused_in_one_line_naming_the_tensor(what, per_sample, message):
    fn = _returning(what)
    if per_sample:
        batch = fn
        fn = lambda params, x, y: batch(params, x[None], np.reshape(y, (1, -1)))  # noqa: E731
    with pytest.raises(LearnerError) as e:
        check(fn, SPEC, form=Form(per_sample=per_sample), fd=False)
    assert str(e.value).splitlines()[0] == message


def test_per_sample_gradients_of_changing_shapes_are_refused_naming_the_sample():
    right = load(LEARNERS / "correct.py", "make")()
    calls = []

    def fn(params, x, y):
        calls.append(1)
        loss, grads = right(params, x[None], np.reshape(y, (1, -1)))
        return loss, grads if len(calls) != 3 else [(grads[0][0].T, grads[0][1]), grads[1]]  # dW1 transposed once

    with pytest.raises(LearnerError) as e:
        check(fn, SPEC, form=Form(per_sample=True), fd=False)
    assert str(e.value) == "--per-sample: sample 3 returned gradients of other shapes than sample 1"
