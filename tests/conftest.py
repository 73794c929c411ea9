"""Shared test set-up: torch is imported before TensorFlow (the order Keras's own tests use), and the
data cache lives in a folder of this process's own (never the user's ~/.cache), removed when it exits."""

import atexit
import os
import shutil
import tempfile

import torch  # noqa: F401

# isort: split
import tf_impl  # noqa: F401  (imports TensorFlow without its start-up banner)

CACHE = tempfile.mkdtemp(prefix="mlp-compare-test-cache-")
os.environ["MLP_COMPARE_CACHE"] = CACHE  # subprocesses inherit it
atexit.register(shutil.rmtree, CACHE, ignore_errors=True)

from tests.exports import exported  # noqa: E402, F401  (one session fixture: every export test's scripts, run once)
