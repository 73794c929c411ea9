"""The model of an exported Keras script: its Dense layers, the activations and penalty written in keras.ops."""

from __future__ import annotations

from compare.export import code
from compare.export.code import Arg, Call, number
from compare.export.convention import Convention
from compare.export.overrides import note
from compare.shared.spec import Spec

L = "keras.layers"
HELPERS = {  # the activations Keras has no exact float64 form of: keras.ops formulas, as in tf_impl/activations.py
    "gelu": ("Exact GELU, z·Φ(z) with erf: keras.activations.gelu is ~5e-9 off in float64.", "return 0.5 * z * (1 + keras.ops.erf(z / math.sqrt(2)))"),
    "gelu_tanh": ("GELU's tanh form: keras.activations.gelu(approximate=True) is ~9e-10 off.", "inner = math.sqrt(2 / math.pi) * (z + 0.044715 * z**3)\nreturn 0.5 * z * (1 + keras.ops.tanh(inner))"),
}  # fmt: skip


def activation_helper(name: str, spec: Spec, faithful: bool) -> list[str]:
    if name in HELPERS and faithful:
        doc, formula = HELPERS[name]
        return [f"def {name}(z):", *code.docstring(doc, 4), *(f"    {line}" for line in formula.split("\n"))]
    if name == "gelu_tanh":
        return ["def gelu_tanh(z):", "    return keras.activations.gelu(z, approximate=True)"]
    if name == "leaky_relu" and faithful:
        doc = "LeakyReLU with its slope in the weights' dtype: keras.layers.LeakyReLU keeps float32."
        return ["def leaky_relu(z):", *code.docstring(doc, 4), f"    return keras.ops.where(z > 0, z, {number(spec.leaky_slope)} * z)"]
    return []


def penalty(spec: Spec, convention: Convention) -> list[str]:
    c = convention.l2_factor(spec)
    if convention.l2_penalty_factor is None:
        doc = f"λ/2·ΣW², λ = {number(spec.l2)}, the factor in float64: keras.regularizers.L2 rounds it to float32."
    else:
        doc = f"{convention.words or 'Your L2 penalty'}: {number(c)}·ΣW² (λ = {number(spec.l2)}), the factor in float64."
    return ["def penalty(w):", *code.docstring(doc, 4), f"    return np.float64({number(c)}) * keras.ops.sum(keras.ops.square(w))"]


def _regularizers(spec: Spec, faithful: bool, convention: Convention) -> list[str]:
    if spec.l2 == 0:
        return []
    if faithful and spec.dtype == "float64":
        reg = "penalty"
    else:
        reg = f"keras.regularizers.L2({number(convention.l2_factor(spec))})"
    return [f"kernel_regularizer={reg}"] + ([f"bias_regularizer={reg}"] if spec.bias and convention.biases_decayed(spec) else [])


def _dense(units: int, act: str | None, spec: Spec, faithful: bool, convention: Convention) -> Call | Arg:
    args = [str(units)]
    if act in ("sigmoid", "relu", "tanh") or (act == "gelu" and not faithful):
        args.append(f'activation="{act}"')
    elif act in HELPERS or (act == "leaky_relu" and faithful):
        args.append(f"activation={act}")
    if not spec.bias:
        args.append("use_bias=False")
        return Arg(Call(f"{L}.Dense", args + _regularizers(spec, faithful, convention)), note(f"{L}.Dense", "use_bias", False))
    return Call(f"{L}.Dense", args + _regularizers(spec, faithful, convention))


def architecture(spec: Spec, faithful: bool, convention: Convention) -> list[str]:
    masks = faithful and spec.dropout > 0
    items: list = [f"keras.Input(shape=({spec.layers[0]},))"]
    for i, (width, act) in enumerate(zip(spec.layers[1:-1], spec.activations)):
        items.append(_dense(width, act, spec, faithful, convention))
        if act == "leaky_relu" and not faithful:
            slope = spec.leaky_slope
            items.append(Arg(f"{L}.LeakyReLU(negative_slope={number(slope)})", note(f"{L}.LeakyReLU", "negative_slope", slope)))
        if spec.batch_norm:
            items.append(_batch_norm(spec))
        if spec.dropout > 0:
            items.append(f"masks_in[{i}]" if masks else f"{L}.Dropout({number(spec.dropout)})")
    last = "sigmoid" if spec.loss == "mse" and spec.output == "sigmoid" else None
    items.append(_dense(spec.layers[-1], last, spec, faithful, convention))
    if masks:
        lines = code.statement(f"inputs = keras.Input(shape=({spec.layers[0]},))")
        widths = ", ".join(f"keras.Input(shape=({w},))" for w in spec.layers[1:-1])
        lines += code.statement(f"masks_in = [{widths}]", "each hidden layer's dropout mask")
        lines.append("h = inputs")
        for item in items[1:-1]:
            value, comment = (item.value, item.comment) if isinstance(item, Arg) else (item, "")
            if isinstance(value, str) and value.startswith("masks_in"):
                lines += code.statement(f"h = h * {value}", "inverted dropout")
            else:
                lines += code.statement(value, comment, prefix="h = ", suffix="(h)")
        last = items[-1]
        lines += code.statement(last, last.comment if isinstance(last, Arg) else "", prefix="outputs = ", suffix="(h)")
        lines += code.statement("keras.Model([inputs, *masks_in], outputs)", prefix="model = ")
    else:
        lines = code.statement(Call("keras.Sequential", [code.Seq(items, explode=True)]), prefix="model = ")
    norms = [f"norms = [m for m in model.layers if isinstance(m, {L}.BatchNormalization)]"] if spec.bn_affine else []
    return lines + [f"dense = [layer for layer in model.layers if isinstance(layer, {L}.Dense)]", *norms]


def _batch_norm(spec: Spec) -> Arg:
    m = 1 - spec.bn_momentum
    comment = f"momentum = 1 - torch's {number(spec.bn_momentum)} (default 0.99); epsilon default 0.001"
    args = [f"momentum={number(m)}", f"epsilon={number(spec.bn_eps)}"] + ([] if spec.bn_affine else ["center=False", "scale=False"])
    return Arg(Call(f"{L}.BatchNormalization", args), comment)
