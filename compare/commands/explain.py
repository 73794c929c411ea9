"""mlp-compare explain: name the convention that explains each framework's curve in a run bundle."""

from __future__ import annotations

import argparse

from compare.errors import BundleError, SpecError, UsageError
from compare.explain import search
from compare.io import console

EXAMPLES = """examples:
  mlp-compare run --optimizer adam --lr 0.01 --out runs/adam && mlp-compare explain runs/adam
  mlp-compare run --defaults native --explain                   # the same, in one go

The NumPy reference is re-run from the bundle's spec, data, initial weights and schedule under each known
convention switch (Adam/RMSprop eps placement, momentum form, each optimizer default on its own, momentum
dampening, Nesterov or not, hyperparameters rounded to float32, coupled or decoupled weight decay, L2 through
weight_decay, torch's 1e-6 in the clip norm, loss summed instead of averaged, probabilities clipped as Keras or
clamped as torch, batch norm's learned scale and shift, the training tricks' defaults, Keras fit's sample order,
each framework's own defaults, float32 arithmetic), alone and in combinations of up to three, and compared with
each framework's loss curve to the tolerance of the framework's own dtype (float32 only where its losses are
float32 numbers), its first-batch gradients to the round-off bound derived from the network, and with batch
norm its eval-mode losses after training. No switch widens the tolerance, a switch that changes nothing on the
spec is never named, the smallest set wins. Exit 0 when every framework is explained, 1 when one is not.
"""


def add_parser(sub) -> None:
    p = sub.add_parser(
        "explain",
        help="say which convention explains each disagreement in a run bundle",
        description=__doc__,
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("run_dir", metavar="RUN_DIR", help="a folder written by 'mlp-compare run --out'")


def main(args: argparse.Namespace) -> int:
    try:
        explanation = search.explain_dir(args.run_dir)
    except SpecError as e:
        raise UsageError(f"{args.run_dir}/spec.json: {e}") from None
    except BundleError:
        raise
    except (OSError, KeyError, ValueError) as e:  # a file of the bundle that cannot be read
        raise UsageError(f"{args.run_dir}: cannot read the run bundle ({e})") from None
    if not explanation.findings:
        raise UsageError(f"{args.run_dir}: only the NumPy reference is in this bundle; nothing to explain")
    console.console.print(f"[bold]mlp-compare explain[/]: {explanation.spec.short()}")
    console.print_explanation(explanation)
    return 0 if explanation.explained else 1
