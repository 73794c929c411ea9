"""The bundle's markdown: the verdict in sentences, summary.md and report.md."""

from __future__ import annotations

import pandas as pd


def _md(frame: pd.DataFrame) -> str:
    return frame.to_markdown(index=False, floatfmt=".3g") if len(frame) else "_(none)_"


def verdict_lines(result) -> list[str]:
    """One sentence per finding: failing tensors, diverging pairs, stopped runs, missing frameworks."""
    lines = []
    for pair, tensor in result.first_failing_tensor().items():
        if tensor:
            lines.append(f"- **{pair}**: gradients differ; walking back from the output, the first failing tensor is `{tensor}`.")
    agree = result.tables["agreement"]
    for _, row in agree[agree["status"] == "ok"].iterrows():
        if row["should_agree"] and not row["pass"]:
            lines.append(f"- **{row['pair']}**: {row['verdict']}.")
        elif not row["should_agree"]:
            lines.append(f"- **{row['pair']}** differ by design ({row['reason']}): max relative loss difference {row['max_rel']:.2e}.")
    for name, h in result.histories.items():
        if not h.ok:
            lines.append(f"- **{name}** stopped: the loss became NaN or infinite at step {h.failed_step}.")
    lines += [f"- **{name}** is not installed: its rows are marked so." for name in result.missing]
    head = "All pairs that should agree do, to round-off." if result.ok else "Some pairs that should agree do not."
    return [head, ""] + lines


def summary(result) -> str:
    """The bundle's summary.md: the verdict and the final metrics."""
    metrics = _md(result.tables["metrics"])
    return "\n".join([f"# Summary: {result.spec.short()}", "", *verdict_lines(result), "", "## Final metrics", "", metrics, ""])


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
            "## Re-verify",
            "",
            f"`data.npz`, `init.npz` ({'W1, b1, ...' if spec.bias else 'W1, W2, ..., no biases'} in (fan_in, fan_out) layout) and "
            "`schedule.npy` (the sample order of each epoch; "
            "mini-batches are consecutive slices of `batch_size`) are all a re-run needs; `curves.csv` holds the loss of each "
            "mini-batch before its update, `grads/` and `final/` the first gradients and the final weights per framework.",
            "",
        ]
    )
