"""The three losses with torch's own modules, each from the logits, each the mean over the batch."""

import torch

LOSSES = {"mse": torch.nn.MSELoss, "bce": torch.nn.BCEWithLogitsLoss, "ce": torch.nn.CrossEntropyLoss}


def loss_fn(spec, from_logits: bool = True):
    """The spec's loss: (logits, y) -> mean loss; mse applies the output activation first.

    from_logits=False: bce and ce on probabilities as a learner often writes them, BCELoss(sigmoid(z)) and
    nll_loss(log(softmax(z))), which clamp the log at -100 instead of working from the logits."""
    if spec.loss == "mse":
        criterion = torch.nn.MSELoss(reduction="mean")
        return (lambda logits, y: criterion(torch.sigmoid(logits), y)) if spec.output == "sigmoid" else criterion
    if spec.class_weights is not None:
        return weighted_loss_fn(spec)
    if not from_logits:
        if spec.loss == "bce":
            bce = torch.nn.BCELoss()
            return lambda logits, y: bce(torch.sigmoid(logits), y)
        return lambda logits, y: torch.nn.functional.nll_loss(torch.log(torch.softmax(logits, dim=1)), y)
    return LOSSES[spec.loss](reduction="mean")


def weighted_loss_fn(spec):
    """ce: CrossEntropyLoss(weight=class weights), whose mean divides by the sum of the weights; over N it is the
    sum divided by N. bce: BCEWithLogitsLoss's weight is per element and its mean divides by N; over the weights,
    the sum divided by theirs."""
    class_weights = torch.tensor(spec.class_weights, dtype=getattr(torch, spec.dtype))
    over_weights = spec.weight_reduction == "sum_weights"
    if spec.loss == "ce":
        if over_weights:
            return torch.nn.CrossEntropyLoss(weight=class_weights, reduction="mean")
        summed = torch.nn.CrossEntropyLoss(weight=class_weights, reduction="sum")
        return lambda logits, y: summed(logits, y) / len(y)

    def bce(logits, y):
        w = class_weights[y.long()]  # (N, 1)
        if over_weights:
            return torch.nn.functional.binary_cross_entropy_with_logits(logits, y, weight=w, reduction="sum") / w.sum()
        return torch.nn.functional.binary_cross_entropy_with_logits(logits, y, weight=w, reduction="mean")

    return bce


def output_fn(spec):
    """The network's output from the logits: identity, sigmoid, or softmax."""
    if spec.output == "softmax":
        return lambda logits: torch.softmax(logits, dim=1)
    return torch.sigmoid if spec.output == "sigmoid" else (lambda logits: logits)


def penalty_fn(spec, linears):
    """The L2 penalty lam/2 sum W^2 over the kernels (and biases with spec.decay_biases) as a function of no
    arguments, added to the loss; None without one. (torch's weight_decay=lam gives the same gradient lam W,
    but leaves the penalty out of the loss.)"""
    if spec.l2 == 0:
        return None
    tensors = [t for lin in linears for t in ((lin.weight, lin.bias) if spec.decay_biases else (lin.weight,))]
    return lambda: 0.5 * spec.l2 * sum((t * t).sum() for t in tensors)
