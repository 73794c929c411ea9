"""The loss rows of the defaults table: probabilities vs logits, the MSE shape trap, measured live."""

from __future__ import annotations

import warnings

import numpy as np

from compare.defaults.probe import Probe, both, data, effect, init, keras_lr, max_diff, train_keras, train_torch


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
        "effect": effect(default, aligned, "saturated outputs (weights ×10), on probabilities vs from logits"),
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
        "effect": effect(default, aligned, "3 classes, weights ×10, on probabilities vs from logits"),
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
    aligned = both(p, sgd, lambda: keras.optimizers.SGD(keras_lr(p, p.lr)), X=X, y=y)
    return {
        "what": "MSE shape broadcast",
        "torch": f"pred (N,1) vs target (N,) broadcasts to (N,N): {trap:.5g} instead of {right:.5g}; {len(caught)} warning(s)",
        "keras": f"squeezes the target: {k_flat:.5g}",
        "numpy": "targets always (N, outputs): compare/shared/data.py shapes them",
        "align": "shape targets (N, outputs) everywhere",
        "effect": effect(default, aligned, "target (N,) vs (N,1)"),
        "default": default,
        "aligned": aligned,
    }
