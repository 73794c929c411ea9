"""The backprop mistakes the check names: what each one is and its fix, in words a learner reads (the fix as written
with samples as rows, and as columns where it reads differently)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Mistake:
    key: str
    what: str
    fix: str
    columns_fix: str | None = None  # the fix where samples are columns, where it is written differently


def _table(*mistakes: Mistake) -> dict[str, Mistake]:
    return {m.key: m for m in mistakes}


MISTAKES = _table(
    Mistake(
        "batch",
        "the gradient is not divided by the batch size",
        "the loss is a mean, so dL/dlogits carries 1/N: divide the output delta by N",
    ),
    Mistake("twice", "the gradient is divided by the batch size twice", "divide by N once, in the output delta, not again in dW or db"),
    Mistake(
        "factor2",
        "a factor 2 is off (½·MSE versus MSE)",
        "d/da mean((a - y)²) = 2 (a - y) / N: keep the 2, or use ½·MSE in both loss and gradient",
    ),
    Mistake("sign", "the gradient has the wrong sign", "the output delta is a - y (prediction minus target), not y - a"),
    Mistake(
        "transposed",
        "the weight gradient is transposed",
        "dW = A_prev.T @ dZ, of shape (fan_in, fan_out) like W",
        "dW = dZ @ A_prev.T, of shape (fan_out, fan_in) like W",
    ),
    Mistake(
        "bias_sum",
        "the bias gradient is not summed over the batch",
        "db = dZ.sum(axis=0), of shape (fan_out,) like b",
        "db = dZ.sum(axis=1, keepdims=True), of shape (fan_out, 1) like b",
    ),
    Mistake(
        "deriv_input",
        "the activation derivative is applied to the wrong input",
        "σ'(z) = a (1 - a) and tanh'(z) = 1 - a²: a formula in a takes a, one in z takes z",
    ),
    Mistake(
        "deriv_missing", "the activation derivative is missing", "dZ = dA * f'(z): multiply by the derivative of the layer's activation"
    ),
    Mistake("deriv_wrong", "the derivative of the wrong activation is used", "each layer needs the derivative of its own activation"),
    Mistake(
        "no_weights",
        "the error is not propagated through the weights (missing ·Wᵀ)",
        "dA_prev = dZ @ W.T, with W of the layer the error comes from",
        "dA_prev = W.T @ dZ, with W of the layer the error comes from",
    ),
    Mistake(
        "wrong_weights",
        "the error is propagated through the wrong layer's weights",
        "dA_prev = dZ @ W.T, with W of the layer the error comes from",
        "dA_prev = W.T @ dZ, with W of the layer the error comes from",
    ),
    Mistake(
        "softmax_deriv",
        "an extra softmax/sigmoid derivative follows the cross-entropy",
        "from logits the output delta is p - y (over N) already: drop the p (1 - p) factor",
    ),
    Mistake("swapped", "dW and db are swapped", "return (dW, db) in that order for every layer"),
    Mistake(
        "loss_mean",
        "the loss value is not averaged (the gradients are)",
        "return the mean over the batch (and the outputs for mse), as the gradients assume",
    ),
    Mistake("l2_missing", "the L2 term is missing from the weight gradient", "d/dW of the penalty your loss adds: add its λW to every dW"),
    Mistake("l2_double", "the L2 term is doubled", "d/dW λ/2·ΣW² = λW: the ½ cancels the 2 (Keras's l2(λ) is λΣW², gradient 2λW)"),
    Mistake(
        "l2_half", "the L2 term is half the derivative of your loss's penalty", "d/dW λ·ΣW² = 2λW: keep the 2, or write λ/2·ΣW² in the loss"
    ),
    Mistake("l2_biases", "the L2 term is applied to the biases too", "the penalty is on the kernels only: add λW to dW and nothing to db"),
    Mistake(
        "bn_no_stats",
        "the batch-norm backward misses the mean and variance terms",
        "the batch's mean and variance depend on every sample: dH = inv/N (N dY - ΣdY - Y Σ(dY Y))",
    ),
    Mistake(
        "bn_no_var",
        "the batch-norm backward misses the variance term",
        "the variance depends on every sample too: dH = inv/N (N dY - ΣdY - Y Σ(dY Y))",
    ),
    Mistake(
        "bn_no_gamma",
        "the gradient goes back through batch norm's scale without gamma",
        "B = gamma Y + beta, so dY = dB * gamma before the mean and variance terms",
    ),
    Mistake(
        "bn_dgamma_no_y", "dgamma misses the normalised input", "B = gamma Y + beta: dgamma = (dB * Y).sum(axis=0), dbeta = dB.sum(axis=0)"
    ),
    Mistake(
        "bn_scale_shift_mean",
        "dgamma and dbeta are averaged over the batch",
        "the loss's mean is in dB already: dgamma = (dB * Y).sum(axis=0), dbeta = dB.sum(axis=0), sums over the batch",
        "the loss's mean is in dB already: dgamma = (dB * Y).sum(axis=1, keepdims=True), dbeta = dB.sum(axis=1, keepdims=True)",
    ),
    Mistake(
        "dropout_missing",
        "the dropout mask is not applied in backward",
        "a dropped unit passes no gradient: dH = dA * mask, the forward pass's mask",
    ),
    Mistake(
        "dropout_unscaled",
        "the dropout mask is applied in backward without its 1/(1 - p)",
        "inverted dropout scales by 1/(1 - p) forward and back: dH = dA * keep / (1 - p)",
    ),
    Mistake(
        "no_slope",
        "the hidden error is sent back through the next weights without the output's slope: a published shortcut "
        "(Make Your Own Neural Network sends hidden_errors = who.T @ output_errors), not the gradient of any loss",
        "multiply the output error by the output activation's slope before sending it back: "
        "hidden_errors = W.T @ (output_errors * o * (1 - o))",
    ),
    Mistake(
        "no_biases",
        "every bias gradient is zero",
        "if your network has no biases, say so with --no-bias (bias = false); if it has, db = dZ summed over the batch",
    ),
)
RELU_NOTE = "ReLU's derivative at exactly z = 0 is a convention (torch and TensorFlow use 0, you use 1), not a mistake"


def words(mistakes: tuple[str, ...], columns: bool = False) -> tuple[str, str]:
    """(what it is, the fix), for one mistake or a sign and a scale together ("sign", "batch")."""
    parts = [MISTAKES[k] for k in mistakes]
    fix = lambda m: m.columns_fix if columns and m.columns_fix else m.fix  # noqa: E731
    if len(parts) == 1:
        return parts[0].what, fix(parts[0])
    first, second = parts
    return f"{first.what}, and {second.what.removeprefix('the gradient ')}", f"{fix(first)}; and {fix(second)}"
