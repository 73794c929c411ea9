"""Shared test set-up: torch is imported before TensorFlow (the order Keras's own tests use)."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import torch  # noqa: E402, F401

# isort: split
import tensorflow  # noqa: E402, F401
