"""mlp-compare check: a learner's own loss_and_grads against the reference, PyTorch, TensorFlow and finite differences."""

from __future__ import annotations

import argparse
import os
import sys

from compare.commands.flags import add_spec_flags, spec_from_args
from compare.errors import UsageError
from compare.io import console
from compare.learner.grade import check
from compare.learner.layouts import CONTAINERS, LAYOUTS, TARGETS, Form
from compare.learner.loading import call, load_all
from compare.optimizer_check.check import check_optimizer, find
from compare.shared.spec import require_biases

EXAMPLES = """your file defines (another name with --function):
  def loss_and_grads(params, X, y):
      # params: list of (W, b) per layer, W of shape (fan_in, fan_out), b of shape (fan_out,)
      # X: (N, fan_in); y: float (N, outputs) for mse and bce, int labels (N,) for ce
      # returns (loss, grads): loss = mean over the batch (and the outputs for mse),
      #         grads = list of (dW, db) with the shapes of params
      # it must not change params, X or y
      # with --dropout p, a parameter `masks` gets the step's masks: one per hidden layer, 0 (dropped) or 1/(1 - p)

examples:
  mlp-compare check examples/beginner_mlp.py --layers 2,3,1 --activation sigmoid --output sigmoid --loss mse
  mlp-compare check my_mlp.py --function backprop --layers 2,8,8,3 --activation relu --loss ce --dataset blobs
  mlp-compare check my_mlp.py --layers 2,3,1 --steps 200      # also train with your gradients and plain SGD
  mlp-compare check my_mlp.py --optimizer adam --lr 0.01 --optimizer-function adam   # your backprop with your adam
  mlp-compare check dlai.py --layout columns --params dict --layers 2,4,1   # deeplearning.ai: X (features, m), W1, b1 (n, 1)
  mlp-compare check nielsen.py --function backprop --layout columns --per-sample --params lists --layers 2,3,2
  mlp-compare check dlai_dropout.py --layout columns --params dict --layers 2,4,1 --dropout 0.3   # loss_and_grads(p, X, Y, masks)

exit status: 0 right, 1 wrong (the table and the diagnosis say where and why), 2 bad input
"""


def add_parser(sub) -> None:
    p = sub.add_parser(
        "check",
        help="check your own from-scratch loss_and_grads: per-tensor verdict, first wrong tensor, likely mistake",
        description=__doc__,
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("file", help="your Python file (NumPy only) defining loss_and_grads(params, X, y)")
    p.add_argument("--function", default="loss_and_grads", metavar="NAME", help="the function to check (default: loss_and_grads)")
    p.add_argument(
        "--steps", type=int, default=0, metavar="N", help="also train N steps with your gradients and plain SGD against the frameworks"
    )
    p.add_argument(
        "--optimizer-function",
        metavar="NAME",
        help="also train with your backprop and your own optimizer NAME (see check-optimizer) for --steps (default 10) steps",
    )
    g = p.add_argument_group("how your function is written")
    g.add_argument(
        "--layout",
        choices=LAYOUTS,
        default="rows",
        help="rows: X (N, fan_in), W (fan_in, fan_out); columns: X (fan_in, N), W (fan_out, fan_in), b (fan_out, 1)",
    )
    g.add_argument(
        "--params",
        choices=CONTAINERS,
        default="pairs",
        help="what your function is given: a list of (W, b), a dict W1, b1, ..., two lists (weights, biases), or one flat list [W1, b1, W2, ...]",
    )
    g.add_argument(
        "--per-sample",
        action="store_true",
        help="call your function once per sample (x of shape (fan_in,), or (fan_in, 1) in columns) and average",
    )
    g.add_argument(
        "--targets", choices=TARGETS, help="ce targets: labels (N,), onehot, or row (1, N) (default: labels in rows, onehot in columns)"
    )
    g.add_argument(
        "--loss-function",
        metavar="NAME",
        help="a loss function in your file, called as your gradient function is, for finite differences when it returns gradients only",
    )
    g.add_argument(
        "--convention",
        metavar="NAME",
        help="your loss convention: mean, or half, outputs, sum joined by + (e.g. half+outputs for ½‖ŷ − y‖² per sample)",
    )
    g.add_argument("--no-trace", action="store_true", help="do not re-run your function under the tracer to name the wrong line")
    add_spec_flags(p)


def main(args: argparse.Namespace) -> int:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # TensorFlow's start-up log lines are noise here
    spec = spec_from_args(args)
    require_biases(spec.bias, "mlp-compare check")
    if args.steps < 0:
        raise UsageError(f"--steps {args.steps}: expected a whole number >= 0")
    form = Form(args.layout, args.params, args.per_sample, args.targets)
    names = [args.function] + ([args.loss_function] if args.loss_function else [])
    fn, *loss_function = load_all(args.file, names)
    console.console.print(
        f"[bold]mlp-compare check[/]: {args.file}:{args.function} on {spec.short()}, first mini-batch of {spec.batch_size}"
    )
    result = check(
        fn,
        spec,
        steps=args.steps,
        form=form,
        convention=args.convention,
        loss_function=loss_function[0] if loss_function else None,
        trace=not args.no_trace,
    )
    result.print()
    if args.optimizer_function:  # your backward pass and your update rule together
        update = find(args.file, spec.optimizer, args.optimizer_function, module=sys.modules[fn.__module__])
        report = check_optimizer(
            update, spec, steps=args.steps or 10, gradients=lambda p, X, y: _loss_and_grads(call(fn, p, X, y, form, spec.layers[-1]))
        )
        report.print()
        return 0 if result.ok and report.ok else 1
    return 0 if result.ok else 1


def _loss_and_grads(got) -> tuple:
    """What the optimizer check trains with: (loss, [(dW, db), ...]) in canonical rows."""
    return got.loss, got.grads
