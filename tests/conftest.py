"""Shared test set-up: torch is imported before TensorFlow (the order Keras's own tests use); the data cache lives
in a folder of this process's own (never the user's ~/.cache), removed when it exits; Ctrl-C is Ctrl-C in the
commands the tests start, even where the suite itself was started in the background (a shell's `make test &` starts
it with SIGINT ignored, which every child would inherit, and the Ctrl-C tests would wait forever)."""

import atexit
import os
import shutil
import signal
import tempfile

import torch  # noqa: F401

# isort: split
import tf_impl  # noqa: F401  (imports TensorFlow without its start-up banner)

if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)  # a handler, not SIG_IGN: children start with the default

CACHE = tempfile.mkdtemp(prefix="mlp-compare-test-cache-")
os.environ["MLP_COMPARE_CACHE"] = CACHE  # subprocesses inherit it
atexit.register(shutil.rmtree, CACHE, ignore_errors=True)

from tests.exports import exported  # noqa: E402, F401  (one session fixture: every export test's scripts, run once)
