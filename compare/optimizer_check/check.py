"""check_optimizer: the learner's update rule on random gradients and, with steps, on the real MLP, against
the NumPy reference in each convention, torch.optim and Keras; the convention named or the slip diagnosed."""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

from compare.errors import LearnerError, UsageError
from compare.learner.loading import Module
from compare.optimizer_check import diagnose, names, shapes, stepping, training
from compare.optimizer_check.report import Report
from compare.shared.spec import Spec

# A learning rate for each optimizer when none is given (the spec's 0.5 is the beginner network's SGD rate).
DEFAULT_LR = {"sgd": 0.1, "momentum": 0.05, "nesterov": 0.05, "adam": 0.01, "rmsprop": 0.01}
HYPER = ("lr", "momentum", "beta1", "beta2", "eps", "rho")
TENSOR_NAMES = ("W1", "b1", "W2", "b2", "W3", "b3")
SAME = {"torch": {"numpy", "torch"}, "keras": {"numpy-keras", "tensorflow"}, "ema": {"numpy-ema"}}


def find(path: str | Path, optimizer: str, name: str | None = None, module=None):
    """The learner's update rule: the named function or class, else the first of the optimizer's usual names; from
    their file, or from its `module` where it is loaded already (their backprop's, run once)."""
    if module is None:
        module = Module(path, f"a Python file defining your {optimizer} update").module
    defined = sorted(k for k, v in vars(module).items() if callable(v) and getattr(v, "__module__", None) == module.__name__)
    hint = f"; it defines {', '.join(defined)} (choose one with --function)" if defined else ""
    if name:
        if not callable(getattr(module, name, None)):
            raise LearnerError(f"{path}: no function {name!r}{hint}")
        return getattr(module, name)
    for candidate in names.NAMES[optimizer]:
        if callable(getattr(module, candidate, None)):
            return getattr(module, candidate)
    raise LearnerError(f"{path}: none of {', '.join(names.NAMES[optimizer])} for --optimizer {optimizer}{hint}")


def check_optimizer(fn, spec: Spec, *, steps: int = 0, random_steps: int = 12, seed: int = 0, gradients=None, adapter=None) -> Report:
    """Step fn (a CS231n function, a deeplearning.ai function, or an nnfs/step class) with spec.optimizer's
    hyperparameters on a fixed random gradient sequence, then (steps > 0) train spec's MLP with it, on our
    gradients or on `gradients(params, X, y) -> (loss, [(dW, db), ...])`, the learner's own backprop.
    adapter: () -> a fresh adapter of their update (shapes.recognise(fn, ...) here; in the process running their
    code, from the command line)."""
    if steps < 0:
        raise UsageError(f"--steps {steps}: expected a whole number >= 0")
    if spec.dtype != "float64":
        raise UsageError(f"--dtype {spec.dtype}: the optimizer check runs in float64, where round-off cannot hide a slip")
    o = spec.optimizer
    hyper = {k: getattr(spec, k) for k in HYPER}
    fresh = adapter or (lambda: shapes.recognise(fn, o, hyper))
    adapter = fresh()
    start, grads = stepping.random_problem(random_steps, seed)
    start, grads = adapter.layout(start), [adapter.layout(g) for g in grads]
    tensor_names = list(TENSOR_NAMES[: len(start)])
    with contextlib.redirect_stdout(io.StringIO()):  # their prints, once per tensor per step, are not the report
        yours = stepping.learner_run(adapter, start, grads, tensor_names)
    refs = diagnose.conventions(o, hyper, start, grads)
    runs = stepping.frameworks(o, hyper, start, grads, [n for n in ("torch", "tensorflow") if n in spec.frameworks])
    finding = diagnose.diagnose(o, hyper, start, grads, yours, tensor_names, refs)
    table = diagnose.step_table(yours, start, refs, runs)
    shapes_used = [str(tuple(t.shape)) for t in start]
    runs_table = curves = None
    if steps:
        same = set().union(*(SAME[c] for c in finding.matched)) if finding.ok else set()
        with contextlib.redirect_stdout(io.StringIO()):
            runs_table, curves = training.train(fresh(), spec, steps, same, gradients)
    tensors = dict(zip(tensor_names, shapes_used))
    return Report(
        spec, adapter.name, gradients is not None, adapter.shape, adapter.passed, adapter.left, tensors, table, finding, runs_table, curves
    )
