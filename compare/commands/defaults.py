"""mlp-compare defaults: measure, live, every default and convention difference between the frameworks."""

from __future__ import annotations

import argparse

from rich.console import Console

from compare.errors import UsageError
from compare.io import console, formats

EXAMPLES = """examples:
  mlp-compare defaults                                  # the table in the terminal
  mlp-compare defaults --format markdown --output DEFAULTS.md
  mlp-compare defaults --format latex --rows adam,rmsprop --steps 100
  mlp-compare defaults --format csv                     # every measured number, one row per difference

Every number is measured when you run it: a small network (4-16-16-1, tanh, 64 samples, full batch) is
trained for --steps steps in torch and Keras, once with each framework's own default and once aligned,
and the largest parameter difference is reported. oneDNN is measured in fresh TensorFlow processes.
"""


def add_parser(sub) -> None:
    from compare.defaults.table import KEYS

    p = sub.add_parser(
        "defaults",
        help="measure every default/convention difference between PyTorch, Keras and the NumPy reference",
        description=__doc__,
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "--format", choices=formats.FORMATS, help="markdown, csv, latex or html (default: a terminal table; with --output, from its suffix)"
    )
    p.add_argument("--output", metavar="FILE", help="write the table to FILE instead of the terminal")
    p.add_argument("--rows", help=f"comma-separated subset of: {', '.join(KEYS)}")
    p.add_argument("--steps", type=int, default=20, help="optimizer steps of each measured run (default 20)")
    p.add_argument("--seed", type=int, default=0, help="seed of the probe data and weights (default 0)")


def main(args: argparse.Namespace) -> int:
    from compare.defaults.probe import Probe
    from compare.defaults.table import KEYS, measure, render, table, versions

    only = None
    if args.rows:
        only = [k.strip() for k in args.rows.split(",") if k.strip()]
        unknown = [k for k in only if k not in KEYS]
        if unknown or not only:
            raise UsageError(f"--rows: unknown row(s) {', '.join(unknown) or '(none given)'}; expected some of {', '.join(KEYS)}")
    if args.steps < 1:
        raise UsageError(f"--steps: got {args.steps}; expected a whole number >= 1")
    if args.seed < 0:
        raise UsageError(f"--seed: got {args.seed}; expected a whole number >= 0")
    fmt = formats.format_for(args.output, args.format)
    if args.output:
        formats.check_output(args.output)
    status = Console(stderr=True)  # stdout may be the table itself
    status.print(f"[bold]mlp-compare defaults[/]: measuring {len(only or KEYS)} rows, {args.steps} steps each …", style="dim")
    frame = measure(Probe(steps=args.steps, seed=args.seed), only=only)
    title = f"Defaults and conventions, measured on {versions()}"
    if fmt is None:
        console.print_table(title, table(frame))
        return 0
    text = render(frame, fmt)
    if fmt == "markdown":
        text = f"{title}\n\n{text}"
    if args.output:
        formats.write(text, args.output)
        status.print(f"wrote {args.output}", highlight=False)
    else:
        print(text, end="")
    return 0
