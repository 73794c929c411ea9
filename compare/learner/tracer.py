"""The line of the learner's code where a wrong value starts: their traced run (watch.py) as a dataflow of values,
each matched against the reference's intermediates in their convention, up to the factor their later lines account
for; the line named is the first on the way to every wrong gradient (and to no right one) whose value departs
while what it read did not, and whose departure reaches a gradient (a softmax's shift, undone next line, never)."""

from __future__ import annotations

import linecache
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from compare.learner.numbers import close, rel, scale_of
from compare.learner.watch import Record

FACTORS = (1.0,)  # a value matching a reference tensor times one of these is "right", others are "scaled"


@dataclass
class Node:
    """One recorded value, matched: which reference tensors it equals (name -> scale)."""

    rec: Record
    index: int
    matches: dict[str, float] = field(default_factory=dict)  # name -> s where value = s × right[name]
    slipped: bool = False  # equals the slipped reference's tensor where the right one differs
    inputs: list[int] = field(default_factory=list)
    consumers: list[int] = field(default_factory=list)
    passes_through: bool = False  # another name, in the same call, for an argument the call was handed

    @property
    def exact(self) -> bool:
        return any(abs(s - 1) <= 1e-9 for s in self.matches.values())

    @property
    def matched(self) -> bool:
        return bool(self.matches)


def _canonical(value, like: np.ndarray):
    """value compared with a reference tensor of like's shape: squeezed, or broadcast (a bias (n,) against (1, n))."""
    a = np.asarray(value, dtype=np.float64)
    if a.shape == like.shape:
        return a
    if a.ndim == like.ndim == 2 and a.shape == like.shape[::-1]:
        return None  # a (1, n) against an (n, 1): a transposed vector (dW of a one-unit layer), not the same tensor
    if np.squeeze(a).shape == np.squeeze(like).shape:
        return np.squeeze(a).reshape(like.shape)
    return None


def match(value, right: dict[str, np.ndarray], tol: float) -> dict[str, float]:
    """name -> s for each reference tensor the value is s times (s = 1: equal), s nonzero."""
    out = {}
    if isinstance(value, (float, np.floating)) or isinstance(value, np.ndarray) and value.ndim == 0:
        v = float(value)
        return {name: 1.0 for name, ref in right.items() if np.ndim(ref) == 0 and np.isclose(v, float(ref), rtol=tol, atol=0)}
    if not isinstance(value, np.ndarray) or value.size == 0:
        return out
    for name, ref in right.items():
        if np.ndim(ref) == 0 or ref.size != value.size:
            continue
        a = _canonical(value, ref)
        if a is None or not np.any(ref):
            continue
        if close(a, ref, tol):
            out[name] = 1.0
            continue
        if not name.startswith("d") or value.size < 2:
            continue  # a forward value, the targets or the weights carry no convention; one number is a multiple of any
        s = scale_of([(a, ref)])
        if s != 0 and abs(s) > 1e-12 and close(a, s * ref, tol):
            out[name] = s
    return out


def value_of(r: Record, lr: float | None):
    """What a record is compared as: its value; for an update of weights in a step, the step / lr (a gradient)."""
    if (
        (r.step or r.update and r.bound is False and _weights_key(r.key))
        and lr
        and r.before is not None
        and isinstance(r.value, np.ndarray)
    ):
        return (np.asarray(r.before) - r.value) / lr
    return r.value


def _weights_key(key: str) -> bool:
    """A name that holds the network's weights (self.weights1, W2, params['W1']), not a gradient or an error."""
    return kind(key) in ("W", "b") or "weight" in key.lower() and not key.lower().split(".")[-1].startswith("d")


def graph(records: list[Record], right: dict, slipped: dict, tol: float, lr: float | None = None) -> list[Node]:
    """The records as a dataflow: each value's matches, what it read, who read it."""
    nodes = [Node(r, k) for k, r in enumerate(records)]
    latest: dict[tuple[int, str], int] = {}  # (frame, key) -> last node
    by_ident: dict[int, int] = {}
    for node in nodes:
        r = node.rec
        value = value_of(r, lr)
        node.matches = match(value, right, tol)
        origin = by_ident.get(r.ident) if r.ident else None
        node.passes_through = r.alias and not r.bound and origin is not None and records[origin].bound and records[origin].frame == r.frame
        if slipped:
            node.slipped = _takes_slip(node, match(value, slipped, tol))
        if (r.alias or r.bound) and r.ident in by_ident:
            reads = [by_ident[r.ident]]  # another name for an object made before: made there, not by this statement
        else:
            reads = [latest.get((r.frame, name)) for name in r.reads]
            reads += [latest.get((r.frame, key)) for key in _keys_under(latest, r.frame, r.reads) if key != r.key]
            if r.update:
                reads.append(latest.get((r.frame, r.key)))
            reads += list(r.calls)  # what the calls made by its statement returned
            if r.ident and r.ident in by_ident and records[by_ident[r.ident]].frame != r.frame:
                reads.append(by_ident[r.ident])  # a callee's value handed back
        node.inputs = sorted({k for k in reads if k is not None and k != node.index})
        for k in node.inputs:
            nodes[k].consumers.append(node.index)
        latest[(r.frame, r.key)] = node.index
        if r.ident:
            by_ident[r.ident] = node.index
    return nodes


def _takes_slip(node: Node, bad: dict[str, float]) -> bool:
    """Whether a value is the slipped reference's where the right one differs: it equals the slipped tensor and no
    right tensor, or it equals a right tensor too but its name says it holds the slipped one (dH1 = dA1: dA1's
    numbers, standing for dH1)."""
    departed = [n for n, s in bad.items() if abs(s - 1) < 1e-9 and not (n in node.matches and abs(node.matches[n] - 1) < 1e-9)]
    if not departed:
        return False
    if not node.exact:
        return True
    said = kind(node.rec.key)
    if said in (None, "d") and node.passes_through:
        return True  # hands on what it was handed where the slip leaves out a step (self.dinputs = dvalues)
    return any(said == n.rstrip("0123456789") for n in departed)


def _keys_under(latest, frame: int, reads) -> list[str]:
    """Keys recorded under a name the statement reads: self.dW for self, grads['dW1'] for grads."""
    roots = {name for name in reads if "." not in name}
    return [key for (f, key) in latest if f == frame and key.split(".")[0].split("[")[0] in roots and key not in reads]


def _slice(nodes: list[Node], start: list[int]) -> set[int]:
    """Every node a set of nodes was computed from, themselves included."""
    seen, todo = set(), list(start)
    while todo:
        k = todo.pop()
        if k in seen:
            continue
        seen.add(k)
        todo += nodes[k].inputs
    return seen


def finals(nodes: list[Node], grads_theirs: dict[str, np.ndarray], lr: float | None = None) -> dict[str, int]:
    """tensor name (dW1, db2, loss) -> the node where the learner's final value of it was computed: the first record
    equal to it whose name says that tensor (db = dZ: the line that made it db), else the first equal one (later
    ones are copies into their containers)."""
    out = {}
    for name, value in grads_theirs.items():
        equal = [n for n in nodes if not n.rec.bound and _same(value_of(n.rec, lr), value)]
        said = name.rstrip("0123456789")
        named = [n for n in equal if kind(n.rec.key) == said or n.rec.key.split(".")[-1].split("[")[0] == name]
        unsaid = [n for n in equal if kind(n.rec.key) in (None, "d", said)]  # not a name that says another tensor
        if named or unsaid or equal:
            out[name] = (named or unsaid or equal)[0].index
    return out


def _same(v, value) -> bool:
    if isinstance(value, float) or np.ndim(value) == 0:
        return (
            isinstance(v, (float, np.floating))
            and np.isclose(v, value, rtol=1e-12, atol=0)
            or (isinstance(v, np.ndarray) and v.size == 1 and np.isclose(v.item(), value, rtol=1e-12, atol=0))
        )
    if not isinstance(v, np.ndarray) or v.size != np.size(value):
        return False
    a = _canonical(v, value)
    return a is not None and np.allclose(a, value, rtol=1e-12, atol=0)


def harmful(nodes: list[Node], k: int, wrong_finals: set[int]) -> bool:
    """Whether a departure at node k reaches a wrong gradient through values that depart too (a shift undone on the
    next line reaches none: every path meets a right value first)."""
    seen, todo = set(), [k]
    while todo:
        j = todo.pop()
        if j in wrong_finals:
            return True
        if j in seen:
            continue
        seen.add(j)
        for c in nodes[j].consumers:
            if not nodes[c].exact or c in wrong_finals or nodes[c].slipped or nodes[c].rec.bound or nodes[c].rec.alias:
                todo.append(c)  # a binding or another name for the same object computes nothing: it carries the departure
    return False


def departs(n: Node, wrong_finals: set[int], scaled: bool = False) -> bool:
    """A value that is not what it should be: the slipped reference's, a wrong gradient, another tensor under a name
    that says what it should be (dA = dZ: dZ's numbers standing for dA), or no reference tensor at all under a name
    that says it is one (not an all-zero buffer to fill). A piece with a name that says nothing (exp_scores, shifted)
    proves nothing by itself. For a scale slip (scaled) only the last two count: scaled values are left to the
    scale's own search, since 1/m may sit in dZ or in dW by the learner's convention."""
    unmatched = not n.matched and kind(n.rec.key) is not None and np.any(n.rec.value)
    if scaled:
        return _misnamed(n) or bool(unmatched)
    return n.slipped or n.index in wrong_finals or _misnamed(n) or bool(unmatched)


SKIPPED_STEP = {  # (what its name says, what it holds): a step left out, or the forward pass's two tensors swapped
    ("dA", "dZ"), ("dZ", "dA"), ("dZ", "dH"), ("dH", "dA"), ("db", "dZ"), ("fp", "A"), ("fp", "Z"), ("Z", "A"), ("A", "Z"),
}  # fmt: skip


def _misnamed(n: Node) -> bool:
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


SPECIFIC = re.compile(r"(z|a)\d*|\w+_(inputs|outputs)|(hidden|final)_(inputs|outputs)")


def culprit(
    nodes: list[Node], wrong: dict[str, int], right: dict[str, int], factor: float | None, batch: int = 1, planned: bool = False
) -> Node | None:
    """The node where the wrong values start: on the way to some wrong value, on a line that every wrong value's way
    passes, on no right value's way; the first that departs while what it read did not, and whose departure reaches
    a wrong value."""
    wrong_finals = set(wrong.values())
    if not wrong_finals:
        return None
    slices = [_slice(nodes, [k]) for k in wrong_finals]
    lines = set.intersection(*({(nodes[k].rec.file, nodes[k].rec.line) for k in sl} for sl in slices))
    clean = _slice(nodes, list(right.values())) if right else set()
    reach = set.union(*slices)
    candidates = [n for n in nodes if n.index in reach and n.index not in clean and not n.rec.bound and (n.rec.file, n.rec.line) in lines]
    if factor is None and not planned:  # no slip named: a wrong value that is a known factor times its tensor shows one
        factor = next(
            (
                s
                for k in sorted(set().union(*slices))
                for name, s in nodes[k].matches.items()
                if name.startswith(("dW", "db", "data"))
                and abs(s - 1) > 1e-6
                and k in wrong_finals | {j for j in candidates_ids(candidates)}
            ),
            None,
        )
    listed = {c.index for c in candidates}
    gone = lambda k: departs(nodes[k], wrong_finals, scaled=factor is not None)  # noqa: E731
    scaled = lambda k: factor is not None and _backward(nodes[k]) and abs(_scale(nodes[k]) - factor) <= 1e-6 * abs(factor)  # noqa: E731
    for n in candidates:
        if not gone(n.index) or not harmful(nodes, n.index, wrong_finals):
            continue
        if any(k in listed and (gone(k) or scaled(k)) for k in n.inputs):
            continue  # what it read departed already: an earlier line (the scale slip's line, if it read a scaled value)
        if any(nodes[k].rec.bound and _misnamed(nodes[k]) for k in n.inputs):
            return _outer(nodes, n)  # a helper handed one tensor for another (prime(a) where it takes z): the call
        return _callee_alias(nodes, _call_site(nodes, n))
    if factor is None:
        return None
    found = _scale_culprit(nodes, candidates, factor, clean, batch)
    moved = [n for n in candidates if (r := _ratio(n, nodes)) is not None and abs(r - 1) > 1e-6]
    return found or (moved[0] if moved else None)


def candidates_ids(candidates: list[Node]) -> set[int]:
    return {n.index for n in candidates}


def _callee_alias(nodes: list[Node], n: Node) -> Node:
    """A helper's result received under a name that says what it should hold (dz = relu_backward(...)): the helper's
    line that made it another name for what it was handed (dx = dout) is the slip."""
    if not n.rec.alias:
        return n
    made = [nodes[k] for k in n.rec.calls if nodes[k].rec.ident == n.rec.ident]  # returned by a call of this statement
    if not made:
        return n
    inside = [
        m
        for m in nodes[: made[0].index]
        if m.rec.frame == made[0].rec.frame and m.rec.ident == n.rec.ident and m.rec.alias and not m.rec.bound
    ]
    return inside[-1] if inside else n


def _outer(nodes: list[Node], n: Node) -> Node:
    """The caller's line that receives what a helper's line made (the first value on its way out of the call)."""
    todo, seen = list(n.consumers), set()
    while todo:
        k = todo.pop(0)
        if k in seen:
            continue
        seen.add(k)
        if nodes[k].rec.frame < n.rec.frame and not nodes[k].rec.bound:
            return nodes[k]
        todo += nodes[k].consumers
    return n


def _call_site(nodes: list[Node], n: Node) -> Node:
    """A shared helper's line that gave right values on earlier calls was handed something else this time: the slip
    is the call, so the caller's line that receives what the helper made is named."""
    earlier = [
        m
        for m in nodes[: n.index]
        if (m.rec.file, m.rec.line, m.rec.key) == (n.rec.file, n.rec.line, n.rec.key) and m.exact and not m.slipped
    ]
    return _outer(nodes, n) if earlier else n


def _scale(node: Node) -> float | None:
    """The factor a matched value carries against the reference tensor it stands for."""
    return node.matches[best_name(node)] if node.matches else None


def _backward(node: Node) -> bool:
    return any(name.startswith("d") for name in node.matches)


def _ratio(node: Node, nodes: list[Node]) -> float | None:
    """How much a line changed the scale of the backward values it read (forward values carry none)."""
    s_out = _scale(node)
    if s_out is None:
        return None
    ins = [_scale(nodes[k]) for k in node.inputs if _backward(nodes[k])]
    return s_out / ins[-1] if ins else s_out


def _scale_culprit(nodes: list[Node], candidates: list[Node], factor: float, clean: set[int], batch: int = 1) -> Node | None:
    """A scale slip, in the order the values were made: the first whose own line changed the scale of what it read by
    the slip's factor, or whose scale differs by the factor from the same tensor of another layer on a right
    gradient's way (the learner's own habit there: y - a and += in every layer); None where no line shows it."""
    same = lambda a, b: abs(a - b) <= 1e-6 * abs(b)  # noqa: E731
    for n in candidates:
        if not n.matches:
            continue
        if (r := _ratio(n, nodes)) is not None and same(r, factor):
            return n
        name = best_name(n)
        siblings = [nodes[k] for k in clean if nodes[k].matches and best_name(nodes[k]).rstrip("0123456789") == name.rstrip("0123456789")]
        if any(same(n.matches[name] / _scale(m), factor) for m in siblings if (m.rec.line, m.rec.key) != (n.rec.line, n.rec.key)):
            return n
    for n in candidates:  # the slip on a line that also moves the batch's 1/N, as a learner's 1/m may sit anywhere
        if (r := _ratio(n, nodes)) is not None and any(same(r, factor * batch**e) for e in (1, -1)):
            return n
    return None


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
            what += f" ({name}: rel {rel(_canonical(r.value, ref), ref):.2g})"
    said = []
    order = {name: k for k, name in enumerate(r.reads)}
    for k in sorted(node.inputs, key=lambda k: order.get(nodes[k].rec.key, len(order))):
        i = nodes[k]
        if i.rec.bound or not i.matches or i.rec.frame != r.frame or i.rec.key not in order:
            continue
        name = best_name(i)
        said.append(f"{i.rec.key} (line {i.rec.line}) was right" + (f", {name}" if name != i.rec.key else ""))
    return f"{where(r.file, r.line)}  {source}  ← {what}" + ("; " + "; ".join(said) if said else "")


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
        if _canonical(value, bad) is not None and close(_canonical(value, bad), bad, 1e-7):
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


__all__ = ["kind", "best_name"]
