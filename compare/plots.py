"""The bundle's figures, drawn with matplotlib's Agg backend: loss curves and gradient errors."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

MAX_POINTS = 2000  # per line: longer runs are drawn per window of steps, so the figure's cost stays flat


def windows(values: np.ndarray, reduce) -> tuple[np.ndarray, np.ndarray]:
    """(steps, values) with at most MAX_POINTS points: each window of k steps reduced to one."""
    k = -(-len(values) // MAX_POINTS)
    steps = np.arange(1, len(values) + 1)
    if k == 1:
        return steps, values
    n = len(values) // k * k
    with np.errstate(all="ignore"):
        return steps[:n:k], reduce(values[:n].reshape(-1, k), axis=1)


def loss_curves(result, path: Path) -> None:
    """Top: every framework's mini-batch loss per step. Bottom: relative |difference| per pair, log scale."""
    with np.errstate(over="ignore"):  # a log axis over a blown-up run overflows inside matplotlib
        _loss_curves(result, path)


def _loss_curves(result, path: Path) -> None:
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(9, 7), sharex=True, height_ratios=[3, 2])
    styles = ["-", "--", ":", "-."]
    for (name, h), style in zip(result.histories.items(), styles * 2):
        finite = np.where(np.isfinite(h.losses), h.losses, np.nan)  # a run that blew up stops on the plot
        top.plot(*windows(finite, np.mean), style, label=name, linewidth=1.2)
    finite = np.concatenate([h.losses[np.isfinite(h.losses)] for h in result.histories.values()] + [np.ones(1)])
    if finite.max() > 1e4 * max(finite.min(), 1e-300):  # a blow-up: only a log axis can show it
        top.set_yscale("log")
    top.set_ylabel("mini-batch loss" if len(finite) <= MAX_POINTS + 1 else "mini-batch loss (window means)")
    top.set_title(result.spec.short())
    top.legend()
    diffs = result.curve_diffs()
    for pair, d in diffs.groupby("pair", sort=False):
        rel = d["rel_diff"].to_numpy()
        bottom.semilogy(*windows(np.where(np.isfinite(rel), np.maximum(rel, 1e-18), np.nan), np.max), label=pair, linewidth=1)
    if len(diffs):
        tol = diffs.drop_duplicates("step")["tolerance"].to_numpy()
        bottom.semilogy(*windows(tol, np.min), "k--", linewidth=0.8, label="tolerance")
    if not len(diffs):
        bottom.text(0.5, 0.5, "one framework: no pair to compare", transform=bottom.transAxes, ha="center", va="center")
    bottom.set_yscale("log")
    bottom.set_xlabel("step")
    bottom.set_ylabel("|Δ loss| / max(|a|, |b|)")
    bottom.set_ylim(1e-18, 10)
    if len(diffs):
        bottom.legend(fontsize="small")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def grad_errors(result, path: Path) -> None:
    """Relative error per tensor (x) per pair (bars), log scale, with each pair's tolerance."""
    table = result.gradient_table()
    table = table[table["status"] != "not installed"]
    fig, ax = plt.subplots(figsize=(9, 4.5))
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
    plt.close(fig)
