"""What the exported scripts say in words: their opening docstring, where each step happens, the learner's convention."""

from __future__ import annotations

from compare.export.code import number
from compare.export.convention import PLAIN, Convention
from compare.export.overrides import float32
from compare.export.source import MASKS, Source
from compare.shared.spec import Spec

NAMES = {"torch": "PyTorch", "keras": "Keras"}
RUNS = {"torch": "torch", "keras": "tensorflow"}  # the bundle's name for each framework's run


def header(source: Source, framework: str, style: str, convention: Convention) -> str:
    """The script's docstring: what it trains, how it relates to the bundle, how to run it, what it writes."""
    spec = source.spec
    layers = "-".join(map(str, spec.layers))
    reads = "init.npz, data.npz, schedule.npy" + (f", {MASKS}" if spec.dropout > 0 else "")
    run = f"mlp-compare's {RUNS[framework]} run"
    if style == "faithful":
        what = (
            f"Exported by mlp-compare (faithful): it reproduces {run} of this network to round-off (a bundle's "
            f"losses/{RUNS[framework]}.npy and final/{RUNS[framework]}.npz), on the same initial weights"
            f"{', mini-batches and dropout masks' if spec.dropout > 0 else ' and mini-batches'} ({reads})."
        )
        if framework == "keras" and spec.dtype == "float64":
            what += " Its hyperparameters are np.float64: Keras rounds a Python float to float32 even for float64 weights."
    else:
        what = f"Exported by mlp-compare (idiomatic): {NAMES[framework]} as its users write it. It differs from {run} in:"
        what += "\n\n" + "\n".join(f"- {line}" for line in differences(spec, framework, source.data.classification, convention))
    paragraphs = [f"Train a {layers} MLP ({summary(spec)}) in {NAMES[framework]}.", what]
    if not convention.plain:
        factor = f"{number(convention.loss_factor)} × the spec's"
        paragraphs.append(f"Trained to your convention ({convention.words or 'your loss'} = {factor}): its losses are yours.")
    paragraphs.append(f"Run it in this folder:\n\n    python {framework}_train.py")
    paragraphs.append(
        f"It writes {framework}_losses.npy (each mini-batch's loss, before its update) and {framework}_final.npz "
        f"({'W1, b1' if spec.bias else 'W1, W2'}, ... with W as (fan_in, fan_out))."
    )
    return "\n\n".join(paragraphs)


def summary(spec: Spec) -> str:
    """'sigmoid, mse, sgd lr 0.5, float64, moons'."""
    loss = spec.loss + (f" on a {spec.output} output" if spec.loss == "mse" else " from the logits")
    bias = "" if spec.bias else "no biases, "
    return f"{bias}{activations(spec)}, {loss}, {spec.optimizer} lr {number(spec.lr)}, {spec.dtype}"


def differences(spec: Spec, framework: str, classification: bool = True, convention: Convention = PLAIN) -> list[str]:
    """The lines of an idiomatic script that make it differ from the bundle, each with what it changes."""
    if framework == "torch":
        out = [
            f"torch.manual_seed({spec.seed}): nn.Linear's own initial weights, not init.npz;",
            "DataLoader(..., shuffle=True): torch's own sample order, not schedule.npy;",
        ]
        if spec.dropout > 0:
            out.append(f"nn.Dropout(p={number(spec.dropout)}): torch's own dropout masks, not masks.npz;")
        if spec.l2 > 0:
            biases = "" if spec.decay_biases or not spec.bias else "decays the biases too, and "
            out.append(f"weight_decay={number(2 * convention.l2_factor(spec))}: {biases}the logged loss leaves the penalty out;")
        return out
    out = [
        f"keras.utils.set_random_seed({spec.seed}): Dense's own initial weights, not init.npz;",
        "model.fit(..., shuffle=True): Keras's own sample order, not schedule.npy;",
    ]
    rounded = [(name, value) for name, value in hyperparameters(spec) if float(float32(value)) != value]
    if spec.dtype == "float64" and rounded:
        name, value = rounded[0]
        out.append(f"Python-float hyperparameters: Keras rounds them to float32 ({name} {number(value)} -> {float32(value)});")
    if spec.dropout > 0:
        out.append(f"keras.layers.Dropout({number(spec.dropout)}): Keras's own dropout masks, not masks.npz;")
    if spec.l2 > 0 and spec.dtype == "float64":
        out.append(f"keras.regularizers.L2({number(convention.l2_factor(spec))}): its factor rounded to float32;")
    if "leaky_relu" in spec.activations and spec.dtype == "float64":
        out.append("keras.layers.LeakyReLU: its slope held in float32;")
    if "gelu" in spec.activations and spec.dtype == "float64":
        out.append("keras.activations.gelu: tf.nn.gelu, ~5e-9 from the exact GELU in float64;")
    out.append("model.fit logs the running mean of the epoch's batch losses, weighted by size: BatchLosses recovers each;")
    if classification:
        out.append(f"{keras_accuracy(spec)} (a score only).")
    return out


def hyperparameters(spec: Spec) -> list[tuple[str, float]]:
    """The optimizer's hyperparameters besides the learning rate, by Keras's names."""
    o = spec.optimizer
    out = {"momentum": [("momentum", spec.momentum)], "nesterov": [("momentum", spec.momentum)]}.get(o, [])
    if o == "adam":
        out = [("beta_1", spec.beta1), ("beta_2", spec.beta2), ("epsilon", spec.eps)]
        out += [("weight_decay", spec.weight_decay)] if spec.weight_decay > 0 else []
    if o == "rmsprop":
        out = [("rho", spec.rho), ("epsilon", spec.eps)]
    return out


def keras_accuracy(spec: Spec) -> str:
    """What Keras's compile(metrics=["accuracy"]) becomes for the spec's loss and targets, in words."""
    if spec.loss == "ce":
        return '"accuracy" becomes sparse_categorical_accuracy: argmax against int labels'
    if spec.layers[-1] > 1:
        return '"accuracy" becomes categorical_accuracy: argmax against one-hot targets'
    if spec.loss == "bce":
        return '"accuracy" would be binary_accuracy, logits above 0.5 (p > 0.62): BinaryAccuracy(threshold=0.0)'
    return '"accuracy" becomes binary_accuracy: outputs above 0.5'


def activations(spec: Spec) -> str:
    acts = spec.activations
    return acts[0] if len(set(acts)) == 1 else ", then ".join(acts)


def forward(spec: Spec, call: str) -> str:
    """Where the forward pass happens and what it gives."""
    shape = f"(N, {spec.layers[-1]})"
    if spec.loss == "mse":
        return f"{call} gives the outputs {shape}" + (", the sigmoid included" if spec.output == "sigmoid" else "")
    inside = "sigmoid" if spec.loss == "bce" else "softmax"
    return f"{call} gives the logits {shape}; the {inside} is inside the loss"


def convention_comment(spec: Spec, convention: Convention, framework: str) -> str:
    """How the learner's loss maps onto the framework's, e.g. "your ½·MSE: MSELoss() × 0.5, or lr × 0.5"."""
    f = number(convention.loss_factor)
    loss = {"mse": "MSELoss()", "bce": "BCEWithLogitsLoss()", "ce": "CrossEntropyLoss()"}[spec.loss]
    if framework == "keras":
        loss = {"mse": "MeanSquaredError()", "bce": "BinaryCrossentropy()", "ce": "SparseCategoricalCrossentropy()"}[spec.loss]
    same_steps = spec.optimizer in ("sgd", "momentum", "nesterov") and spec.clip_norm == 0 and spec.clip_value == 0 and spec.l2 == 0
    lr = "lr" if framework == "torch" else "learning_rate"
    return f"{convention.words or 'your loss'}: {loss} × {f}" + (f", or {lr} × {f}" if same_steps else "")


def accuracy(spec: Spec, outputs: str, y: str, classification: bool) -> str | None:
    """A boolean array of right answers, from the network's outputs (logits for bce and ce); None for regression."""
    if not classification:
        return None
    if spec.loss == "ce":
        return f"({outputs}.argmax(1) == {y})"
    if spec.layers[-1] > 1:
        return f"({outputs}.argmax(1) == {y}.argmax(1))"
    threshold = "0" if spec.loss == "bce" else "0.5"  # logits, or sigmoid/identity outputs
    return f"(({outputs} > {threshold}) == ({y} > 0.5))"
