"""The benchmark's output: CSV tables, one markdown report with the targets, and the time-per-step plot."""

from __future__ import annotations

import os
import platform
from pathlib import Path

import pandas as pd

from compare.bench.steps import HEADLINE

TARGETS = {
    "numpy_vs_torch": 1.0,
    "tensorflow_vs_torch": 1.3,
    "harness_overhead": 0.05,
    "run_overhead": 0.30,
    "memory_mib_per_1000_steps": 0.1,  # flat up to resident-memory noise: the losses stream to disk, nothing per step stays
}


def machine(threads: int) -> dict:
    """Where and with what the numbers were taken."""
    import importlib.metadata as md

    cpu = (
        next(
            (line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines() if line.startswith("model name")),
            platform.processor() or "unknown",
        )
        if Path("/proc/cpuinfo").exists()
        else platform.processor()
    )
    versions = {p: md.version(p) for p in ("numpy", "torch", "tensorflow-cpu", "keras") if _installed(p)}
    return {
        "cpu": cpu,
        "nproc": os.cpu_count(),
        "python": platform.python_version(),
        **versions,
        "threads": threads,
        "load_average_1min": os.getloadavg()[0],
    }


def _installed(package: str) -> bool:
    import importlib.metadata as md

    try:
        md.version(package)
        return True
    except md.PackageNotFoundError:
        return False


def headline(steps: pd.DataFrame) -> dict[str, float]:
    """ms per step at 784-128-64-10, batch 128, float32, and the ratios to torch."""
    layers = "-".join(map(str, HEADLINE["layers"]))
    at = steps[(steps["layers"] == layers) & (steps["batch"] == HEADLINE["batch"]) & (steps["dtype"] == HEADLINE["dtype"])]
    ms = dict(zip(at["implementation"], at["ms_per_step"]))
    return {**{f"{k}_ms": v for k, v in ms.items()}, **{f"{k}_vs_torch": v / ms["torch"] for k, v in ms.items() if k != "torch"}}


def verdicts(results: dict) -> list[dict]:
    """One row per speed target: measured, target, met, and by how much."""
    rows = []

    def add(what, measured, target, met, margin):
        rows.append(
            {
                "target": what,
                "measured": measured,
                "goal": target,
                "met": met if isinstance(met, str) else ("yes" if met else "NO"),
                "margin": margin,
            }
        )

    if "steps" in results:
        h = headline(results["steps"])
        for name, key in (("NumPy", "numpy_vs_torch"), ("TensorFlow (tf.function)", "tensorflow_vs_torch")):
            if key in h:
                ratio, goal = h[key], TARGETS[key]
                add(
                    f"{name} / torch per step, 784-128-64-10 b128 f32",
                    f"{ratio:.2f}x",
                    f"<= {goal}x",
                    ratio <= goal,
                    f"{(ratio / goal - 1) * 100:+.0f}% vs goal",
                )
    if "loops" in results:
        for r in results["loops"].itertuples():
            goal = TARGETS["harness_overhead"]
            add(
                f"harness overhead, {r.implementation} {r.layers} b{r.batch} {r.dtype}",
                f"{r.overhead * 100:+.1f}%",
                f"<= {goal:.0%}",
                r.overhead <= goal,
                f"{(r.overhead - goal) * 100:+.1f} points",
            )
    if "run" in results:
        o, goal = results["run"]["overhead"], TARGETS["run_overhead"]
        add(
            "`mlp-compare run` beyond imports + training",
            f"{o * 100:+.0f}%",
            f"<= {goal:.0%}",
            o <= goal,
            f"{(o - goal) * 100:+.0f} points",
        )
        if "overhead_cold_cache" in results["run"]:
            cold = results["run"]["overhead_cold_cache"]
            add("the same, first run on a machine (data cache cold: imports scikit-learn)", f"{cold * 100:+.0f}%", "-", "-", "-")
    if "numpy_only" in results:
        loaded = results["numpy_only"]["loaded"]
        add("`run --frameworks numpy` loads no torch/TensorFlow", ", ".join(loaded) or "none", "none", not loaded, "-")
    if "memory" in results:
        m = results["memory"]
        slope, goal = m["mib_per_1000_steps"].iloc[-1], TARGETS["memory_mib_per_1000_steps"]
        epochs = f"{m['epochs'].iloc[-2]} -> {m['epochs'].iloc[-1]} epochs"
        growth = m["peak_rss_mib"].iloc[-1] / m["peak_rss_mib"].iloc[-2] - 1
        add(
            f"peak memory flat in epochs ({epochs}, {growth:+.1%})",
            f"{slope:+.2f} MiB / 1000 steps",
            f"<= {goal}",
            slope <= goal,
            f"{(slope - goal) * 1024 / 1000:+.2f} KiB per step",
        )
    return rows


def plot(steps: pd.DataFrame, path: Path) -> None:
    """ms per step against multiply-adds per step (log-log), one line per implementation, a panel per dtype."""
    from matplotlib.figure import Figure  # Agg canvas, no pyplot

    dtypes = list(dict.fromkeys(steps["dtype"]))
    fig = Figure(figsize=(6 * len(dtypes), 4.5))
    axes = fig.subplots(1, len(dtypes), squeeze=False, sharey=True)
    for ax, dtype in zip(axes[0], dtypes):
        for name, group in steps[steps["dtype"] == dtype].groupby("implementation", sort=False):
            group = group.groupby("madds", as_index=False)["ms_per_step"].median().sort_values("madds")
            ax.plot(group["madds"], group["ms_per_step"], marker="o", markersize=3, label=name)
        ax.set(xscale="log", yscale="log", title=dtype, xlabel="multiply-adds per forward pass (batch x weights)")
        ax.grid(True, which="both", alpha=0.3)
    axes[0][0].set_ylabel("ms per training step (median)")
    axes[0][0].legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def _md(frame: pd.DataFrame) -> str:
    return frame.astype(object).to_markdown(index=False, floatfmt=".4g")  # object: whole numbers stay whole


def write(results: dict, out: Path) -> Path:
    """CSV per table, bench.md with every table and the targets, steps.png; returns the markdown path."""
    out.mkdir(parents=True, exist_ok=True)
    lines = ["# mlp-compare bench", ""]
    lines += [_md(pd.DataFrame([results["machine"]])), ""]
    lines += ["## Targets", "", _md(pd.DataFrame(verdicts(results))), ""]
    sections = {
        "steps": "Time per training step, ratios to torch measured side by side",
        "loops": "Harness-driven step against a bare loop in each framework (ms from one step's start to the next)",
        "imports": "Import and start-up time, fresh interpreters",
        "memory": "Peak resident memory of `mlp-compare run` on the default problem",
    }
    for key, title in sections.items():
        if key in results:
            results[key].to_csv(out / f"{key}.csv", index=False)
            lines += [f"## {title}", "", _md(results[key]), ""]
    if "run" in results:
        pd.DataFrame([results["run"]]).to_csv(out / "run.csv", index=False)
        lines += [
            "## `mlp-compare run`, default problem: wall time against imports + training",
            "",
            _md(pd.DataFrame([results["run"]])),
            "",
        ]
    if "steps" in results:
        plot(results["steps"], out / "steps.png")
        lines += ["![time per step](steps.png)", ""]
    path = out / "bench.md"
    path.write_text("\n".join(lines))
    return path
