"""mlp-compare run: train the three implementations from the same weights and compare them."""

from __future__ import annotations

import argparse

from compare.commands.flags import add_spec_flags, spec_from_args
from compare.experiment import implementations
from compare.explain import search
from compare.io import console

EXAMPLES = """examples:
  mlp-compare run                                    # the beginner network 2-4-1 on moons
  mlp-compare run --layers 2,16,16,1 --activation tanh --loss bce --optimizer adam --lr 0.01
  mlp-compare run --dataset digits --layers 64,32,10 --loss ce --activation relu --lr 0.1 --epochs 5
  mlp-compare run --dataset data.csv --target label --layers 4,8,3 --loss ce --out runs/mine
  mlp-compare run --optimizer adam --lr 0.01 --explain       # name why torch and tensorflow differ
  mlp-compare run --defaults native                          # each framework on its own defaults, explained

exit status: 0 every pair that should agree does (--defaults native: every gap is explained);
1 a pair disagrees or a loss became NaN/inf; 2 bad input.
"""


def add_parser(sub) -> None:
    p = sub.add_parser("run", help="train all three frameworks and compare gradients and loss curves",
                       description=__doc__, epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    add_spec_flags(p)
    p.add_argument("--out", metavar="DIR", help="bundle folder to write (default: runs/<time>-<spec>)")
    p.add_argument("--force", action="store_true", help="replace --out if it exists and is not empty")
    search.add_run_flags(p)


def print_gradients(result) -> None:
    """The worst tensor per pair, and the first failing tensor walking back from the output."""
    grads = result.gradient_table()
    if not len(grads):
        return
    first = result.first_failing_tensor()
    ok = grads[grads["status"] != "not installed"]
    worst = ok.loc[ok.groupby("pair", sort=False)["max_rel"].idxmax()] if len(ok) else ok
    table = worst[["pair", "max_abs", "max_rel", "cosine", "tolerance"]].copy()
    table["first_failing"] = [first.get(p) or "-" for p in table["pair"]]
    table["pass"] = [first.get(p) is None for p in table["pair"]]
    missing = grads[grads["status"] == "not installed"][["pair"]].assign(first_failing="not installed")
    console.print_table("Gradients at the initial weights, first mini-batch (worst tensor per pair)", console.concat(table, missing))


def summarise(result) -> None:
    """Print the gradient, curve and metrics tables of a Result, then the verdict."""
    print_gradients(result)
    agree = result.agreement_table()
    if len(agree):
        columns = ["pair", "should_agree", "max_abs", "max_rel", "first_divergent_step", "final_weights_max_abs", "pass", "status"]
        agree = agree.assign(should_agree=agree["should_agree"].map({True: "yes", False: "no: rules differ"}))
        console.print_table("Loss curves, every step", agree[columns])
    console.print_table(f"Final metrics after {result.spec.epochs} epochs", result.metrics_table())
    for line in console.verdict_lines(result, result.tables):
        console.console.print(line, markup=False, highlight=False)


def main(args: argparse.Namespace) -> int:
    from compare.io import bundle

    spec = spec_from_args(args)
    out = bundle.Path(args.out) if args.out else bundle.default_dir(spec)
    bundle.check_target(out, args.force)
    console.console.print(f"[bold]mlp-compare run[/]: {spec.short()}, {spec.epochs} epochs, batch {spec.batch_size}")
    with bundle.staging(out) as staged:  # the curves stream into it during training; removed if anything fails
        with console.progress_bars([n for n in implementations.runs_for(spec) if implementations.installed(n)], spec.epochs) as on_epoch:
            result = search.run_for(args, spec, on_epoch=on_epoch, stream_to=staged)
        summarise(result)
        ok = explain_if_asked(args, result)
        bundle.save(result, out, force=args.force, staged=staged)
    console.console.print(f"bundle: {out}/ (report.md, curves.csv, plots)", highlight=False)
    return 0 if ok else 1


def explain_if_asked(args: argparse.Namespace, result) -> bool:
    """With --explain or --defaults native, name what reproduces each framework; whether the run passed
    (--defaults native: whether every gap is explained)."""
    ok = result.ok
    if search.asked(args):
        explanation = search.explain_result(result)
        console.print_table("What reproduces each framework", explanation.table)
        console.console.print(explanation.text(), markup=False, highlight=False, soft_wrap=True)
        if args.defaults == "native":
            console.console.print("--defaults native: torch and TensorFlow started from their own initial weights and "
                                 "default hyperparameters, so the differences above are expected; the lines above say what "
                                 "accounts for each.", highlight=False, soft_wrap=True)  # fmt: skip
            ok = all(f.explained for f in explanation.findings.values()) and all(h.ok for h in result.histories.values())
    return ok
