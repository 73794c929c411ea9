"""mlp-compare's PyTorch implementation: torch.nn, torch's losses, autograd and torch.optim."""

from torch_impl.mlp import MLP, make, torch_layout

__all__ = ["MLP", "make", "torch_layout"]
