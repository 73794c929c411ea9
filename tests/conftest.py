"""Shared test set-up: torch is imported before TensorFlow (the order Keras's own tests use)."""

import torch  # noqa: F401

# isort: split
import tf_impl  # noqa: F401  (imports TensorFlow without its start-up banner)
