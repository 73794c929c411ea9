"""The bundle's markdown: the verdict in sentences, summary.md and report.md."""

from __future__ import annotations

import pandas as pd

from compare.shared.implementations import RUNS


def _md(frame: pd.DataFrame) -> str:
    return frame.to_markdown(index=False, floatfmt=".3g") if len(frame) else "_(none)_"


def _gradient_line(result) -> list[str]:
    """The first gradients of every pair that should agree, in one sentence: the largest difference and the share of
    what round-off can explain here that it uses (the bound derived from the network); and the tensors not judged,
    whose bound is as large as themselves."""
    grads = result.tables["gradients"]
    pairs = grads[grads["bound_ratio"].notna() & ~grads["pair"].str.endswith(" vs exact")]
    judged = pairs[pairs["pass"].notna()]
    if len(judged) and not judged["pass"].astype(bool).all():
        return []
    below = sorted(set(pairs[pairs["pass"].isna()]["tensor"]), key=list(grads["tensor"]).index)
    one = len(below) == 1
    note = (f"not judged: {', '.join(f'`{t}`' for t in below)}, whose bound is as large as the gradient itself (round-off in "
            f"{result.spec.dtype} alone could move {'it' if one else 'them'} by {'its' if one else 'their'} own size).")  # fmt: skip
    if not len(judged):
        return [f"- First gradients: {note}"] if below else []
    worst = judged.loc[judged["bound_ratio"].idxmax()]
    return [f"- First gradients: every pair within what round-off can explain here; the largest share is {worst['pair']}'s "
            f"`{worst['tensor']}`, {worst['max_rel']:.1e} = {worst['bound_ratio']:.2g} of its bound ({worst['bound']:.1e})."
            + (f" Also {note}" if below else "")]  # fmt: skip


RULES = {"torch": "torch's", "keras": "Keras's"}


def _by_design(result, agree: pd.DataFrame) -> list[str]:
    """Pairs that differ by design, each difference said once: a run on its framework's own defaults against all the
    others, then the runs grouped by the update rules they follow (torch's: numpy, torch; Keras's: numpy-keras, tensorflow)."""
    rows = agree[(agree["status"] == "ok") & (agree["should_agree"] == False) & ~agree["pair"].str.endswith(" vs exact")]  # noqa: E712
    lines, left = [], []
    for name in result.native:
        mine = rows[rows["pair"].str.split(" vs ").map(lambda p, n=name: n in p)]
        if len(mine):
            others = [n for p in mine["pair"] for n in p.split(" vs ") if n != name]
            lines.append(f"- **{name}** and {', '.join(dict.fromkeys(others))} differ by design ({mine['reason'].iloc[0]}): "
                         f"max relative loss difference {mine['max_rel'].max():.2e}.")  # fmt: skip
        rows = rows.drop(mine.index)
    if len(rows):
        groups: dict[str, list[str]] = {}
        for name in dict.fromkeys(n for p in rows["pair"] for n in p.split(" vs ")):
            groups.setdefault(RUNS[name].convention, []).append(name)
        runs = " and ".join(f"{RULES[rules]} rules ({', '.join(names)})" for rules, names in groups.items())
        left.append(
            f"- Runs in {runs} differ by design ({rows['reason'].iloc[0]}): max relative loss difference {rows['max_rel'].max():.2e}."
        )
    return lines + left


def verdict_lines(result) -> list[str]:
    """One sentence per finding: failing tensors, diverging pairs, stopped runs, missing frameworks; each difference by
    design once, the runs grouped by the update rules they follow."""
    lines = []
    for pair, tensor in result.first_failing_tensor().items():
        if tensor:
            lines.append(f"- **{pair}**: gradients differ; walking back from the output, the first failing tensor is `{tensor}`.")
    lines += _gradient_line(result)
    agree = result.tables["agreement"]
    for _, row in agree[agree["status"] == "ok"].iterrows():
        if row["should_agree"] and not row["pass"]:
            lines.append(f"- **{row['pair']}**: {row['verdict']}.")
    lines += _by_design(result, agree)
    for name, h in result.histories.items():
        if not h.ok:
            lines.append(f"- **{name}** stopped: the loss became NaN or infinite at step {h.failed_step}.")
    lines += [f"- **{name}** is not installed: its rows are marked so." for name in result.missing]
    head = "All pairs that should agree do, to round-off." if result.ok else "Some pairs that should agree do not."
    return [head, ""] + lines


def _exact_section(result) -> list[str]:
    """The distance of every run from the exact reference, and what the round-off bounds are."""
    if "exact" not in result.tables:
        return []
    e = result.exact
    from compare.exact import extended

    how = extended.HOW[e.method]
    return [
        f"## Distance from the exact reference (ulps of {result.spec.dtype})",
        "",
        f"The NumPy reference recomputed in {how} from the same inputs: the first gradients, and the first {e.steps} of "
        f"{e.total} steps of the curve (`--exact {e.mode}`; its cost in `exact/exact.json`). `of_bound` is the largest share of "
        "what round-off can explain that a run's first gradients use: a bound derived per entry from the network (dot products "
        "along the layers' shapes, |A|ᵀ|dZ|, the activations' and the loss's own errors, `bounds.npz`); above 1 is a "
        "disagreement, whatever its size. A trained curve has no derived bound: its tolerance is the suite's fixed one.",
        "",
        _md(result.tables["exact"]),
        "",
    ]


def summary(result) -> str:
    """The bundle's summary.md: the verdict, the final metrics and each run's distance from the exact reference."""
    metrics = _md(result.tables["metrics"])
    exact = (
        [f"## Distance from the exact reference (ulps of {result.spec.dtype})", "", _md(result.tables["exact"]), ""]
        if "exact" in result.tables
        else []
    )
    return "\n".join([f"# Summary: {result.spec.short()}", "", *verdict_lines(result), "", "## Final metrics", "", metrics, "", *exact])


def report(result) -> str:
    """The bundle's report.md: spec, verdict, tables and figures, readable on GitHub."""
    spec, env, tables = result.spec, result.environment, result.tables
    versions = ", ".join(f"{k} {env[k]}" for k in ("python", "numpy", "torch", "tensorflow", "keras") if env.get(k))
    return "\n".join(
        [
            f"# mlp-compare run: {spec.short()}",
            "",
            f"{spec.epochs} epochs of {len(result.data.X_train)} training samples in mini-batches of {spec.batch_size}, "
            f"seed {spec.seed}, {spec.dtype}. Every hyperparameter is in `spec.json`; {versions}.",
            "",
            "## Verdict",
            "",
            *verdict_lines(result),
            "",
            "## Gradients at the initial weights (first mini-batch, output layer first)",
            "",
            _md(tables["gradients"]),
            "",
            "![gradient errors](grad_errors.png)",
            "",
            "## Loss curves",
            "",
            _md(tables["agreement"]),
            "",
            "![loss curves](loss_curves.png)",
            "",
            "## Final metrics",
            "",
            _md(tables["metrics"]),
            "",
            *_exact_section(result),
            "## Re-verify",
            "",
            f"`data.npz`, `init.npz` ({'W1, b1, ...' if spec.bias else 'W1, W2, ..., no biases'} in (fan_in, fan_out) layout) and "
            "`schedule.npy` (the sample order of each epoch; "
            "mini-batches are consecutive slices of `batch_size`) are all a re-run needs; `curves.csv` holds the loss of each "
            "mini-batch before its update, `grads/` and `final/` the first gradients and the final weights per framework.",
            "",
        ]
    )
