"""mlp-compare check: a learner's own backprop — a function, a class's method, or a training script — against the
reference, PyTorch, TensorFlow and finite differences; their code runs in a child process."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from compare.commands.flags import add_spec_flags, spec_from_args
from compare.errors import UsageError
from compare.learner import binding
from compare.learner.child import MEMORY_GB, TIMEOUT, ChildSide
from compare.learner.layouts import CONTAINERS, LAYOUTS, TARGETS, Form
from compare.learner.side import Options

EXAMPLES = """what it checks in your file:
  def loss_and_grads(params, X, y):      the default (another function: --function NAME)
      # params: list of (W, b) per layer, W of shape (fan_in, fan_out), b of shape (fan_out,)
      # X: (N, fan_in); y: float (N, outputs) for mse and bce, int labels (N,) for ce
      # returns (loss, grads), the gradients alone, or takes the step itself (W -= lr * dW) and returns nothing
  --function NeuralNetwork.backprop       a method: the check makes the object from what its __init__ takes and
                                          finds the weights among its attributes (any names, either layout)
  --function net.train                   a method of an object your file makes
  no loss_and_grads and no --function    your file is a training script: run until its weights first change

examples:
  mlp-compare check examples/beginner_mlp.py --layers 2,3,1 --activation sigmoid --output sigmoid --loss mse
  mlp-compare check my_mlp.py --function backprop --layers 2,8,8,3 --activation relu --loss ce --dataset blobs
  mlp-compare check my_mlp.py --layers 2,3,1 --steps 200      # also train with your gradients and plain SGD
  mlp-compare check examples/styles/loy.py --function NeuralNetwork.backprop --frameworks numpy
  mlp-compare check examples/styles/case_study.py --activation relu --loss ce --frameworks numpy
  mlp-compare check dlai.py --layout columns --params dict --layers 2,4,1   # deeplearning.ai: X (features, m), W1, b1 (n, 1)
  mlp-compare check nielsen.py --function backprop --layout columns --per-sample --params lists --layers 2,3,2
  mlp-compare check cs231n_twolayer.py --function TwoLayerNet.loss --activation relu --loss ce --l2 0.1 --layers 2,5,3

exit status: 0 right, 1 wrong (the table and the diagnosis say where and why), 2 bad input or code that could not be
judged (it ran out of time or memory, or ended the process)
"""


def add_parser(sub) -> None:
    p = sub.add_parser(
        "check",
        help="check your own from-scratch backprop (a function, a class, a script): per-tensor verdict, the mistake and the line",
        description=__doc__,
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("file", help="your Python file (NumPy only): a function, a class, or a training script")
    p.add_argument(
        "--function", metavar="NAME", help="a function, Class.method or object.method (default: loss_and_grads, else the file as a script)"
    )
    p.add_argument(
        "--steps", type=int, default=0, metavar="N", help="also train N steps with your gradients and plain SGD against the frameworks"
    )
    p.add_argument(
        "--optimizer-function",
        metavar="NAME",
        help="also train with your backprop and your own optimizer NAME (see check-optimizer) for --steps (default 10) steps",
    )
    g = p.add_argument_group("how your code is written (found from the code where not given)")
    g.add_argument(
        "--layout",
        choices=LAYOUTS,
        help="rows: X (N, fan_in), W (fan_in, fan_out); columns: X (fan_in, N), W (fan_out, fan_in), b (fan_out, 1)",
    )
    g.add_argument(
        "--params",
        choices=CONTAINERS,
        help="what your function is given: a list of (W, b), a dict W1, b1, ..., two lists, or one flat list",
    )
    g.add_argument(
        "--per-sample",
        action="store_true",
        help="call your code once per sample (x of shape (fan_in,), or (fan_in, 1) in columns) and average",
    )
    g.add_argument(
        "--targets", choices=TARGETS, help="ce targets: labels (N,), onehot, or row (1, N) (default: labels in rows, onehot in columns)"
    )
    g.add_argument(
        "--loss-function", metavar="NAME", help="a loss function in your file, called as your gradient function is, for finite differences"
    )
    g.add_argument("--convention", metavar="NAME", help="your loss convention: mean, or half, outputs, sum joined by + (e.g. half+outputs)")
    g.add_argument("--init-args", metavar="ARGS", help="what your class's __init__ takes where it cannot be guessed: 'name=value,...'")
    g.add_argument("--weights", metavar="NAMES", help="the names of your weight arrays in layer order, where two fit: e.g. w1,w2")
    g.add_argument("--no-trace", action="store_true", help="do not re-run your code under the tracer to name the wrong line")
    g = p.add_argument_group("running your code")
    g.add_argument(
        "--timeout", type=float, default=TIMEOUT, metavar="SECONDS", help=f"time your code may take for one request (default {TIMEOUT:g})"
    )
    g.add_argument("--memory", type=float, default=MEMORY_GB, metavar="GB", help=f"memory your code may take (default {MEMORY_GB:g} GB)")
    add_spec_flags(p)


def main(args: argparse.Namespace) -> int:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # TensorFlow's start-up log lines are noise here
    if args.steps < 0:
        raise UsageError(f"--steps {args.steps}: expected a whole number >= 0")
    if args.timeout <= 0 or args.memory <= 0:
        raise UsageError(f"--timeout {args.timeout:g} / --memory {args.memory:g}: expected values > 0")
    path = Path(args.file)
    if not path.is_file():
        raise UsageError(f"{path}: no such file; expected a Python file defining loss_and_grads(params, X, y), or a training script")
    given = any(v is not None for v in (args.layout, args.params, args.targets)) or args.per_sample
    form = Form(args.layout or "rows", args.params or "pairs", args.per_sample, args.targets)
    weights = tuple(n.strip() for n in args.weights.split(",")) if args.weights else None
    options = Options(args.function, form, given, tuple(binding.parse_init_args(args.init_args).items()), weights, args.loss_function)
    learner = ChildSide(str(path.resolve()), options, timeout=args.timeout, memory_gb=args.memory)  # starts loading now
    try:
        return _run(args, learner, options)
    finally:
        learner.close()


def _run(args, learner, options) -> int:
    from compare.io import console
    from compare.learner.grade import check

    if args.layers is None and args.config is None and args.loss == "ce":
        args.layers = (2, 4, 2)  # provisional: a script's or a class's own weights say the layers (moons has two classes)
        layers_given = False
    else:
        layers_given = args.layers is not None or args.config is not None
    spec = spec_from_args(args)
    from compare.learner.callables import defines

    if args.function is None and not defines(args.file, "loss_and_grads"):  # a script: its own layers, data and step
        console.console.print(f"[bold]mlp-compare check[/]: {args.file}, a script run to its first step (its own weights and batch)")
    else:
        what = args.function or "loss_and_grads"
        console.console.print(f"[bold]mlp-compare check[/]: {args.file}:{what} on {spec.short()}, first mini-batch of {spec.batch_size}")
    result = check(
        args.file,
        spec,
        steps=args.steps,
        convention=args.convention,
        trace=not args.no_trace,
        options=options,
        learner=learner,
        sizes_given=layers_given,
        lr=args.lr,
        dataset_given=args.dataset is not None or args.config is not None,
    )
    result.print()
    if args.optimizer_function:  # your backward pass and your update rule together
        from compare.learner.calling import Batch
        from compare.optimizer_check.check import HYPER, check_optimizer

        hyper = {k: getattr(spec, k) for k in HYPER}
        adapter = lambda: learner.adapter(spec.optimizer, args.optimizer_function, hyper)  # noqa: E731
        gradients = lambda p, X, y: _loss_and_grads(learner.call(Batch(p, X, y, None, spec.layers[-1])))  # noqa: E731
        report = check_optimizer(None, spec, steps=args.steps or 10, gradients=gradients, adapter=adapter)
        report.print()
        return 0 if result.ok and report.ok else 1
    return 0 if result.ok else 1


def _loss_and_grads(got) -> tuple:
    """What the optimizer check trains with: (loss, [(dW, db), ...]) in canonical rows."""
    return got.loss, got.grads
