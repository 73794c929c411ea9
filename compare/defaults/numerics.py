"""The dtype and runtime rows of the defaults table: float32 rounding, float32 vs float64, threads and
TensorFlow's oneDNN (measured in fresh processes, as it is read at import)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

from compare.defaults.probe import Probe, both, data, effect, fmt, init, keras_lr, max_diff, train_keras, train_torch


def float32_rounding(p: Probe) -> dict:
    import keras
    import tensorflow as tf
    import torch

    # one float64 variable at 0, gradient 1: after step 1 p = -lr; after step 2 v2 = mu v1 - lr g, so mu = (v2 + lr) / v1
    var = tf.Variable([0.0], dtype="float64")
    opt = keras.optimizers.SGD(learning_rate=0.1, momentum=0.9)
    one = tf.constant([1.0], "float64")
    opt.apply_gradients([(one, var)])
    v1 = float(var.numpy()[0])
    opt.apply_gradients([(one, var)])
    v2 = float(var.numpy()[0]) - v1
    lr_eff, mu_eff = -v1, (v2 + (-v1)) / v1
    q = p.replace(dtype="float64")
    default = both(q, lambda ps: torch.optim.SGD(ps, lr=q.lr), lambda: keras.optimizers.SGD(q.lr))
    aligned = both(q, lambda ps: torch.optim.SGD(ps, lr=q.lr), lambda: keras.optimizers.SGD(keras_lr(q, q.lr)))
    return {
        "what": "Keras rounds Python-float hyperparameters to float32",
        "torch": "keeps Python floats (float64)",
        "keras": f"float64 variable, lr=0.1, momentum=0.9 as Python floats: effective lr {lr_eff:.10g}, momentum {mu_eff:.10g}",
        "numpy": "float64 scalars; the explainer's 'hyperparameters rounded to float32' switch reproduces Keras",
        "align": "np.float64 hyperparameters; the learning rate as a float64 tensor (or a callable returning one)",
        "effect": effect(default, aligned, f"float64 SGD, lr {q.lr:g} as a Python float vs a float64 tensor"),
        "default": default,
        "aligned": aligned,
        "lr_error": lr_eff - 0.1,
    }


def dtypes(p: Probe) -> dict:
    import keras
    import torch

    def final(dtype, keras_side):
        q = p.replace(dtype=dtype)
        X, y = data(q)
        if keras_side:
            return train_keras(q, init(q), lambda: keras.optimizers.SGD(keras_lr(q, q.lr)), X=X, y=y)
        return train_torch(q, init(q), lambda ps: torch.optim.SGD(ps, lr=q.lr), X=X, y=y)

    a32, b32 = final("float32", False), final("float32", True)
    default, aligned = max_diff(a32, b32), max_diff(final("float64", False), final("float64", True))
    n_differ = sum(int(np.count_nonzero(x != y)) for pa, pb in zip(a32, b32) for x, y in zip(pa, pb))
    return {
        "what": "float32 vs float64",
        "torch": f"default dtype {str(torch.get_default_dtype()).replace('torch.', '')}; per module dtype=",
        "keras": f"floatx {keras.config.floatx()} (process-global); per layer dtype=, losses and lr follow floatx unless given",
        "numpy": f"default {np.array([1.0]).dtype}; the spec's dtype everywhere",
        "align": "float64 to compare implementations; float32 differs by round-off only",
        "effect": f"torch vs Keras, SGD: float32 {fmt(default)} · float64 {fmt(aligned)}",
        "default": default,
        "aligned": aligned,
        "n_differ": n_differ,
    }


def threads(p: Probe) -> dict:
    import torch

    q = p.replace(dtype="float32", layers=(784, 128, 64, 10), n=128, steps=min(p.steps, 5))
    X, y = data(q)
    a = train_torch(q, init(q), lambda ps: torch.optim.SGD(ps, lr=q.lr), X=X, y=y)
    b = train_torch(q.replace(threads=2), init(q), lambda ps: torch.optim.SGD(ps, lr=q.lr), X=X, y=y)
    default = max_diff(a, b)
    return {
        "what": "thread count",
        "torch": f"torch.set_num_threads; {torch.get_num_threads()} here by default",
        "keras": "tf.config.threading, settable only before the runtime starts (not measured here: fixed per process)",
        "numpy": "BLAS threads; float64 hides the difference",
        "align": "set threads explicitly (spec.threads) and record it; each count is reproducible",
        "effect": f"float32 784-128-64-10, {q.steps} steps: torch 1 vs 2 threads {fmt(default)}",
        "default": default,
        "aligned": 0.0,
    }


def keras_traces(p: Probe) -> dict[str, np.ndarray]:
    """Keras SGD on the probe in float32 and float64: every parameter after every step, (steps, n_params)."""
    import keras

    out = {}
    for dtype in ("float32", "float64"):
        q = p.replace(dtype=dtype)
        X, y = data(q)
        trace: list = []
        train_keras(q, init(q), lambda q=q: keras.optimizers.SGD(keras_lr(q, q.lr)), X=X, y=y, trace=trace)
        out[dtype] = np.stack(trace)
    return out


CHILD = """
import json, sys
import numpy as np
import tensorflow as tf
tf.config.threading.set_intra_op_parallelism_threads(1)
tf.config.threading.set_inter_op_parallelism_threads(1)
from tensorflow.python.util import _pywrap_util_port
from compare.defaults.numerics import keras_traces
from compare.defaults.probe import Probe
out = keras_traces(Probe(**json.loads(sys.argv[2])))
np.savez(sys.argv[1], onednn=np.array(_pywrap_util_port.IsMklEnabled()), **out)
"""


def _child(p: Probe, flag: str, tmp: str) -> subprocess.Popen:
    root = str(Path(__file__).resolve().parent.parent)
    kw = json.dumps({"layers": list(p.layers), "n": p.n, "steps": p.steps, "lr": p.lr, "seed": p.seed, "scale": p.scale})
    env = {**os.environ, "TF_ENABLE_ONEDNN_OPTS": flag, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONPATH": root}
    cmd = [sys.executable, "-c", CHILD, f"{tmp}/{flag}.npz", kw]
    return subprocess.Popen(cmd, env=env, cwd=root, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _one_thread_here() -> bool:
    """Pin this process's TensorFlow to 1 thread, as the subprocesses are; False if its runtime already runs otherwise."""
    import tensorflow as tf

    try:
        tf.config.threading.set_intra_op_parallelism_threads(1)
        tf.config.threading.set_inter_op_parallelism_threads(1)
    except RuntimeError:
        pass
    return tf.config.threading.get_intra_op_parallelism_threads() == 1


def runtime_subprocesses(p: Probe) -> dict:
    """Keras SGD on the probe with oneDNN on and off (TF_ENABLE_ONEDNN_OPTS is read at import, so the other
    setting needs a fresh process), keeping the weights after every step: any step count up to p.steps can be read.
    This process serves for its own setting when its TensorFlow runs on 1 thread; else both run in subprocesses."""
    from tensorflow.python.util import _pywrap_util_port

    here = "1" if _pywrap_util_port.IsMklEnabled() else "0"
    reuse = _one_thread_here()
    flags = ["0" if here == "1" else "1"] + ([] if reuse else [here])
    res = {}
    with tempfile.TemporaryDirectory() as tmp:
        procs = {flag: _child(p, flag, tmp) for flag in flags}
        if reuse:
            res[here] = {"onednn": here == "1", **keras_traces(p)}
        for flag, proc in procs.items():
            _, err = proc.communicate()
            if proc.returncode != 0:
                raise RuntimeError(f"oneDNN probe (TF_ENABLE_ONEDNN_OPTS={flag}) failed: {err.decode()[-300:]}")
            with np.load(f"{tmp}/{flag}.npz") as f:
                res[flag] = {k: f[k] for k in f.files}
    return {
        "probe": p,
        "default_on": (here == "1") if "TF_ENABLE_ONEDNN_OPTS" not in os.environ else None,
        "reported": {"on": bool(res["1"]["onednn"]), "off": bool(res["0"]["onednn"])},
        "trace": {"on": (res["1"]["float32"], res["1"]["float64"]), "off": (res["0"]["float32"], res["0"]["float64"])},
    }


def onednn(p: Probe, runtime: dict | None = None) -> dict:
    r = runtime
    if r is None or r["probe"].replace(steps=p.steps) != p or p.steps > r["probe"].steps:
        r = runtime_subprocesses(p)
    (on32, on64), (off32, off64) = r["trace"]["on"], r["trace"]["off"]
    d32, d64 = np.abs(on32[p.steps - 1] - off32[p.steps - 1]), np.abs(on64[p.steps - 1] - off64[p.steps - 1])
    default = "on" if r["default_on"] else ("off" if r["default_on"] is not None else "set by TF_ENABLE_ONEDNN_OPTS here")
    return {
        "what": "TensorFlow oneDNN on/off",
        "torch": "no switch (its own CPU kernels)",
        "keras": f"TF_ENABLE_ONEDNN_OPTS, read at import; default here: {default}; IsMklEnabled() with =1: {r['reported']['on']}, with =0: {r['reported']['off']}",
        "numpy": "not affected",
        "align": "set it before importing TensorFlow and record it; compare in float64",
        "effect": f"Keras SGD on vs off: float32 {fmt(d32.max())} · float64 {fmt(d64.max())}",
        "default": float(d32.max()),
        "aligned": float(d64.max()),
        "n_differ": int(np.count_nonzero(d32)),
    }
