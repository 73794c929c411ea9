"""Plain training loops as a learner writes them, in torch and in Keras, with one knob per convention a learner may
leave in or change (an optimizer's default, its weight_decay, clipping, batch norm's affine, a loss's reduction, ...):
the generated gaps the explainer must name (tests/gaps.py). Each returns the loss of every mini-batch before its update
and the first mini-batch's gradients, [(dW, db), ..., (dgamma, dbeta), ...] in the canonical layout."""

from __future__ import annotations

import numpy as np


def torch_loop(spec, init, data, order, knobs: dict):
    import torch

    dtype = getattr(torch, knobs.get("dtype", spec.dtype))
    torch.manual_seed(0)
    layers = []
    sizes = list(zip(spec.layers[:-1], spec.layers[1:]))
    acts = {"sigmoid": torch.nn.Sigmoid, "tanh": torch.nn.Tanh, "relu": torch.nn.ReLU}
    for i, (n_in, n_out) in enumerate(sizes):
        layers.append(torch.nn.Linear(n_in, n_out, bias=spec.bias, dtype=dtype))
        if i < len(sizes) - 1:
            a = spec.activations[i]
            if a == "leaky_relu":
                layers.append(torch.nn.LeakyReLU(knobs.get("leaky_slope", spec.leaky_slope)))
            elif a in ("gelu", "gelu_tanh"):
                layers.append(torch.nn.GELU(approximate=knobs.get("gelu", "none" if a == "gelu" else "tanh")))
            else:
                layers.append(acts[a]())
            if spec.batch_norm:
                layers.append(torch.nn.BatchNorm1d(n_out, eps=knobs.get("bn_eps", spec.bn_eps), momentum=spec.bn_momentum,
                                                   affine=knobs.get("affine", spec.bn_affine), dtype=dtype))  # fmt: skip
    model = torch.nn.Sequential(*layers)
    linears = [m for m in model if isinstance(m, torch.nn.Linear)]
    norms = [m for m in model if isinstance(m, torch.nn.BatchNorm1d) and m.affine]
    n = len(linears)
    with torch.no_grad():
        for lin, (W, b) in zip(linears, init[:n]):
            lin.weight.copy_(torch.tensor(W.T, dtype=dtype))
            if spec.bias:
                lin.bias.copy_(torch.tensor(b, dtype=dtype))
        for norm, (g, b) in zip(norms, init[n:]):
            norm.weight.copy_(torch.tensor(g, dtype=dtype))
            norm.bias.copy_(torch.tensor(b, dtype=dtype))
    opt = knobs["optimizer"](torch, model.parameters())
    reduction = knobs.get("reduction", "mean")
    if spec.loss == "mse":
        mse = torch.nn.MSELoss(reduction=reduction)
        criterion = (lambda z, y: mse(torch.sigmoid(z), y)) if spec.output == "sigmoid" else mse
    elif spec.loss == "bce":
        criterion = torch.nn.BCEWithLogitsLoss(reduction=reduction)
        if knobs.get("probabilities"):
            bce = torch.nn.BCELoss(reduction=reduction)
            criterion = lambda z, y: bce(torch.sigmoid(z), y)  # noqa: E731
    else:
        weight = None if spec.class_weights is None else torch.tensor(spec.class_weights, dtype=dtype)
        criterion = torch.nn.CrossEntropyLoss(weight=weight, reduction=reduction)
    scheduler = knobs["scheduler"](torch, opt) if "scheduler" in knobs else None
    X, y = torch.tensor(data.X_train, dtype=dtype), torch.tensor(data.y_train)
    y = y if spec.loss == "ce" else y.to(dtype)
    losses, first = [], None
    model.train()
    for epoch_order in order:
        for start in range(0, len(epoch_order), spec.batch_size):
            idx = torch.tensor(epoch_order[start : start + spec.batch_size])
            opt.zero_grad()
            loss = criterion(model(X[idx]), y[idx])
            loss.backward()
            if first is None:
                first = [(lin.weight.grad.numpy().T.copy(), lin.bias.grad.numpy().copy() if spec.bias else None) for lin in linears]
                first += [(m.weight.grad.numpy().copy(), m.bias.grad.numpy().copy()) for m in norms]
            if spec.clip_norm > 0:
                torch.nn.utils.clip_grad_norm_(model.parameters(), spec.clip_norm)
            opt.step()
            if scheduler is not None and knobs.get("schedule_every", "batch") == "batch":
                scheduler.step()
            losses.append(loss.item())
        if scheduler is not None and knobs.get("schedule_every") == "epoch":
            scheduler.step()
    return np.array(losses), first


def keras_loop(spec, init, data, order, knobs: dict):
    import keras
    import tensorflow as tf

    dtype = spec.dtype
    l2 = knobs.get("l2")
    dense = []
    for n_in, n_out in zip(spec.layers[:-1], spec.layers[1:]):
        layer = keras.layers.Dense(n_out, use_bias=spec.bias, dtype=dtype, kernel_regularizer=keras.regularizers.L2(l2) if l2 else None)
        layer.build((None, n_in))
        dense.append(layer)
    for layer, (W, b) in zip(dense, init):
        layer.set_weights([W, b] if spec.bias else [W])
    variables = [v for layer in dense for v in layer.trainable_variables]
    acts = {"sigmoid": tf.sigmoid, "tanh": tf.tanh, "relu": tf.nn.relu}

    def forward(X):
        h = X
        for i, layer in enumerate(dense[:-1]):
            h = acts[spec.activations[i]](layer(h))
        return dense[-1](h)

    if spec.loss == "mse":
        mse = keras.losses.MeanSquaredError(dtype=dtype)
        criterion = (lambda y, z: mse(y, tf.sigmoid(z))) if spec.output == "sigmoid" else mse
    elif spec.loss == "bce":
        criterion = keras.losses.BinaryCrossentropy(from_logits=True, dtype=dtype)
    else:
        criterion = keras.losses.SparseCategoricalCrossentropy(from_logits=True, dtype=dtype)
    opt = knobs["optimizer"](keras, np.float64 if dtype == "float64" else float)
    opt.build(variables)
    losses, first = [], None
    for epoch_order in order:
        for start in range(0, len(epoch_order), spec.batch_size):
            idx = epoch_order[start : start + spec.batch_size]
            X, y = tf.constant(data.X_train[idx]), tf.constant(data.y_train[idx])
            with tf.GradientTape() as tape:
                loss = criterion(y, forward(X))
                if l2:
                    loss = loss + tf.add_n([loss_ for layer in dense for loss_ in layer.losses])
            grads = tape.gradient(loss, variables)
            if first is None:
                g = [t.numpy() for t in grads]
                first = list(zip(g[0::2], g[1::2])) if spec.bias else [(w, None) for w in g]
            opt.apply_gradients(zip(grads, variables))
            losses.append(float(loss))
    return np.array(losses), first
