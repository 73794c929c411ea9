"""python -m compare: the mlp-compare command line."""

from compare.cli import entry

entry()
