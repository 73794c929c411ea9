"""mlp-compare table: one comparison table over many run bundles, as markdown, CSV, LaTeX or HTML."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

from compare.errors import UsageError
from compare.io import bundle, formats
from compare.sweeps import results as sweep_results
from compare.sweeps.results import SWEEP_CSV

EXAMPLES = """examples:
  mlp-compare table runs/*                         # markdown on stdout
  mlp-compare table runs/a runs/b --format latex --output table.tex
  mlp-compare table runs/* --format csv --output comparison.csv
  mlp-compare table sweeps/grid                    # a sweep folder: its sweep.csv, a row per combination
  mlp-compare table runs/* --ulps --format latex   # ulps from exact: a row per run and framework

A row per run and framework pair: the spec in short, the largest gradient relative difference,
the largest loss-curve relative difference, the first divergent step, and each framework's
final test accuracy. --ulps: a row per run and framework instead, its distance from the exact
reference in ulps of its dtype (median and largest over the first gradients' entries and over
the curve's steps) and the share of the round-off bound its gradients use.
"""


def add_parser(sub) -> None:
    p = sub.add_parser(
        "table",
        help="one comparison table over many run bundles",
        description=__doc__,
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "runs", nargs="+", metavar="RUN_DIR", help="bundle folders written by 'mlp-compare run' (other folders are skipped with a note)"
    )
    p.add_argument("--format", choices=formats.FORMATS, default="markdown", help="output format (default: markdown)")
    p.add_argument("--output", metavar="FILE", help="write to FILE instead of stdout")
    p.add_argument("--ulps", action="store_true", help="ulps from exact: a row per run and framework (run bundles only)")


def main(args: argparse.Namespace) -> int:
    sweeps = [Path(folder) for folder in args.runs if (Path(folder) / SWEEP_CSV).is_file()]
    if sweeps and args.ulps:
        raise UsageError(f"{sweeps[0]}: --ulps takes run bundles; a sweep's bundles are in {sweeps[0]}/runs/*")
    if sweeps:
        return _sweeps(sweeps, args)
    bundles = [Path(folder) for folder in args.runs if bundle.is_bundle(Path(folder))]
    if not bundles:
        raise UsageError(f"{', '.join(args.runs)}: not a run bundle (no spec.json); expected folders written by 'mlp-compare run'")
    for folder in args.runs:
        if Path(folder) not in bundles:
            print(f"mlp-compare table: note: {folder} is not a run bundle (no spec.json); skipped", file=sys.stderr)
    rows = bundle.ulps_rows if args.ulps else bundle.pair_rows
    return _show(pd.DataFrame([row for folder in bundles for row in rows(folder)]), args, floats="%.3g" if args.ulps else "%.2e")


def _sweeps(folders: list[Path], args: argparse.Namespace) -> int:
    """Sweep folders (mlp-compare sweep --out): their sweep.csv, one table (with a sweep column when several)."""
    if len(folders) != len(args.runs):
        others = ", ".join(f for f in args.runs if Path(f) not in folders)
        raise UsageError(f"{others}: not a sweep folder (no {SWEEP_CSV}); expected sweep folders only, or run bundles only")
    frames = [sweep_results.read(f) for f in folders]
    if len(frames) > 1:
        frames = [frame.assign(sweep=str(f)) for f, frame in zip(folders, frames)]
    frame = pd.concat(frames, ignore_index=True)
    return _show(frame, args) if args.format == "csv" else _show(sweep_results.shown(frame), args, floats=None)


def _show(frame: pd.DataFrame, args: argparse.Namespace, floats: str | None = "%.2e") -> int:
    text = formats.render(frame, args.format, floats=floats)
    if args.output:
        formats.write(text, args.output)
    else:
        sys.stdout.write(text)
    return 0
