"""mlp-compare gradcheck: gradients only, every framework and finite differences, per tensor."""

from __future__ import annotations

import argparse

from compare.commands.flags import add_exact_flag, add_spec_flags, spec_from_args
from compare.errors import UsageError
from compare.experiment import pipeline
from compare.io import console

EXAMPLES = """examples:
  mlp-compare gradcheck                                  # the beginner network
  mlp-compare gradcheck --layers 2,16,16,1 --activation relu --loss bce
  mlp-compare gradcheck --dataset digits --layers 64,128,10 --loss ce --fd-entries 20

Gradients are taken at the initial weights on the first mini-batch. Finite differences are central,
in float64, with h = 1e-6, graded as in CS231n (<=1e-7 good, <=1e-4 acceptable, <=1e-2 suspicious,
above: wrong); a step that crosses a ReLU kink is counted as a kink, not an error. Each pair's difference is
held against what round-off can explain (a bound derived from the network: of_bound <= 1 passes), each
framework against the exact gradients (quad precision), in ulps of its dtype.
exit status: 0 all agree; 1 a tensor disagrees; 2 bad input.
"""


def add_parser(sub) -> None:
    p = sub.add_parser(
        "gradcheck",
        help="compare gradients only (all frameworks and finite differences)",
        description=__doc__,
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_spec_flags(p)
    p.add_argument(
        "--fd-entries",
        type=int,
        metavar="N",
        help="finite differences on a seeded sample of N entries per tensor (default: all up to 2000 parameters, else 30)",
    )
    add_exact_flag(p, "auto and on take the exact first gradients (one step), off none")


def main(args: argparse.Namespace) -> int:
    spec = spec_from_args(args)
    if args.fd_entries is not None and args.fd_entries < 1:
        raise UsageError(f"--fd-entries: got {args.fd_entries}; expected a whole number >= 1")
    result = pipeline.gradients(spec, fd_entries=-1 if args.fd_entries is None else args.fd_entries, exact=args.exact)
    console.console.print(f"[bold]mlp-compare gradcheck[/]: {spec.short()}, first mini-batch of {spec.batch_size}")
    first = result.first_failing_tensor()
    console.print_table("Gradients per tensor, output layer first", console.shown_gradients(result.tables["gradients"]))
    for pair, tensor in first.items():
        if tensor:
            console.console.print(f"{pair}: first failing tensor walking back from the output: {tensor}", highlight=False)
    ok = all(t is None for t in first.values())
    console.console.print("All gradients agree." if ok else "Some gradients disagree.", highlight=False)
    return 0 if ok else 1
