"""A learner's optimizer as a class: nnfs's pre_update_params / update_params(layer) / post_update_params,
or any class with step(params, grads)."""

from __future__ import annotations

import copy
import inspect

import numpy as np

from compare.errors import LearnerError
from compare.optimizer_check.calling import array, call, flat_layout, reshaped, signature
from compare.optimizer_check.names import names_for


class Layer:
    """An nnfs layer as the optimizer sees it: weights (in, out), biases (1, out), dweights, dbiases."""

    def __init__(self, weights: np.ndarray, biases: np.ndarray):
        self.weights, self.biases = weights, biases


class Stepper:
    """A class: nnfs's pre_update_params() / update_params(layer) / post_update_params(), or step(params, grads)
    updating the arrays in place (or returning them)."""

    def __init__(self, cls, optimizer: str, hyper: dict[str, float]):
        self.cls, self.name = cls, getattr(cls, "__name__", type(cls).__name__)
        self.nnfs = callable(getattr(cls, "update_params", None))
        self.shape = "a class with update_params(layer) (nnfs)" if self.nnfs else "a class with step(params, grads)"
        names = signature(cls) if inspect.isclass(cls) else []
        keys, self.left = names_for(optimizer, names)
        self.hyper = {keys[k]: hyper[k] for k in keys if keys[k] in names}
        if "nesterov" in names:
            self.hyper["nesterov"] = optimizer == "nesterov"
        self.wants_params = next((n for n in ("params", "parameters") if n in names), None)
        self.passed = dict(self.hyper)

    def layout(self, canonical: list[np.ndarray]) -> list[np.ndarray]:
        if self.nnfs:
            return [t if t.ndim == 2 else t.reshape(1, -1) for t in canonical]
        return flat_layout(canonical)

    restore = staticmethod(reshaped)

    def start(self, tensors: list[np.ndarray]) -> None:
        self.tensors = [t.copy() for t in tensors]
        extra = {self.wants_params: self.tensors} if self.wants_params else {}
        if inspect.isclass(self.cls):
            self.opt = call(f"{self.name}(...)", self.cls, **self.hyper, **extra)
        else:  # an object they made: a fresh copy for every run, so that no run starts from another's state
            self.opt = copy.deepcopy(self.cls)
        self.layers = [Layer(self.tensors[k], self.tensors[k + 1]) for k in range(0, len(self.tensors) - 1, 2)]

    def step(self, grads: list[np.ndarray], names: list[str], t: int) -> list[np.ndarray]:
        what = f"{self.name} at step {t}"
        if self.nnfs:
            for layer, dw, db in zip(self.layers, grads[::2], grads[1::2]):
                layer.dweights, layer.dbiases = dw.copy(), db.copy()
            if callable(getattr(self.opt, "pre_update_params", None)):
                call(f"{self.name}.pre_update_params at step {t}", self.opt.pre_update_params)
            for i, layer in enumerate(self.layers):
                call(f"{self.name}.update_params(layer {i + 1}) at step {t}", self.opt.update_params, layer)
            if callable(getattr(self.opt, "post_update_params", None)):
                call(f"{self.name}.post_update_params at step {t}", self.opt.post_update_params)
            out = [a for layer in self.layers for a in (layer.weights, layer.biases)]
        else:
            params = list(self.tensors)  # their list: they may put new arrays in it
            out = call(f"{what}: step(params, grads)", self.opt.step, params, [g.copy() for g in grads])
            if out is None:
                out = params
            elif not isinstance(out, (list, tuple)) or len(out) != len(self.tensors):
                raise LearnerError(
                    f"{what}: step returned {type(out).__name__}; expected None (params updated in place) or the list of {len(self.tensors)} params"
                )
        checked = [array(a, f"{names[k]} after {what}", t0.shape) for k, (a, t0) in enumerate(zip(out, self.tensors))]
        for layer, w, b in zip(self.layers, checked[::2], checked[1::2]):
            layer.weights, layer.biases = w, b
        self.tensors = checked
        return [a.copy() for a in self.tensors]
