"""Hidden and output activations as torch.nn modules; autograd supplies the derivatives."""

import torch

ACTIVATIONS = {"sigmoid": torch.nn.Sigmoid, "relu": torch.nn.ReLU, "tanh": torch.nn.Tanh, "identity": torch.nn.Identity}


def activate(name: str) -> torch.nn.Module:
    """The named activation as a module."""
    return ACTIVATIONS[name]()
