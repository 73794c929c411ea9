"""Name a learner's backprop mistake from the numbers: ratios, signs, shapes, and a backprop with each known slip put in."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from scratch import activations as scratch

# mistake -> (what it is, the fix)
MISTAKES = {
    "batch": (
        "the gradient is not divided by the batch size",
        "the loss is a mean, so dL/dlogits carries 1/N: divide the output delta by N",
    ),
    "twice": ("the gradient is divided by the batch size twice", "divide by N once, in the output delta, not again in dW or db"),
    "factor2": (
        "a factor 2 is off (½·MSE versus MSE)",
        "d/da mean((a - y)²) = 2 (a - y) / N: keep the 2, or use ½·MSE in both loss and gradient",
    ),
    "sign": ("the gradient has the wrong sign", "the output delta is a - y (prediction minus target), not y - a"),
    "transposed": ("the weight gradient is transposed", "dW = A_prev.T @ dZ, of shape (fan_in, fan_out) like W"),
    "bias_sum": ("the bias gradient is not summed over the batch", "db = dZ.sum(axis=0), of shape (fan_out,) like b"),
    "deriv_input": (
        "the activation derivative is applied to the wrong input",
        "σ'(z) = a (1 - a) and tanh'(z) = 1 - a²: a formula in a takes a, one in z takes z",
    ),
    "deriv_missing": ("the activation derivative is missing", "dZ = dA * f'(z): multiply by the derivative of the layer's activation"),
    "deriv_wrong": ("the derivative of the wrong activation is used", "each layer needs the derivative of its own activation"),
    "no_weights": (
        "the error is not propagated through the weights (missing ·Wᵀ)",
        "dA_prev = dZ @ W.T, with W of the layer the error comes from",
    ),
    "wrong_weights": (
        "the error is propagated through the wrong layer's weights",
        "dA_prev = dZ @ W.T, with W of the layer the error comes from",
    ),
    "softmax_deriv": (
        "an extra softmax/sigmoid derivative follows the cross-entropy",
        "from logits the output delta is p - y (over N) already: drop the p (1 - p) factor",
    ),
    "swapped": ("dW and db are swapped", "return (dW, db) in that order for every layer"),
    "loss_mean": (
        "the loss value is not averaged (the gradients are)",
        "return the mean over the batch (and the outputs for mse), as the gradients assume",
    ),
}
RELU_NOTE = "ReLU's derivative at exactly z = 0 is a convention (torch and TensorFlow use 0, you use 1), not a mistake"


@dataclass
class Diagnosis:
    ok: bool  # right, or different only by a convention
    first_wrong: str | None  # walking back from the output: dW_L, db_L, dW_{L-1}, ...; "loss" if only the loss is wrong
    mistake: str | None  # a key of MISTAKES, "relu_zero", or None when no known mistake fits
    message: str


def rel(a: np.ndarray, b: np.ndarray) -> float:
    """max |a - b| / max |b|, b the reference."""
    scale = float(np.max(np.abs(b), initial=0.0))
    diff = float(np.max(np.abs(np.asarray(a) - b), initial=0.0))
    return diff / scale if scale > 0 else diff


def derivative(name: str, z, a, slip=None):
    """da/dz of the named activation, or what a learner's slip computes instead."""
    if slip is None:
        return scratch.derivative(name, z, a)  # a (1 - a), 1 - a², [z > 0]
    kind, *rest = slip
    if kind == "relu_zero":  # [z >= 0]
        return (z >= 0) * 1.0 if name == "relu" else scratch.derivative(name, z, a)
    if kind == "z_form_on_a":  # σ'(a) = σ(a) (1 - σ(a)): a formula in z handed a
        return scratch.derivative(name, a, scratch.activate(name, a))
    if kind == "a_form_on_z":  # z (1 - z): a formula in a handed z
        return scratch.derivative(name, z, z)
    if kind == "missing":
        return np.ones_like(z)
    other, form = rest  # another activation's derivative, in z or written in a
    return scratch.derivative(other, z, scratch.activate(other, z) if form == "z" else a)


def backprop(spec, params, X, y, slips: dict) -> list | None:
    """Gradients of the spec's mean loss, with slips put in; None where a slip's shapes cannot work.

    slips: {hidden index h or "out": derivative slip} and {("through", h): ("none",) | ("T", k) | ("N", k)},
    hidden index h = 0 for the first hidden layer; ("out_extra",): an extra p (1 - p) after bce or ce."""
    Zs, As = [], [X]
    for (W, b), name in zip(params[:-1], spec.activations):
        Zs.append(As[-1] @ W + b)
        As.append(scratch.activate(name, Zs[-1]))
    z = As[-1] @ params[-1][0] + params[-1][1]  # (N, O) logits
    N = len(X)
    if spec.loss == "ce":
        p = np.exp(z - z.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)  # (N, C)
        dZ = p.copy()
        dZ[np.arange(N), y] -= 1
        dZ /= N
    else:
        p = scratch.activate("sigmoid" if spec.loss == "bce" else spec.output, z)  # (N, O)
        dZ = (p - y) / z.size if spec.loss == "bce" else 2 * (p - y) / z.size
        if spec.loss == "mse":
            dZ = dZ * derivative(spec.output, z, p, slips.get("out"))
    if slips.get("out_extra"):
        dZ = dZ * p * (1 - p)
    grads = []
    for layer in reversed(range(len(params))):
        grads.append((As[layer].T @ dZ, dZ.sum(axis=0)))  # (fan_in, fan_out), (fan_out,)
        if layer == 0:
            break
        h = layer - 1
        how = slips.get(("through", h), ("T", layer))
        if how[0] == "none":
            dA = dZ
        else:
            W = params[how[1]][0]
            if dZ.shape[1] != (W.shape[1] if how[0] == "T" else W.shape[0]):
                return None
            dA = dZ @ (W.T if how[0] == "T" else W)
        try:
            dZ = np.broadcast_to(dA * derivative(spec.activations[h], Zs[h], As[h + 1], slips.get(h)), Zs[h].shape)
        except ValueError:
            return None
        if dA.shape != Zs[h].shape and how[0] != "none":
            return None
    return grads[::-1]


def _spot(spec, s) -> str:
    return f"the output layer ({spec.output})" if s == "out" else f"hidden layer {s + 1} ({spec.activations[s]})"


def _slip_words(slip, name: str) -> str:
    example = {"sigmoid": ("σ(a)(1 - σ(a))", "z (1 - z)", "a (1 - a)"), "tanh": ("1 - tanh²(a)", "1 - z²", "1 - a²"), "relu": ("", "", "")}[
        name
    ]
    if slip[0] == "z_form_on_a":
        return f"f'(a) is computed as if a were z: {example[0]} instead of {example[2]}"
    if slip[0] == "a_form_on_z":
        return f"the formula in a is given z: {example[1]} instead of {example[2]}"
    if slip[0] == "missing":
        return "dZ = dA, without f'(z)"
    return f"it uses {slip[1]}'s derivative ({'in z' if slip[2] == 'z' else 'written in a'}) on a {name} layer"


def slips(spec, params) -> list[tuple[str, str, dict]]:
    """(mistake, where and how, slips) for each known slip the network's shapes allow, at one layer and at all."""
    L, hidden = len(params), list(range(len(spec.activations)))
    names = {**{h: spec.activations[h] for h in hidden}, "out": spec.output}
    spots = hidden + (["out"] if spec.loss == "mse" and spec.output == "sigmoid" else [])
    found = []
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
    if spec.loss in ("bce", "ce"):
        found.append(("softmax_deriv", f"the output delta is multiplied by p (1 - p) after {spec.loss}", {"out_extra": True}))
    for h in hidden:
        into = f"into hidden layer {h + 1}"
        found.append(("no_weights", f"{into}: dA{h + 1} = dZ{h + 2}, without @ W{h + 2}.T", {("through", h): ("none",)}))
        for k in range(L):
            if k != h + 1:
                found.append(("wrong_weights", f"{into}: dZ{h + 2} @ W{k + 1}.T instead of @ W{h + 2}.T", {("through", h): ("T", k)}))
            found.append(("wrong_weights", f"{into}: dZ{h + 2} @ W{k + 1} instead of @ W{h + 2}.T", {("through", h): ("N", k)}))
    if len(hidden) > 1:
        found.append(("no_weights", "in every layer: dA = dZ, without @ W.T", {("through", h): ("none",) for h in hidden}))
        found.append(("wrong_weights", "in every layer: dZ @ W.T with W of the layer below", {("through", h): ("T", h) for h in hidden}))
    return found


def _ratio(c: float, N: int, outputs: int, tol: float) -> tuple[str | None, str]:
    """The known mistake a scalar ratio (learner / reference) points to, and the ratio in words."""
    known = [(N, "batch", f"{N} = N"), (1 / N, "twice", f"1/{N} = 1/N"), (2.0, "factor2", "2"), (0.5, "factor2", "½")]
    if outputs > 1:
        known += [
            (N * outputs, "batch", f"{N * outputs} = N × outputs"),
            (1 / (N * outputs), "twice", f"1/{N * outputs} = 1/(N × outputs)"),
        ]
    for value, mistake, words in known:
        if abs(abs(c) - value) <= 10 * tol * value:
            return mistake, words + (", with the sign flipped" if c < 0 else "")
    return ("sign", "-1") if abs(c + 1) <= 10 * tol else (None, f"{c:.4g}")


def _where(i: int, j: int, right: list[tuple[int, int]], L: int) -> str:
    """Where to look, from which tensors are right; (i, j) is the first wrong one, j = 0 for dW, 1 for db."""
    k = i + 1
    if (i, 1 - j) in right:  # its partner in the same layer is right, so dZ of the layer is right
        return f"{'db' if j == 0 else 'dW'}{k} is right, so dZ{k} is right: the mistake is in {'dW' if j == 0 else 'db'}{k} itself"
    if i == L - 1:
        return "the output layer is already wrong: check the output delta dZ = dL/dlogits first"
    return f"dW{k + 1} and db{k + 1} are right, so dZ{k + 1} is: the error goes wrong on its way back into layer {k}, at @ W{k + 1}.T or at the derivative"


def diagnose(spec, params, X, y, loss: float, grads, ref_loss: float, ref_grads, tol: float) -> Diagnosis:
    """The first wrong tensor walking back from the output, and the known mistake that reproduces the numbers."""
    N, L = len(X), len(params)
    outputs = 1 if spec.loss == "ce" else ref_grads[-1][1].shape[0]
    order = [(i, j) for i in reversed(range(L)) for j in (0, 1)]
    name = lambda i, j: f"{'dW' if j == 0 else 'db'}{i + 1}"
    shaped = [(i, j) for i, j in order if grads[i][j].shape == ref_grads[i][j].shape]
    wrong = [(i, j) for i, j in order if (i, j) not in shaped or rel(grads[i][j], ref_grads[i][j]) > tol]
    loss_ratio = loss / ref_loss if ref_loss else np.inf
    loss_ok = abs(loss - ref_loss) <= tol * max(abs(ref_loss), 1e-12)
    if not wrong:
        if loss_ok:
            return Diagnosis(True, None, None, "The loss and every gradient match the reference.")
        mistake, words = _ratio(loss_ratio, N, outputs, tol)
        mistake = "loss_mean" if mistake == "batch" else mistake
        what, fix = MISTAKES.get(mistake, ("no known mistake fits", "compare your loss line with the spec's loss"))
        return Diagnosis(False, "loss", mistake, f"Every gradient is right, but your loss is {loss:.6g} against {ref_loss:.6g} "
                         f"(ratio {words}): {what}. Fix: {fix}.")  # fmt: skip
    i, j = wrong[0]
    first, g, r = name(i, j), grads[i][j], ref_grads[i][j]

    def found(mistake: str, detail: str) -> Diagnosis:
        what, fix = MISTAKES[mistake]
        return Diagnosis(
            False, first, mistake, f"{first} is the first wrong tensor walking back from the output: {what} ({detail}). Fix: {fix}."
        )

    dW, db = grads[i]
    if dW.shape == params[i][1].shape and db.shape == params[i][0].shape:
        return found("swapped", f"dW{i + 1} has the shape of b{i + 1}, {dW.shape}, and db{i + 1} that of W{i + 1}, {db.shape}")
    if j == 0 and g.shape == r.T.shape and rel(g.T, r) <= tol:
        return found("transposed", f"{first} has shape {g.shape} and its transpose matches the reference, of shape {r.shape}")
    if j == 1 and g.shape == (N, r.shape[0]) and rel(g.sum(axis=0), r) <= tol:
        return found("bias_sum", f"{first} has shape {g.shape}, one row per sample; its sum over the batch matches")
    if g.shape != r.shape:
        return Diagnosis(False, first, None, f"{first} has shape {g.shape}, expected {r.shape}, and no known mistake fits.")
    c = float((g * r).sum() / (r * r).sum()) if (r * r).sum() > 0 else 0.0
    if rel(g, c * r) <= tol:
        mistake, words = _ratio(c, N, outputs, tol)
        if mistake is not None:
            same = [name(a, b) for a, b in wrong if (a, b) in shaped and rel(grads[a][b], c * ref_grads[a][b]) <= tol]
            detail = f"{', '.join(same)} {'is' if len(same) == 1 else 'are'} exactly {words} × the reference"
            if abs(loss_ratio - c) <= 1e-6 * abs(c) and c != 1:
                detail += f"; your loss is {words} × too, so it agrees with your gradients but not with the spec's loss"
            other = [name(a, b) for a, b in wrong if name(a, b) not in same]
            if other:
                detail += (
                    f"; {', '.join(other)} {'is' if len(other) == 1 else 'are'} wrong in another way as well: check again after this fix"
                )
            return found(mistake, detail)
    for mistake, how, plan in slips(spec, params):
        P = backprop(spec, params, X, y, plan)
        if P is None or all(rel(P[a][b], ref_grads[a][b]) <= tol for a, b in order):
            continue
        if all(rel(grads[a][b], P[a][b]) <= tol for a, b in shaped):
            if mistake == "relu_zero":
                extra = "" if loss_ok else f"; but your loss is {loss:.6g} against {ref_loss:.6g}"
                return Diagnosis(
                    loss_ok,
                    None if loss_ok else "loss",
                    "relu_zero",
                    f"{RELU_NOTE}: {', '.join(name(a, b) for a, b in wrong)} differ only there{extra}.",
                )
            return found(mistake, how)
    where = _where(i, j, [(a, b) for a, b in order if (a, b) not in wrong], L)
    cosine = float((g * r).sum() / (np.linalg.norm(g) * np.linalg.norm(r))) if np.linalg.norm(g) * np.linalg.norm(r) > 0 else 0.0
    return Diagnosis(False, first, None, f"{first} is the first wrong tensor walking back from the output, and no known mistake fits "
                     f"(best scalar fit {c:.4g} × the reference, cosine {cosine:.3f}); {where}.")  # fmt: skip
