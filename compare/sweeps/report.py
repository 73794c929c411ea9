"""A sweep's figure and report: DIR/heatmap.png (log10 of the largest difference, combination x pair) and
DIR/report.md (counts by status, the heatmap, what failed or disagrees, the largest differences)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from compare.agree.tables import FD_PAIR
from compare.io import formats
from compare.io.plots import figure
from compare.sweeps import results

FLOOR = -17.0  # log10 of a difference of exactly 0 (below float64 round-off), so it still gets a colour
LABELLED_ROWS = 80  # above this many combinations the rows are not labelled one by one
TOP = 10  # rows of the largest-differences table in report.md


def largest(frame: pd.DataFrame) -> pd.DataFrame:
    """combination x pair: the larger of the gradient and the curve relative difference (NaN where not run)."""
    pairs = list(dict.fromkeys(c.split("[", 1)[1][:-1] for c in frame.columns if c.startswith(("max_grad_rel[", "max_curve_rel["))))
    out = pd.DataFrame(index=frame["name"], columns=pairs, dtype=float)
    for pair in pairs:
        cols = [c for c in (f"max_grad_rel[{pair}]", f"max_curve_rel[{pair}]") if c in frame]
        out[pair] = frame[cols].astype(float).max(axis=1, skipna=True).to_numpy()
    return out


def heatmap(frame: pd.DataFrame, path: Path) -> None:
    """log10 of the largest difference per combination and pair; grey where the pair was not run."""
    values = largest(frame)
    with np.errstate(divide="ignore"):
        logs = np.maximum(np.log10(values.to_numpy(dtype=float)), FLOOR)
    rows, cols = logs.shape
    fig = figure(figsize=(4.0 + 1.1 * max(cols, 1), min(2.0 + 0.22 * rows, 40.0)), layout="constrained")
    ax = fig.add_subplot()
    ax.set_facecolor("0.85")
    image = ax.imshow(
        np.ma.masked_invalid(logs),
        aspect="auto",
        cmap="magma_r",
        interpolation="nearest",
        vmin=FLOOR,
        vmax=max(0.0, np.nanmax(logs, initial=0.0)),
    )
    ax.set_xticks(range(cols), list(values.columns), rotation=30, ha="right")
    if rows <= LABELLED_ROWS:
        ax.set_yticks(range(rows), list(values.index), fontsize=7)
    else:
        ax.set_ylabel(f"{rows} combinations, in sweep.csv order")
    fig.colorbar(image, ax=ax, label="log10 largest relative difference")
    ax.set_title("where the frameworks disagree")
    tmp = path.with_name(f".{path.name}.tmp.png")
    fig.savefig(tmp, dpi=100)
    tmp.replace(path)


def markdown(frame: pd.DataFrame, grid_file) -> str:
    counts = frame["status"].value_counts().reindex(results.STATUSES, fill_value=0)
    lines = [f"# Sweep{f' of {Path(grid_file).name}' if grid_file else ''}", ""]
    lines += [f"{len(frame)} combinations: " + ", ".join(f"{n} {s}" for s, n in counts.items()) + ".", ""]
    lines += ["The table is [sweep.csv](sweep.csv); each combination's run bundle is `runs/<name>/`, with its own report.md.", ""]
    lines += ["![log10 of the largest difference, combination x framework pair](heatmap.png)", ""]
    bad = frame[frame["status"] != "ok"]
    if len(bad):
        shown = bad[["name", "status", "error"]].assign(report=[_link(n, s) for n, s in zip(bad["name"], bad["status"])])
        lines += ["## Not ok", "", formats.render(shown.fillna(""), "markdown")]
    pairs = largest(frame).drop(columns=[FD_PAIR], errors="ignore")
    worst = pairs.max(axis=1).sort_values(ascending=False).head(TOP).dropna()
    if len(worst):
        top = pd.DataFrame(
            {"name": worst.index, "pair": pairs.loc[worst.index].idxmax(axis=1).to_numpy(), "largest difference": worst.to_numpy()}
        )
        lines += ["## Largest differences between frameworks", "", formats.render(top, "markdown")]
    return "\n".join(lines)


def _link(name: str, status: str) -> str:
    return "-" if status == "failed" else f"[report](runs/{name}/report.md)"


def write(frame: pd.DataFrame, out: Path, grid_file=None) -> None:
    """DIR/heatmap.png and DIR/report.md, each written atomically."""
    heatmap(frame, out / "heatmap.png")
    formats.write(markdown(frame, grid_file), out / "report.md", flag="--out")
