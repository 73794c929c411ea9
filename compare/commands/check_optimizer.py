"""mlp-compare check-optimizer: a learner's own SGD/momentum/Nesterov/Adam/RMSprop step against torch.optim, Keras
and the NumPy reference in both conventions; the convention named, or the slip diagnosed."""

from __future__ import annotations

import argparse
import os

from compare.commands.flags import add_spec_flags, spec_from_args
from compare.errors import UsageError
from compare.optimizer_check.check import DEFAULT_LR, check_optimizer, find
from compare.shared.spec import OPTIMIZERS, require_biases

EXAMPLES = """your file defines, in any of the shapes courses teach (another name with --function):
  def adam(w, dw, config=None):                   # CS231n: one tensor, state and hyperparameters in config
      ...; return next_w, config
  def update_parameters_with_adam(parameters, grads, v, s, t, learning_rate, beta1, beta2, epsilon):
      ...; return parameters, v, s                # deeplearning.ai: dicts W1, b1, ... and dW1, db1, ...
  class Optimizer_Adam:                           # nnfs: pre_update_params(), update_params(layer), post_update_params()
  class Adam:                                     # or a class with step(params, grads), in place

examples:
  mlp-compare check-optimizer my_optim.py --optimizer adam --lr 0.001
  mlp-compare check-optimizer my_optim.py --optimizer momentum --function update_parameters_with_momentum --momentum 0.9
  mlp-compare check-optimizer my_optim.py --optimizer rmsprop --steps 50 --layers 2,8,1   # train 50 steps of the MLP

exit status: 0 right (in torch's, Keras's or the course's own convention), 1 wrong (the slip named), 2 bad input
"""


def add_parser(sub) -> None:
    p = sub.add_parser(
        "check-optimizer",
        help="check your own optimizer step (SGD, momentum, Nesterov, Adam, RMSprop) against torch.optim and Keras",
        description=__doc__,
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("file", help="your Python file (NumPy only) defining the update rule")
    p.add_argument("--function", metavar="NAME", help="the function or class to check (default: found by the optimizer's usual names)")
    p.add_argument(
        "--steps",
        type=int,
        default=10,
        metavar="N",
        help="train the MLP N steps with your optimizer and our gradients (default 10; 0: random gradients only)",
    )
    add_spec_flags(p)


def main(args: argparse.Namespace) -> int:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # TensorFlow's start-up log lines are noise here
    if args.optimizer is None:
        raise UsageError(f"--optimizer is required; expected one of {', '.join(OPTIMIZERS)}")
    if args.lr is None and args.optimizer in DEFAULT_LR:
        args.lr = DEFAULT_LR[args.optimizer]
    spec = spec_from_args(args)
    require_biases(spec.bias, "mlp-compare check-optimizer")
    fn = find(args.file, spec.optimizer, args.function)
    report = check_optimizer(fn, spec, steps=args.steps)
    report.print()
    return 0 if report.ok else 1
