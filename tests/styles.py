"""The learner styles the check meets, each written fresh in tests/learners/styles/, and the catalogue's mutants
ported to them as one-line edits: (style, mutant) -> the edited file, the mutated line, the expected diagnosis."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path

from compare.learner.layouts import Form
from compare.learner.loading import load
from compare.shared.spec import Spec

LEARNERS = Path(__file__).parent / "learners"
STYLE_FILES = Path(__file__).parent.parent / "examples" / "styles"  # learner-facing: docs/checking.md runs them
BEGINNER = Spec(layers=(2, 3, 1), frameworks=("numpy",))  # sigmoid, sigmoid output, MSE, batch 16
TANH = BEGINNER.replace(activation="tanh")
DEEP_CE = BEGINNER.replace(layers=(2, 2, 2, 2), loss="ce", output="softmax")
CE = BEGINNER.replace(layers=(2, 4, 3), loss="ce", output="softmax", dataset="blobs")
# mutant -> (spec it shows on, first wrong tensor in the rows style, mistake named)
CATALOGUE = {
    "not_divided_by_batch": (BEGINNER, "dW2", "batch"),
    "divided_twice": (BEGINNER, "dW2", "twice"),
    "factor_two": (BEGINNER, "dW2", "factor2"),
    "wrong_sign": (BEGINNER, "dW2", "sign"),
    "transposed_dw": (BEGINNER, "dW2", "transposed"),
    "bias_not_summed": (BEGINNER, "db2", "bias_sum"),
    "derivative_on_z": (BEGINNER, "dW1", "deriv_input"),
    "derivative_missing": (BEGINNER, "dW1", "deriv_missing"),
    "wrong_derivative": (TANH, "dW1", "deriv_wrong"),
    "missing_weights": (BEGINNER, "dW1", "no_weights"),
    "wrong_layer_weights": (DEEP_CE, "dW2", "wrong_weights"),
    "extra_softmax_derivative": (CE, "dW2", "softmax_deriv"),
    "swapped_dw_db": (BEGINNER, "dW2", "swapped"),
    "loss_not_averaged": (BEGINNER, "loss", "loss_mean"),
}
DW = 'grads["dW" + str(l)] = dZ @ A_prev.T'
DB = 'grads["db" + str(l)] = np.sum(dZ, axis=1, keepdims=True)'
BACK = "dZ = activation_backward(dA_prev, caches[l - 2][1], hidden[l - 2])"
DELTA = "delta = np.dot(self.weights[-l + 1].transpose(), delta) * sp"
SP = "sp = prime(self.hidden[-l + 1], z)"
CE_DELTA = "a = np.exp(z - z.max()) / np.exp(z - z.max()).sum()\n            delta = a - y"
RELU_CE = BEGINNER.replace(layers=(2, 4, 3), activation="relu", loss="ce", output="softmax", dataset="blobs")
CS231N_DX = "dx = (probs - np.eye(x.shape[1])[y]) / N"
NNFS_DIVIDE = "self.dinputs = (dvalues - np.eye(dvalues.shape[1])[y_true]) / samples"
# style -> mutant -> (old, new[, first wrong tensor where it differs from the rows style's[, the spec where it differs]])
PORTS = {
    "dlai": {
        "not_divided_by_batch": ("dAL = 2 * (AL - Y) / Y.size", "dAL = 2 * (AL - Y)"),
        "divided_twice": ("dAL = 2 * (AL - Y) / Y.size", "dAL = 2 * (AL - Y) / Y.size / m"),
        "factor_two": ("dAL = 2 * (AL - Y) / Y.size", "dAL = (AL - Y) / Y.size"),
        "wrong_sign": ("dAL = 2 * (AL - Y) / Y.size", "dAL = 2 * (Y - AL) / Y.size"),
        "transposed_dw": (DW, 'grads["dW" + str(l)] = A_prev @ dZ.T'),
        "bias_not_summed": (DB, 'grads["db" + str(l)] = dZ'),
        "derivative_on_z": ("dZ = dA * s * (1 - s)", "dZ = dA * Z * (1 - Z)", "dW2"),  # the helper serves the output layer too
        "derivative_missing": (BACK, "dZ = dA_prev"),
        "wrong_derivative": (BACK, 'dZ = activation_backward(dA_prev, caches[l - 2][1], "sigmoid")'),
        "missing_weights": ('dA_prev = parameters["W" + str(l)].T @ dZ', "dA_prev = dZ"),
        "wrong_layer_weights": ('dA_prev = parameters["W" + str(l)].T @ dZ', 'dA_prev = parameters["W" + str(l - 1 or 1)].T @ dZ'),
        "extra_softmax_derivative": ("dZL = (AL - Y) / m", "dZL = (AL - Y) / m * AL * (1 - AL)"),
        "loss_not_averaged": ("cost = np.sum((AL - Y) ** 2) / Y.size", "cost = np.sum((AL - Y) ** 2)"),
    },
    "nielsen": {
        "factor_two": ("delta = (a - y) * prime", "delta = 2 * (a - y) * prime"),
        "wrong_sign": ("delta = (a - y) * prime", "delta = (y - a) * prime"),
        "transposed_dw": (
            "nabla_w[-l] = np.dot(delta, activations[-l - 1].transpose())",
            "nabla_w[-l] = np.dot(activations[-l - 1], delta.transpose())",
            "dW1",
        ),
        "derivative_on_z": (SP, "sp = prime(self.hidden[-l + 1], activations[-l])"),
        "derivative_missing": (DELTA, "delta = np.dot(self.weights[-l + 1].transpose(), delta)"),
        "wrong_derivative": (SP, 'sp = prime("sigmoid", z)'),
        "missing_weights": (DELTA, "delta = delta * sp"),
        "wrong_layer_weights": (DELTA, "delta = np.dot(self.weights[-l].transpose(), delta) * sp"),
        "extra_softmax_derivative": (CE_DELTA, CE_DELTA.replace("delta = a - y", "delta = (a - y) * a * (1 - a)")),
    },
    "cs231n": {
        "not_divided_by_batch": (CS231N_DX, "dx = probs - np.eye(x.shape[1])[y]", "dW2", RELU_CE),
        "divided_twice": (CS231N_DX, CS231N_DX + " / N", "dW2", RELU_CE),
        "wrong_sign": (CS231N_DX, "dx = (np.eye(x.shape[1])[y] - probs) / N", "dW2", RELU_CE),
        "transposed_dw": ("dw = x.reshape(x.shape[0], -1).T.dot(dout)", "dw = dout.T.dot(x.reshape(x.shape[0], -1))", "dW2", RELU_CE),
        "bias_not_summed": ("db = np.sum(dout, axis=0)", "db = dout", "db2", RELU_CE),
        "derivative_missing": ("dx = dout * (x > 0)", "dx = dout", "dW1", RELU_CE),
        "extra_softmax_derivative": (CS231N_DX, CS231N_DX + " * probs * (1 - probs)", "dW2", RELU_CE),
        "swapped_dw_db": (
            'grads[f"W{self.num_layers}"], grads[f"b{self.num_layers}"] = dw, db',
            'grads[f"W{self.num_layers}"], grads[f"b{self.num_layers}"] = db, dw',
            "dW2",
            RELU_CE,
        ),
        "loss_not_averaged": (
            "loss = -np.sum(log_probs[np.arange(N), y]) / N",
            "loss = -np.sum(log_probs[np.arange(N), y])",
            "loss",
            RELU_CE,
        ),
    },
    "nnfs": {
        "not_divided_by_batch": (NNFS_DIVIDE, NNFS_DIVIDE.removesuffix(" / samples"), "dW2", RELU_CE),
        "divided_twice": (NNFS_DIVIDE, NNFS_DIVIDE + " / samples", "dW2", RELU_CE),
        "wrong_sign": (NNFS_DIVIDE, "self.dinputs = (np.eye(dvalues.shape[1])[y_true] - dvalues) / samples", "dW2", RELU_CE),
        "transposed_dw": (
            "self.dweights = np.dot(self.inputs.T, dvalues)",
            "self.dweights = np.dot(dvalues.T, self.inputs)",
            "dW2",
            RELU_CE,
        ),
        "bias_not_summed": ("self.dbiases = np.sum(dvalues, axis=0, keepdims=True)", "self.dbiases = dvalues", "db2", RELU_CE),
        "derivative_missing": ("self.dinputs = dvalues * (self.inputs > 0)", "self.dinputs = dvalues", "dW1", RELU_CE),
        "derivative_on_z": (
            "self.dinputs = dvalues * (1 - self.output) * self.output",
            "self.dinputs = dvalues * (1 - self.inputs) * self.inputs",
            "dW1",
            RELU_CE.replace(activation="sigmoid"),
        ),
        "wrong_derivative": (
            "self.dinputs = dvalues * (1 - self.output**2)",
            "self.dinputs = dvalues * (1 - self.output) * self.output",
            "dW1",
            RELU_CE.replace(activation="tanh"),
        ),
        "extra_softmax_derivative": (NNFS_DIVIDE, NNFS_DIVIDE + " * self.output * (1 - self.output)", "dW2", RELU_CE),
        "loss_not_averaged": ("data_loss = np.mean(sample_losses)", "data_loss = np.sum(sample_losses)", "loss", RELU_CE),
    },
}


@dataclass
class Style:
    file: str  # in tests/learners/styles (rows: tests/learners/correct.py)
    function: str
    form: Form
    loss_function: str | None = None  # for finite differences, when the function returns gradients only
    outputs: int | None = None  # mse on more outputs (Nielsen's ½‖a − y‖² with one output is ½·MSE: 2 × ½ hides a factor 2)


STYLES = {
    "rows": Style("correct.py", "loss_and_grads", Form()),
    "dlai": Style("dlai.py", "loss_and_grads", Form("columns", "dict")),
    "nielsen": Style("nielsen.py", "backprop", Form("columns", "lists", per_sample=True), "cost", outputs=3),
    "cs231n": Style("cs231n.py", "loss", Form("rows", "dict")),
    "nnfs": Style("nnfs.py", "loss_and_grads", Form()),
}


def source(style: str) -> Path:
    return LEARNERS / "correct.py" if style == "rows" else STYLE_FILES / STYLES[style].file


def mutated(style: str, name: str, folder: Path) -> tuple[Path, int]:
    """The style's correct file with the mutant's one edit, written to folder; and the edited line's number."""
    if style == "rows":
        path = LEARNERS / f"{name}.py"
        original = (LEARNERS / "correct.py").read_text().splitlines()
    else:
        old, new = PORTS[style][name][:2]
        text = source(style).read_text()
        assert text.count(old) == 1, (style, name)
        path = folder / f"{style}_{name}.py"
        path.write_text(text.replace(old, new))
        original = text.splitlines()
    lines = path.read_text().splitlines()
    changed = [i for i, (a, b) in enumerate(zip(original[1:], lines[1:]), start=2) if a != b]
    return path, changed[0]


def makers(style: str, path: Path, spec: Spec):
    """(the function, its loss function or None) for the spec's network, from a style's file."""
    s = STYLES[style]
    make = load(path, "make")
    fn = make(spec.activations, spec.output, spec.loss)
    loss_fn = load(path, "make_cost")(spec.activations, spec.output, spec.loss) if s.loss_function else None
    return fn, loss_fn


def spec_for(style: str, name: str) -> Spec:
    """The catalogue's spec for a mutant, with the style's output count for mse."""
    port = PORTS.get(style, {}).get(name, ())
    if len(port) > 3:
        return port[3]
    spec, outputs = CATALOGUE[name][0], STYLES[style].outputs
    return spec.replace(layers=(*spec.layers[:-1], outputs), dataset="blobs") if outputs and spec.loss == "mse" else spec


def expected(style: str, name: str) -> tuple[str, str]:
    """(first wrong tensor, mistake) the check should name for a style's mutant."""
    _, first, mistake = CATALOGUE[name]
    port = PORTS.get(style, {}).get(name, ())
    return (port[2] if len(port) > 2 else first), mistake


def ported(style: str) -> list[str]:
    return list(CATALOGUE) if style == "rows" else list(PORTS[style])


__all__ = ["CATALOGUE", "STYLES", "difflib"]
