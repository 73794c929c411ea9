"""The README.md of an export folder: what each file is, how to run the scripts, how to hold them against the bundle."""

from __future__ import annotations

from compare.export import words
from compare.export.convention import PLAIN, Convention
from compare.export.source import MASKS, Source

FILES = {
    "init.npz": "the initial weights `W1`, `b1`, ... (no `b` without biases): `W` is `(fan_in, fan_out)`, torch's layers hold its transpose",
    "data.npz": "`X_train`, `y_train`, `X_test`, `y_test` (targets as the loss takes them), `n_classes` (-1: regression)",
    "schedule.npy": "`(epochs, n_train)`: each epoch's sample order; the mini-batches are consecutive slices of it",
    MASKS: "`mask1`, `mask2`, ...: `(epochs, n_train, width)`, each step's dropout mask (0, or 1/(1 - p) for a kept unit)",
}


def readme(source: Source, frameworks: list[str], style: str, notebook: bool, data_files: list[str], convention: Convention = PLAIN) -> str:
    """The folder's README.md."""
    spec = source.spec
    where = f"the run bundle `{source.folder}`" if source.folder is not None else "a spec"
    ext = "ipynb" if notebook else "py"
    lines = [
        f"# A {'-'.join(map(str, spec.layers))} MLP in {' and '.join(words.NAMES[f] for f in frameworks)}",
        "",
        f"Exported by `mlp-compare export` ({style}) from {where}: {words.summary(spec)}, "
        f"{spec.epochs} epochs of mini-batches of {spec.batch_size}. The scripts import only NumPy and their framework.",
        "",
        "| file | what it is |",
        "|---|---|",
    ]
    for f in frameworks:
        run = words.RUNS[f]
        lines.append(f"| `{f}_train.{ext}` | the network in {words.NAMES[f]}; writes `{f}_losses.npy` and `{f}_final.npz` "
                     f"(as a bundle's `losses/{run}.npy` and `final/{run}.npz`) |")  # fmt: skip
    lines += [f"| `{name}` | {FILES[name]} |" for name in data_files]
    lines += ["", "## Run", "", "Inside this folder:", ""]
    if notebook:
        lines += [f"    jupyter execute {f}_train.ipynb" for f in frameworks]
    else:
        lines += [f"    python {f}_train.py" for f in frameworks]
    lines += ["", "## What to expect", ""]
    if style == "faithful":
        lines.append(
            "Each script reproduces its framework's run of mlp-compare on the same weights, mini-batches"
            + (" and dropout masks" if spec.dropout > 0 else "")
            + " to round-off (about 1e-15 in float64, 1e-6 in float32), step by step. Held against a bundle:"
        )
        lines += ["", "```python", "import numpy as np", ""]
        for f in frameworks:
            lines.append(f'print(abs(np.load("{f}_losses.npy") - np.load("RUN_DIR/losses/{words.RUNS[f]}.npy")).max())')
        lines.append("```")
    else:
        lines.append(
            "Idiomatic code parts from the bundle where a framework user's code does; each script's opening says where. "
            "It reads data.npz only: init.npz and schedule.npy are the bundle's, to compare with."
        )
        for f in frameworks:
            lines += ["", f"{words.NAMES[f]}:", "", *[f"- {d}" for d in words.differences(spec, f, source.data.classification, convention)]]
    return "\n".join(lines) + "\n"
