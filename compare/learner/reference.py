"""The reference's side of a check: the NumPy reference's data loss and gradients on the learner's batch, without any
penalty (the learner's own is fitted: compare/learner/model.py), and every named intermediate of its forward and
backward pass for the tracer (Z, H, A, f', dA, dH, dZ, dW, db per layer, and the output error A - Y), in training
mode with the step's dropout masks; with a slip's plan, the same from the reference with that slip put in."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

import scratch
from compare.learner import slips
from compare.learner.layouts import Params
from compare.shared.weights import n_linear, pair_names
from scratch.losses import output_fn


@dataclass(frozen=True)
class Reference:
    loss: float  # the data loss, the mean over the batch
    grads: Params  # its gradients, canonical
    named: dict[str, np.ndarray]  # canonical intermediates by name: Z1, A1, fp1, dA1, dZ1, dW1, db1, ..., E, loss


def data_spec(spec):
    """The spec without its L2 penalty: the learner's own penalty is fitted apart."""
    return spec.replace(l2=0.0, decay_biases=False)


def build(spec, params: Params, X: np.ndarray, y: np.ndarray, masks=None, plan: dict | None = None) -> Reference:
    """The reference (with a plan's slips put in, if given) on one batch, every intermediate named."""
    spec = data_spec(spec)
    model = scratch.make(spec, params, pieces=slips.pieces(spec, plan) if plan else None)
    logits, cache = model.layers(X, masks, training=True)
    loss, dZ = model.pieces.loss(logits, y)
    record: dict[str, np.ndarray] = {}
    grads = model.backward(dZ, cache, record=record)
    L = n_linear(params)
    P = output_fn(spec)(logits)
    Y = np.eye(P.shape[1])[y] if y.ndim == 1 else y
    named = {
        "A0": X,
        "y": Y,
        "N": np.float64(len(X)),
        "loss": np.float64(loss),
        f"Z{L}": logits,
        f"A{L}": P,
        **per_sample_losses(spec, logits, P, Y),
    }
    for i, pair in enumerate(params):
        named.update({name: t for name, t in zip(pair_names(L, i), pair) if t is not None})
    for layer, entry in enumerate(cache[:-1], start=1):
        named[f"Z{layer}"], named[f"A{layer}"] = entry.Z, cache[layer].A_prev
        if entry.mask is not None or entry.bn is not None:
            named[f"H{layer}"] = entry.H  # before batch norm and dropout
    named.update(output_delta(spec, logits, P, Y))
    named.update(record)
    named["dA0"] = record["dZ1"] @ params[0][0].T  # the error at the input, as courses return it (grads["dA0"])
    return Reference(float(loss), grads, named)


def output_delta(spec, logits: np.ndarray, P: np.ndarray, Y: np.ndarray) -> dict[str, np.ndarray]:
    """dL/dA of the output and the output activation's slope, where learners compute them apart from dZ: MSE's 2 (P - Y)
    / N·O and f'(z); binary cross-entropy's (P - Y) / (P (1 - P)) / N·O and P (1 - P); softmax cross-entropy's -Y / P / N."""
    from scratch.activations import activation

    L = len(spec.layers) - 1
    with np.errstate(divide="ignore", invalid="ignore"):
        if spec.loss == "mse":
            out = {f"dA{L}": 2 * (P - Y) / Y.size}
            return out | ({f"fp{L}": activation(spec.output).derivative(logits, P)} if spec.output != "identity" else {})
        if spec.loss == "bce":
            return {f"dA{L}": (P - Y) / (P * (1 - P)) / Y.size, f"fp{L}": P * (1 - P)}
        return {f"dA{L}": -Y / P / len(P)}


def per_sample_losses(spec, logits: np.ndarray, P: np.ndarray, Y: np.ndarray) -> dict[str, np.ndarray]:
    """The loss sample by sample, as learners compute it before averaging: the probability of the right class and
    its -log for cross-entropy, the squared or cross-entropy error of each output otherwise."""
    if spec.loss == "ce":
        p = (P * Y).sum(axis=1)  # (N,) the probability of each sample's class
        return {"p_y": p, "losses": -np.log(p)}
    if spec.loss == "bce":
        return {"losses": np.maximum(logits, 0) - logits * Y + np.log1p(np.exp(-np.abs(logits)))}  # (N, O)
    return {"losses": (P - Y) ** 2}  # (N, O)


def scaled(ref: Reference, model, params: Params) -> dict[str, np.ndarray]:
    """The named intermediates in the learner's units: backward ones × c, dW and db with their L2 term."""
    out = dict(ref.named)
    lam, lam_b = (model.l2.lam, model.l2.lam_b) if model.l2 else (0.0, 0.0)
    for name, value in ref.named.items():
        if name.startswith("d"):
            out[name] = model.c * value
    for k, (W, b) in enumerate(params[: n_linear(params)], start=1):
        out[f"dataW{k}"] = model.c * ref.named[f"dW{k}"]  # before the penalty's term is added (dW += reg * W)
        out[f"dW{k}"] = model.c * (ref.named[f"dW{k}"] + lam * W)
        if b is not None:
            out[f"db{k}"] = model.c * (ref.named[f"db{k}"] + lam_b * b)
    out["loss"] = np.float64(model.loss(ref.loss, params))
    return out
