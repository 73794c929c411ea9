"""Export a spec or run bundle as standalone PyTorch and Keras scripts or notebooks: faithful, or idiomatic."""

from compare.export.convention import Convention

__all__ = ["Convention"]
