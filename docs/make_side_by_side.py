"""Write docs/side_by_side.md: the same network in NumPy, PyTorch and TensorFlow, step by step, with every
line of code excerpted from the source files (never retyped). `make docs` runs it; a test fails when the
document no longer matches the sources.

    python docs/make_side_by_side.py            # rewrite docs/side_by_side.md
    python docs/make_side_by_side.py --check    # exit 1 if it is stale
    python docs/make_side_by_side.py --defaults # also measure docs/defaults.md (the table the notes link to)
"""

from __future__ import annotations

import argparse
import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "side_by_side.md"
DEFAULTS = "defaults.md"  # beside this document
LABELS = ("NumPy (from scratch)", "PyTorch", "TensorFlow / Keras")

# (file, dotted name of a function, class or method, optional first and last line containing these texts)
Excerpt = tuple[str, str, str | None, str | None]

STEPS = [
    ("Architecture", "A stack of layers: each holds weights `W` of shape `(fan_in, fan_out)` and biases `b` of `fan_out`.",
     [("scratch/mlp.py", "MLP.__init__", None, None),
      ("torch_impl/mlp.py", "MLP.__init__", "sizes =", "self.linears ="),
      ("tf_impl/mlp.py", "MLP.__init__", "self.dense = []", "self.dense.append")],
     "torch's `nn.Linear` stores `weight` as `(out, in)`, Keras's `Dense` stores `kernel` as `(in, out)`, the NumPy "
     "reference `(in, out)`.", ["weight-layout"]),
    ("Initialisation", "One NumPy generator draws the weights once; each framework loads the same arrays through one function.",
     [("compare/shared/weights.py", "init", None, None),
      ("torch_impl/mlp.py", "MLP.set_params", None, None),
      ("tf_impl/mlp.py", "MLP.set_params", None, None)],
     "Left alone, torch draws kaiming_uniform(a=√5) weights and uniform biases, Keras glorot_uniform weights and zero "
     "biases; torch needs the transpose.", ["default-init", "weight-layout"]),
    ("Activation", "`a = f(z)` elementwise; NumPy also needs the derivative, the frameworks get it from autograd.",
     [("scratch/activations.py", "Activation", None, None),
      ("torch_impl/activations.py", "activation", None, None),
      ("tf_impl/activations.py", "activation", None, None)],
     "Same functions; in float32 sigmoid and tanh differ by a few ulp between the frameworks.", ["float32-vs-float64"]),
    ("Forward pass", "`Z = A W + b`, `A = f(Z)`, layer after layer, to the logits of the output layer.",
     [("scratch/mlp.py", "MLP.layers", None, None),
      ("torch_impl/mlp.py", "MLP.forward", None, None),
      ("tf_impl/mlp.py", "MLP._forward", None, None)],
     "torch's `nn.Linear` is `x Wᵀ + b` with a fused bias, Keras's `Dense` `x K + b`: equal in float64, a few ulp "
     "apart in float32.", ["weight-layout", "float32-vs-float64"]),
    ("Loss", "The mean over the mini-batch, computed from the logits (never from probabilities).",
     [("scratch/losses.py", "loss_fn", None, None),
      ("torch_impl/losses.py", "loss_fn", None, None),
      ("tf_impl/losses.py", "loss_fn", None, None)],
     "On probabilities torch clamps the log at −100 while Keras clips p to [1e-7, 1 − 1e-7] (and inside a "
     "`tf.function` silently switches to the logits); torch's `MSELoss` broadcasts an `(N,)` target against `(N, 1)`.",
     ["bce-probabilities", "ce-probabilities", "mse-shapes"]),
    ("Backpropagation", "From dL/dlogits back to every `dW` and `db`: by hand in NumPy, by autograd and GradientTape in the frameworks.",
     [("scratch/mlp.py", "MLP.backward", None, None),
      ("torch_impl/mlp.py", "MLP.gradients", None, None),
      ("tf_impl/mlp.py", "MLP._loss_and_grads", None, None)],
     "The gradients agree to ~1e-15 in float64; torch's are `(out, in)` and are transposed back.", ["weight-layout"]),
    ("Update", "The optimizer steps against the gradient; every hyperparameter is passed explicitly.",
     [("scratch/optimizers.py", "Adam.step", None, None),
      ("torch_impl/optimizers.py", "optimizer", None, None),
      ("tf_impl/optimizers.py", "optimizer", None, None)],
     "Default learning rates differ; momentum has two algebraically equal forms; Adam and RMSprop place eps "
     "differently; Keras rounds Python-float hyperparameters to float32; weight decay is L2 in torch's Adam and "
     "decoupled in Keras.",
     ["default-lr", "momentum", "nesterov", "adam", "rmsprop", "rmsprop-centered", "float32-rounding", "weight-decay"]),
    ("Repeat", "One training step per mini-batch, the same sample order in every framework, epoch after epoch.",
     [("scratch/mlp.py", "MLP.train_step", None, None),
      ("torch_impl/mlp.py", "MLP.train_step", None, None),
      ("tf_impl/mlp.py", "MLP._step", None, None)],
     "The loop itself is shared (`compare/shared/harness.py`); thread counts and TensorFlow's oneDNN change float32 round-off.",
     ["threads", "onednn"]),
    ("Test", "Score the held-out data the network never trained on.",
     [("scratch/mlp.py", "MLP.predict", None, None),
      ("torch_impl/mlp.py", "MLP.predict", None, None),
      ("tf_impl/mlp.py", "MLP.predict", None, None)],
     "Same outputs to round-off; Keras keeps a float64 model's loss in float32 unless the loss is built with the run's dtype.",
     ["float32-vs-float64"]),
]  # fmt: skip


def _node(tree: ast.Module, dotted: str):
    body, node = tree.body, None
    for part in dotted.split("."):
        node = next((n for n in body if isinstance(n, (ast.FunctionDef, ast.ClassDef)) and n.name == part), None)
        if node is None:
            raise LookupError(f"no {dotted} (stopped at {part})")
        body = node.body
    return node


def excerpt(root: Path, path: str, dotted: str, first: str | None = None, last: str | None = None) -> tuple[int, int, str]:
    """(first line, last line, text) of a function or method, optionally narrowed to the lines from the one
    containing `first` to the one containing `last`; 1-based, inclusive."""
    lines = (root / path).read_text().splitlines()
    node = _node(ast.parse("\n".join(lines)), dotted)
    start = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
    end = node.end_lineno
    if first is not None:
        start = next(i for i in range(start, end + 1) if first in lines[i - 1])
    if last is not None:
        end = next(i for i in range(start, end + 1) if last in lines[i - 1])
    chunk = lines[start - 1 : end]
    indent = min(len(s) - len(s.lstrip()) for s in chunk if s.strip())
    return start, end, "\n".join(s[indent:] for s in chunk)


def render(root: Path = ROOT) -> str:
    """The whole document, from the sources under root."""
    out = [
        "# One network, three frameworks, side by side",
        "",
        "The same multilayer perceptron in NumPy (hand-written backprop, `scratch/`), PyTorch (`torch_impl/`) and",
        "TensorFlow/Keras (`tf_impl/`), following the nine steps of building a network from scratch. Every code block",
        "below is excerpted from the source file it names by `docs/make_side_by_side.py` (`make docs`); none is",
        "retyped, and `tests/test_side_by_side.py` fails when this page no longer matches the sources.",
        f"Each step ends with where the frameworks differ, linked to the row of the [measured defaults table]({DEFAULTS})",
        "(`mlp-compare defaults` re-measures it on your installed versions). When a run's curves disagree,",
        "`mlp-compare explain RUN_DIR` (or `run --explain`) names which of these differences reproduces each framework,",
        "and `run --defaults native` shows what a learner sees when every framework keeps its own defaults.",
        "To take the network away, `mlp-compare export RUN_DIR` writes standalone PyTorch and Keras scripts (or notebooks)",
        "that follow these nine steps and give the run's numbers back: see [export.md](export.md).",
        "",
        "Steps: " + " · ".join(f"[{i}. {title}](#{i}-{title.lower().replace(' ', '-')})" for i, (title, *_) in enumerate(STEPS, 1)),
        "",
    ]
    for i, (title, what, excerpts, differ, rows) in enumerate(STEPS, 1):
        out += [f"## {i}. {title}", "", what, ""]
        for label, (path, dotted, first, last) in zip(LABELS, excerpts):
            start, end, code = excerpt(root, path, dotted, first, last)
            out += [
                f"**{label}** — [`{path}`](../{path}#L{start}-L{end}), `{dotted}`, lines {start}–{end}",
                "",
                "<!-- docs-test: skip: an excerpt of its source file, checked verbatim by tests/test_side_by_side.py -->",
                "```python",
                code,
                "```",
                "",
            ]
        links = ", ".join(f"[{key}]({DEFAULTS}#{key})" for key in rows)
        out += [f"**Where they differ:** {differ} (defaults table: {links})", ""]
    return "\n".join(out)


def write_defaults(path: Path) -> None:
    """Measure the defaults table on the installed versions and write it with a link anchor per row."""
    sys.path.insert(0, str(ROOT))
    from compare.defaults import causes
    from compare.defaults.table import measure, render, versions
    from compare.io import formats

    frame = measure()
    opening = (
        f'The causes of "same model, different numbers" most reported in public issue trackers and Q&A threads, and which\n'
        f"row below measures each and which `explain` switch reproduces it ({causes.summary()}):\n\n"
        f"{formats.render(causes.coverage(), 'markdown', floats=None)}\n"
    )
    path.write_text(
        f"# Defaults and conventions\n\n{opening}Measured by `mlp-compare defaults` on {versions()}.\n\n"
        f"{render(frame, 'markdown', anchors=True)}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="exit 1 if docs/side_by_side.md is stale")
    parser.add_argument("--defaults", action="store_true", help="also measure and write docs/defaults.md")
    args = parser.parse_args(argv)
    text = render()
    if args.check:
        stale = not OUT.is_file() or OUT.read_text() != text
        print(f"{OUT.relative_to(ROOT)} is {'stale: run make docs' if stale else 'up to date'}")
        return int(stale)
    OUT.write_text(text)
    print(f"wrote {OUT.relative_to(ROOT)}")
    if args.defaults:
        write_defaults(OUT.parent / DEFAULTS)
        print(f"wrote docs/{DEFAULTS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
