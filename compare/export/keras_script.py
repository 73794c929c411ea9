"""The Keras script of an export: train_on_batch on the bundle's mini-batches (faithful), or model.fit (idiomatic)."""

from __future__ import annotations

from compare.export import code, keras_model, words
from compare.export.code import Arg, Call, number
from compare.export.convention import Convention
from compare.export.overrides import float32, note
from compare.export.script import Script, Step
from compare.export.source import Source
from compare.shared.spec import Spec

OPTIMIZERS = {"sgd": "SGD", "momentum": "SGD", "nesterov": "SGD", "adam": "Adam", "rmsprop": "RMSprop"}
OWN_INIT = "Keras's own: glorot_uniform kernels and zero biases, drawn as step 1 builds the model"


def script(source: Source, style: str, convention: Convention) -> Script:
    """The whole script: `faithful` reproduces the bundle's tensorflow run, `idiomatic` is what a Keras user writes."""
    spec, faithful = source.spec, style == "faithful"
    hp = Hyper(spec, faithful)
    setup = code.statement(f'keras.config.set_floatx("{spec.dtype}")', "the losses' and learning rate's dtype")
    setup += code.statement(f'keras.config.set_dtype_policy("{spec.dtype}")', "the layers' (fixed by the first layer built)")
    if not faithful:
        setup += code.statement(f"keras.utils.set_random_seed({spec.seed})", "Keras's own initial weights and shuffling, seeded")
    setup += ['data = np.load("data.npz")']
    if faithful:
        setup += ['init = np.load("init.npz")', *code.statement('schedule = np.load("schedule.npy")', "each epoch's sample order, a row")]
    setup += [f'{name} = data["{name}"]' for name in ("X_train", "y_train", "X_test", "y_test")]
    if faithful and spec.dropout > 0:
        setup += code.statement('masks_file = np.load("masks.npz")', "dropout masks: 0, or 1/(1 - p) for a kept unit")
        names = ", ".join(f'masks_file["mask{i}"]' for i in range(1, len(spec.layers) - 1))
        setup += code.statement(f"masks = [{names}]", "(epoch, sample, unit) for each hidden layer")
    setup += [f"batch_size = {spec.batch_size}"] + ([] if faithful else [f"epochs = {spec.epochs}"])
    helpers = [h for h in (keras_model.activation_helper(name, spec, faithful) for name in dict.fromkeys(spec.activations)) if h]
    if spec.l2 > 0 and faithful and spec.dtype == "float64":
        helpers.append(keras_model.penalty(spec, convention))
    if not faithful:
        helpers.append(BATCH_LOSSES)
    steps = [
        Step(
            "The layers from input to output; each `Dense` holds its kernel and biases.",
            keras_model.architecture(spec, faithful, convention),
        ),
        Step(
            "The initial weights.",
            _initialisation(faithful, spec.bias, spec.bn_affine),
            "init.npz, not Dense's own glorot_uniform" if faithful else OWN_INIT,
        ),
        Step("Each hidden layer's activation.", [], f"{words.activations(spec)} in the model above"),
        Step("`model(X)` runs the layers in order.", [], words.forward(spec, "model(X)")),
        Step("The mean loss over the mini-batch.", _loss(spec), _l2_where(spec, faithful, convention)),
        Step("GradientTape's backward pass.", [], "inside train_on_batch" if faithful else "inside model.fit"),
        Step("The optimizer, every hyperparameter given.", _update(spec, hp, faithful, convention, source.data.classification)),
        Step("Every epoch's mini-batches.", _repeat(spec, faithful, convention)),
        Step("Score the held-out data.", _test(spec, faithful, source.data.classification)),
    ]
    save = ['np.save("keras_losses.npy", np.array(losses))', "final = {}", "for i, layer in enumerate(dense, start=1):"]
    weights = '    final[f"W{i}"], final[f"b{i}"] = layer.get_weights()' if spec.bias else '    final[f"W{i}"] = layer.kernel.numpy()'
    save += [weights]
    if spec.bn_affine:
        save += [
            "for i, norm in enumerate(norms, start=1):",
            '    final[f"gamma{i}"] = norm.gamma.numpy()',
            '    final[f"beta{i}"] = norm.beta.numpy()',
        ]
    save += ['np.savez("keras_final.npz", **final)']
    imports = ["import keras", "import numpy as np"]
    if any(name in keras_model.HELPERS for name in spec.activations) and faithful:
        imports = ["import math", "", *imports]
    return Script(words.header(source, "keras", style, convention), imports, setup, steps, save, helpers)


def _l2_where(spec: Spec, faithful: bool, convention: Convention) -> str:
    if spec.l2 == 0:
        return ""
    adds = "train_on_batch" if faithful else "fit"
    if faithful and spec.dtype == "float64":
        return f"plus the layers' penalty(), which {adds} adds"
    return f"plus the layers' L2 penalty, which {adds} adds (L2(x) is x·ΣW²: x = {number(convention.l2_factor(spec))})"


class Hyper:
    """Hyperparameters as the script writes them: np.float64(x) in faithful float64 scripts (Keras rounds a Python
    float to float32), the first one with a comment saying so; plain Python floats otherwise."""

    def __init__(self, spec: Spec, faithful: bool):
        self.wrap, self.said = spec.dtype == "float64" and faithful, False

    def __call__(self, name: str, value: float, what: str = "", comment: str = "", rounded: bool = True) -> Arg:
        """rounded=False: an argument Keras keeps in floatx (the optimizer's learning rate) gets no comment on it."""
        if not self.wrap:
            return Arg(f"{name}={number(value)}", comment or (note(what, name, value) if what else ""))
        text = f"{name}=np.float64({number(value)})"
        default = note(what, name, value) if what else ""
        if not self.said and rounded and float(float32(value)) != value:
            self.said = True
            return Arg(text, f"a Python float would be {float32(value)}" + (f"; {default}" if default else ""))
        return Arg(text, comment or default)


def _initialisation(faithful: bool, bias: bool, affine: bool = False) -> list[str]:
    if not faithful:
        return []
    norms = [
        "for i, norm in enumerate(norms, start=1):",
        '    norm.gamma.assign(init[f"gamma{i}"])',
        '    norm.beta.assign(init[f"beta{i}"])',
    ]
    if not bias:
        lines = ["for i, layer in enumerate(dense, start=1):", '    layer.set_weights([init[f"W{i}"]])  # kernel (fan_in, fan_out)']
        return lines + (norms if affine else [])
    return [
        "for i, layer in enumerate(dense, start=1):",
        *code.statement('layer.set_weights([init[f"W{i}"], init[f"b{i}"]])', "kernel (fan_in, fan_out)", 4),
        *(norms if affine else []),
    ]


def _loss(spec: Spec) -> list[str]:
    if spec.loss == "mse":
        return ["loss_fn = keras.losses.MeanSquaredError()"]
    what = f"keras.losses.{'BinaryCrossentropy' if spec.loss == 'bce' else 'SparseCategoricalCrossentropy'}"
    args = [Arg("from_logits=True", note(what, "from_logits", True))]
    if spec.class_weights is not None and spec.weight_reduction == "sum_weights":
        args.append(Arg('reduction="mean_with_sample_weight"', "divide by the sum of the weights, not N"))
    lines = code.statement(Call(what, args, explode=len(args) > 1 or bool(args[0].comment)), prefix="loss_fn = ")
    if spec.class_weights is not None:
        weights = ", ".join(f"{k}: {number(w)}" for k, w in enumerate(spec.class_weights))
        lines += code.statement(f"class_weight = {{{weights}}}", "the loss weight of each class")
    return lines


def _update(spec: Spec, hp: Hyper, faithful: bool, convention: Convention, classification: bool) -> list[str]:
    o, lines = spec.optimizer, []
    name = "AdamW" if spec.weight_decay > 0 else OPTIMIZERS[o]
    what = f"keras.optimizers.{name}"
    rate = hp("learning_rate", spec.lr, what, rounded=False)
    if spec.schedule != "constant":
        lines += code.statement(_schedule(spec, hp), prefix="lr_schedule = ")
        if spec.schedule_every == "batch":
            rate = Arg("learning_rate=lr_schedule", "called with the step count: once a mini-batch")
    args = [rate]
    if o in ("sgd", "momentum", "nesterov"):
        args.append(hp("momentum", spec.momentum if o != "sgd" else 0.0, what))
        args += [Arg("nesterov=True", note(what, "nesterov", True))] if o == "nesterov" else []
    elif o == "adam":
        args += [hp("beta_1", spec.beta1, what), hp("beta_2", spec.beta2, what), hp("epsilon", spec.eps, what)]
        args += [hp("weight_decay", spec.weight_decay, what)] if spec.weight_decay > 0 else []
    else:
        args += [hp("rho", spec.rho, what), hp("epsilon", spec.eps, what), "momentum=0.0", "centered=False"]
    if spec.clip_norm > 0:
        args.append(hp("global_clipnorm", spec.clip_norm, comment="torch's clip_grad_norm_ (clipnorm: each tensor alone)"))
    elif spec.clip_value > 0:
        args.append(hp("clipvalue", spec.clip_value))
    lines += code.statement(Call(what, args, explode=True), prefix="optimizer = ")
    if spec.weight_decay > 0 and spec.bias and not spec.decay_biases:
        lines += code.statement("optimizer.exclude_from_weight_decay(var_list=[layer.bias for layer in dense])", "biases not decayed")
    compile_args = ["optimizer=optimizer", "loss=loss_fn"]
    if convention.loss_factor != 1:
        factor = f"np.float64({number(convention.loss_factor)})" if hp.wrap else number(convention.loss_factor)
        compile_args.append(Arg(f"loss_weights={factor}", words.convention_comment(spec, convention, "keras")))
    if faithful:
        compile_args.append(Arg("jit_compile=False", note("keras.Model.compile", "jit_compile", False)))
    elif classification:
        compile_args.append(Arg(f"metrics=[{_metric(spec)}]", words.keras_accuracy(spec)))
    return lines + code.statement(Call("model.compile", compile_args))


def _metric(spec: Spec) -> str:
    return "keras.metrics.BinaryAccuracy(threshold=0.0)" if spec.loss == "bce" else '"accuracy"'


def _schedule(spec: Spec, hp: Hyper) -> Call:
    s, lr = "keras.optimizers.schedules", hp("initial_learning_rate", spec.lr).value
    rate = hp("decay_rate", spec.decay_rate or 0.0).value
    if spec.schedule == "step":
        return Call(f"{s}.ExponentialDecay", [lr, f"decay_steps={spec.decay_steps}", rate, "staircase=True"])
    if spec.schedule == "exponential":
        return Call(f"{s}.ExponentialDecay", [lr, "decay_steps=1", rate])
    if spec.schedule == "cosine":
        return Call(f"{s}.CosineDecay", [lr, f"decay_steps={spec.decay_steps}", "alpha=0.0"])
    return Call(f"{s}.InverseTimeDecay", [lr, "decay_steps=1", rate])


BATCH_LOSSES = [
    "class BatchLosses(keras.callbacks.Callback):",
    *code.docstring("Each mini-batch's loss, recovered from the running mean fit logs.", 4),
    "",
    "    def on_epoch_begin(self, epoch, logs=None):",
    "        self.seen, self.total = 0, 0.0",
    "",
    "    def on_train_batch_end(self, batch, logs=None):",
    "        n = min(batch_size, len(X_train) - self.seen)",
    '        total = logs["loss"] * (self.seen + n)',
    "        losses.append((total - self.total) / n)",
    "        self.seen, self.total = self.seen + n, total",
]


def _repeat(spec: Spec, faithful: bool, convention: Convention) -> list[str]:
    per_epoch = spec.schedule != "constant" and spec.schedule_every == "epoch"
    if not faithful:
        fit = ["X_train", "y_train", "batch_size=batch_size", "epochs=epochs"]
        fit.append(Arg("shuffle=True", "Keras's default: its own order each epoch"))
        if spec.class_weights is not None:
            fit.append("class_weight=class_weight")
        callbacks = ["BatchLosses()"]
        if per_epoch:
            callbacks.append("keras.callbacks.LearningRateScheduler(lambda epoch: float(lr_schedule(epoch)))")
        fit += [Call("callbacks=", callbacks, open="[", close="]"), "verbose=0"]
        return ["losses = []", *code.statement(Call("model.fit", fit, explode=True))]
    masks = spec.dropout > 0
    lines = ["losses = []", "for epoch, order in enumerate(schedule):" if masks or per_epoch else "for order in schedule:"]
    lines += ["    for start in range(0, len(order), batch_size):", "        batch = order[start : start + batch_size]"]
    X = "X_train[batch]"
    if masks:
        lines.append("        step_masks = [mask[epoch, start : start + batch_size] for mask in masks]")
        X = "[X_train[batch], *step_masks]"
    args = [X, "y_train[batch]"] + (["class_weight=class_weight"] if spec.class_weights is not None else []) + ["return_dict=True"]
    lines += code.statement(Call("model.train_on_batch", args), indent=8, prefix="logs = ")
    lines.append('        losses.append(logs["loss"])')
    if per_epoch:
        lines += code.statement("optimizer.learning_rate = lr_schedule(epoch + 1)", "once an epoch: t counts epochs", indent=4)
    return lines


def _test(spec: Spec, faithful: bool, classification: bool) -> list[str]:
    if not faithful:  # Keras's own scoring, with the metric compile was given
        scores = "test_loss, accuracy" if classification else "test_loss"
        lines = code.statement(Call("model.evaluate", ["X_test", "y_test", "batch_size=len(X_test)", "verbose=0"]), prefix=f"{scores} = ")
        shown = ", accuracy {accuracy:.3f}" if classification else ""
        return [*lines, f'print(f"test loss {{test_loss:.6f}}{shown}")']
    lines, X = [], "X_test"
    if faithful and spec.dropout > 0:
        widths = ", ".join(str(w) for w in spec.layers[1:-1]) + ("," if len(spec.layers) == 3 else "")
        ones = f"[np.ones((len(X_test), w), X_test.dtype) for w in ({widths})]"
        lines += code.statement(f"no_drop = {ones}", "masks that keep every unit")
        X = "[X_test, *no_drop]"
    lines += code.statement(f"np.asarray(model({X}, training=False))", prefix="outputs = ")
    lines.append("test_loss = float(loss_fn(y_test, outputs))")
    score = words.accuracy(spec, "outputs", "y_test", classification)
    if score is None:
        return [*lines, 'print(f"test loss {test_loss:.6f}")']
    return [*lines, f"accuracy = {score}.mean()", 'print(f"test loss {test_loss:.6f}, accuracy {accuracy:.3f}")']
