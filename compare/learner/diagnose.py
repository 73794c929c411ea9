"""Name a learner's backprop mistake from the numbers: ratios, signs, shapes, and the reference with each known
slip put in (compare/learner/slips.py)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from compare.learner import conventions, slips
from compare.learner.conventions import Convention
from compare.learner.layouts import Form

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
ROWS = Form()
RELU_NOTE = "ReLU's derivative at exactly z = 0 is a convention (torch and TensorFlow use 0, you use 1), not a mistake"
COLUMNS_FIXES = {  # where the fix is written differently with samples as columns
    "transposed": "dW = dZ @ A_prev.T, of shape (fan_out, fan_in) like W",
    "bias_sum": "db = dZ.sum(axis=1, keepdims=True), of shape (fan_out, 1) like b",
    "no_weights": "dA_prev = W.T @ dZ, with W of the layer the error comes from",
    "wrong_weights": "dA_prev = W.T @ dZ, with W of the layer the error comes from",
}
BOTH_READINGS = (
    "; or, if you train on the summed loss on purpose (several tutorials do: the learning rate absorbs N), say so with --convention sum"
)


def words(mistake: str, form: Form = ROWS) -> tuple[str, str]:
    """(what it is, the fix) for a mistake, a sign and a scale together ("sign+batch") named together."""
    if mistake.startswith("sign+"):
        (what, fix), (what2, fix2) = MISTAKES["sign"], words(mistake[5:], form)
        return f"{what}, and {what2.removeprefix('the gradient ')}", f"{fix}; and {fix2}"
    what, fix = MISTAKES[mistake]
    return what, COLUMNS_FIXES.get(mistake, fix) if form.columns else fix


@dataclass
class Diagnosis:
    ok: bool  # right, or different only by a convention
    first_wrong: str | None  # walking back from the output: dW_L, db_L, dW_{L-1}, ...; "loss" if only the loss is wrong
    mistake: str | None  # a key of MISTAKES (or "sign+" one), "relu_zero", "loss_differs", or None when no known mistake fits
    message: str
    convention: Convention | None = None  # found or declared; None: the spec's own (a mean)
    scale: float = 1.0  # the convention's factor: their loss and gradients = scale × the reference's
    plan: dict | None = None  # the slips that reproduce their gradients (for the tracer)
    factor: float | None = None  # a scale mistake: their gradients = factor × scale × the reference's


def rel(a: np.ndarray, b: np.ndarray) -> float:
    """max |a - b| / max |b|, b the reference."""
    scale = float(np.max(np.abs(b), initial=0.0))
    diff = float(np.max(np.abs(np.asarray(a) - b), initial=0.0))
    return diff / scale if scale > 0 else diff


def close(a, b, tol: float) -> bool:
    """a equals the reference b to the check's tolerance: rel(a, b) <= tol (absolute where b is zero)."""
    return rel(a, b) <= tol


def _ratio(c: float, N: int, outputs: int, tol: float) -> tuple[str | None, str]:
    """The known mistake a scalar ratio (learner / reference) points to, and the ratio in words."""
    known = [(N, "batch", f"{N} = N"), (1 / N, "twice", f"1/{N} = 1/N"), (2.0, "factor2", "2"), (0.5, "factor2", "½")]
    if outputs > 1:
        known += [
            (N * outputs, "batch", f"{N * outputs} = N × outputs"),
            (1 / (N * outputs), "twice", f"1/{N * outputs} = 1/(N × outputs)"),
        ]
    for value, mistake, said in known:
        if abs(abs(c) - value) <= 10 * tol * value:
            return (f"sign+{mistake}", f"-{said}") if c < 0 else (mistake, said)
    return ("sign", "-1") if abs(c + 1) <= 10 * tol else (None, f"{c:.4g}")


def _where(i: int, j: int, right: list[tuple[int, int]], L: int) -> str:
    """Where to look, from which tensors are right; (i, j) is the first wrong one, j = 0 for dW, 1 for db."""
    k = i + 1
    if (i, 1 - j) in right:  # its partner in the same layer is right, so dZ of the layer is right
        return f"{'db' if j == 0 else 'dW'}{k} is right, so dZ{k} is right: the mistake is in {'dW' if j == 0 else 'db'}{k} itself"
    if i == L - 1:
        return "the output layer is already wrong: check the output delta dZ = dL/dlogits first"
    return f"dW{k + 1} and db{k + 1} are right, so dZ{k + 1} is: the error goes wrong on its way back into layer {k}, at @ W{k + 1}.T or at the derivative"


def scale_of(pairs) -> float:
    """The least-squares scalar c in g ≈ c × r over the (g, r) pairs; 0 where every r is zero."""
    den = sum(float((r * r).sum()) for _, r in pairs)
    return sum(float((g * r).sum()) for g, r in pairs) / den if den else 0.0


def fit(grads, ref_grads) -> float:
    """The least-squares scalar c in grads ≈ c × ref over every tensor of the right shape."""
    return scale_of([(g, r) for gp, rp in zip(grads, ref_grads) for g, r in zip(gp, rp) if g.shape == r.shape])


def convention_of(spec, N, outputs, loss, grads, ref_loss, ref_grads, tol, declared) -> tuple[Convention | None, str]:
    """The convention their numbers share with the reference (or the declared one), and a note on it."""
    if declared is not None:
        if conventions.reports_mean(declared, loss, ref_loss, N, outputs, tol):
            note = (
                f" Note: your reported loss is the mean, not the sum your gradients descend, and your learning rate is "
                f"effectively {N}× (N) torch's with reduction='mean'."
            )
            return declared, note
        return declared, ""
    if loss is not None:
        found = conventions.find(loss / ref_loss if ref_loss else np.inf, spec.loss, N, outputs, tol)
        every_right = all(close(g, r, tol) for gp, rp in zip(grads, ref_grads) for g, r in zip(gp, rp) if g.shape == r.shape)
        return (found, "") if found and not every_right else (None, "")
    found = conventions.find(fit(grads, ref_grads), spec.loss, N, outputs, tol)
    return found, ""


def resembles(spec, params, X, y, loss: float, tol: float) -> str | None:
    """Which loss, at which known factor, their loss value is: mse, element-wise bce or ce on the network's outputs."""
    import scratch
    from scratch.losses import output_fn

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


def diagnose(
    spec, params, X, y, loss, grads, ref_loss: float, ref_grads, tol: float, masks=None, *, form: Form = ROWS, declared=None, fd_agrees=None
) -> Diagnosis:
    """The first wrong tensor walking back from the output, and the known mistake that reproduces the numbers,
    under the learner's convention (found from a common factor, or declared); loss None: gradients only;
    masks: the step's dropout masks, where the gradients were taken with them."""
    N = len(X)
    outputs = 1 if spec.loss_kind.labels else ref_grads[-1][1].shape[0]
    conv, note = convention_of(spec, N, outputs, loss, grads, ref_loss, ref_grads, tol, declared)
    scale = conv.factor(N, outputs) if conv else 1.0
    ref_grads = [(scale * W, scale * b) for W, b in ref_grads]
    ref_loss = loss if note.startswith(" Note") else scale * ref_loss
    under = f"Under your convention ({conv.name}, {conv.factor_words(N, outputs)} × the spec's loss): " if conv and scale != 1 else ""
    result = _diagnose(spec, params, X, y, loss, grads, ref_loss, ref_grads, tol, form, under, scale, masks)
    result.convention, result.scale = conv, scale
    if result.ok and conv and scale != 1:
        how = "declared" if declared else "found from your loss and gradients" if loss is not None else "found from your gradients alone"
        result.message = (
            f"{'The loss and every gradient match' if loss is not None else 'Every gradient matches'} the reference under your "
            f"convention, {conv.name} ({how}): "
            f"{conv.message(spec.loss, N, outputs)}{note}"
        )
    if declared is not None and not result.ok:
        theirs = conventions.find(fit(grads, [(W / scale, b / scale) for W, b in ref_grads]), spec.loss, N, outputs, tol)
        mean = all(close(g, r / scale, tol) for gp, rp in zip(grads, ref_grads) for g, r in zip(gp, rp) if g.shape == r.shape)
        if theirs is not None or mean:
            actual = (theirs or Convention()).name
            result.mistake = "convention"
            result.message = (
                f"Your gradients follow the convention {actual}, not the declared {declared.name} "
                f"({declared.factor_words(N, outputs)} × the spec's loss): drop --convention, or declare --convention {actual}."
            )
    if result.ok and loss is None and not (conv and scale != 1):
        result.message = "Every gradient matches the reference (your function returns no loss)."
    if result.mistake == "batch" and not conv and loss is not None and close(loss, ref_loss, tol):
        result.message = result.message.rstrip(".") + BOTH_READINGS + "."
    if result.mistake is None and not result.ok and loss is not None and fd_agrees and not conv:
        like = resembles(spec, params, X, y, loss, tol)
        result.mistake = "loss_differs"
        result.message += (
            f" Your gradients are right for your own loss (finite differences agree), so the loss itself differs from the spec's "
            f"{spec.loss}: yours is {loss:.6g} against {ref_loss:.6g}" + (f", and it is {like}." if like else ", and no loss it knows.")
        )
    return result


def _diagnose(spec, params, X, y, loss, grads, ref_loss, ref_grads, tol, form, under, scale, masks=None) -> Diagnosis:
    """diagnose, against a reference already scaled by the convention."""
    N, L = len(X), len(params)
    outputs = 1 if spec.loss_kind.labels else ref_grads[-1][1].shape[0]
    order = [(i, j) for i in reversed(range(L)) for j in (0, 1)]
    name = lambda i, j: f"{'dW' if j == 0 else 'db'}{i + 1}"  # noqa: E731
    shaped = [(i, j) for i, j in order if grads[i][j].shape == ref_grads[i][j].shape]
    wrong = [(i, j) for i, j in order if (i, j) not in shaped or not close(grads[i][j], ref_grads[i][j], tol)]
    loss_ratio = loss / ref_loss if loss is not None and ref_loss else np.inf
    loss_ok = loss is None or close(loss, ref_loss, tol)
    if not wrong:
        if loss_ok:
            return Diagnosis(True, None, None, "The loss and every gradient match the reference.")
        mistake, said = _ratio(loss_ratio, N, outputs, tol)
        mistake = "loss_mean" if mistake == "batch" else mistake
        what, fix = words(mistake, form) if mistake else ("no known mistake fits", "compare your loss line with the spec's loss")
        return Diagnosis(
            False,
            "loss",
            mistake,
            f"{under}Every gradient is right, but your loss is {loss:.6g} against {ref_loss:.6g} (ratio {said}): {what}. Fix: {fix}.",
        )
    i, j = wrong[0]
    first, g, r = name(i, j), grads[i][j], ref_grads[i][j]
    mine = lambda a: tuple(reversed(a)) if form.columns else a  # noqa: E731  a canonical weight shape as the learner sees it

    def found(mistake: str, detail: str, plan: dict | None = None, factor: float | None = None) -> Diagnosis:
        what, fix = words(mistake, form)
        message = f"{under}{first} is the first wrong tensor walking back from the output: {what} ({detail}). Fix: {fix}."
        return Diagnosis(False, first, mistake, message, plan=plan, factor=factor)

    dW, db = grads[i]
    if dW.shape == params[i][1].shape and db.shape == params[i][0].shape:
        return found("swapped", f"dW{i + 1} has the shape of b{i + 1}, {dW.shape}, and db{i + 1} that of W{i + 1}, {mine(db.shape)}")
    if j == 0 and g.shape == r.T.shape and close(g.T, r, tol):
        return found("transposed", f"{first} has shape {mine(g.shape)} and its transpose matches the reference, of shape {mine(r.shape)}")
    if j == 1 and g.shape == (N, r.shape[0]) and close(g.sum(axis=0), r, tol):
        per = f"({r.shape[0]}, {N}), one column per sample" if form.columns else f"{g.shape}, one row per sample"
        return found("bias_sum", f"{first} has shape {per}; its sum over the batch matches")
    if g.shape != r.shape:
        return Diagnosis(
            False, first, None, f"{under}{first} has shape {mine(g.shape)}, expected {mine(r.shape)}, and no known mistake fits."
        )
    c = scale_of([(g, r)])
    if close(g, c * r, tol):
        mistake, said = _ratio(c, N, outputs, tol)
        if mistake is not None:
            same = [name(a, b) for a, b in wrong if (a, b) in shaped and close(grads[a][b], c * ref_grads[a][b], tol)]
            detail = f"{', '.join(same)} {'is' if len(same) == 1 else 'are'} exactly {said} × the reference"
            if loss is not None and abs(loss_ratio - c) <= 1e-6 * abs(c) and c != 1:
                detail += f"; your loss is {said} × too, so it agrees with your gradients but not with the spec's loss"
            other = [name(a, b) for a, b in wrong if name(a, b) not in same]
            if other:
                detail += (
                    f"; {', '.join(other)} {'is' if len(other) == 1 else 'are'} wrong in another way as well: check again after this fix"
                )
            return found(mistake, detail, factor=c)
    for mistake, how, plan in slips.catalogue(spec, params):
        P = slips.gradients(spec, params, X, y, plan, masks)
        if P is None:
            continue
        P = [(scale * a, scale * b) for a, b in P]
        if all(close(P[a][b], ref_grads[a][b], tol) for a, b in order):
            continue
        if all(close(grads[a][b], P[a][b], tol) for a, b in shaped):
            if mistake == "relu_zero":
                extra = "" if loss_ok else f"; but your loss is {loss:.6g} against {ref_loss:.6g}"
                return Diagnosis(
                    loss_ok,
                    None if loss_ok else "loss",
                    "relu_zero",
                    f"{RELU_NOTE}: {', '.join(name(a, b) for a, b in wrong)} differ only there{extra}.",
                    plan=plan,
                )
            return found(mistake, how, plan=plan)
    where = _where(i, j, [(a, b) for a, b in order if (a, b) not in wrong], L)
    cosine = float((g * r).sum() / (np.linalg.norm(g) * np.linalg.norm(r))) if np.linalg.norm(g) * np.linalg.norm(r) > 0 else 0.0
    return Diagnosis(
        False,
        first,
        None,
        f"{under}{first} is the first wrong tensor walking back from the output, and no known mistake fits "
        f"(best scalar fit {c:.4g} × the reference, cosine {cosine:.3f}); {where}.",
    )
