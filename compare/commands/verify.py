"""mlp-compare verify: a bundle's files against its manifest, and its tables re-derived from its exact losses."""

from __future__ import annotations

import argparse

from compare.io import console

EXAMPLES = """examples:
  mlp-compare verify runs/demo                       # after copying, archiving or downloading a bundle
  mlp-compare verify runs/*                          # every bundle; stops at the first that does not match

Checks every file against manifest.json (size and SHA-256, written when the run saved the bundle), then
re-derives curves.csv, curve_diffs.csv and agreement.csv from losses/*.npy and final/*.npz and compares
them byte for byte, and a dropout run's masks/ with the masks its seed draws.
exit status: 0 the bundle matches; 2 it does not (one line naming the first file), or it is no bundle.
"""


def add_parser(sub) -> None:
    p = sub.add_parser(
        "verify",
        help="check a run bundle against its manifest and re-derive its tables from its exact losses",
        description=__doc__,
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("runs", nargs="+", metavar="RUN_DIR", help="bundle folders written by 'mlp-compare run' or 'mlp-compare sweep'")


def main(args: argparse.Namespace) -> int:
    from compare.experiment.verify import verify

    for folder in args.runs:
        lines = verify(folder)
        console.say(f"{folder}: ok: " + "; ".join(lines))
    return 0
