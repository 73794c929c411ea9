"""Export a spec or a run bundle as standalone PyTorch and Keras scripts (or notebooks) that reproduce its numbers,
or as idiomatic code that says where it parts from them."""

from compare.export.convention import Convention

__all__ = ["Convention"]
