"""check_optimizer: the learner's update rule on random gradients and, with steps, on the real MLP, against
the NumPy reference in each convention, torch.optim and Keras; the convention named or the slip diagnosed."""

from __future__ import annotations

from compare.errors import UsageError
from compare.optimizer_check import diagnose, shapes, stepping, training
from compare.optimizer_check.report import Report
from compare.shared.spec import Spec

# A learning rate for each optimizer when none is given (the spec's 0.5 is the beginner network's SGD rate).
DEFAULT_LR = {"sgd": 0.1, "momentum": 0.05, "nesterov": 0.05, "adam": 0.01, "rmsprop": 0.01}
HYPER = ("lr", "momentum", "beta1", "beta2", "eps", "rho")
TENSOR_NAMES = ("W1", "b1", "W2", "b2", "W3", "b3")
SAME = {"torch": {"numpy", "torch"}, "keras": {"numpy-keras", "tensorflow"}, "ema": {"numpy-ema"}}


def check_optimizer(fn, spec: Spec, *, steps: int = 0, random_steps: int = 12, seed: int = 0) -> Report:
    """Step fn (a CS231n function, a deeplearning.ai function, or an nnfs/step class) with spec.optimizer's
    hyperparameters on a fixed random gradient sequence, then (steps > 0) train spec's MLP with it."""
    if steps < 0:
        raise UsageError(f"--steps {steps}: expected a whole number >= 0")
    if spec.dtype != "float64":
        raise UsageError(f"--dtype {spec.dtype}: the optimizer check runs in float64, where round-off cannot hide a slip")
    o = spec.optimizer
    hyper = {k: getattr(spec, k) for k in HYPER}
    adapter = shapes.recognise(fn, o, hyper)
    start, grads = stepping.random_problem(random_steps, seed)
    start, grads = adapter.layout(start), [adapter.layout(g) for g in grads]
    names = list(TENSOR_NAMES[: len(start)])
    yours = stepping.learner_run(adapter, start, grads, names)
    refs = diagnose.conventions(o, hyper, start, grads)
    runs = stepping.frameworks(o, hyper, start, grads, [n for n in ("torch", "tensorflow") if n in spec.frameworks])
    finding = diagnose.diagnose(o, hyper, start, grads, yours, names, refs)
    table = diagnose.step_table(yours, start, refs, runs)
    shapes_used = [str(tuple(t.shape)) for t in start]
    runs_table = curves = None
    if steps:
        same = set().union(*(SAME[c] for c in finding.matched)) if finding.ok else set()
        runs_table, curves = training.train(shapes.recognise(fn, o, hyper), spec, steps, same)
    return Report(spec, adapter.shape, adapter.passed, adapter.left, dict(zip(names, shapes_used)), table, finding, runs_table, curves)
