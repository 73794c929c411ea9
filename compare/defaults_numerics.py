"""The loss, dtype and runtime rows of the defaults table: each measures, live, what it states."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path

import numpy as np

from compare.defaults_rows import _both, _effect, _f
from compare.probe import Probe, data, init, keras_lr, max_diff, train_keras, train_torch


def _bce_at(z: float, dtype: str = "float32") -> dict[str, tuple[float, float]]:
    """(loss, dL/dz) for target 1 at logit z: torch BCELoss(sigmoid), Keras on probabilities eager and in a
    tf.function, and from logits."""
    import keras
    import tensorflow as tf
    import torch

    zt = torch.tensor([[z]], dtype=getattr(torch, dtype), requires_grad=True)
    loss = torch.nn.BCELoss()(torch.sigmoid(zt), torch.ones_like(zt))
    loss.backward()
    out = {"torch": (loss.item(), zt.grad.item())}
    bce = keras.losses.BinaryCrossentropy(dtype=dtype)
    zk, one = tf.Variable([[z]], dtype=dtype), tf.ones((1, 1), dtype)

    def keras_loss():
        with tf.GradientTape() as tape:
            value = bce(one, tf.sigmoid(zk))
        return value, tape.gradient(value, zk)

    value, grad = keras_loss()
    out["keras"] = (float(value), float(grad[0, 0]))
    value, grad = tf.function(keras_loss)()
    out["keras_graph"] = (float(value), float(grad[0, 0]))
    zl = torch.tensor([[z]], dtype=getattr(torch, dtype), requires_grad=True)
    loss = torch.nn.BCEWithLogitsLoss()(zl, torch.ones_like(zl))
    loss.backward()
    out["logits"] = (loss.item(), zl.grad.item())
    return out


def bce_probabilities(p: Probe, z: float = -30.0) -> dict:
    import keras
    import tensorflow as tf
    import torch

    at, far = _bce_at(z), _bce_at(-200.0)
    q = p.replace(scale=p.scale * 10)  # saturated outputs: confident predictions
    X, y = data(q, classes=1)
    params = init(q)
    kb = keras.losses.BinaryCrossentropy(dtype=q.dtype)
    a = train_torch(
        q, params, lambda ps: torch.optim.SGD(ps, lr=q.lr), loss=lambda out, t: torch.nn.BCELoss()(torch.sigmoid(out), t), X=X, y=y
    )
    b = train_keras(q, params, lambda: keras.optimizers.SGD(keras_lr(q, q.lr)), loss=lambda t, out: kb(t, tf.sigmoid(out)), X=X, y=y)
    default = max_diff(a, b)
    kl = keras.losses.BinaryCrossentropy(from_logits=True, dtype=q.dtype)
    a = train_torch(q, params, lambda ps: torch.optim.SGD(ps, lr=q.lr), loss=torch.nn.BCEWithLogitsLoss(), X=X, y=y)
    b = train_keras(q, params, lambda: keras.optimizers.SGD(keras_lr(q, q.lr)), loss=kl, X=X, y=y)
    aligned = max_diff(a, b)
    t, k, g, lg = at["torch"], at["keras"], at["keras_graph"], at["logits"]
    return {
        "what": "binary cross-entropy on probabilities vs logits",
        "torch": f"BCELoss clamps log at -100: loss at z=-200 {far['torch'][0]:.4g}; at z={z:g} loss {t[0]:.4g}, dL/dz {t[1]:.3g} (float32)",
        "keras": f"clips p to [1e-7, 1-1e-7]: loss at z=-200 {far['keras'][0]:.4g}; at z={z:g} loss {k[0]:.4g}, dL/dz {k[1]:.3g}; "
        f"in a tf.function after a Sigmoid op it silently uses the logits: loss {g[0]:.4g}",
        "numpy": f"logits only, stable log-sigmoid: at z={z:g} loss {lg[0]:.4g}, dL/dz {lg[1]:.3g}",
        "align": "BCEWithLogitsLoss ↔ BinaryCrossentropy(from_logits=True)",
        "effect": _effect(default, aligned, "saturated outputs (weights ×10), on probabilities vs from logits"),
        "default": default,
        "aligned": aligned,
    }


def ce_probabilities(p: Probe, spread: float = 200.0) -> dict:
    import keras
    import tensorflow as tf
    import torch

    logits = np.array([[-spread, 0.0, spread]], np.float32)
    zt, label = torch.from_numpy(logits), torch.tensor([0])
    t_logits = torch.nn.functional.cross_entropy(zt, label).item()
    t_probs = torch.nn.functional.nll_loss(torch.log(torch.softmax(zt, dim=1)), label).item()
    k_probs = float(keras.losses.SparseCategoricalCrossentropy()(np.array([0]), tf.nn.softmax(logits)))
    k_logits = float(keras.losses.SparseCategoricalCrossentropy(from_logits=True)(np.array([0]), logits))
    q = p.replace(scale=p.scale * 10, layers=p.layers[:-1] + (3,))
    X, y = data(q, classes=3)
    params = init(q)

    def run(torch_loss, keras_loss):
        a = train_torch(q, params, lambda ps: torch.optim.SGD(ps, lr=q.lr), loss=torch_loss, X=X, y=y)
        b = train_keras(q, params, lambda: keras.optimizers.SGD(keras_lr(q, q.lr)), loss=keras_loss, X=X, y=y)
        return max_diff(a, b)

    kp, kl = (
        keras.losses.SparseCategoricalCrossentropy(dtype=q.dtype),
        keras.losses.SparseCategoricalCrossentropy(from_logits=True, dtype=q.dtype),
    )
    default = run(
        lambda out, t: torch.nn.functional.nll_loss(torch.log(torch.softmax(out, 1)), t), lambda t, out: kp(t, tf.nn.softmax(out))
    )
    aligned = run(torch.nn.CrossEntropyLoss(), kl)
    return {
        "what": "categorical cross-entropy on probabilities vs logits",
        "torch": f"cross_entropy takes logits: {t_logits:.4g} at logits [-{spread:g}, 0, {spread:g}]; nll(log(softmax)) gives {t_probs:.4g}",
        "keras": f"on probabilities clips to [1e-7, 1-1e-7] and renormalises: {k_probs:.4g}; from_logits=True: {k_logits:.4g}",
        "numpy": "logits only, log-sum-exp",
        "align": "CrossEntropyLoss ↔ SparseCategoricalCrossentropy(from_logits=True)",
        "effect": _effect(default, aligned, "3 classes, weights ×10, on probabilities vs from logits"),
        "default": default,
        "aligned": aligned,
    }


def mse_shapes(p: Probe) -> dict:
    import keras
    import torch

    X, y = data(p)
    y_flat = y[:, 0].copy()
    pred = torch.from_numpy(y + 0.5 * np.cos(np.arange(len(y)))[:, None].astype(p.dtype))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        trap = torch.nn.MSELoss()(pred, torch.from_numpy(y_flat)).item()
    right = torch.nn.MSELoss()(pred, torch.from_numpy(y)).item()
    k_flat = float(keras.losses.MeanSquaredError(dtype=p.dtype)(y_flat, pred.numpy()))

    def sgd(ps):
        return torch.optim.SGD(ps, lr=p.lr)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a = train_torch(p, init(p), sgd, X=X, y=y_flat)
    b = train_keras(p, init(p), lambda: keras.optimizers.SGD(keras_lr(p, p.lr)), X=X, y=y_flat)
    default = max_diff(a, b)
    aligned = _both(p, sgd, lambda: keras.optimizers.SGD(keras_lr(p, p.lr)), X=X, y=y)
    return {
        "what": "MSE shape broadcast",
        "torch": f"pred (N,1) vs target (N,) broadcasts to (N,N): {trap:.5g} instead of {right:.5g}; {len(caught)} warning(s)",
        "keras": f"squeezes the target: {k_flat:.5g}",
        "numpy": "targets always (N, outputs): compare/data.py shapes them",
        "align": "shape targets (N, outputs) everywhere",
        "effect": _effect(default, aligned, "target (N,) vs (N,1)"),
        "default": default,
        "aligned": aligned,
    }


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
    default = _both(q, lambda ps: torch.optim.SGD(ps, lr=q.lr), lambda: keras.optimizers.SGD(q.lr))
    aligned = _both(q, lambda ps: torch.optim.SGD(ps, lr=q.lr), lambda: keras.optimizers.SGD(keras_lr(q, q.lr)))
    return {
        "what": "Keras rounds Python-float hyperparameters to float32",
        "torch": "keeps Python floats (float64)",
        "keras": f"float64 variable, lr=0.1, momentum=0.9 as Python floats: effective lr {lr_eff:.10g}, momentum {mu_eff:.10g}",
        "numpy": "float64 scalars; the explainer's 'hyperparameters rounded to float32' switch reproduces Keras",
        "align": "np.float64 hyperparameters; the learning rate as a float64 tensor (or a callable returning one)",
        "effect": _effect(default, aligned, f"float64 SGD, lr {q.lr:g} as a Python float vs a float64 tensor"),
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
    size = sum(x.size for pa in a32 for x in pa)
    return {
        "what": "float32 vs float64",
        "torch": f"default dtype {str(torch.get_default_dtype()).replace('torch.', '')}; per module dtype=",
        "keras": f"floatx {keras.config.floatx()} (process-global); per layer dtype=, losses and lr follow floatx unless given",
        "numpy": f"default {np.array([1.0]).dtype}; the spec's dtype everywhere",
        "align": "float64 to compare implementations; float32 differs by round-off only",
        "effect": f"torch vs Keras, SGD: float32 {_f(default)} ({n_differ} of {size} parameters differ) · float64 {_f(aligned)}",
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
        "effect": f"float32 784-128-64-10, {q.steps} steps: torch 1 vs 2 threads {_f(default)}",
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
from compare.defaults_numerics import keras_traces
from compare.probe import Probe
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
        "effect": f"Keras SGD on vs off: float32 {_f(d32.max())} ({np.count_nonzero(d32)} of {d32.size} parameters differ) · float64 {_f(d64.max())}",
        "default": float(d32.max()),
        "aligned": float(d64.max()),
        "n_differ": int(np.count_nonzero(d32)),
    }
