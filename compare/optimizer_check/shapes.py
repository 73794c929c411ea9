"""The three shapes a learner's optimizer comes in, recognised from the signature, behind one face:
start(tensors) once, then step(grads) -> the tensors after their update, in the learner's own layout."""

from __future__ import annotations

import inspect
import sys
from collections.abc import Callable

import numpy as np

from compare.errors import LearnerError
from compare.optimizer_check.calling import array, call, flat_layout, reshaped, signature
from compare.optimizer_check.classes import Stepper
from compare.optimizer_check.names import names_for

ACCEPTED = (
    "a function f(w, dw, config=None) -> (next_w, config) (CS231n), "
    "update_parameters_with_adam(parameters, grads, v, s, t, learning_rate, ...) -> (parameters, v, s) (deeplearning.ai), "
    "or a class with step(params, grads) or pre_update_params/update_params(layer)/post_update_params (nnfs)"
)


class PerTensor:
    """CS231n: next_w, config = fn(w, dw, config), one config dict per tensor carrying hyperparameters and state."""

    shape = "per tensor (CS231n)"

    def __init__(self, fn: Callable, optimizer: str, hyper: dict[str, float], source: str = ""):
        self.fn, self.name = fn, getattr(fn, "__name__", "the function")
        keys, _ = names_for(optimizer, [], source)
        self.given = {keys[k]: hyper[k] for k in keys}
        self.passed = dict(self.given)
        self.left: list[str] = []

    layout, restore = staticmethod(flat_layout), staticmethod(reshaped)

    def start(self, tensors: list[np.ndarray]) -> None:
        self.w = [t.copy() for t in tensors]
        self.configs = [dict(self.given) for _ in tensors]

    def step(self, grads: list[np.ndarray], names: list[str], t: int) -> list[np.ndarray]:
        for k, (w, g) in enumerate(zip(self.w, grads)):
            what = f"{self.name}({names[k]}) at step {t}"
            out = call(what, self.fn, w.copy(), g.copy(), self.configs[k])
            if out is None:
                raise LearnerError(f"{what} returned None; expected (next_w, config)")
            if not isinstance(out, (tuple, list)) or len(out) != 2:
                raise LearnerError(f"{what} returned {type(out).__name__}; expected (next_w, config)")
            next_w, config = out
            if not isinstance(config, dict):
                raise LearnerError(f"{what} returned a config of type {type(config).__name__}; expected the config dict")
            dropped = [key for key in self.given if key not in config]
            if dropped:
                raise LearnerError(
                    f"{what} returned a config without {', '.join(map(repr, dropped))}, which it was given; keep the keys you are given"
                )
            self.w[k], self.configs[k] = array(next_w, f"next_w of {what}", w.shape), config
        return [w.copy() for w in self.w]


class WholeNetwork:
    """deeplearning.ai: fn(parameters, grads, [v, s,] [t,] hyperparameters) -> parameters or (parameters, v, s, ...),
    with dicts W1, b1, ... (W of shape (out, in), b of (out, 1)) and dW1, db1, ...; state made by their
    initialize_adam / initialize_velocity, else zeros under dW1, db1, ..."""

    shape = "whole network (deeplearning.ai)"

    def __init__(self, fn: Callable, optimizer: str, hyper: dict[str, float]):
        self.fn, self.name, self.optimizer = fn, fn.__name__, optimizer
        sig = inspect.signature(fn).parameters
        names = list(sig)
        keys, left = names_for(optimizer, names[2:])
        self.hyper = {keys[k]: hyper[k] for k in keys} | ({"nesterov": True} if "nesterov" in names and optimizer == "nesterov" else {})
        self.state = [n for n in names[2:] if n not in self.hyper.values() and n != "t" and sig[n].default is inspect.Parameter.empty]
        self.left = [n for n in left if n not in self.state]
        self.has_t = "t" in names
        self.passed = dict(self.hyper)

    def layout(self, canonical: list[np.ndarray]) -> list[np.ndarray]:
        return [t.T if t.ndim == 2 else t.reshape(-1, 1) for t in canonical]

    @staticmethod
    def restore(tensors: list[np.ndarray], canonical: list[np.ndarray]) -> list[np.ndarray]:
        return [t.T if c.ndim == 2 else t.reshape(c.shape) for t, c in zip(tensors, canonical)]

    def start(self, tensors: list[np.ndarray]) -> None:
        self.params = dict(zip([f"{'W' if k % 2 == 0 else 'b'}{k // 2 + 1}" for k in range(len(tensors))], (t.copy() for t in tensors)))
        module = sys.modules.get(self.fn.__module__)
        init = {"adam": "initialize_adam", "rmsprop": "initialize_rmsprop"}.get(self.optimizer, "initialize_velocity")
        made = None
        if self.state and callable(getattr(module, init, None)):
            made = call(f"{init}(parameters)", getattr(module, init), {k: v.copy() for k, v in self.params.items()})
            made = list(made) if isinstance(made, tuple) else [made]
        self.values = {}
        for i, name in enumerate(self.state):
            if made is not None and i < len(made) and isinstance(made[i], dict):
                self.values[name] = made[i]
            else:
                self.values[name] = {f"d{k}": np.zeros_like(v) for k, v in self.params.items()}

    def step(self, grads: list[np.ndarray], names: list[str], t: int) -> list[np.ndarray]:
        what = f"{self.name} at step {t}"
        kwargs = {**self.values, **self.hyper, **({"t": t} if self.has_t else {})}
        given = {k: v.copy() for k, v in self.params.items()}
        out = call(what, self.fn, given, {f"d{k}": g.copy() for k, g in zip(self.params, grads)}, **kwargs)
        if out is None:
            raise LearnerError(f"{what} returned None; expected parameters, or (parameters, {', '.join(self.state)})")
        parameters = out[0] if isinstance(out, tuple) else out
        if not isinstance(parameters, dict):
            raise LearnerError(f"{what} returned {type(parameters).__name__} as the parameters; expected the dict W1, b1, ...")
        if isinstance(out, tuple):
            for name, value in zip(self.state, out[1:]):
                if isinstance(value, dict):
                    self.values[name] = value
        missing = [k for k in self.params if k not in parameters]
        if missing:
            raise LearnerError(f"{what} returned parameters without {', '.join(missing)}; expected every key it was given")
        self.params = {k: array(parameters[k], f"{k} after {what}", v.shape) for k, v in self.params.items()}
        return [v.copy() for v in self.params.values()]


def recognise(fn, optimizer: str, hyper: dict[str, float]):
    """The adapter for fn's shape, or LearnerError naming the shapes accepted."""
    name = getattr(fn, "__name__", type(fn).__name__)
    if inspect.isclass(fn) or not inspect.isroutine(fn):
        if callable(getattr(fn, "update_params", None)) or callable(getattr(fn, "step", None)):
            return Stepper(fn, optimizer, hyper)
        raise LearnerError(f"{name}: a class without step(params, grads) or update_params(layer); expected {ACCEPTED}")
    names = signature(fn)
    if "config" in names[1:3] and len(names) >= 3:
        try:
            source = inspect.getsource(fn)
        except (OSError, TypeError):
            source = ""
        return PerTensor(fn, optimizer, hyper, source)
    if len(names) >= 2 and names[0] in ("parameters", "params") and names[1] in ("grads", "gradients"):
        return WholeNetwork(fn, optimizer, hyper)
    raise LearnerError(f"{name}({', '.join(names)}) is not a shape this check knows; expected {ACCEPTED}")
