"""The MLP in NumPy: forward pass, hand-written backward pass, training step, built from swappable pieces."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from scratch import batch_norm
from scratch.losses import output_fn
from scratch.optimizers import Scheduled
from scratch.pieces import Pieces, pieces_for


def _flat(pairs) -> list[np.ndarray]:
    """The tensors of [(W, b), ...] as one list, W1, b1, W2, ..., the absent biases left out: what the optimizer steps."""
    return [t for pair in pairs for t in pair if t is not None]


class LayerCache(NamedTuple):
    """What the forward pass keeps of one layer for the backward pass."""

    A_prev: np.ndarray  # the layer's input (N, fan_in)
    Z: np.ndarray | None  # A_prev W + b (N, fan_out); None for the output layer (its logits are the loss's)
    H: np.ndarray | None  # f(Z), before batch norm and dropout
    mask: np.ndarray | None  # the dropout mask, 0 or 1 / (1 - p), or None
    bn: tuple | None  # batch norm's cache, or None


class MLP:
    """Fully connected network; weights held in the canonical (fan_in, fan_out) layout, then batch norm's (gamma, beta)
    of each hidden layer where the spec learns them (spec.bn_affine)."""

    def __init__(self, spec, params: list[tuple[np.ndarray, np.ndarray | None]], pieces: Pieces, dtype=None):
        self.spec = spec
        self.dtype = np.dtype(dtype or spec.dtype)  # another dtype than the spec's: np.longdouble for the exact reference
        self.n = len(spec.layers) - 1  # linear layers; params[n:] are batch norm's (gamma, beta)
        self.pieces = pieces
        self.set_params(params)
        self.optimizer = pieces.optimizer(spec, _flat(self.params))
        self.grads = self._like_params()  # train_step writes here
        # batch norm's running (mean, variance) of every hidden layer: state, not parameters
        self.running = [(np.zeros(w, self.dtype), np.ones(w, self.dtype)) for w in spec.layers[1:-1]] if spec.batch_norm else None

    def set_params(self, params) -> None:
        """Load canonical weights (copied, so the caller's arrays are never changed); b is None without biases."""
        linear = [(np.array(W, self.dtype), np.array(b, self.dtype) if self.spec.bias else None) for W, b in params[: self.n]]
        self.params = linear + [(np.array(gamma, self.dtype), np.array(beta, self.dtype)) for gamma, beta in params[self.n :]]

    def get_params(self) -> list[tuple[np.ndarray, np.ndarray | None]]:
        """The current weights, canonical layout, as copies; b is None without biases."""
        return [(W.copy(), None if b is None else b.copy()) for W, b in self.params]

    def _like_params(self) -> list[tuple[np.ndarray, np.ndarray | None]]:
        """New arrays shaped like the weights, for the gradients (db None without biases)."""
        return [(np.empty_like(W), None if b is None else np.empty_like(b)) for W, b in self.params]

    def forward(self, X: np.ndarray) -> np.ndarray:
        """Logits of shape (N, O)."""
        return self.layers(X)[0]

    def gradients(self, X: np.ndarray, y: np.ndarray, masks=None) -> tuple[float, list[tuple[np.ndarray, np.ndarray | None]]]:
        """(mean mini-batch loss, [(dW, db), ...]) at the current weights, as new arrays (db None without biases); with dropout `masks`
        (one (N, width) array per hidden layer) in training mode, else in eval mode."""
        logits, cache = self.layers(X, masks, training=True)
        loss, dZ = self.pieces.loss(logits, y)
        grads = self.backward(dZ, cache)
        return loss + self.penalty(grads), grads

    def train_step(self, X: np.ndarray, y: np.ndarray, masks=None) -> float:
        """One update on a mini-batch, with the step's dropout masks if any; returns the mini-batch loss before the update."""
        logits, cache = self.layers(X, masks, training=True)
        if self.running is not None:
            for (mean, var), entry in zip(self.running, cache):
                batch_norm.update(mean, var, entry[4], self.spec.bn_momentum, len(X), self.pieces.running_stats)
        loss, dZ = self.pieces.loss(logits, y)
        grads = self.backward(dZ, cache, self.grads)  # dW into reused buffers: no weight-sized allocation per step
        loss += self.penalty(grads)
        self.optimizer.step(_flat(self.params), _flat(grads))
        return loss

    def end_epoch(self) -> None:
        """Called by the training loop after an epoch's last step: a per-epoch schedule moves on."""
        if isinstance(self.optimizer, Scheduled):
            self.optimizer.end_epoch()

    def loss(self, X: np.ndarray, y: np.ndarray, masks=None, training: bool = False) -> float:
        """Mean loss at the current weights (plus the L2 penalty, if any), with dropout `masks` if given; training=True:
        batch norm with the batch's statistics."""
        return self.pieces.loss(self.layers(X, masks, training)[0], y)[0] + self.penalty()

    def penalty(self, grads=None) -> float:
        """The L2 penalty at the current weights (0 without one); its gradient is added into `grads` when given."""
        if self.pieces.penalty is None:
            return 0.0
        if grads is not None:
            self.pieces.penalty.add_gradient(self.params[: self.n], grads[: self.n])  # the linear layers' only
        return self.pieces.penalty.value(self.params[: self.n])

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Network outputs: identity or sigmoid values, or softmax probabilities."""
        return output_fn(self.spec)(self.forward(X))

    def evaluate(self, X: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
        """(mean loss (plus the L2 penalty, if any), network outputs) from one forward pass: what scoring a data set needs."""
        logits = self.forward(X)
        return self.pieces.loss(logits, y)[0] + self.penalty(), output_fn(self.spec)(logits)

    def layers(self, X: np.ndarray, masks=None, training: bool = False):
        """Logits of shape (N, O) and the cache [(A_prev, Z, H = f(Z), dropout mask, batch-norm cache), ...] that
        backward walks back through. A hidden layer's output is H, batch-normalised if the spec says so (with the
        batch's statistics in training, the running ones otherwise; then scaled and shifted by gamma and beta where the
        spec learns them), times its dropout mask if one is given."""
        A, cache = X, []
        for layer, ((W, b), act) in enumerate(zip(self.params[: self.n - 1], self.pieces.activations)):
            Z = A @ W  # (N, fan_out)
            if self.spec.bias:
                Z += b  # Z = A W + b, in place
            H = act(Z)  # (N, fan_out)
            B, bn = H, None
            if self.running is not None and training:
                B, bn = batch_norm.forward(H, self.spec.bn_eps)  # B = (H - mean) / sqrt(var + eps)
            elif self.running is not None:
                B = batch_norm.evaluate(H, *self.running[layer], self.spec.bn_eps)
            if self.spec.bn_affine:
                gamma, beta = self.params[self.n + layer]
                B = gamma * B + beta  # (N, fan_out): B = gamma Y + beta
            mask = None if masks is None else masks[layer]  # (N, fan_out): 0 or 1 / (1 - p)
            cache.append(LayerCache(A, Z, H, mask, bn))
            A = B if mask is None else B * mask  # inverted dropout: A = B * mask
        W, b = self.params[self.n - 1]
        cache.append(LayerCache(A, None, None, None, None))
        logits = A @ W  # (N, O)
        if self.spec.bias:
            logits += b  # logits = A W + b
        return logits, cache

    def backward(self, dZ: np.ndarray, cache, grads=None, record: dict | None = None) -> list[tuple[np.ndarray, np.ndarray | None]]:
        """Gradients [(dW, db), ...] from dL/dlogits, walking back through the cache; db is None without biases; then
        (dgamma, dbeta) of each hidden layer's batch norm where the spec learns its scale and shift.

        dW is written into `grads` when given (arrays shaped like the weights), so a training step reuses them.
        `record`, when given, is filled with every intermediate by name (layers numbered from 1): dZ, dW, db of each
        layer; dA (the error sent back), dH (after dropout and batch norm) and fp (f'(Z)) of each hidden layer;
        dgamma, dbeta of each batch norm with a learned scale and shift.
        """
        if grads is None:
            grads = self._like_params()
        note = record.__setitem__ if record is not None else lambda name, value: None
        for layer in reversed(range(self.n)):
            dW = np.matmul(cache[layer].A_prev.T, dZ, out=grads[layer][0])  # dW = A_prev.T @ dZ  (fan_in, fan_out)
            db = dZ.sum(axis=0) if self.spec.bias else None  # (fan_out,)
            grads[layer] = (dW, db)
            if record is not None:  # a copy: a training step reuses the dW buffers
                note(f"dZ{layer + 1}", dZ)
                note(f"dW{layer + 1}", dW.copy())
                if db is not None:
                    note(f"db{layer + 1}", db)
            if layer > 0:
                below = cache[layer - 1]
                dA = self.pieces.through(dZ, self.params, layer)  # (N, fan_in)
                if dA.shape != below.Z.shape:
                    raise ValueError(f"dA{layer} has shape {dA.shape}; layer {layer}'s Z has {below.Z.shape}")
                dH = dA if below.mask is None else self.pieces.dropout_back(dA, below.mask)  # dB = dA * mask
                if below.bn is not None and self.spec.bn_affine:
                    gamma = self.params[self.n + layer - 1][0]  # (fan_in,)
                    dH, dgamma, dbeta = self.pieces.scale_shift_back(dH, below.bn[2], gamma)  # dY = dB gamma, from B = gamma Y + beta
                    grads[self.n + layer - 1] = (dgamma, dbeta)
                    note(f"dgamma{layer}", dgamma)
                    note(f"dbeta{layer}", dbeta)
                    note(f"dY{layer}", dH)
                dH = dH if below.bn is None else self.pieces.batch_norm_back(dH, below.bn)  # dH from dY, through mean and variance
                fp = self.pieces.activations[layer - 1].derivative(below.Z, below.H)  # f'(Z)
                dZ = dH * fp  # dZ = dH * f'(Z)
                note(f"dA{layer}", dA)
                note(f"fp{layer}", fp)
                if below.mask is not None or below.bn is not None:
                    note(f"dH{layer}", dH)
        return grads


def make(
    spec, params: list[tuple[np.ndarray, np.ndarray | None]], *, convention: str = "torch", pieces: Pieces | None = None, dtype=None
) -> MLP:
    """The spec's network from canonical weights, in the optimizer `convention` given ("torch" or "keras"),
    or from other `pieces` (see Pieces); dtype: arithmetic in another dtype than the spec's (np.longdouble: the exact
    reference, compare/exact/)."""
    return MLP(spec, params, pieces or pieces_for(spec, convention), dtype)
