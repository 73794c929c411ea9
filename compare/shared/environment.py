"""What produced the numbers: versions, thread counts and the flags that change numerics."""

from __future__ import annotations

import os
import platform
import sys
from importlib import metadata


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def record(spec, names: list[str]) -> dict:
    """Versions of everything involved, and the numerics-relevant settings of the frameworks run."""
    import numpy as np

    env = {
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpu_count": os.cpu_count(),
        "numpy": np.__version__,
        "scikit-learn": _version("scikit-learn"),
        "pandas": _version("pandas"),
        "torch": _version("torch"),
        "tensorflow": _version("tensorflow-cpu") or _version("tensorflow"),
        "keras": _version("keras"),
        "spec_threads": spec.threads,
        "frameworks_run": names,
    }
    if "torch" in names:
        import torch

        env["torch_num_threads"] = torch.get_num_threads()
        env["torch_deterministic_algorithms"] = torch.are_deterministic_algorithms_enabled()
    if "tensorflow" in names:
        import tensorflow as tf

        env["tf_intra_op_threads"] = tf.config.threading.get_intra_op_parallelism_threads()
        env["tf_inter_op_threads"] = tf.config.threading.get_inter_op_parallelism_threads()
        env["tf_onednn_opts"] = os.environ.get("TF_ENABLE_ONEDNN_OPTS", "default (on)")
        from tensorflow.python.framework import config as tf_config

        env["tf_op_determinism"] = tf_config.is_op_determinism_enabled()
        env["tf_step"] = "tf.function (graph), no XLA"
    return env
