"""The bundle's figures, drawn with matplotlib's Agg canvas (no pyplot): loss curves and gradient errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from compare.agree import tables
from compare.agree.differences import curve_diff
from compare.agree.tolerances import curve_tolerance
from compare.shared import loss_file

MAX_POINTS = 2000  # per line: longer runs are drawn per window of steps, so the figure's cost stays flat


def figure(**kwargs):
    """A matplotlib Figure on the Agg canvas, no pyplot. matplotlib is imported here, when a bundle is drawn:
    it costs ~0.4 s, which no command that draws nothing should pay."""
    from matplotlib.figure import Figure

    return Figure(**kwargs)


class Series:
    """A per-step series computed a chunk at a time: len() steps, series[a:b] = fn(a, b)."""

    def __init__(self, n: int, fn):
        self.n, self.fn = n, fn

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, key: slice) -> np.ndarray:
        start, stop, _ = key.indices(self.n)
        return self.fn(start, stop)


def windows(values, reduce) -> tuple[np.ndarray, np.ndarray]:
    """(steps, values) with at most MAX_POINTS points: each window of k steps reduced to one. `values`:
    an array, a loss_file.LossFile or a Series, read a block of whole windows at a time."""
    n = len(values)
    k = -(-n // MAX_POINTS)
    if k <= 1:
        return np.arange(1, n + 1), np.asarray(values[0:n], np.float64)
    block = k * max(1, loss_file.CHUNK // k)
    parts = []
    with np.errstate(all="ignore"):
        for start, stop in loss_file.spans(n // k * k, block):
            parts.append(reduce(np.asarray(values[start:stop], np.float64).reshape(-1, k), axis=1))
    return np.arange(1, n // k * k + 1, k), np.concatenate(parts)


def loss_curves(result, path: Path) -> None:
    """Top: every framework's mini-batch loss per step. Bottom: relative |difference| per pair, log scale."""
    with np.errstate(over="ignore", invalid="ignore"):  # a log axis over a blown-up run overflows inside matplotlib
        _loss_curves(result, path)


def _finite(values: np.ndarray) -> np.ndarray:
    return np.where(np.isfinite(values), values, np.nan)  # a run that blew up stops on the plot


def _loss_curves(result, path: Path) -> None:
    fig = figure(figsize=(9, 7))
    top, bottom = fig.subplots(2, 1, sharex=True, height_ratios=[3, 2])
    styles = ["-", "--", ":", "-."]
    low, high, n = np.inf, -np.inf, 0
    for (name, h), style in zip(result.histories.items(), styles * 2):
        n = len(h.losses)
        top.plot(*windows(Series(n, lambda a, b, h=h: _finite(h.losses[a:b])), np.mean), style, label=name, linewidth=1.2)
        for start, stop in loss_file.spans(n):
            part = h.losses[start:stop]
            part = part[np.isfinite(part)]
            low, high = min(low, part.min(initial=np.inf)), max(high, part.max(initial=-np.inf))
    if high > 1e4 * max(low, 1e-300):  # a blow-up: only a log axis can show it
        top.set_yscale("log")
    top.set_ylabel("mini-batch loss" if n <= MAX_POINTS else "mini-batch loss (window means)")
    top.set_title(result.spec.short())
    top.legend()
    pairs = tables.curve_pairs(result)
    for a, b in pairs:
        rel = Series(n, lambda start, stop, a=a, b=b: _pair_rel(result, a, b, start, stop))
        bottom.semilogy(*windows(rel, np.max), label=f"{a} vs {b}", linewidth=1)
    if pairs:
        tol = Series(n, lambda start, stop: curve_tolerance(result.spec.dtype, np.arange(start + 1, stop + 1), result.spec.adaptive))
        bottom.semilogy(*windows(tol, np.min), "k--", linewidth=0.8, label="tolerance")
        bottom.legend(fontsize="small")
    else:
        bottom.text(0.5, 0.5, "one framework: no pair to compare", transform=bottom.transAxes, ha="center", va="center")
    bottom.set_yscale("log")
    bottom.set_xlabel("step")
    bottom.set_ylabel("|Δ loss| / max(|a|, |b|)")
    bottom.set_ylim(1e-18, 10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def _pair_rel(result, a: str, b: str, start: int, stop: int) -> np.ndarray:
    _, rel = curve_diff(result.histories[a].losses[start:stop], result.histories[b].losses[start:stop])
    return np.where(np.isfinite(rel), np.maximum(rel, 1e-18), np.nan)


def grad_errors(result, path: Path) -> None:
    """Relative error per tensor (x) per pair (bars), log scale, with each pair's tolerance."""
    table = result.tables["gradients"]
    table = table[table["status"] != "not installed"]
    fig = figure(figsize=(9, 4.5))
    ax = fig.subplots()
    pairs = list(dict.fromkeys(table["pair"]))
    tensors = list(dict.fromkeys(table["tensor"]))[::-1]  # forward order on the x axis
    width = 0.8 / max(len(pairs), 1)
    x = np.arange(len(tensors))
    for i, pair in enumerate(pairs):
        rows = table[table["pair"] == pair].set_index("tensor")
        values = [max(float(rows.loc[t, "max_rel"]), 1e-18) if t in rows.index else np.nan for t in tensors]
        ax.bar(x + i * width - 0.4 + width / 2, values, width, label=pair)
    for tol in sorted(set(table["tolerance"].dropna())):
        ax.axhline(tol, color="grey", linestyle="--", linewidth=0.8)
    ax.set_yscale("log")
    ax.set_xticks(x, tensors)
    ax.set_ylabel("max relative error")
    ax.set_title("Gradients at the initial weights, first mini-batch (dashed: tolerances)")
    ax.legend(fontsize="small")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
