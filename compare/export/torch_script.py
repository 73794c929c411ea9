"""The PyTorch script of an export: torch.nn layers, torch's losses, torch.optim, faithful to the bundle or idiomatic."""

from __future__ import annotations

from compare.export import code, words
from compare.export.code import Arg, Call, number
from compare.export.convention import Convention
from compare.export.overrides import note
from compare.export.script import Script, Step
from compare.export.source import Source
from compare.shared.spec import Spec

NN = "torch.nn"
OWN_INIT = "torch's own: kaiming_uniform(a=√5) weights and U(±1/√fan_in) biases, drawn by nn.Linear in step 1"
MASKED_DROPOUT = [
    "class MaskedDropout(torch.nn.Module):",
    *code.docstring("Inverted dropout with the bundle's masks, not torch's own draws.", 4),
    "",
    "    def __init__(self):",
    "        super().__init__()",
    "        self.mask = None",
    "",
    "    def forward(self, x):",
    "        return x * self.mask if self.training else x",
]


def script(source: Source, style: str, convention: Convention) -> Script:
    """The whole script: `faithful` reproduces the bundle's torch run, `idiomatic` is what a torch user writes
    (torch's own initial weights, DataLoader(shuffle=True), nn.Dropout, weight_decay)."""
    spec, faithful = source.spec, style == "faithful"
    dtype = f"torch.{spec.dtype}"
    setup = code.statement(f"torch.set_default_dtype({dtype})", "torch's default float32" if spec.dtype == "float64" else "")
    setup += code.statement(f"torch.set_num_threads({spec.threads})", "the thread count changes float32 round-off")
    if not faithful:
        setup += code.statement(f"torch.manual_seed({spec.seed})", "torch's own initial weights and shuffling, seeded")
    setup += ['data = np.load("data.npz")']
    if faithful:
        setup += ['init = np.load("init.npz")']
        setup += code.statement('schedule = torch.from_numpy(np.load("schedule.npy"))', "each epoch's sample order, a row")
    setup += [f'{name} = torch.from_numpy(data["{name}"])' for name in ("X_train", "y_train", "X_test", "y_test")]
    if faithful and spec.dropout > 0:
        setup += code.statement('masks_file = np.load("masks.npz")', "dropout masks: 0, or 1/(1 - p) for a kept unit")
        names = ", ".join(f'masks_file["mask{i}"]' for i in range(1, len(spec.layers) - 1))
        setup += code.statement(f"masks = [{names}]", "(epoch, sample, unit) for each hidden layer")
    setup += [f"batch_size = {spec.batch_size}"]
    if not faithful:
        setup += [f"epochs = {spec.epochs}"]
        dataset = "torch.utils.data.TensorDataset(X_train, y_train)"
        shuffle = Arg("shuffle=True", note("torch.utils.data.DataLoader", "shuffle", True))
        loader = Call("torch.utils.data.DataLoader", [dataset, "batch_size=batch_size", shuffle])
        setup += code.statement(loader, prefix="loader = ")
    helpers = [MASKED_DROPOUT] if faithful and spec.dropout > 0 else []
    helpers += _loss_helpers(spec, convention, faithful)
    steps = [
        Step("The layers from input to output; each `Linear` holds its weights and biases.", _architecture(spec, faithful)),
        Step(
            "The initial weights.",
            _initialisation(faithful, spec.bias, spec.bn_affine),
            "init.npz, not nn.Linear's own kaiming_uniform" if faithful else OWN_INIT,
        ),
        Step("Each hidden layer's activation.", [], f"{words.activations(spec)} in the model above"),
        Step("`model(X)` runs the layers in order.", [], words.forward(spec, "model(X)")),
        Step(
            "The mean loss over the mini-batch.",
            _loss(spec, faithful),
            "plus penalty(), the L2 penalty" if spec.l2 > 0 and faithful else "",
        ),
        Step("Autograd's backward pass.", [], "loss.backward() in the loop fills each parameter's .grad"),
        Step("The optimizer, every hyperparameter given.", _update(spec, faithful, convention)),
        Step("Every epoch's mini-batches.", _repeat(spec, faithful, convention)),
        Step("Score the held-out data.", _test(spec, source.data.classification)),
    ]
    save = ['np.save("torch_losses.npy", np.array(losses))', "final = {}", "for i, linear in enumerate(linears, start=1):"]
    save += code.statement('final[f"W{i}"] = linear.weight.detach().numpy().T', "back to (fan_in, fan_out)", indent=4)
    save += ['    final[f"b{i}"] = linear.bias.detach().numpy()'] if spec.bias else []
    if spec.bn_affine:
        save += [
            "for i, norm in enumerate(norms, start=1):",
            '    final[f"gamma{i}"] = norm.weight.detach().numpy()',
            '    final[f"beta{i}"] = norm.bias.detach().numpy()',
        ]
    save += ['np.savez("torch_final.npz", **final)']
    doc = words.header(source, "torch", style, convention)
    imports = ["import numpy as np", "import torch"]
    if spec.class_weights is not None and not (spec.loss == "ce" and spec.weight_reduction == "sum_weights"):
        imports.append("import torch.nn.functional as F")
    return Script(doc, imports, setup, steps, save, helpers)


def _activation(name: str, spec: Spec) -> Arg:
    if name == "leaky_relu":
        return Arg(
            f"{NN}.LeakyReLU(negative_slope={number(spec.leaky_slope)})", note(f"{NN}.LeakyReLU", "negative_slope", spec.leaky_slope)
        )
    if name in ("gelu", "gelu_tanh"):
        form = "tanh" if name == "gelu_tanh" else "none"
        return Arg(f'{NN}.GELU(approximate="{form}")', note(f"{NN}.GELU", "approximate", form))
    return Arg({"sigmoid": f"{NN}.Sigmoid()", "relu": f"{NN}.ReLU()", "tanh": f"{NN}.Tanh()"}[name])


def _linear(n_in: int, n_out: int, spec: Spec) -> Arg:
    if spec.bias:
        return Arg(f"{NN}.Linear({n_in}, {n_out})")
    return Arg(f"{NN}.Linear({n_in}, {n_out}, bias=False)", note(f"{NN}.Linear", "bias", False))


def _architecture(spec: Spec, faithful: bool) -> list[str]:
    modules: list = []
    sizes = list(zip(spec.layers[:-1], spec.layers[1:]))
    for (n_in, n_out), act in zip(sizes, spec.activations):
        modules += [_linear(n_in, n_out, spec), _activation(act, spec)]
        if spec.batch_norm:
            affine = "" if spec.bn_affine else ", affine=False"  # a learned scale and shift: the default
            args = f"{n_out}, eps={number(spec.bn_eps)}, momentum={number(spec.bn_momentum)}{affine}"
            what = f"{NN}.BatchNorm1d"
            notes = [note(what, "affine", spec.bn_affine), note(what, "eps", spec.bn_eps), note(what, "momentum", spec.bn_momentum)]
            modules.append(Arg(f"{what}({args})", "; ".join(n for n in notes if n)))
        if spec.dropout > 0:
            p = number(spec.dropout)
            modules.append(Arg("MaskedDropout()", f"p = {p}, with the bundle's masks") if faithful else f"{NN}.Dropout(p={p})")
    modules.append(_linear(*sizes[-1], spec))
    if spec.loss == "mse" and spec.output == "sigmoid":
        modules.append(Arg(f"{NN}.Sigmoid()", "the sigmoid output"))
    lines = code.statement(Call(f"{NN}.Sequential", modules, explode=True), prefix="model = ")
    lines.append(f"linears = [m for m in model if isinstance(m, {NN}.Linear)]")
    if spec.bn_affine:
        lines.append(f"norms = [m for m in model if isinstance(m, {NN}.BatchNorm1d)]")
    if faithful and spec.dropout > 0:
        lines.append("dropouts = [m for m in model if isinstance(m, MaskedDropout)]")
    return lines


def _initialisation(faithful: bool, bias: bool, affine: bool = False) -> list[str]:
    if not faithful:
        return []
    norms = ["    for i, norm in enumerate(norms, start=1):", '        norm.weight.copy_(torch.from_numpy(init[f"gamma{i}"]))',
             '        norm.bias.copy_(torch.from_numpy(init[f"beta{i}"]))']  # fmt: skip
    return [
        "with torch.no_grad():",
        "    for i, linear in enumerate(linears, start=1):",
        *code.statement('linear.weight.copy_(torch.from_numpy(init[f"W{i}"].T))', "torch's is (fan_out, fan_in)", indent=8),
        *(['        linear.bias.copy_(torch.from_numpy(init[f"b{i}"]))'] if bias else []),
        *(norms if affine else []),
    ]


def _loss(spec: Spec, faithful: bool) -> list[str]:
    lines = []
    if spec.class_weights is not None:
        weights = ", ".join(number(w) for w in spec.class_weights)
        lines += code.statement(f"class_weights = torch.tensor([{weights}])", "the loss weight of each class")
        if spec.loss == "ce" and spec.weight_reduction == "sum_weights":
            lines += code.statement(f"loss_fn = {NN}.CrossEntropyLoss(weight=class_weights)", "divides by the sum of the weights")
        return lines  # the other weighted losses are functions above
    if spec.loss == "mse":
        return [f"loss_fn = {NN}.MSELoss()"]
    what = "sigmoid and binary cross-entropy" if spec.loss == "bce" else "softmax and cross-entropy"
    head = "BCEWithLogitsLoss" if spec.loss == "bce" else "CrossEntropyLoss"
    return code.statement(f"loss_fn = {NN}.{head}()", f"{what} in one, from the logits")


def _loss_helpers(spec: Spec, convention: Convention, faithful: bool) -> list[list[str]]:
    out = []
    if spec.class_weights is not None and not (spec.loss == "ce" and spec.weight_reduction == "sum_weights"):
        out.append(_weighted_loss(spec))
    if spec.l2 > 0 and faithful:
        out.append(_penalty(spec, convention))
    return out


def _weighted_loss(spec: Spec) -> list[str]:
    """loss_fn(logits, y) for the weighted losses torch has no one module for."""
    lines = ["def loss_fn(logits, y):"]
    if spec.loss == "ce":  # over N: CrossEntropyLoss(weight) divides by the sum of the weights
        doc = "Cross-entropy weighted by class, divided by the batch size (not by the sum of the weights)."
        body = ['return F.cross_entropy(logits, y, weight=class_weights, reduction="sum") / len(y)']
    else:
        over = "the sum of the weights" if spec.weight_reduction == "sum_weights" else "the batch size"
        doc = f"Binary cross-entropy weighted by each sample's class, divided by {over}."
        body = ["w = class_weights[y.long()]"]
        if spec.weight_reduction == "sum_weights":
            body.append('summed = F.binary_cross_entropy_with_logits(logits, y, weight=w, reduction="sum")')
            body.append("return summed / w.sum()")
        else:
            body.append("return F.binary_cross_entropy_with_logits(logits, y, weight=w)")
    lines += code.docstring(doc, 4)
    return lines + [line for b in body for line in code.render(b, 4)]


def _penalty(spec: Spec, convention: Convention) -> list[str]:
    """penalty(): the L2 penalty on the weights (and biases), added to the loss."""
    c = convention.l2_factor(spec)
    summed = (
        "(p**2).sum() for p in model.parameters()" if convention.biases_decayed(spec) else "(linear.weight**2).sum() for linear in linears"
    )
    what = "weights and biases" if convention.biases_decayed(spec) else "weights"
    if convention.l2_penalty_factor is None:
        doc = f"The L2 penalty λ/2·ΣW² over the {what}, λ = {number(spec.l2)}. (weight_decay=λ gives its gradient but leaves it out of the loss.)"
    else:
        doc = f"{convention.words or 'Your L2 penalty'}: {number(c)}·ΣW² over the {what} (λ = {number(spec.l2)})."
    return ["def penalty():", *code.docstring(doc, 4), *code.render(f"return {number(c)} * sum({summed})", 4)]


def _update(spec: Spec, faithful: bool, convention: Convention) -> list[str]:
    o, lr = spec.optimizer, spec.lr
    params = "model.parameters()"
    if o == "adam" and spec.weight_decay > 0:
        what = "torch.optim.AdamW"
        args = [Arg("lr=" + number(lr), note(what, "lr", lr)), f"betas=({number(spec.beta1)}, {number(spec.beta2)})"]
        args += [
            Arg(f"eps={number(spec.eps)}", note(what, "eps", spec.eps)),
            Arg(f"weight_decay={number(spec.weight_decay)}", note(what, "weight_decay", spec.weight_decay)),
        ]
        lines = []
        if spec.bias and not spec.decay_biases:
            lines += ["weights = [linear.weight for linear in linears]", "biases = [linear.bias for linear in linears]"]
            params = Arg('[{"params": weights}, {"params": biases, "weight_decay": 0.0}]', "biases not decayed")
        return lines + code.statement(Call(what, [params, *args], explode=True), prefix="optimizer = ") + _scheduler(spec)
    what = {"sgd": "SGD", "momentum": "SGD", "nesterov": "SGD", "adam": "Adam", "rmsprop": "RMSprop"}[o]
    what = f"torch.optim.{what}"
    args = [params, Arg(f"lr={number(lr)}", note(what, "lr", lr))]
    if o in ("sgd", "momentum", "nesterov"):
        m = spec.momentum if o != "sgd" else 0.0
        args.append(Arg(f"momentum={number(m)}", note(what, "momentum", m)))
        if o == "nesterov":
            args.append(Arg("nesterov=True", note(what, "nesterov", True)))
    elif o == "adam":
        args += [f"betas=({number(spec.beta1)}, {number(spec.beta2)})", Arg(f"eps={number(spec.eps)}", note(what, "eps", spec.eps))]
    else:
        args += [
            Arg(f"alpha={number(spec.rho)}", note(what, "alpha", spec.rho)),
            Arg(f"eps={number(spec.eps)}", note(what, "eps", spec.eps)),
        ]
        args += ["momentum=0.0", "centered=False"]
    if spec.l2 > 0 and not faithful:  # the gradient of c·ΣW² is 2c·W
        wd = number(2 * convention.l2_factor(spec))
        args.append(Arg(f"weight_decay={wd}", "wd·p added to every gradient" + (", biases too" if spec.bias else "")))
    return code.statement(Call(what, args, explode=True), prefix="optimizer = ") + _scheduler(spec)


def _scheduler(spec: Spec) -> list[str]:
    if spec.schedule == "constant":
        return []
    s, gamma = "torch.optim.lr_scheduler", spec.decay_rate
    call = {
        "step": f"{s}.StepLR(optimizer, step_size={spec.decay_steps}, gamma={number(gamma or 0)})",
        "exponential": f"{s}.ExponentialLR(optimizer, gamma={number(gamma or 0)})",
        "cosine": f"{s}.CosineAnnealingLR(optimizer, T_max={spec.decay_steps}, eta_min=0.0)",
        "inverse_time": f"{s}.LambdaLR(optimizer, lambda t: 1 / (1 + {number(gamma or 0)} * t))",
    }[spec.schedule]
    comment = {"cosine": "rises again after T_max", "inverse_time": "lr / (1 + d·t): torch has no class for it"}.get(spec.schedule, "")
    return code.statement(call, comment, prefix="scheduler = ")


def _repeat(spec: Spec, faithful: bool, convention: Convention) -> list[str]:
    dropout = faithful and spec.dropout > 0
    lines = ["losses = []", "model.train()"]
    if faithful:
        lines.append("for epoch, order in enumerate(schedule):" if dropout else "for order in schedule:")
        lines += ["    for start in range(0, len(order), batch_size):", "        batch = order[start : start + batch_size]"]
        X, y = "X_train[batch]", "y_train[batch]"
    else:
        lines += ["for _ in range(epochs):", "    for X, y in loader:"]
        X, y = "X", "y"
    body = []
    if dropout:
        body += [
            "for dropout, mask in zip(dropouts, masks, strict=True):",
            "    dropout.mask = torch.from_numpy(mask[epoch, start : start + batch_size])",
        ]
    body.append("optimizer.zero_grad()")
    loss = f"loss_fn(model({X}), {y})"
    comment = ""
    if convention.loss_factor != 1:
        loss, comment = f"{number(convention.loss_factor)} * {loss}", words.convention_comment(spec, convention, "torch")
    if spec.l2 > 0 and faithful:
        loss += " + penalty()"
    body += code.statement(f"loss = {loss}", comment)
    body.append("loss.backward()")
    if spec.clip_norm > 0:
        body.append(f"{NN}.utils.clip_grad_norm_(model.parameters(), max_norm={number(spec.clip_norm)})")
    elif spec.clip_value > 0:
        body.append(f"{NN}.utils.clip_grad_value_(model.parameters(), clip_value={number(spec.clip_value)})")
    body.append("optimizer.step()")
    if spec.schedule != "constant" and spec.schedule_every == "batch":
        body += code.statement("scheduler.step()", "once a mini-batch: t counts steps")
    body.append("losses.append(loss.item())")
    lines += [" " * 8 + line for line in body]
    if spec.schedule != "constant" and spec.schedule_every == "epoch":
        lines += code.statement("scheduler.step()", "once an epoch: t counts epochs", indent=4)
    return lines


def _test(spec: Spec, classification: bool) -> list[str]:
    lines = ["model.eval()", "with torch.no_grad():", "    outputs = model(X_test)", "    test_loss = loss_fn(outputs, y_test).item()"]
    score = words.accuracy(spec, "outputs", "y_test", classification)
    if score is None:
        return [*lines, 'print(f"test loss {test_loss:.6f}")']
    return [*lines, f"    accuracy = {score}.float().mean().item()", 'print(f"test loss {test_loss:.6f}, accuracy {accuracy:.3f}")']
