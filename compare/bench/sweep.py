"""The sweep's three numbers: speed-up of 2 workers over 1 on a 96-combination grid, the per-run overhead of a sweep
over the same runs in a warm process, and how soon a 1,200-combination grid is expanded, validated and scheduled.

    python -m compare.bench.sweep --out runs/bench-sweep     (also: mlp-compare bench --only sweep)
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import pandas as pd

SMALL = {"layers": [2, 8, 1], "epochs": 20, "batch_size": 32, "frameworks": ["numpy", "torch"], "lr": 0.1}
GRID_96 = {
    **SMALL,
    "grid": {
        "activation": ["sigmoid", "tanh", "relu"],
        "optimizer": ["sgd", "momentum", "adam", "rmsprop"],
        "dtype": ["float64", "float32"],
        "seed": [0, 1, 2, 3],
    },
}
GRID_1200 = {
    **SMALL,
    "grid": {
        "activation": ["sigmoid", "tanh", "relu"],
        "optimizer": ["sgd", "momentum", "nesterov", "adam", "rmsprop"],
        "dtype": ["float64", "float32"],
        "layers": [[2, 4, 1], [2, 8, 1], [2, 4, 4, 1], [2, 8, 8, 1]],
        "lr": [0.1, 0.5],
        "seed": [0, 1, 2, 3, 4],
    },
}


def cpu_used() -> float:
    """CPU seconds this process has used (user + system, all its threads)."""
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def cluster_cpu(c) -> float:
    """CPU seconds used so far by a LocalCluster's processes: the driver (which holds the scheduler and the nannies)
    and the workers."""
    return cpu_used() + sum(c.run(cpu_used).values())


def swept(grid: dict, workers: int, out: Path, again: bool = False) -> dict:
    """Seconds for the whole sweep from a cold start (the LocalCluster started, each framework imported once per
    worker), of it the cluster's start, and with again=True the same sweep once more on the now warm workers, with
    the CPU seconds every process of it used (on a shared machine CPU time is what other work disturbs least)."""
    from compare.sweeps import cluster, runner

    started = time.perf_counter()
    with cluster.client(workers=workers) as c:
        up = time.perf_counter() - started
        runner.sweep(grid, out, force=True, client=c)
        cold = time.perf_counter() - started
        if not again:
            return {"cold_s": cold, "start_s": up}
        cpu, warm_started = cluster_cpu(c), time.perf_counter()
        runner.sweep(grid, out, force=True, client=c)
        return {"cold_s": cold, "start_s": up, "warm_s": time.perf_counter() - warm_started, "warm_cpu_s": cluster_cpu(c) - cpu}


def warm_runs(grid: dict, out: Path) -> tuple[list[float], list[float]]:
    """(wall, CPU) seconds per combination, each run as the sweep runs it (run_one), in this process after a warm-up run."""
    from compare.sweeps import grid as grid_module
    from compare.sweeps import runner

    combos = grid_module.load(grid)
    runner.run_one("warm-up", combos[0].spec.to_dict(), str(out))
    walls, cpus = [], []
    for combo in combos:
        started, cpu = time.perf_counter(), time.process_time()
        runner.run_one(combo.name, combo.spec.to_dict(), str(out))
        walls.append(time.perf_counter() - started)
        cpus.append(time.process_time() - cpu)
    return walls, cpus


def to_first_result(grid: dict, workers: int, out: Path) -> dict:
    """Seconds from the call until every combination is submitted, and until the first row comes back (a started cluster)."""
    from compare.sweeps import cluster, runner

    marks = []

    def progress(done, total, failed):
        marks.append(time.perf_counter())
        if len(marks) == 2:
            raise KeyboardInterrupt  # the first result is in: the rest is not what this measures

    with cluster.client(workers=workers) as c:
        started = time.perf_counter()
        try:
            runner.sweep(grid, out, force=True, client=c, progress=progress)
        except KeyboardInterrupt:
            pass
    return {"scheduled_s": marks[0] - started, "first_result_s": marks[1] - started}


def measure(scratch: Path) -> dict:
    """The three numbers and what they are made of. The 1-worker sweep and the warm-process runs go back to back, and
    the per-run overhead is given in CPU seconds as well as wall seconds: on a machine shared with other work the
    wall clock measures the neighbours too."""
    one = swept(GRID_96, 1, scratch / "one", again=True)
    walls, cpus = warm_runs(GRID_96, scratch / "warm")
    two = swept(GRID_96, 2, scratch / "two")
    n = len(walls)
    first = to_first_result(GRID_1200, 2, scratch / "big")
    return {
        "combinations": n,
        "wall_1_worker_s": one["cold_s"],
        "wall_2_workers_s": two["cold_s"],
        "cluster_start_1_s": one["start_s"],
        "cluster_start_2_s": two["start_s"],
        "speedup_2_workers": one["cold_s"] / two["cold_s"],
        "wall_ratio_2_over_1": two["cold_s"] / one["cold_s"],
        "per_run_sweep_cold_s": one["cold_s"] / n,
        "per_run_sweep_warm_workers_s": one["warm_s"] / n,
        "per_run_warm_process_s": statistics.mean(walls),
        "per_run_overhead_wall": one["warm_s"] / sum(walls) - 1,
        "per_run_sweep_cpu_s": one["warm_cpu_s"] / n,
        "per_run_warm_process_cpu_s": statistics.mean(cpus),
        "per_run_overhead": one["warm_cpu_s"] / sum(cpus) - 1,
        "combinations_1200": 1200,
        "seconds_to_schedule_1200": first["scheduled_s"],
        "seconds_to_first_result_1200": first["first_result_s"],
        "load_average_1min_after": os.getloadavg()[0],
    }


def verdicts(m: dict) -> pd.DataFrame:
    rows = [
        ("wall, 2 workers / 1 worker, 96 combinations", m["wall_ratio_2_over_1"], "<= 0.58", m["wall_ratio_2_over_1"] <= 0.58),
        ("per-run overhead of a sweep over a warm process, CPU seconds", m["per_run_overhead"], "<= 0.10", m["per_run_overhead"] <= 0.10),
        (
            "the same in wall seconds (the machine's other work included)",
            m["per_run_overhead_wall"],
            "<= 0.10",
            m["per_run_overhead_wall"] <= 0.10,
        ),
        (
            "1,200 combinations expanded, validated, scheduled (s)",
            m["seconds_to_schedule_1200"],
            "<= 5",
            m["seconds_to_schedule_1200"] <= 5,
        ),
        ("1,200 combinations: first result back (s)", m["seconds_to_first_result_1200"], "-", "-"),
    ]
    return pd.DataFrame(rows, columns=["what", "measured", "target", "met"])


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m compare.bench.sweep", description=__doc__.splitlines()[0])
    p.add_argument("--out", default="runs/bench-sweep", help="folder for sweep.csv and sweep.md (default: runs/bench-sweep)")
    args = p.parse_args(argv)
    from compare.bench.report import machine

    scratch = Path(tempfile.mkdtemp(prefix="mlp-compare-bench-sweep-"))
    try:
        m = {**machine(1), **measure(scratch)}
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    pd.DataFrame([m]).to_csv(out / "sweep.csv", index=False)
    table = verdicts(m).to_markdown(index=False, floatfmt=".3g")
    (out / "sweep.md").write_text("# Sweep benchmark\n\n" + table + "\n\n" + pd.Series(m).to_frame("value").to_markdown() + "\n")
    print(table)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
