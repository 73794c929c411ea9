"""The learner's side of a check: their file loaded, the thing to check found and bound (a function, a class made into
an object, an object's method, or the file as a script run to its first update), then calls, losses and traced
re-runs on the batches the check sends. It runs where the learner's code runs: in a child process for a file, in the
check's own for a Python callable (a notebook, a test); everything it takes and gives back is plain data."""

from __future__ import annotations

import contextlib
import inspect
import io
from dataclasses import dataclass, field, replace

import numpy as np

from compare.errors import LearnerError
from compare.learner import binding, callables, layer_search, roles, scripts, slots
from compare.learner.calling import Batch, Caller
from compare.learner.layouts import Form
from compare.learner.loading import Module, folder_of, guarded
from compare.learner.method_caller import MethodCaller
from compare.learner.returned import Returned
from compare.learner.watch import Record, Watch

PRINTED = 4000  # characters of the learner's own output kept from loading and the first call


@dataclass(frozen=True)
class Options:
    """What the learner said about their code: flags or keywords (None: found from the code)."""

    function: str | None = None  # None: loss_and_grads where the file defines it, else the file as a script
    form: Form = Form()
    form_given: bool = False  # --layout, --params, --per-sample or --targets given
    init_args: tuple = ()  # (name, value) pairs for the class's __init__
    weights: tuple[str, ...] | None = None  # names of the weight arrays, in layer order
    loss_function: str | None = None
    namespace: dict | None = field(default=None, compare=False, hash=False)  # a notebook cell's: the variables it reads


@dataclass
class Setup:
    """What the check prepared for the learner's code: the network's sizes (given, or to be read from the weights),
    whether it has biases (None: as found), its first batch and initial weights, canonical."""

    sizes: tuple[int, ...]
    sizes_given: bool
    bias: bool | None
    params: list
    X: np.ndarray
    y: np.ndarray
    classes: int
    lr: float | None = None
    l2: float = 0.0
    seed: int = 0
    activation: str | None = None  # the hidden layers' activation, for a training function that takes its name


@dataclass
class Opened:
    """What was found in the learner's file and how the check will call it."""

    kind: str  # "function", "method" or "script"
    name: str
    form: Form
    sizes: tuple[int, ...]
    bias: bool
    words: list[str] = field(default_factory=list)  # what was bound to what, how the object was made
    takes_masks: bool = False
    requires_masks: bool = False
    step: scripts.Step | None = None  # a script's first step, as it ran
    printed: str = ""
    has_loss_function: bool = False  # --loss-function gives finite differences a loss
    strength: tuple[str, float] | None = None  # an L2 strength in their code: (where, value), e.g. ("reg in your file", 0.001)


@dataclass
class Traced:
    """A traced call: every value its statements wrote, and what it gave back (read as gradients)."""

    records: list[Record]
    got: Returned | None


class Side:
    """One learner target, opened once, called many times."""

    def __init__(self, source, options: Options):
        self.source, self.options = source, options
        self.caller: Caller | None = None
        self.loss_caller: Caller | None = None
        self.module: Module | None = None
        self.opened: Opened | None = None
        self.adapters: list = []

    def open(self, setup: Setup) -> Opened:
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            opened = self._open(setup)
        opened.printed = out.getvalue()[:PRINTED]
        self.opened = opened
        return opened

    def _open(self, setup: Setup) -> Opened:
        fn, owner, patches = self.source, None, getattr(self.source, "learner_patches", None)
        name = self.options.function
        if isinstance(self.source, str):
            path = self.source
            if name is None and not callables.defines(path, "loss_and_grads"):
                expected = "a Python file: a training script, or one defining loss_and_grads(params, X, y)"
                self.module = Module(path, expected, script=True, namespace=self.options.namespace)
                return self._open_script(setup)
            self.module = Module(path, f"a Python file defining {name or 'loss_and_grads'}(params, X, y)")
            owner, fn = self.module.find(name or "loss_and_grads")
            patches = self.module.patches
        elif inspect.ismethod(fn):
            owner = fn.__self__
        module = self.module.module if self.module else inspect.getmodule(fn)
        if inspect.isclass(fn) or owner is not None:
            return self._open_method(fn, owner, setup, patches, module)
        if callables.trains(fn):
            return self._open_run(fn, None, setup, patches, module, [])
        callables.callable_as_a_gradient(fn, name or getattr(fn, "__name__", "your function"))
        self.caller = Caller(fn, self.options.form, patches, None, module)
        words, sizes, bias = [], setup.sizes, setup.bias is not False
        template = callables.template(fn, module, setup, self.options.form.layout if self.options.form_given else None)
        if template is not None:
            self.caller.template = template
            words, sizes, bias = template[2].words(template[0]), template[2].sizes, template[2].bias
        loss_fn = self.options.loss_function
        if isinstance(loss_fn, str):
            _, loss_fn = self.module.find(loss_fn)
        if loss_fn is not None:
            self.loss_caller = Caller(loss_fn, self.options.form, getattr(loss_fn, "learner_patches", patches), None, module)
        return Opened(
            "function", self.caller.name, self.options.form, sizes, bias, words, takes_masks=callables.takes_masks(fn),
            requires_masks=callables.requires_masks(fn), has_loss_function=loss_fn is not None, strength=binding.find_l2(fn, None, module),
        )  # fmt: skip

    def _open_method(self, fn, owner, setup: Setup, patches, module) -> Opened:
        """A method: of an object their file made (obj.method), of one the check makes (Class.method)."""
        words = []
        if inspect.isclass(owner) or inspect.isclass(fn):
            cls = owner if inspect.isclass(owner) else fn
            method_name = fn.__name__ if not inspect.isclass(fn) else "__call__"
            given = dict(self.options.init_args)
            instance, said = binding.make(cls, setup.sizes, setup.X, setup.y, setup.lr, setup.l2, setup.seed, given, module)
            words.append(f"{cls.__name__}({', '.join(said)})" if said else f"{cls.__name__}()")
        else:
            instance, method_name = owner, fn.__name__
            for key, value in self.options.init_args:  # an object their file made: what --init-args names, set on it
                if not hasattr(instance, key):
                    raise LearnerError(f"--init-args {key}: {type(instance).__name__} has no attribute {key} to set")
                setattr(instance, key, getattr(module, value.name) if isinstance(value, binding.Name) else value)
                words.append(f"{key} = {getattr(instance, key)!r} set on your {type(instance).__name__}")
        found = slots.leaves(instance, skip=slots.SKIP_ROOTS)
        sizes = None if not setup.sizes_given else setup.sizes
        layout = self.options.form.layout if self.options.form_given else None
        chains = layer_search.chains(found, sizes, layout=layout, bias=setup.bias)
        trains = callables.trains(getattr(instance, method_name), method=True)
        if trains and (not chains and not found or callables.epochs(getattr(instance, method_name))):  # it trains its own weights
            return self._open_run(getattr(instance, method_name), instance, setup, patches, module, words)
        if not chains:
            seen = ", ".join(f"{leaf.where('self')} {leaf.shape}" for leaf in found) or "none"
            raise LearnerError(f"{type(instance).__name__} holds no arrays that chain into layers; arrays found: {seen}")
        where = layer_search.bind(found, chains[0], layout=layout, bias=setup.bias, names=self.options.weights)
        words += where.words("self")
        form = replace(self.options.form, layout="columns" if where.columns else "rows")
        if not self.options.form_given:
            form = replace(form, layout="columns" if where.columns else "rows")
        self.caller = MethodCaller(instance, method_name, where, form, patches, module)
        if self.caller.before_calls:
            words.append(f"{', '.join(m + '()' for m in self.caller.before_calls)} run first: {method_name}() reads what it sets")
        method = getattr(instance, method_name)
        return Opened(
            "method",
            self.caller.name,
            form,
            where.sizes,
            where.bias,
            words,
            callables.takes_masks(method),
            strength=binding.find_l2(method, instance, module),
        )

    def _open_run(self, fn, instance, setup: Setup, patches, module, words: list[str]) -> Opened:
        """A training function or method (the weights made inside it, its own loop): called on the check's data, run
        to its first step, checked as a script is."""
        name = f"{type(instance).__name__}.{fn.__name__}" if instance is not None else fn.__name__
        given = dict(self.options.init_args)
        if instance is not None:  # --init-args made the object: the method takes those of them it names
            given = {k: v for k, v in given.items() if k in {p.name for p in roles.parameters(fn)}}
        onehot = (
            np.ndim(setup.y) == 2 and setup.y.shape[1] > 1 and np.all((setup.y == 0) | (setup.y == 1)) and np.all(setup.y.sum(axis=1) == 1)
        )
        columns = self.options.form_given and self.options.form.layout == "columns"
        for k, y in enumerate([np.argmax(setup.y, axis=1), setup.y] if onehot else [setup.y]):  # fit(X, y) takes labels, as scikit-learn's
            X, y = (setup.X.T, y.T if np.ndim(y) == 2 else y) if columns else (setup.X, y)  # samples as columns, as declared
            kwargs, said = binding.run_arguments(
                fn, name, setup.sizes, X, y, setup.lr, setup.l2, setup.seed, given, module, setup.activation
            )
            scope = {
                **(vars(module) if module is not None else {}),
                **{f"{name}({k})": v for k, v in kwargs.items()},
            }  # its globals, what it was handed
            try:
                run = scripts.run_call(fn, kwargs, folder_of(fn), patches, name, scope)
                break
            except LearnerError:
                if k or not onehot:
                    raise
        step = scripts.first_step(run, setup, self.options.form.layout if self.options.form_given else None)
        self.step = step
        words = words + ([f"{name}({', '.join(said)}) run to its first step"] if said else [f"{name}() run to its first step"]) + step.words
        strength = binding.find_l2(fn, instance, module)
        return Opened("script", name, step.form, step.sizes, step.bias, words, step=step, strength=strength)

    def _open_script(self, setup: Setup) -> Opened:
        step = scripts.first_step(scripts.of_module(self.module), setup, self.options.form.layout if self.options.form_given else None)
        self.step = step
        return Opened(
            "script",
            self.module.path.name,
            step.form,
            step.sizes,
            step.bias,
            step.words,
            step=step,
            strength=binding.find_l2(None, None, self.module.module),
        )

    def call(self, batch: Batch) -> Returned:
        """One call on a batch, what it printed kept with what it gave back."""
        if self.caller is None:
            raise LearnerError("a script is checked on the step it takes itself: it cannot be called again")
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            got = self.caller.call(batch)
        got.printed = out.getvalue()[:PRINTED]
        return got

    def adapter(self, optimizer: str, name: str | None, hyper: dict) -> tuple[int, dict]:
        """A fresh adapter of their update rule (the optimizer check), kept here; its number and what the report
        says of it."""
        from compare.optimizer_check import shapes
        from compare.optimizer_check.check import find

        if self.module is None:
            self.module = Module(self.source, f"a Python file defining your {optimizer} update")
        fn = find(self.source, optimizer, name, module=self.module.module)
        made = shapes.recognise(fn, optimizer, hyper)
        self.adapters.append(made)
        return len(self.adapters) - 1, {k: getattr(made, k) for k in ("name", "shape", "passed", "left")}

    def step_adapter(self, number: int, method: str, args: tuple):
        """One method of an adapter made here (start, step, layout, restore), with its tensors."""
        with guarded(self.module.patches if self.module else None):
            return getattr(self.adapters[number], method)(*args)

    def losses(self, batches: list[Batch]) -> list[float | None]:
        """The learner's own loss at each batch's weights (their --loss-function, or what their function returns)."""
        out = []
        with contextlib.redirect_stdout(io.StringIO()):
            for b in batches:
                caller = self.loss_caller or self.caller
                try:
                    if caller is self.loss_caller:
                        out.append(self._loss_value(caller, b))
                    else:
                        out.append(caller.call(b).loss)
                except LearnerError:
                    out.append(None)
        return out

    def _loss_value(self, caller: Caller, b: Batch) -> float:
        values = []
        for i, (Xs, ys) in enumerate(caller.form.samples(b.X, b.y, b.classes)):
            masks = caller.form.masks_in(b.masks, i if caller.form.per_sample else None) if b.masks is not None else None
            args = caller.arguments(caller.form.params_in(b.params), Xs, ys, masks, b.lr, b.l2)
            got = caller.run(args)
            got = got[0] if isinstance(got, (tuple, list)) else got
            values.append(float(np.asarray(got).reshape(())))
        return float(np.mean(values))

    def trace(self, batch: Batch) -> Traced:
        """The call re-run under the tracer, on the batch's first sample alone with --per-sample: what its statements
        wrote, and what it gave back."""
        if self.caller is None:
            return Traced(self.step.records, self.step.got)
        if self.caller.form.per_sample:
            batch = replace(batch, X=batch.X[:1], y=batch.y[:1], masks=None if batch.masks is None else [m[:1] for m in batch.masks])
        folder = self.module.folder if self.module else folder_of(self.caller.fn)
        watch = Watch(folder)
        got = None
        with contextlib.redirect_stdout(io.StringIO()), guarded(self.caller.patches):
            try:
                got = watch.run(self.caller.call, batch)
            except Exception:
                pass  # their function raised before: the check reported it already
        return Traced(watch.records, got)
