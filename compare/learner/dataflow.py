"""A learner's traced run (watch.py) as a dataflow: each recorded value a Node, matched against the reference's
tensors (up to a factor for a backward one), linked to what it read and to who read it; the node where each final
gradient was computed."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from compare.learner.naming import kind
from compare.learner.numbers import canonical, close, scale_of
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
        a = canonical(value, ref)
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
    a = canonical(v, value)
    return a is not None and np.allclose(a, value, rtol=1e-12, atol=0)
