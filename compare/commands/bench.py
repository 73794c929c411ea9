"""mlp-compare bench: time one training step of each implementation, the harness, imports, and memory."""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

from compare.errors import UsageError

SECTIONS = ("steps", "loops", "imports", "run", "memory")
ON_REQUEST = ("sweep",)  # only with --only: the sweep's numbers (compare/bench/sweep.py, Dask clusters, ~4 minutes)

EXAMPLES = """examples:
  mlp-compare bench                      # the quick grid, about 2 minutes; writes runs/bench/
  mlp-compare bench --full --out bench/  # widths 16-1024, batch 32-1024, depths 1-3, float32 and float64
  mlp-compare bench --only steps,loops   # skip the fresh-process measurements
  mlp-compare bench --only sweep         # the sweep's numbers: 2 workers vs 1, per-run overhead, 1,200 scheduled

Every time is a median: of >= 50 steps after 10 warm-up steps (steps), of the gaps between
step starts over 10 interleaved runs (loops). Ratios to torch are taken side by side, step by
step, so a busy machine slows all implementations alike. torch, TensorFlow and NumPy's BLAS
run with --threads threads. The tables go to OUT/*.csv and OUT/bench.md, the plot to OUT/steps.png.
"""


def _sections(text: str) -> tuple[str, ...]:
    names = tuple(part.strip() for part in text.split(",") if part.strip())
    bad = [n for n in names if n not in SECTIONS + ON_REQUEST]
    if bad or not names:
        raise argparse.ArgumentTypeError(f"--only {text!r}: expected some of {', '.join(SECTIONS + ON_REQUEST)}")
    return names


def add_parser(sub) -> None:
    p = sub.add_parser(
        "bench",
        help="time a training step per implementation, the harness, imports and memory",
        description=__doc__,
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--full", action="store_true", help="the full grid (tens of minutes) instead of the quick one")
    p.add_argument(
        "--out", metavar="DIR", default="runs/bench", help="folder for bench.md, the CSV files and steps.png (default: runs/bench)"
    )
    p.add_argument("--threads", type=int, default=1, help="intra-op threads for torch, TensorFlow and NumPy's BLAS (default: 1)")
    p.add_argument(
        "--only",
        type=_sections,
        default=SECTIONS,
        metavar="LIST",
        help=f"comma-separated sections: {','.join(SECTIONS)} (default: all), or sweep",
    )


def main(args: argparse.Namespace) -> int:
    if "sweep" in args.only:  # its own clusters and report (OUT/sweep.md): before this process imports any framework
        from compare.bench import sweep

        sweep.main(["--out", args.out])
        args.only = tuple(n for n in args.only if n != "sweep")
        if not args.only:
            return 0
    import pandas as pd
    from threadpoolctl import threadpool_limits

    import tf_impl  # noqa: F401
    import torch_impl  # noqa: F401  (torch before TensorFlow: the safe import order)
    from compare.bench import loops, process, report, steps

    if args.threads < 1:
        raise UsageError(f"--threads {args.threads}: expected a whole number >= 1")
    grid = steps.FULL if args.full else steps.QUICK
    results: dict = {"machine": report.machine(args.threads)}
    started = time.perf_counter()

    def say(text: str) -> None:
        print(f"[{time.perf_counter() - started:6.1f} s] {text}", flush=True)

    with threadpool_limits(args.threads):
        if "steps" in args.only:
            show = lambda spec, ms: say(
                f"{'-'.join(map(str, spec.layers))} b{spec.batch_size} {spec.dtype}: " + "  ".join(f"{k} {v:.3f} ms" for k, v in ms.items())
            )  # noqa: E731
            results["steps"] = pd.DataFrame(steps.grid_rows(grid, threads=args.threads, progress=show))
        if "loops" in args.only:
            rows = []
            for layers, batch, dtype in loops.PROBLEMS:
                spec = steps.bench_spec(layers, batch, dtype, args.threads)
                for name in steps.NAMES:
                    rows.append(loops.harness_vs_bare(spec, name))
                    say(f"harness vs bare, {name} {'-'.join(map(str, layers))} b{batch} {dtype}: {rows[-1]['overhead']:+.1%}")
            results["loops"] = pd.DataFrame(rows)
    if "imports" in args.only:
        results["imports"] = pd.DataFrame(process.import_rows(repeats=3 if args.full else 1))
        say("imports timed")
    if "run" in args.only:
        results["run"] = process.run_overhead(repeats=3 if args.full else 2)
        results["numpy_only"] = process.numpy_only_imports()
        say(f"mlp-compare run: {results['run']['overhead']:+.0%} beyond imports + training")
    if "memory" in args.only:
        results["memory"] = pd.DataFrame(process.memory_rows((20, 2000, 10000) if args.full else (20, 400, 2000)))
        say("peak memory measured")
    results["machine"]["load_average_1min_after"] = os.getloadavg()[0]
    path = report.write(results, Path(args.out))
    print(pd.DataFrame(report.verdicts(results)).to_markdown(index=False))
    say(f"wrote {path}")
    return 0
