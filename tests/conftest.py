"""Shared test set-up: torch is imported before TensorFlow (the order Keras's own tests use), and the
data cache lives in a folder of this session's own (never the user's ~/.cache)."""

import os
import tempfile

import torch  # noqa: F401

# isort: split
import tf_impl  # noqa: F401  (imports TensorFlow without its start-up banner)

os.environ["MLP_COMPARE_CACHE"] = tempfile.mkdtemp(prefix="mlp-compare-test-cache-")  # subprocesses inherit it
