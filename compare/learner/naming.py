"""What a learner's variable names say they hold (kind, best_name: dW, db, dZ, dA, a forward tensor, or nothing), and
a traced line shown with what departs there and what it read (where, describe)."""

from __future__ import annotations

import linecache
import re
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from compare.learner.numbers import canonical, close, rel

if TYPE_CHECKING:
    from compare.learner.dataflow import Node


KINDS = [  # what a learner's variable name says it holds: (tensor kind, the names that say so)
    ("dgamma", ("dgamma", "d_gamma", "grad_gamma")),  # batch norm's scale and shift
    ("dbeta", ("dbeta", "d_beta", "grad_beta")),
    ("dY", ("dxhat", "dx_hat", "dx_norm", "dnorm")),  # back through the scale, before the mean and variance terms
    ("db", ("nabla_b", "dbias", "db", "grad_b", "d_b")),
    ("dW", ("nabla_w", "dweight", "dw", "grad_w", "d_w")),
    ("dZ", ("delta", "dz", "dscores", "dlogits", "dhidden")),
    ("dH", ("dh",)),  # through dropout or batch norm
    ("dA", ("da", "error")),
    ("fp", ("sp", "prime", "deriv")),
]
WHOLE = [  # names that say what they hold only as a whole: (tensor kind, pattern)
    ("loss", re.compile(r"loss|cost|data_loss|j|l")),
    ("y", re.compile(r"y|yb|y_?batch|y_?true|t|targets?(_list)?|labels?|expected")),
    ("N", re.compile(r"m|n|batch_size|num_examples|n?_?samples|num_samples|num_train")),
    ("Z", re.compile(r"z\d*|z_?\w{0,6}|scores|logits|pre_?\w*|net\d*|\w+_inputs")),
    (
        "A",
        re.compile(
            r"a\d*|a_?(prev|l|\d+)|outs?|outputs?\d*|act\d*|activations?\d*|h\d*|hidden\d*|layer_?\d+|l\d+|probs|p|s|sig\w*|\w+_outputs"
        ),
    ),
]
BACKWARD = ("grad", "nabla", "delta", "error", "dinput", "dvalue", "dout", "dx", "dy", "d_")  # some backward tensor
INSIDE = ("_error", "_delta", "_grad", "_nabla")


def kind(key: str) -> str | None:
    """dW, db, dZ, dA or fp from a variable's name (grads['db1'], self.dbiases, nabla_w[0], delta), None if it does not say."""
    name = key.lower()
    if name.endswith("()"):  # what a call returned: only a derivative's name says what it is
        return "fp" if "deriv" in name or "prime" in name else None
    root = name.split("[")[0].split(".")[-1]
    if "[" in name and ("'" in name or '"' in name):
        name = name.partition("[")[2].strip("]'\"")  # a dict key names the tensor: grads['W1'] holds dW1
        if re.fullmatch(r"[wb]\d*", name) and any(w in root for w in ("grad", "nabla", "d")):
            return "dW" if name.startswith("w") else "db"
    name = name.split(".")[-1].split("[")[0]
    if re.fullmatch(r"d[wb]\d*", name):
        return "dW" if name[1] == "w" else "db"
    if re.fullmatch(r"[wb]\d*", name):
        return "W" if name.startswith("w") else "b"
    for tensor, words in KINDS:
        if any(name.startswith(w) for w in words):
            return tensor
    for tensor, pattern in WHOLE:
        if pattern.fullmatch(name):
            return tensor
    if name.startswith(BACKWARD) or "deriv" in name or "prime" in name:
        return "fp" if "deriv" in name or "prime" in name else "d"
    if any(w in name for w in INSIDE):  # hidden_errors, layer_2_delta, w_grad: a backward tensor of some layer
        return "d"
    return None


SPECIFIC = re.compile(r"(z|a)\d*|\w+_(inputs|outputs)|(hidden|final)_(inputs|outputs)")


SKIPPED_STEP = {  # (what its name says, what it holds): a step left out, or the forward pass's two tensors swapped
    ("dA", "dZ"), ("dZ", "dA"), ("dZ", "dH"), ("dH", "dA"), ("db", "dZ"), ("fp", "A"), ("fp", "Z"), ("Z", "A"), ("A", "Z"),
}  # fmt: skip


def misnamed(n: Node) -> bool:
    """Another tensor under the name of the one that should be there: one step back in the backward pass under the
    name of the one the step makes (dA = dZ without the weights, dZ = dA without the derivative, db = dZ without the
    sum: another name for it), or a forward tensor for another (prime(a) handed a where it takes z; a derivative
    that returns the activation itself)."""
    said = kind(n.rec.key)
    exact = [name.rstrip("0123456789") for name, s in n.matches.items() if abs(s - 1) < 1e-9]
    if not exact or said in exact or not any((said, held) in SKIPPED_STEP for held in exact):
        return False
    if said in ("Z", "A"):  # out, act: names too loose to say which of the two (CS231n's out is Z)
        return bool(SPECIFIC.fullmatch(n.rec.key.split(".")[-1].lower()))
    return n.rec.alias or said == "fp"


def best_name(node: Node) -> str:
    """The reference tensor a matched value stands for: equal before scaled, then the one its name says."""
    said = kind(node.rec.key)
    ranked = sorted(
        node.matches,
        key=lambda n: (
            abs(node.matches[n] - 1) > 1e-9 and not (said and n.rstrip("0123456789") == said),
            not (said and n.rstrip("0123456789") == said),
        ),
    )
    return ranked[0]


def _nearest(value, right: dict, key: str, slipped: dict):
    """The reference tensor the value stands for: the slipped reference's it equals, the one its name says, else the
    first backward tensor of its shape."""
    if not isinstance(value, np.ndarray):
        return None
    for name, bad in slipped.items():
        if name not in right or np.shape(bad) != np.shape(right[name]) or close(bad, right[name], 1e-7):
            continue  # the slip does not change this tensor
        if canonical(value, bad) is not None and close(canonical(value, bad), bad, 1e-7):
            return name, right[name]
    shape = np.squeeze(value).shape
    same = [
        (n, r)
        for n, r in right.items()
        if np.ndim(r) and (np.squeeze(r).shape == shape or np.ndim(value) == 2 and r.shape == value.shape[::-1])
    ]
    said = kind(key)
    for name, ref in same:
        if name.lower() == key.split(".")[-1].split("[")[0].lower() or said and name.rstrip("0123456789") == said:
            return name, ref
    backward = [(n, r) for n, r in same if n.startswith(("d", "fp"))]
    return (backward or same or [None])[0]


def where(file: str, line: int) -> str:
    """FILE:LINE, or the notebook cell and line."""
    try:
        ip = get_ipython()  # type: ignore[name-defined]  # noqa: F821
        kind, name = ip.compile.format_code_name(file) or (None, None)
        if kind:
            return f"{kind.lower()} {name}, line {line}"
    except Exception:
        pass
    path = Path(file)
    if path.name == "cell.py" and path.parent.name.startswith("mlp-compare-cell-"):
        return f"your cell, line {line}"  # compare.check_cell / %%check
    try:
        path = path.resolve().relative_to(Path.cwd())
    except ValueError:
        pass
    return f"{path}:{line}"


def describe(node: Node, nodes: list[Node], right: dict, slipped: dict | None = None) -> str:
    """FILE:LINE  source  ← what departs there; what it read that was right."""
    r = node.rec
    source = (r.source or linecache.getline(r.file, r.line)).strip().splitlines()[0]
    what = f"{r.key} departs here"
    near = _nearest(r.value, right, r.key, slipped or {})
    if near is not None:
        name, ref = near
        shape = np.shape(r.value)
        if len(shape) == 2 and shape != ref.shape and shape == ref.shape[::-1]:
            what += f" ({name} transposed: {shape} where {ref.shape})"
        else:
            what += f" ({name}: rel {rel(canonical(r.value, ref), ref):.2g})"
    said = []
    order = {name: k for k, name in enumerate(r.reads)}
    for k in sorted(node.inputs, key=lambda k: order.get(nodes[k].rec.key, len(order))):
        i = nodes[k]
        if i.rec.bound or not i.matches or i.rec.frame != r.frame or i.rec.key not in order:
            continue
        name = best_name(i)
        said.append(f"{i.rec.key} (line {i.rec.line}) was right" + (f", {name}" if name != i.rec.key else ""))
    return f"{where(r.file, r.line)}  {source}  ← {what}" + ("; " + "; ".join(said) if said else "")
