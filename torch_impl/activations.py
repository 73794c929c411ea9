"""Hidden and output activations as torch.nn modules; autograd supplies the derivatives."""

import torch

ACTIVATIONS = {"sigmoid": torch.nn.Sigmoid, "relu": torch.nn.ReLU, "tanh": torch.nn.Tanh, "identity": torch.nn.Identity}


def activation(name: str) -> torch.nn.Module:
    """The named activation: call it for a = f(z)."""
    return ACTIVATIONS[name]()
