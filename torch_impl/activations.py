"""Hidden and output activations as torch.nn modules; autograd supplies the derivatives."""

import torch

ACTIVATIONS = {"sigmoid": torch.nn.Sigmoid, "relu": torch.nn.ReLU, "tanh": torch.nn.Tanh, "identity": torch.nn.Identity}


def activation(name: str, leaky_slope: float = 0.01) -> torch.nn.Module:
    """The named activation: call it for a = f(z). leaky_slope: leaky_relu's slope for z < 0."""
    if name == "leaky_relu":
        return torch.nn.LeakyReLU(negative_slope=leaky_slope)
    if name in ("gelu", "gelu_tanh"):
        return torch.nn.GELU(approximate="tanh" if name == "gelu_tanh" else "none")
    return ACTIVATIONS[name]()
