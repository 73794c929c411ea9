"""mlp-compare's from-scratch implementation: NumPy only, backprop written by hand, built from swappable pieces."""

from scratch.mlp import MLP, make
from scratch.pieces import Pieces, pieces_for

__all__ = ["MLP", "Pieces", "make", "pieces_for"]
