"""mlp-compare grade: every submission of a from-scratch backprop assignment checked as mlp-compare check does, each in
its own child process, on a Dask cluster; grades.csv, a feedback file per student and the class's picture."""

from __future__ import annotations

import argparse
from contextlib import contextmanager
from pathlib import Path

from compare.commands.flags import add_cluster_flags
from compare.io import console

EXAMPLES = """examples:
  mlp-compare grade submissions/ --assignment backprop.toml                 # a LocalCluster, one worker per core
  mlp-compare grade submissions/ --assignment backprop.toml --out grades/ps1
  mlp-compare grade submitted/ --assignment backprop.toml                   # nbgrader: submitted/<student>/<assignment>/
  mlp-compare grade submissions/ --assignment backprop.toml                 # again: only new or changed submissions run
  mlp-compare grade submissions/ --assignment a.toml --scheduler tls://10.0.0.5:8786 --tls-ca ca.pem --tls-cert me.pem --tls-key me.key

SUBMISSIONS is a folder of .py, .ipynb (or .zip) files, one per student (named by the file), or of one folder per
student (named by the folder). backprop.toml holds mlp-compare check's options without their dashes and the spec's
fields, as --config takes them:
  function = "loss_and_grads"
  layers = [2, 3, 1]
  frameworks = ["numpy"]
  timeout = 30
  [[network]]            # optional: several networks (each over the fields above), some the students never saw
  seed = 1
  [conventions]
  accept = ["mean", "half"]
  [points]
  tensors = 4
  convention = 1

Submissions are code that runs on this machine (and the workers): each runs in a child process with a time and a
memory limit, which limits the damage; it is not a sandbox. Grade in a container or VM you can throw away.

Writes DIR/grades.csv, DIR/feedback/<student>.md and .html, DIR/class.md, DIR/class.html, DIR/mistakes.png.
exit status: 0 graded (whatever the grades); 2 bad input (nothing written); 130 interrupted (what was graded is
written: run the same command to grade the rest).
"""


def add_parser(sub) -> None:
    p = sub.add_parser(
        "grade",
        help="check every submission of a backprop assignment on a Dask cluster: grades.csv, feedback per student, the class",
        description=__doc__,
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("submissions", metavar="SUBMISSIONS", help="a folder of .py/.ipynb files, or of one folder per student")
    p.add_argument("--assignment", metavar="A.toml", required=True, help="the check's options, the spec, networks, conventions, points")
    add_cluster_flags(p)
    p.add_argument("--out", metavar="DIR", help="grading folder (default: grades/<assignment file name>)")
    p.add_argument("--force", action="store_true", help="grade every submission again, even those unchanged since the last run")


@contextmanager
def _bar(header: str):
    """A progress bar, started with the header at the first count: bad input found before it prints one line only."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

    columns = [TextColumn("grading"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[statuses]}")]
    progress, task = None, None

    def update(done: int, total: int, counts: dict) -> None:
        nonlocal progress, task
        words = ", ".join(f"{n} {s}" for s, n in counts.items())
        if progress is None:
            console.say(header)
            progress = Progress(*columns, TimeElapsedColumn(), TextColumn("left"), TimeRemainingColumn(), console=console.console)
            progress.start()
            task = progress.add_task("grading", total=total, completed=done, statuses=words)
        progress.update(task, completed=done, statuses=words)

    try:
        yield update
    finally:
        if progress is not None:
            progress.stop()


def main(args: argparse.Namespace) -> int:
    from compare.errors import UsageError
    from compare.grading import assignment, runner
    from compare.sweeps import cluster

    if args.workers is not None and (args.workers < 1 or args.scheduler):
        raise UsageError(f"--workers {args.workers}: expected a whole number >= 1, for the local cluster (not with --scheduler)")
    if not args.scheduler and (args.tls_ca or args.tls_cert or args.tls_key):
        raise UsageError("--tls-ca/--tls-cert/--tls-key: need --scheduler tls://HOST:PORT")
    if args.scheduler:
        cluster.check_address(args.scheduler)  # before a word is printed: bad input is its one line
    a = assignment.load(args.assignment)  # validated before any cluster starts
    security = cluster.security(args.scheduler, args.tls_ca, args.tls_cert, args.tls_key) if args.scheduler else None
    out = Path(args.out) if args.out else Path("grades") / Path(args.assignment).stem
    try:
        with _bar(f"mlp-compare grade: {args.submissions} under {args.assignment} into {out}/") as progress:
            frame = runner.grade(args.submissions, a, out, args.force, args.workers, args.scheduler, security, progress=progress)
    except KeyboardInterrupt:
        console.say(f"interrupted: what was graded is in {out}/grades.csv; run the same command again to grade the rest")
        return 130
    counts = frame["status"].value_counts()
    console.say(
        ", ".join(f"{counts.get(s, 0)} {s}" for s in ("right", "wrong", "refused", "timeout", "crashed"))
        + f": {out}/grades.csv, class.md, feedback/"
    )
    return 0
