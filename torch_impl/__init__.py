"""mlp-compare's PyTorch implementation: torch.nn, torch's losses, autograd and torch.optim."""

from torch_impl.mlp import MLP

__all__ = ["MLP"]
