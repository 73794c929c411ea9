"""What the NumPy reference is built from, as pieces that can be swapped: the activations, the loss, the way
back through the weights, the optimizer."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from scratch import batch_norm, losses, optimizers
from scratch.activations import Activation, activation


def dropout_back(dA: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """dH of inverted dropout A = H * mask: the same mask, its 1 / (1 - p) included."""
    return dA * mask  # (N, width)


def through_weights(dZ: np.ndarray, params, layer: int) -> np.ndarray:
    """dA of the layer below: the error sent back through the layer's own weights, dZ @ W.T."""
    return dZ @ params[layer][0].T  # (N, fan_in)


@dataclass(frozen=True)
class Pieces:
    """What the reference is built from. Pass another piece to put a convention or a learner's slip in:
    an activation with another derivative, another loss, another way back through the weights, another optimizer."""

    activations: tuple[Activation, ...]  # one per hidden layer
    loss: losses.Loss  # (logits, y) -> (mean loss, dL/dlogits)
    through: Callable = through_weights  # (dZ, params, layer) -> dA of layer - 1
    optimizer: Callable = optimizers.optimizer  # (spec, flat params) -> an object with .step(params, grads)
    penalty: losses.L2 | None = None  # the L2 penalty added to the loss, or None
    dropout_back: Callable = dropout_back  # (dA, mask) -> dH, back through inverted dropout
    batch_norm_back: Callable = batch_norm.backward_compact  # (dY, cache) -> dH, back through batch norm
    scale_shift_back: Callable = batch_norm.scale_shift_back  # (dB, Y, gamma) -> (dY, dgamma, dbeta), back through B = gamma Y + beta
    running_stats: str = "torch"  # batch norm's running statistics in torch's or Keras's convention


def pieces_for(spec, convention: str = "torch", clipping: str | None = None) -> Pieces:
    """The spec's own pieces; `convention` picks the optimizer's update rules ("torch" or "keras"), `clipping`
    another way to clip to a norm than the convention's own ("per_tensor": Keras's clipnorm)."""
    return Pieces(
        activations=tuple(activation(name, spec.leaky_slope) for name in spec.activations),
        loss=losses.loss_fn(spec),
        penalty=losses.penalty_fn(spec),
        running_stats=convention,
        optimizer=lambda spec, params: optimizers.optimizer(spec, params, convention, clipping),
    )
