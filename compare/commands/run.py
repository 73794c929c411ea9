"""mlp-compare run: train the three implementations from the same weights and compare them."""

from __future__ import annotations

import argparse

from compare import frameworks, report
from compare.commands.flags import add_spec_flags, spec_from_args

EXAMPLES = """examples:
  mlp-compare run                                    # the beginner network 2-4-1 on moons
  mlp-compare run --layers 2,16,16,1 --activation tanh --loss bce --optimizer adam --lr 0.01
  mlp-compare run --dataset digits --layers 64,32,10 --loss ce --activation relu --lr 0.1 --epochs 5
  mlp-compare run --dataset data.csv --target label --layers 4,8,3 --loss ce
"""


def add_parser(sub) -> None:
    p = sub.add_parser("run", help="train all three frameworks and compare gradients and loss curves",
                       description=__doc__, epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    add_spec_flags(p)


def summarise(result) -> None:
    """Print the gradient, curve and metrics tables of a Result."""
    grads = result.gradient_table()
    if len(grads):
        worst = grads.loc[grads.groupby("pair", sort=False)["max_rel"].idxmax()]
        failing = grads[~grads["pass"]].groupby("pair", sort=False)["tensor"].agg(lambda t: t.iloc[-1])
        table = worst[["pair", "max_abs", "max_rel", "cosine", "tolerance"]].copy()
        table["first_failing_tensor"] = [failing.get(p, "-") for p in table["pair"]]
        table["pass"] = [p not in failing for p in table["pair"]]
        report.print_table("Gradients at the initial weights, first mini-batch (worst tensor per pair)", table)
    agree = result.agreement_table()
    if len(agree):
        agree = agree.assign(should_agree=agree["should_agree"].map({True: "yes", False: "no: update rules differ"}))
        report.print_table("Loss curves, every step", agree)
    report.print_table(f"Final metrics after {result.spec.epochs} epochs", result.metrics_table())


def main(args: argparse.Namespace) -> int:
    from compare.runner import run

    spec = spec_from_args(args)
    report.console.print(f"[bold]mlp-compare run[/]: {spec.short()}, {spec.epochs} epochs, batch {spec.batch_size}")
    with report.progress_bars(frameworks.runs_for(spec), spec.epochs) as on_epoch:
        result = run(spec, on_epoch=on_epoch)
    summarise(result)
    return 0 if result.ok else 1
