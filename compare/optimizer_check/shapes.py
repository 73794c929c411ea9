"""The three shapes a learner's optimizer comes in, recognised from the signature, behind one face:
start(tensors) once, then step(grads) -> the tensors after their update, in the learner's own layout."""

from __future__ import annotations

import inspect
import re
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np

from compare.errors import LearnerError
from compare.learner.loading import _trace

ACCEPTED = (
    "a function f(w, dw, config=None) -> (next_w, config) (CS231n), "
    "update_parameters_with_adam(parameters, grads, v, s, t, learning_rate, ...) -> (parameters, v, s) (deeplearning.ai), "
    "or a class with step(params, grads) or pre_update_params/update_params(layer)/post_update_params (nnfs)"
)
# our hyperparameter -> the names learners give it, most common first
ALIASES = {
    "lr": ("learning_rate", "lr"),
    "momentum": ("momentum", "beta", "mu"),
    "beta1": ("beta1", "beta_1"),
    "beta2": ("beta2", "beta_2"),
    "eps": ("epsilon", "eps"),
    "rho": ("decay_rate", "rho", "alpha", "beta", "beta2", "beta_2"),
}
USES = {"sgd": ("lr",), "momentum": ("lr", "momentum"), "nesterov": ("lr", "momentum"), "adam": ("lr", "beta1", "beta2", "eps")}
USES["rmsprop"] = ("lr", "rho", "eps")
STRUCTURAL = {"nesterov", "self", "w", "dw", "x", "dx", "config", "params", "parameters", "grads", "gradients", "t", "layer"}
# the function or class a file most likely calls each optimizer, when --function is not given
NAMES = {
    "sgd": ("sgd", "update_parameters_with_gd", "Optimizer_SGD", "SGD"),
    "momentum": ("sgd_momentum", "momentum", "update_parameters_with_momentum", "Optimizer_SGD", "Momentum", "SGD"),
    "nesterov": ("nesterov", "sgd_nesterov", "nesterov_momentum", "update_parameters_with_nesterov", "Optimizer_SGD", "Nesterov"),
    "adam": ("adam", "update_parameters_with_adam", "Optimizer_Adam", "Adam"),
    "rmsprop": ("rmsprop", "update_parameters_with_rmsprop", "Optimizer_RMSprop", "RMSprop"),
}


def names_for(optimizer: str, theirs: list[str], source: str = "") -> tuple[dict[str, str], list[str]]:
    """({our name: their name} for the hyperparameters this optimizer uses, their other names we leave alone).

    A config's keys are taken from the quoted names in their source, else CS231n's."""
    found, left = {}, []
    for ours in USES[optimizer]:
        quoted = [a for a in ALIASES[ours] if re.search(rf"['\"]{a}['\"]", source)]
        named = [a for a in ALIASES[ours] if a in theirs and a not in found.values()]
        pick = named or quoted or ([] if theirs else [ALIASES[ours][0]])
        if pick:
            found[ours] = pick[0]
    left = [n for n in theirs if n not in found.values() and n not in STRUCTURAL and not n.startswith("_")]
    return found, left


def _call(what: str, fn: Callable, *args, **kwargs):
    """fn(*args, **kwargs), their exception as one line plus the traceback of their own file."""
    try:
        return fn(*args, **kwargs)
    except (Exception, SystemExit) as e:
        files = {getattr(fn, "learner_file", ""), str(Path(inspect.getsourcefile(fn) or "").resolve())}
        module = sys.modules.get(getattr(fn, "__module__", ""), None)
        files.add(str(Path(getattr(module, "__file__", "") or "").resolve()))
        hint = ""
        if isinstance(e, ValueError) and "broadcast" in str(e):
            hint = " (tensors here have different shapes: is one state shared between tensors?)"
        raise LearnerError(
            f"{what} raised {type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}{hint}", _trace(e, files)
        ) from None


def _array(value, what: str, shape: tuple) -> np.ndarray:
    """Their updated tensor as float64 (the same array when it is one: state keyed by id(p) keeps working)."""
    a = None if value is None else np.asarray(value)
    if a is None or a.dtype.kind not in "fiu":
        raise LearnerError(f"{what} is {type(value).__name__}; expected a NumPy array of shape {shape}")
    if a.shape != shape:
        raise LearnerError(f"{what} has shape {a.shape}; an update keeps each tensor's shape, {shape}")
    return a.astype(np.float64, copy=False)


def flat_layout(canonical: list[np.ndarray]) -> list[np.ndarray]:
    """Biases as (n, 1) columns, a single bias as a scalar: the shapes a per-tensor rule must handle."""
    return [t if t.ndim == 2 else (t.reshape(()) if t.size == 1 else t.reshape(-1, 1)) for t in canonical]


class PerTensor:
    """CS231n: next_w, config = fn(w, dw, config), one config dict per tensor carrying hyperparameters and state."""

    shape = "per tensor (CS231n)"

    def __init__(self, fn: Callable, optimizer: str, hyper: dict[str, float], source: str = ""):
        self.fn, self.name = fn, getattr(fn, "__name__", "the function")
        keys, _ = names_for(optimizer, [], source)
        self.given = {keys[k]: hyper[k] for k in keys}
        self.passed = dict(self.given)
        self.left: list[str] = []

    layout = staticmethod(flat_layout)

    @staticmethod
    def restore(tensors: list[np.ndarray], canonical: list[np.ndarray]) -> list[np.ndarray]:
        return [t.reshape(c.shape) for t, c in zip(tensors, canonical)]

    def start(self, tensors: list[np.ndarray]) -> None:
        self.w = [t.copy() for t in tensors]
        self.configs = [dict(self.given) for _ in tensors]

    def step(self, grads: list[np.ndarray], names: list[str], t: int) -> list[np.ndarray]:
        for k, (w, g) in enumerate(zip(self.w, grads)):
            what = f"{self.name}({names[k]}) at step {t}"
            out = _call(what, self.fn, w.copy(), g.copy(), self.configs[k])
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
            self.w[k], self.configs[k] = _array(next_w, f"next_w of {what}", w.shape), config
        return [w.copy() for w in self.w]


def _signature(fn) -> list[str]:
    try:
        return list(inspect.signature(fn).parameters)
    except (TypeError, ValueError):
        return []


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
        self.t = 0
        module = sys.modules.get(self.fn.__module__)
        init = {"adam": "initialize_adam", "rmsprop": "initialize_rmsprop"}.get(self.optimizer, "initialize_velocity")
        made = None
        if self.state and callable(getattr(module, init, None)):
            made = _call(f"{init}(parameters)", getattr(module, init), {k: v.copy() for k, v in self.params.items()})
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
        out = _call(what, self.fn, given, {f"d{k}": g.copy() for k, g in zip(self.params, grads)}, **kwargs)
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
        self.params = {k: _array(parameters[k], f"{k} after {what}", v.shape) for k, v in self.params.items()}
        return [v.copy() for v in self.params.values()]


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
        names = _signature(cls) if inspect.isclass(cls) else []
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

    restore = staticmethod(PerTensor.restore)

    def start(self, tensors: list[np.ndarray]) -> None:
        self.tensors = [t.copy() for t in tensors]
        extra = {self.wants_params: self.tensors} if self.wants_params else {}
        self.opt = _call(f"{self.name}(...)", self.cls, **self.hyper, **extra) if inspect.isclass(self.cls) else self.cls
        self.layers = [Layer(self.tensors[k], self.tensors[k + 1]) for k in range(0, len(self.tensors) - 1, 2)]

    def step(self, grads: list[np.ndarray], names: list[str], t: int) -> list[np.ndarray]:
        what = f"{self.name} at step {t}"
        if self.nnfs:
            for layer, dw, db in zip(self.layers, grads[::2], grads[1::2]):
                layer.dweights, layer.dbiases = dw.copy(), db.copy()
            if callable(getattr(self.opt, "pre_update_params", None)):
                _call(f"{self.name}.pre_update_params at step {t}", self.opt.pre_update_params)
            for i, layer in enumerate(self.layers):
                _call(f"{self.name}.update_params(layer {i + 1}) at step {t}", self.opt.update_params, layer)
            if callable(getattr(self.opt, "post_update_params", None)):
                _call(f"{self.name}.post_update_params at step {t}", self.opt.post_update_params)
            out = [a for layer in self.layers for a in (layer.weights, layer.biases)]
        else:
            out = _call(f"{what}: step(params, grads)", self.opt.step, self.tensors, [g.copy() for g in grads])
            if out is None:
                out = self.tensors
            elif not isinstance(out, (list, tuple)) or len(out) != len(self.tensors):
                raise LearnerError(
                    f"{what}: step returned {type(out).__name__}; expected None (params updated in place) or the list of {len(self.tensors)} params"
                )
        checked = [_array(a, f"{names[k]} after {what}", t0.shape) for k, (a, t0) in enumerate(zip(out, self.tensors))]
        if self.nnfs:
            for layer, w, b in zip(self.layers, checked[::2], checked[1::2]):
                layer.weights, layer.biases = w, b
        self.tensors = checked if not self.nnfs else [a for layer in self.layers for a in (layer.weights, layer.biases)]
        return [a.copy() for a in self.tensors]


def recognise(fn, optimizer: str, hyper: dict[str, float]):
    """The adapter for fn's shape, or LearnerError naming the shapes accepted."""
    name = getattr(fn, "__name__", type(fn).__name__)
    if inspect.isclass(fn) or not inspect.isroutine(fn):
        if callable(getattr(fn, "update_params", None)) or callable(getattr(fn, "step", None)):
            return Stepper(fn, optimizer, hyper)
        raise LearnerError(f"{name}: a class without step(params, grads) or update_params(layer); expected {ACCEPTED}")
    names = _signature(fn)
    if "config" in names[1:3] and len(names) >= 3:
        try:
            source = inspect.getsource(fn)
        except (OSError, TypeError):
            source = ""
        return PerTensor(fn, optimizer, hyper, source)
    if len(names) >= 2 and names[0] in ("parameters", "params") and names[1] in ("grads", "gradients"):
        return WholeNetwork(fn, optimizer, hyper)
    raise LearnerError(f"{name}({', '.join(names)}) is not a shape this check knows; expected {ACCEPTED}")
