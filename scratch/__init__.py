"""mlp-compare's from-scratch implementation: NumPy only, backprop written by hand."""

from scratch.mlp import MLP

__all__ = ["MLP"]
