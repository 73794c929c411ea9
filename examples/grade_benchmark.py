"""How fast mlp-compare grade is, and whether it says what the check says: N generated submissions (right ones in every
style of examples/styles/, one-line mutants from tests/mutants.py's generator, an endless loop, an os._exit and an import
error) graded on a LocalCluster of 1 and of 2 workers, against the bare check of each submission, one after another.

    python examples/grade_benchmark.py [--size 300] [--out runs/grade-bench]     (from the repository root)

Prints a markdown table (and writes it to OUT/benchmark.md, with every submission's outcome in OUT/outcomes.csv): wall
time of the bare checks, of grade with 1 and 2 workers (cluster start included), the overhead per submission, the
speed-up, and how many submissions got the same status, mistake, first wrong tensor and line both ways.
"""

from __future__ import annotations

import argparse
import io
import os
import resource
import sys
import time
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from compare.grading import assignment as assignments  # noqa: E402
from compare.grading import judge, outcome, runner, submissions  # noqa: E402
from compare.learner.child import ChildSide  # noqa: E402
from compare.learner.grade import check  # noqa: E402
from compare.sweeps import cluster  # noqa: E402
from tests.mutants import mutants  # noqa: E402

COMMON = 'frameworks = ["numpy"]\ntimeout = 10\n'
STYLES = {  # style -> (its right file, the assignment's check options and spec), as docs/checking.md checks each
    "rows": ("examples/beginner_mlp.py", "layers = [2, 3, 1]\n"),
    "dlai": ("examples/styles/dlai.py", 'layout = "columns"\nparams = "dict"\nlayers = [2, 3, 1]\n'),
    "nnfs": ("examples/styles/nnfs.py", 'layers = [2, 5, 3]\nactivation = "relu"\nloss = "ce"\ndataset = "blobs"\n'),
    "cs231n": (
        "examples/styles/cs231n.py",
        'function = "loss"\nparams = "dict"\nlayers = [2, 5, 3]\nactivation = "relu"\nloss = "ce"\ndataset = "blobs"\n',
    ),
    "nielsen": (
        "examples/styles/nielsen.py",
        'function = "backprop"\nloss_function = "cost"\nlayout = "columns"\nparams = "lists"\nper_sample = true\n'
        'layers = [2, 3, 3]\ndataset = "blobs"\n',
    ),
}
HOSTILE = {
    "hostile_loop": "def loss_and_grads(params, X, y):\n    while True:\n        pass\n",
    "hostile_exit": "import os\n\n\ndef loss_and_grads(params, X, y):\n    os._exit(1)\n",
    "hostile_import": "import a_module_no_one_has\n",
}


def generate(root: Path, size: int) -> list[tuple[str, Path, Path]]:
    """A class per style in root (its folder, its assignment): the right file, a copy with other comments, mutants
    drawn without replacement (seed 0), and in the rows class the hostile ones; size submissions in all."""
    rng = np.random.default_rng(0)
    classes = []
    for k, (style, (file, options)) in enumerate(STYLES.items()):
        folder = root / style
        folder.mkdir(parents=True, exist_ok=True)
        (root / f"{style}.toml").write_text(COMMON + options)
        text = (ROOT / file).read_text()
        n = size // len(STYLES) + (k < size % len(STYLES))
        (folder / "right.py").write_text(text)
        (folder / "right_commented.py").write_text(text.replace("\n\n\ndef ", "\n\n\n# my own function\ndef ", 1))
        extra = HOSTILE if style == "rows" and n >= 2 + len(HOSTILE) else {}  # a class of --size 5 holds no room for them
        for name, code in extra.items():
            (folder / f"{name}.py").write_text(code)
        pool = mutants(text)
        picked = rng.choice(len(pool), size=max(n - 2 - len(extra), 0), replace=len(pool) < n)
        for j, i in enumerate(picked):
            (folder / f"mutant_{j:03d}_line{pool[i].line}.py").write_text(pool[i].source)
        classes.append((style, folder, root / f"{style}.toml"))
    return classes


def cpu() -> float:
    """CPU seconds of this process and of every process it started that has ended (the cluster's, the children)."""
    own, ended = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + ended.ru_utime + ended.ru_stime


def bare(folder: Path, toml: Path) -> list[dict]:
    """mlp-compare check on every submission, one after another, as its command line runs it (a child each)."""
    a = assignments.load(toml)
    net, rows = a.networks[0], []
    for sub in submissions.discover(folder, a.file, a.function):
        started = time.perf_counter()
        options = judge._options(a)
        row = {"student": sub.student, "status": "", "mistake": "", "first_wrong": "", "line": ""}
        try:
            with redirect_stdout(io.StringIO()), redirect_stderr(io.StringIO()):
                learner = ChildSide(str(folder / sub.main), options, timeout=a.timeout, memory_gb=a.memory)
                try:
                    report = check(
                        str(folder / sub.main),
                        net.spec,
                        options=options,
                        learner=learner,
                        sizes_given=net.sizes_given,
                        lr=net.lr,
                        dataset_given=net.dataset_given,
                    )
                finally:
                    learner.close()
            d = report.diagnosis
            row["status"] = "right" if report.ok else "wrong"
            if not report.ok:
                found = outcome.LINE.match(report.line or "")
                where = found["where"].rsplit("/", 1)[-1] if found else ""
                row.update(mistake=d.mistake or "unknown", first_wrong=d.first_wrong or "", line=where)
        except Exception as e:
            row["status"] = judge.classify(e)[0]
        rows.append({**row, "wall_s": time.perf_counter() - started})
    return rows


def graded(classes, workers: int, out: Path) -> tuple[float, float, float, pd.DataFrame]:
    """(wall time with the cluster's start, wall time of the grading alone, CPU seconds of it all, every row) with a
    LocalCluster of workers (its processes have ended when the CPU time is read)."""
    started, cpu_started = time.perf_counter(), cpu()
    frames = []
    with cluster.client(workers=workers) as c:
        ready = time.perf_counter()
        for style, folder, toml in classes:
            frame = runner.grade(folder, toml, out / f"{workers}-workers" / style, force=True, client=c)
            frames.append(frame.assign(style=style))
        done = time.perf_counter()
    return done - started, done - ready, cpu() - cpu_started, pd.concat(frames, ignore_index=True)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--size", type=int, default=300, help="submissions in all (default 300)")
    p.add_argument("--out", default="runs/grade-bench", help="where the classes and the grades go")
    args = p.parse_args()
    out = Path(args.out)
    classes = generate(out / "classes", args.size)
    load = f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
    print(f"{args.size} submissions in {len(classes)} classes; {load}")
    started, cpu_started = time.perf_counter(), cpu()
    alone = pd.concat([pd.DataFrame(bare(f, t)).assign(style=s) for s, f, t in classes], ignore_index=True)
    bare_s, bare_cpu = time.perf_counter() - started, cpu() - cpu_started
    print(f"bare check, one after another: {bare_s:.1f} s ({bare_cpu:.1f} s CPU)")
    runs = {}
    for workers in (1, 2):
        runs[workers] = graded(classes, workers, out)
        wall, after, used, _ = runs[workers]
        print(f"grade, {workers} worker(s): {wall:.1f} s ({after:.1f} s after the cluster started; {used:.1f} s CPU)")
    rows = runs[2][3].fillna("")
    merged = alone.merge(rows, on=["style", "student"], suffixes=("_check", "_grade"))
    same = {k: (merged[f"{k}_check"] == merged[f"{k}_grade"]) for k in ("status", "mistake", "first_wrong", "line")}
    agree = same["status"] & same["mistake"] & same["first_wrong"] & same["line"]
    hostile = rows[rows["student"].str.startswith("hostile")][["student", "status", "cause"]]
    table = pd.DataFrame(
        [
            {
                "measure": "submissions",
                "value": f"{len(alone)} ({', '.join(f'{n} {s}' for s, n in alone['status'].value_counts().items())})",
            },
            {"measure": "bare check, one after another (s)", "value": f"{bare_s:.1f} ({bare_s / len(alone):.3f} per submission)"},
            {"measure": "grade, 1 worker (s)", "value": f"{runs[1][0]:.1f} ({runs[1][1]:.1f} after the cluster started)"},
            {"measure": "grade, 2 workers (s)", "value": f"{runs[2][0]:.1f} ({runs[2][1]:.1f} after the cluster started)"},
            {
                "measure": "overhead per submission, 1 worker vs bare: wall",
                "value": f"{(runs[1][0] / bare_s - 1):+.1%} ({(runs[1][1] / bare_s - 1):+.1%} after the start)",
            },
            {
                "measure": "overhead per submission, 1 worker vs bare: CPU (every process)",
                "value": f"{(runs[1][2] / bare_cpu - 1):+.1%} ({bare_cpu:.1f} s and {runs[1][2]:.1f} s)",
            },
            {
                "measure": "speed-up, 2 workers vs 1",
                "value": f"{runs[1][0] / runs[2][0]:.2f}x ({runs[1][1] / runs[2][1]:.2f}x after the start)",
            },
            *[
                {
                    "measure": f"{w} worker(s): submissions in progress on average (their wall_s summed / the wall after the start)",
                    "value": f"{runs[w][3]['wall_s'].sum() / runs[w][1]:.2f}, {runs[w][3]['wall_s'].median():.3f} s each (median)",
                }
                for w in (1, 2)
            ],
            {
                "measure": "same status, mistake, first wrong tensor and line as check alone",
                "value": f"{int(agree.sum())} of {len(merged)}",
            },
        ]
    )
    load += f" at the start, {os.getloadavg()[0]:.1f} at the end"
    text = load + "\n\n" + table.to_markdown(index=False) + "\n\n" + hostile.to_markdown(index=False) + "\n"
    print(text)
    (out / "benchmark.md").write_text(text)
    merged.assign(agree=agree).to_csv(out / "outcomes.csv", index=False)


if __name__ == "__main__":
    main()
