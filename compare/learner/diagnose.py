"""Name a learner's backprop mistake from the numbers: ratios, signs, shapes, and the reference with each known
slip put in (compare/learner/slips.py)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from compare.learner import slips

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
    "l2_missing": ("the L2 term is missing from the weight gradient", "d/dW λ/2·ΣW² = λW: add λW to every dW"),
    "l2_double": ("the L2 term is doubled", "d/dW λ/2·ΣW² = λW: the ½ cancels the 2 (Keras's l2(λ) is λΣW², gradient 2λW)"),
    "l2_biases": ("the L2 term is applied to the biases too", "the penalty is on the kernels only: add λW to dW and nothing to db"),
    "bn_no_stats": (
        "the batch-norm backward misses the mean and variance terms",
        "the batch's mean and variance depend on every sample: dH = inv/N (N dY - ΣdY - Y Σ(dY Y))",
    ),
    "bn_no_var": (
        "the batch-norm backward misses the variance term",
        "the variance depends on every sample too: dH = inv/N (N dY - ΣdY - Y Σ(dY Y))",
    ),
    "dropout_missing": (
        "the dropout mask is not applied in backward",
        "a dropped unit passes no gradient: dH = dA * mask, the forward pass's mask",
    ),
    "dropout_unscaled": (
        "the dropout mask is applied in backward without its 1/(1 - p)",
        "inverted dropout scales by 1/(1 - p) forward and back: dH = dA * keep / (1 - p)",
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


def diagnose(spec, params, X, y, loss: float, grads, ref_loss: float, ref_grads, tol: float, masks=None) -> Diagnosis:
    """The first wrong tensor walking back from the output, and the known mistake that reproduces the numbers;
    masks: the step's dropout masks, where the gradients were taken with them."""
    N, L = len(X), len(params)
    outputs = 1 if spec.loss_kind.labels else ref_grads[-1][1].shape[0]
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
        return Diagnosis(
            False,
            "loss",
            mistake,
            f"Every gradient is right, but your loss is {loss:.6g} against {ref_loss:.6g} (ratio {words}): {what}. Fix: {fix}.",
        )
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
    for mistake, how, plan in slips.catalogue(spec, params):
        P = slips.gradients(spec, params, X, y, plan, masks)
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
    return Diagnosis(
        False,
        first,
        None,
        f"{first} is the first wrong tensor walking back from the output, and no known mistake fits "
        f"(best scalar fit {c:.4g} × the reference, cosine {cosine:.3f}); {where}.",
    )
