"""The three losses with torch's own modules, each from the logits, each the mean over the batch."""

import torch

LOSSES = {"mse": torch.nn.MSELoss, "bce": torch.nn.BCEWithLogitsLoss, "ce": torch.nn.CrossEntropyLoss}


def loss_fn(loss: str, output: str):
    """A function (logits, y) -> mean loss; mse applies the output activation first."""
    criterion = LOSSES[loss](reduction="mean")
    if loss == "mse" and output == "sigmoid":
        return lambda logits, y: criterion(torch.sigmoid(logits), y)
    return criterion


def output_probs(output: str, logits: torch.Tensor) -> torch.Tensor:
    """The network's output: identity, sigmoid, or softmax of the logits."""
    if output == "softmax":
        return torch.softmax(logits, dim=1)
    return torch.sigmoid(logits) if output == "sigmoid" else logits
