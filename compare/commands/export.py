"""mlp-compare export: standalone PyTorch and Keras scripts (or notebooks) for a spec or a run bundle."""

from __future__ import annotations

import argparse

from compare.export.folder import STYLES, TARGETS, export

EXAMPLES = """examples:
  mlp-compare run --out runs/demo && mlp-compare export runs/demo --out exports/demo
  mlp-compare export runs/demo --to torch --out exports/demo-torch    # torch_train.py only
  mlp-compare export my_spec.toml --to keras --style idiomatic        # model.fit as Keras users write it
  mlp-compare export runs/demo --to notebook --out exports/demo-nb    # torch_train.ipynb, keras_train.ipynb

SPEC_OR_RUN_DIR is a folder written by 'mlp-compare run --out', a TOML file of spec fields (as --config takes),
or a bundle's spec.json. The scripts import only NumPy and their framework, read init.npz, data.npz and
schedule.npy (and masks.npz with dropout) beside them, and write <framework>_losses.npy (the loss of each
mini-batch, as the bundle's losses/<run>.npy) and <framework>_final.npz (as its final/<run>.npz).
faithful (default): the bundle's numbers to round-off; idiomatic: what a framework user writes (their own
initial weights, shuffling and dropout, model.fit), its opening saying where it parts from the bundle.

exit status: 0 written; 2 bad input (nothing written)
"""


def add_parser(sub) -> None:
    p = sub.add_parser(
        "export",
        help="write standalone PyTorch and Keras scripts that reproduce a run bundle",
        description=__doc__,
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("source", metavar="SPEC_OR_RUN_DIR", help="a run bundle's folder, or a spec file (.toml, or a bundle's spec.json)")
    p.add_argument("--to", choices=list(TARGETS), default="both", help="torch, keras, both (default), or notebook (one .ipynb each)")
    p.add_argument(
        "--style", choices=STYLES, default="faithful", help="faithful (default): the bundle's numbers; idiomatic: framework idiom"
    )
    p.add_argument("--out", metavar="DIR", help="the folder to write (default: exports/<name of the bundle or spec>)")
    p.add_argument("--force", action="store_true", help="replace --out if it exists and is not empty")


def main(args: argparse.Namespace) -> int:
    folder = export(args.source, to=args.to, style=args.style, out=args.out, force=args.force, cli=True)
    names = sorted(p.name for p in folder.iterdir())
    print(f"mlp-compare export: wrote {folder}/ ({', '.join(names)})")
    scripts = [n for n in names if n.endswith("_train.py")]
    if scripts:
        print(f"run: cd {folder} && " + " && ".join(f"python {n}" for n in scripts))
    return 0
