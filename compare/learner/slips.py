"""The backprop slips learners make, each as a piece of the NumPy reference: an activation whose derivative is
wrong, a loss with an extra factor, a wrong way back through the weights. The diagnosis builds the reference
with one slip in and looks for the one that reproduces the learner's numbers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

import scratch
from compare.shared.weights import n_linear
from scratch import batch_norm
from scratch.activations import Activation, activation, sigmoid
from scratch.losses import L2, Loss, mse, output_fn, softmax


@dataclass(frozen=True)
class Slipped:
    """An activation whose forward pass is right and whose derivative, in backprop, is what a slip computes."""

    real: Activation
    derivative: Callable[[np.ndarray, np.ndarray], np.ndarray]  # (z, a) -> what the learner uses for f'(z)

    @property
    def name(self) -> str:
        return self.real.name

    def __call__(self, z: np.ndarray) -> np.ndarray:
        return self.real(z)


def slip_derivative(act: Activation, slip: tuple) -> Slipped:
    """The activation with a learner's derivative slip put in (see _slip_words for each one in words)."""
    kind, *rest = slip
    if kind == "relu_zero":  # [z >= 0]: 1 at the kink
        return Slipped(act, lambda z, a: (z >= 0) * 1.0)
    if kind == "z_form_on_a":  # a formula in z handed a: σ(a) (1 - σ(a))
        return Slipped(act, lambda z, a: act.in_z(a))
    if kind == "a_form_on_z":  # a formula in a handed z: z (1 - z)
        return Slipped(act, lambda z, a: (act.in_a or act.in_z)(z))
    if kind == "missing":
        return Slipped(act, lambda z, a: np.ones_like(z))
    other, form = activation(rest[0]), rest[1]  # another activation's derivative, in z or written in a
    if form == "z":
        return Slipped(act, lambda z, a: other.derivative(z, other(z)))
    return Slipped(act, other.derivative)


def extra_output_derivative(loss: Loss, name: str) -> Loss:
    """bce or ce from the logits followed by an extra p (1 - p), as if the output activation still needed its derivative."""
    probabilities = sigmoid if name == "bce" else softmax

    def piece(z: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
        value, dZ = loss(z, y)
        p = probabilities(z)
        return value, dZ * p * (1 - p)

    return piece


def through(how: tuple) -> Callable:
    """The error sent into a hidden layer another way: ("none",) without the weights, ("T", k) through
    W{k+1}.T, ("N", k) through W{k+1} untransposed."""

    def piece(dZ: np.ndarray, params, layer: int) -> np.ndarray:
        if how[0] == "none":
            return np.broadcast_to(dZ, (len(dZ), params[layer - 1][0].shape[1]))  # dA = dZ, where it broadcasts
        W = params[how[1]][0]
        return dZ @ (W.T if how[0] == "T" else W)

    return piece


@dataclass(frozen=True)
class SlippedL2:
    """The L2 penalty with its value right and its gradient as a slip computes it: missing, doubled, or on the biases too."""

    real: L2
    how: str  # "missing" | "double" | "biases"

    def value(self, params) -> float:
        return self.real.value(params)

    def add_gradient(self, params, grads) -> None:
        if self.how == "double":
            replace(self.real, lam=2 * self.real.lam).add_gradient(params, grads)
        elif self.how == "biases":
            replace(self.real, biases=True).add_gradient(params, grads)


def batch_norm_slip(how: str) -> Callable:
    """Back through batch norm without its mean and variance terms (dH = dY inv), or without the variance's."""

    def piece(dY: np.ndarray, cache) -> np.ndarray:
        _, inv, _, _, _ = cache
        if how == "no_stats":
            return dY * inv  # (N, D)
        return dY * inv - (dY * inv).mean(axis=0)  # (N, D): the mean's term only

    return piece


def scale_shift_slip(how: str) -> Callable:
    """Back through the learned scale and shift B = gamma Y + beta with a slip: dY = dB without gamma ("no_gamma"),
    dgamma = sum dB without Y ("no_y"), or dgamma and dbeta averaged over the batch instead of summed ("mean")."""

    def piece(dB: np.ndarray, Y: np.ndarray, gamma: np.ndarray):
        dY, dgamma, dbeta = batch_norm.scale_shift_back(dB, Y, gamma)
        if how == "no_gamma":
            return dB, dgamma, dbeta  # (N, D): dY = dB
        if how == "no_y":
            return dY, dbeta.copy(), dbeta  # (D,): dgamma = sum dB
        return dY, dgamma / len(dB), dbeta / len(dB)  # (D,): the means

    return piece


DROPOUT_SLIPS = {
    "missing": lambda dA, mask: dA,  # the mask not applied in backward
    "unscaled": lambda dA, mask: dA * (mask > 0),  # applied without its 1 / (1 - p)
}


def no_slope(spec, base: scratch.Pieces) -> tuple[Loss, object]:
    """A published shortcut (Make Your Own Neural Network's): the error goes back through the weights as the output
    error itself, before the output's slope multiplies it, and so on down: error_l = W_{l+1}ᵀ error_{l+1}; each
    layer's dW still takes its error times its own slope. The pieces: the loss keeping the output error dL/dA, and
    the way back sending the last error on."""
    out = activation(spec.output)
    state = {}

    def loss(z: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
        value, dZ = base.loss(z, y)
        slope = out.derivative(z, out(z))  # (N, O)
        state["error"] = np.divide(dZ, slope, out=np.zeros_like(dZ), where=slope != 0)  # dL/dA, before the slope
        return value, dZ

    def back(dZ: np.ndarray, params, layer: int) -> np.ndarray:
        state["error"] = state["error"] @ params[layer][0].T  # (N, fan_in): the error without any slope
        return state["error"]

    return loss, back


def pieces(spec, plan: dict) -> scratch.Pieces:
    """The spec's reference pieces with the slips of a plan put in.

    plan: {hidden index h or "out": derivative slip}, {("through", h): how} and {"out_extra": True};
    hidden index h = 0 for the first hidden layer."""
    base = scratch.pieces_for(spec)
    acts = tuple(slip_derivative(a, plan[h]) if h in plan else a for h, a in enumerate(base.activations))
    loss = mse(slip_derivative(activation(spec.output), plan["out"])) if "out" in plan else base.loss
    if plan.get("out_extra"):
        loss = extra_output_derivative(loss, spec.loss)
    ways = {key[1] + 1: through(how) for key, how in plan.items() if isinstance(key, tuple) and key[0] == "through"}
    back = lambda dZ, params, layer: ways.get(layer, base.through)(dZ, params, layer)  # noqa: E731
    tricks = {}
    if plan.get("shortcut") == "no_slope":
        loss, shortcut = no_slope(spec, replace(base, loss=loss))
        return replace(base, activations=acts, loss=loss, through=shortcut)
    if "l2" in plan and base.penalty is not None:
        tricks["penalty"] = SlippedL2(base.penalty, plan["l2"])
    if "bn" in plan:
        tricks["batch_norm_back"] = batch_norm_slip(plan["bn"])
    if "scale_shift" in plan:
        tricks["scale_shift_back"] = scale_shift_slip(plan["scale_shift"])
    if "dropout" in plan:
        tricks["dropout_back"] = DROPOUT_SLIPS[plan["dropout"]]
    return replace(base, activations=acts, loss=loss, through=back if ways else base.through, **tricks)


_MEMO: dict = {}  # the slipped references of the last batch checked (many checks of one spec share them: grading)


def gradients(spec, params, X: np.ndarray, y: np.ndarray, plan: dict, masks=None) -> list | None:
    """The reference's gradients with a plan's slips put in (and the step's dropout masks, if given); None where
    the slips' shapes cannot work. Remembered for the same spec, weights and batch."""
    arrays = [X, y, *(t for pair in params for t in pair if t is not None), *(masks or [])]
    key = (spec, repr(sorted(plan.items(), key=repr)), tuple(hash(a.tobytes()) ^ hash(a.shape) for a in arrays))
    if key not in _MEMO:
        if len(_MEMO) > 4096:
            _MEMO.clear()
        model = scratch.make(spec, params, pieces=pieces(spec, plan))
        try:
            _MEMO[key] = model.gradients(X, y, masks)[1]
        except ValueError:  # a matrix product or a broadcast whose shapes do not fit: this slip cannot be theirs
            _MEMO[key] = None
    return _MEMO[key]


def _spot(spec, s) -> str:
    return f"the output layer ({spec.output})" if s == "out" else f"hidden layer {s + 1} ({spec.activations[s]})"


def _slip_words(slip, name: str) -> str:
    example = {"sigmoid": ("σ(a)(1 - σ(a))", "z (1 - z)", "a (1 - a)"), "tanh": ("1 - tanh²(a)", "1 - z²", "1 - a²"), "relu": ("", "", "")}
    z_on_a, a_on_z, right = example[name]
    if slip[0] == "z_form_on_a":
        return f"f'(a) is computed as if a were z: {z_on_a} instead of {right}"
    if slip[0] == "a_form_on_z":
        return f"the formula in a is given z: {a_on_z} instead of {right}"
    if slip[0] == "missing":
        return "dZ = dA, without f'(z)"
    return f"it uses {slip[1]}'s derivative ({'in z' if slip[2] == 'z' else 'written in a'}) on a {name} layer"


def catalogue(spec, params) -> list[tuple[str, str, dict]]:
    """(mistake, where and how, plan) for each known slip the network's shapes allow, at one layer and at all."""
    L, hidden = n_linear(params), list(range(len(spec.activations)))
    names = {**{h: spec.activations[h] for h in hidden}, "out": spec.output}
    spots = hidden + (["out"] if not spec.loss_kind.cross_entropy and spec.output != "identity" else [])  # an output f' to slip on
    found = []
    if spec.loss == "mse" and spec.output != "identity":
        found.append(
            (
                "no_slope",
                "the output error is sent back through the weights before the output's slope multiplies it",
                {"shortcut": "no_slope"},
            )
        )
    relus = [h for h in hidden if names[h] == "relu"]
    if relus:
        found.append(("relu_zero", "", {h: ("relu_zero",) for h in relus}))
    kinds = [("deriv_input", ("z_form_on_a",)), ("deriv_input", ("a_form_on_z",)), ("deriv_missing", ("missing",))]
    kinds += [("deriv_wrong", ("wrong", g, form)) for g in ("sigmoid", "tanh", "relu") for form in ("z", "a")]
    for mistake, slip in kinds:
        at = [s for s in spots if not (slip[0] == "wrong" and names[s] == slip[1])]
        found += [(mistake, f"in {_spot(spec, s)}: {_slip_words(slip, names[s])}", {s: slip}) for s in at]
        inner = [s for s in at if s != "out"]
        for group, words in ((inner, "every hidden layer"), (at, "every layer")):
            if len(group) > 1 and (group is at or len(inner) < len(at)):
                found.append((mistake, f"in {words}: {_slip_words(slip, names[group[0]])}", {s: slip for s in group}))
    if spec.loss_kind.cross_entropy:
        found.append(("softmax_deriv", f"the output delta is multiplied by p (1 - p) after {spec.loss}", {"out_extra": True}))
    for h in hidden:
        into = f"into hidden layer {h + 1}"
        found.append(("no_weights", f"{into}: dA{h + 1} = dZ{h + 2}, without @ W{h + 2}.T", {("through", h): ("none",)}))
        for k in range(L):
            if k != h + 1:
                found.append(("wrong_weights", f"{into}: dZ{h + 2} @ W{k + 1}.T instead of @ W{h + 2}.T", {("through", h): ("T", k)}))
            found.append(("wrong_weights", f"{into}: dZ{h + 2} @ W{k + 1} instead of @ W{h + 2}.T", {("through", h): ("N", k)}))
    found += _trick_slips(spec)
    if len(hidden) > 1:
        found.append(("no_weights", "in every layer: dA = dZ, without @ W.T", {("through", h): ("none",) for h in hidden}))
        found.append(("wrong_weights", "in every layer: dZ @ W.T with W of the layer below", {("through", h): ("T", h) for h in hidden}))
        found.append(("wrong_weights", "in every layer: dZ @ W, without .T", {("through", h): ("N", h + 1) for h in hidden}))
    return found


def _trick_slips(spec) -> list[tuple[str, str, dict]]:
    """The L2, batch-norm and dropout slips the spec allows (dropout's show only when the step's masks are given)."""
    found = []
    if spec.l2 > 0:
        found.append(("l2_missing", f"dW has no λW term (λ = {spec.l2:g})", {"l2": "missing"}))
        found.append(("l2_double", f"dW has 2λW instead of λW (λ = {spec.l2:g})", {"l2": "double"}))
        if not spec.decay_biases:
            found.append(("l2_biases", f"db has λb added too (λ = {spec.l2:g})", {"l2": "biases"}))
    if spec.batch_norm:
        found.append(("bn_no_stats", "dH = dY / sqrt(var + eps), without the mean and variance terms", {"bn": "no_stats"}))
        found.append(("bn_no_var", "dH has the mean's term but not the variance's", {"bn": "no_var"}))
    if spec.bn_affine:
        found.append(("bn_no_gamma", "dY = dB, without * gamma", {"scale_shift": "no_gamma"}))
        found.append(("bn_dgamma_no_y", "dgamma = dB summed, without * Y (the normalised input)", {"scale_shift": "no_y"}))
        found.append(("bn_scale_shift_mean", "dgamma and dbeta are means over the batch, not sums", {"scale_shift": "mean"}))
    if spec.dropout > 0:
        found.append(("dropout_missing", "dH = dA, the mask not applied", {"dropout": "missing"}))
        found.append(("dropout_unscaled", f"dH = dA * keep, without 1 / (1 - p) = {1 / (1 - spec.dropout):.4g}", {"dropout": "unscaled"}))
    return found


def resembles(spec, params, X, y, loss: float) -> str | None:
    """Which loss, at which known factor, their loss value is: mse, element-wise bce or ce on the network's outputs."""
    logits = scratch.make(spec, params).forward(X)
    P = output_fn(spec)(logits)
    Y = np.eye(P.shape[1])[y] if y.ndim == 1 else y
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))  # log softmax
    candidates = {  # element-wise BCE of sigmoid(logits) written stably: log(1 + e^z) - y z
        "binary cross-entropy of sigmoid(logits), element-wise over one-hot targets": np.mean(np.logaddexp(0, logits) - Y * logits),
        "mse": np.mean((P - Y) ** 2),
        "cross-entropy": np.mean(-(Y * log_p).sum(axis=1)),
    }
    N, n_out = P.shape
    for name, value in candidates.items():
        for factor, said in ((1, ""), (0.5, "½ × "), (n_out, f"{n_out} outputs × "), (N, "N × "), (N * n_out, "N × outputs × ")):
            if abs(loss - factor * value) <= 1e-6 * abs(loss):
                return f"{said}{name} on the network's outputs"
    return None
