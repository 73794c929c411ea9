"""The line of the learner's code where a wrong value starts, searched in their run's dataflow (dataflow.py): the
first on the way to every wrong gradient (and to no right one) whose value departs while what it read did not, and
whose departure reaches a gradient (a softmax's shift, undone next line, never); a scale slip where its factor enters."""

from __future__ import annotations

import numpy as np

from compare.learner.dataflow import Node
from compare.learner.naming import best_name, kind, misnamed


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
        return misnamed(n) or bool(unmatched)
    return n.slipped or n.index in wrong_finals or misnamed(n) or bool(unmatched)


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
        if any(nodes[k].rec.bound and misnamed(nodes[k]) for k in n.inputs):
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
