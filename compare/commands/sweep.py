"""mlp-compare sweep: every combination of a grid file run on a Dask cluster, a bundle each, one table of them all."""

from __future__ import annotations

import argparse
from contextlib import contextmanager
from pathlib import Path

from compare.commands.flags import add_cluster_flags
from compare.io import console

EXAMPLES = """examples:
  mlp-compare sweep grid.toml                         # a LocalCluster, one worker per core; writes sweeps/grid/
  mlp-compare sweep grid.toml --workers 2 --out sweeps/mine
  mlp-compare sweep grid.toml                         # again: only what is missing or changed is run
  mlp-compare sweep grid.toml --scheduler tls://10.0.0.5:8786 --tls-ca ca.pem --tls-cert me.pem --tls-key me.key

grid.toml holds the spec fields of --config as the base, a [grid] table of lists expanded as a
cartesian product, and optional [[exclude]] patterns and [[include]] extra combinations:
  layers = [2, 8, 1]
  epochs = 20
  [grid]
  activation = ["sigmoid", "tanh", "relu"]
  optimizer = ["sgd", "adam"]
  seed = [0, 1, 2]

Writes DIR/runs/<name>/ (a run bundle per combination), DIR/sweep.csv, DIR/heatmap.png, DIR/report.md.
exit status: 0 every combination ok; 1 one disagrees, diverged or failed; 2 bad input (nothing written);
130 Ctrl-C, 143 SIGTERM (completed bundles and sweep.csv kept: run the same command to resume).
"""


def add_parser(sub) -> None:
    p = sub.add_parser(
        "sweep",
        help="run every combination of a grid file on a Dask cluster (local by default) into one table",
        description=__doc__,
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("grid", metavar="GRID.toml", help="spec fields, a [grid] table of lists, [[include]] and [[exclude]] tables")
    add_cluster_flags(p)
    p.add_argument("--out", metavar="DIR", help="sweep folder, seen by every worker (default: sweeps/<grid file name>)")
    p.add_argument("--force", action="store_true", help="redo every combination, even those whose bundle is complete")


@contextmanager
def _bar():
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

    columns = [TextColumn("sweep"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[failed]} failed")]
    with Progress(*columns, TimeElapsedColumn(), TextColumn("left"), TimeRemainingColumn(), console=console.console) as progress:
        task = None

        def update(done: int, total: int, failed: int) -> None:
            nonlocal task
            if task is None:
                task = progress.add_task("sweep", total=total, completed=done, failed=failed)
            progress.update(task, completed=done, failed=failed)

        yield update


def main(args: argparse.Namespace) -> int:
    from compare.errors import UsageError, interrupted_status
    from compare.sweeps import cluster, grid, runner

    if args.workers is not None and (args.workers < 1 or args.scheduler):
        raise UsageError(f"--workers {args.workers}: expected a whole number >= 1, for the local cluster (not with --scheduler)")
    combos = grid.load(args.grid)  # every combination validated before any cluster starts
    security = cluster.security(args.scheduler, args.tls_ca, args.tls_cert, args.tls_key) if args.scheduler else None
    if not args.scheduler and (args.tls_ca or args.tls_cert or args.tls_key):
        raise UsageError("--tls-ca/--tls-cert/--tls-key: need --scheduler tls://HOST:PORT")
    out = Path(args.out) if args.out else Path("sweeps") / Path(args.grid).stem
    console.say(f"mlp-compare sweep: {len(combos)} combinations of {args.grid} into {out}/")
    try:
        with _bar() as progress:
            frame = runner.sweep(args.grid, out, args.force, args.workers, args.scheduler, security, progress=progress)
    except KeyboardInterrupt as e:
        console.say(f"interrupted: the completed combinations are in {out}/sweep.csv; run the same command again to resume")
        return interrupted_status(e)
    counts = frame["status"].value_counts()
    console.say(
        ", ".join(f"{counts.get(s, 0)} {s}" for s in ("ok", "disagrees", "diverged", "failed"))
        + f": {out}/sweep.csv, report.md, heatmap.png"
    )
    return 0 if (frame["status"] == "ok").all() else 1
