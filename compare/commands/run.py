"""mlp-compare run: train the three implementations from the same weights and compare them."""

from __future__ import annotations

import argparse
from pathlib import Path

from compare.commands.flags import add_exact_flag, add_spec_flags, spec_from_args
from compare.experiment import pipeline
from compare.experiment.to_bundle import run_to_bundle
from compare.explain import search
from compare.io import bundle, console

EXAMPLES = """examples:
  mlp-compare run                                    # the beginner network 2-4-1 on moons
  mlp-compare run --layers 2,16,16,1 --activation tanh --loss bce --optimizer adam --lr 0.01
  mlp-compare run --dataset digits --layers 64,32,10 --loss ce --activation relu --lr 0.1 --epochs 5
  mlp-compare run --dataset data.csv --target label --layers 4,8,3 --loss ce --out runs/mine
  mlp-compare run --optimizer adam --lr 0.01 --explain       # name why torch and tensorflow differ
  mlp-compare run --defaults native                          # each framework on its own defaults, explained

exit status: 0 every pair that should agree does (--defaults native: every gap is explained);
1 a pair disagrees or a loss became NaN/inf; 2 bad input (--out another run is writing, or that exists
without --force); 130 Ctrl-C, 143 SIGTERM (nothing written).
"""
NATIVE_NOTE = (
    "--defaults native: torch and TensorFlow started from their own initial weights and default hyperparameters, "
    "so no pair with them is expected to agree; the lines above say what accounts for each gap."
)


def add_parser(sub) -> None:
    p = sub.add_parser(
        "run",
        help="train all three frameworks and compare gradients and loss curves",
        description=__doc__,
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_spec_flags(p)
    p.add_argument("--out", metavar="DIR", help="bundle folder to write (default: runs/<time>-<spec>)")
    p.add_argument("--force", action="store_true", help="replace --out if it exists and is not empty")
    add_exact_flag(
        p, "auto (default) takes the first gradients and as many steps of the curve as cost <= 20%% of the training, on all steps, off none"
    )
    p.add_argument("--explain", action="store_true", help="after the run, name the convention that explains each disagreement")
    p.add_argument(
        "--defaults",
        choices=pipeline.DEFAULTS,
        default="aligned",
        help="aligned (default): every framework on the spec's values; native: torch and TensorFlow on their own "
        "default hyperparameters and initial weights, as a learner meets them",
    )


def main(args: argparse.Namespace) -> int:
    spec = spec_from_args(args)
    out = Path(args.out) if args.out else bundle.default_dir(spec)

    def bars(names: list[str], epochs: int):  # once --out is claimed and the data are read
        console.console.print(f"[bold]mlp-compare run[/]: {spec.short()}, {spec.epochs} epochs, batch {spec.batch_size}")
        return console.progress_bars(names, epochs)

    result = run_to_bundle(spec, out, args.force, progress=bars, cli=True, defaults=args.defaults, exact=args.exact)
    console.print_run(result)
    ok = result.ok
    if args.explain or args.defaults == "native":
        explanation = search.explain_result(result)
        console.print_explanation(explanation)
        if args.defaults == "native":
            console.say(NATIVE_NOTE)
            ok = ok and explanation.explained
    console.say(f"bundle: {out}/ (report.md, curves.csv, plots; mlp-compare verify {out} re-checks it)")
    return 0 if ok else 1
