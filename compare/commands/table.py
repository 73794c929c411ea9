"""mlp-compare table: one comparison table over many run bundles, as markdown, CSV, LaTeX or HTML."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import pandas as pd

from compare.errors import BundleError, UsageError
from compare.shared import spec as spec_module

EXAMPLES = """examples:
  mlp-compare table runs/*                         # markdown on stdout
  mlp-compare table runs/a runs/b --format latex --output table.tex
  mlp-compare table runs/* --format csv --output comparison.csv

A row per run and framework pair: the spec in short, the largest gradient relative difference,
the largest loss-curve relative difference, the first divergent step, and each framework's
final test accuracy.
"""
FORMATS = ("markdown", "csv", "latex", "html")


def add_parser(sub) -> None:
    p = sub.add_parser(
        "table",
        help="one comparison table over many run bundles",
        description=__doc__,
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("runs", nargs="+", metavar="RUN_DIR", help="bundle folders written by 'mlp-compare run'")
    p.add_argument("--format", choices=FORMATS, default="markdown", help="output format (default: markdown)")
    p.add_argument("--output", metavar="FILE", help="write to FILE instead of stdout")


def _read(folder: Path, name: str) -> pd.DataFrame:
    path = folder / name
    if not path.is_file():
        raise BundleError(f"{folder}: not a run bundle (no {name}); expected a folder written by 'mlp-compare run'")
    return pd.read_csv(path)


def rows_for(folder: Path) -> list[dict]:
    """The table's rows for one bundle: a row per framework pair."""
    if not (folder / "spec.json").is_file():
        raise BundleError(f"{folder}: not a run bundle (no spec.json); expected a folder written by 'mlp-compare run'")
    d = json.loads((folder / "spec.json").read_text())
    d.pop("conventions", None)
    spec = spec_module.from_dict(d)
    grads, agree, metrics = _read(folder, "gradients.csv"), _read(folder, "agreement.csv"), _read(folder, "metrics.csv")
    acc = dict(zip(metrics["framework"], metrics["test_acc"])) if "test_acc" in metrics else {}
    rows = []
    for r in agree.itertuples():
        a, b = r.pair.split(" vs ")
        g = grads[grads["pair"] == r.pair]["max_rel"]
        rows.append(
            {
                "run": folder.name,
                "spec": spec.short(),
                "pair": r.pair,
                "should_agree": {True: "yes", False: "no"}.get(r.should_agree, "-"),
                "max_grad_rel_diff": g.max() if len(g) else float("nan"),
                "max_curve_rel_diff": r.max_rel,
                "first_divergent_step": "-" if pd.isna(r.first_divergent_step) else int(r.first_divergent_step),
                "test_acc_a": acc.get(a, float("nan")),
                "test_acc_b": acc.get(b, float("nan")),
                "status": r.status,
            }
        )
    return rows


def render(frame: pd.DataFrame, fmt: str) -> str:
    if fmt == "csv":
        return frame.to_csv(index=False)
    if fmt == "latex":
        return frame.to_latex(index=False, float_format="%.2e", escape=True)
    if fmt == "html":
        return frame.to_html(index=False, float_format="%.2e", border=0)
    return frame.to_markdown(index=False, floatfmt=".2e") + "\n"


def main(args: argparse.Namespace) -> int:
    rows = [row for folder in args.runs for row in rows_for(Path(folder))]
    frame = pd.DataFrame(rows)
    text = render(frame, args.format)
    if args.output:
        out = Path(args.output)
        if not out.parent.is_dir():
            raise UsageError(f"--output {out}: folder {out.parent} does not exist")
        tmp = out.with_name(f".{out.name}.tmp")
        tmp.write_text(text)
        tmp.replace(out)
    else:
        sys.stdout.write(text)
    return 0
