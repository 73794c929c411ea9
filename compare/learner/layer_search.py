"""Which of a learner's arrays hold each layer's weights and biases: the layer sizes their shapes chain into (chains),
and the one binding of leaves to layers that fits those sizes (bind), refused in one line where none or two fit."""

from __future__ import annotations

import itertools

from compare.errors import LearnerError
from compare.learner.slots import BIAS_NAMES, WEIGHT_NAMES, Binding, LayerSlots, Leaf


def _weight_fits(leaf: Leaf, n_in: int, n_out: int) -> list[tuple[bool, str | None]]:
    """(columns, folded) ways a 2-D leaf can hold a (n_in, n_out) layer's weights."""
    if len(leaf.shape) != 2:
        return []
    ways = []
    for columns in (False, True):
        rows, cols = leaf.shape[::-1] if columns else leaf.shape
        if (rows, cols) == (n_in, n_out):
            ways.append((columns, None))
        if (rows, cols) == (n_in + 1, n_out):
            ways += [(columns, "last"), (columns, "first")]
    return ways


def _bias_fits(leaf: Leaf, n_out: int, columns: bool) -> bool:
    return leaf.shape in ((n_out,), (n_out, 1) if columns else (1, n_out)) or (n_out == 1 and leaf.shape in ((1,), (1, 1)))


def _score(leaf: Leaf, pattern) -> int:
    return 0 if pattern.search(leaf.name) else 1


def chains(
    found: list[Leaf],
    sizes: tuple[int, ...] | None,
    max_layers: int = 8,
    layout: str | None = None,
    bias: bool | None = None,
    ordered: bool = False,
) -> list[tuple[int, ...]]:
    """Layer sizes (n0, n1, ..., nL) the 2-D leaves can chain into, when the sizes are not given: the longest first,
    then those whose layers come in the order the learner's objects hold them (ordered: the order of found, a run's
    forward order), then the biases apart before folded into the weights (a last column of each neuron's weights),
    then samples as rows; no folded biases where the network has none."""
    if sizes is not None:
        return [sizes]
    mats = [leaf for leaf in found if len(leaf.shape) == 2]
    out = {}
    for start in mats:
        for columns in [layout == "columns"] if layout else (False, True):
            for folded in (0,) if bias is False else (0, 1):  # a row of each layer's weights holds its bias: fan_in + 1
                n_in, n_out = start.shape[::-1] if columns else start.shape
                chain, used = [n_in - folded, n_out], [start]
                while len(chain) <= max_layers:
                    nxt = [m for m in mats if m not in used and (m.shape[::-1] if columns else m.shape)[0] == chain[-1] + folded]
                    if not nxt:
                        break
                    nxt.sort(key=lambda m: (ordered and found.index(m) < found.index(used[-1]), _score(m, WEIGHT_NAMES)))
                    used.append(nxt[0])
                    chain.append((nxt[0].shape[::-1] if columns else nxt[0].shape)[1])
                if len(chain) >= 3 and chain[0] >= 1:
                    order = (
                        int([found.index(x) for x in used] != sorted(found.index(x) for x in used))
                        if ordered
                        else _order([(x, None) for x in used])
                    )
                    named = sum(_score(x, WEIGHT_NAMES) for x in used)
                    if ordered:  # a run's updates: every array it updated a weight, or a bias of a layer
                        rest = [x for x in found if x not in used]
                        left = sum(bool(folded) or not any(_bias_fits(x, n, columns) for n in chain[1:]) for x in rest)
                        rank = (order, left, named, -len(chain), folded, columns)
                    else:
                        rank = (-len(chain), order, named, folded, columns)
                    out[tuple(chain)] = min(rank, out.get(tuple(chain), rank))
    return sorted(out, key=out.get)


def bind(
    found: list[Leaf], sizes: tuple[int, ...], *, layout: str | None = None, bias: bool | None = None, names=None, stepped: bool = False
) -> Binding:
    """The leaves that hold each layer's weights (and biases) for the sizes; refused in one line when none fit or when
    two fit equally well (with the names to give --weights). stepped: every leaf is an array a training step changed,
    so one of a bias's shape is a bias whatever its name."""
    candidates = found
    if names:
        by_name = {leaf.name.split(".")[-1]: leaf for leaf in found}
        missing = [n for n in names if n not in by_name]
        if missing:
            raise LearnerError(f"--weights {','.join(names)}: no array named {missing[0]}; found {', '.join(sorted(by_name)) or 'none'}")
        candidates = [by_name[n] for n in names] + [leaf for leaf in found if len(leaf.shape) == 1]
    L = len(sizes) - 1
    options = []
    for columns in [layout == "columns"] if layout else [False, True]:
        per_layer = []
        for k in range(L):
            n_in, n_out = sizes[k], sizes[k + 1]
            ways = [(leaf, f) for leaf in candidates for c, f in _weight_fits(leaf, n_in, n_out) if c == columns]
            if bias is False:
                ways = [(leaf, f) for leaf, f in ways if f is None]
            per_layer.append(ways)
        for combo in itertools.product(*per_layer):
            weights = [leaf for leaf, _ in combo]
            if len(set(weights)) < L or len({f is None for _, f in combo}) > 1:
                continue
            if names and weights != [by_name[n] for n in names]:
                continue
            options.append((columns, combo))
    if not options:
        chain = ", ".join(f"({a}, {b})" for a, b in zip(sizes[:-1], sizes[1:]))
        seen = ", ".join(f"{leaf.name or leaf.path} {leaf.shape}" for leaf in found if len(leaf.shape) == 2) or "none"
        raise LearnerError(
            f"no arrays of the shapes of the layers {'-'.join(map(str, sizes))} ({chain}, either layout) found; arrays of 2 dimensions: {seen}"
        )

    def rank(o) -> tuple:  # named as weights; in one container (coefs_[0], coefs_[1]); public (not _best_coefs)
        combo = o[1]
        named = sum(_score(leaf, WEIGHT_NAMES) for leaf, _ in combo)
        holders = len({leaf.path[:-1] for leaf, _ in combo})
        private = sum(any(str(k).startswith("_") for _, k in leaf.path) for leaf, _ in combo)
        return named, holders, private

    scored = sorted(options, key=lambda o: (*rank(o), _order(o[1])))
    best = scored[0]
    rivals = [o for o in scored[1:] if rank(o) == rank(best)]
    rivals = [o for o in rivals if [leaf for leaf, _ in o[1]] != [leaf for leaf, _ in best[1]] and _order(o[1]) == _order(best[1])]
    a = ",".join(leaf.name for leaf, _ in best[1])
    if rivals and all(",".join(leaf.name for leaf, _ in o[1]) == a for o in rivals):  # one name, several objects' arrays
        best = min([best, *rivals], key=lambda o: [found.index(leaf) for leaf, _ in o[1]])  # the first made, a layer's W before its b
        rivals = []
    if rivals:
        b = ",".join(leaf.name for leaf, _ in rivals[0][1])
        raise LearnerError(
            f"the weights are ambiguous: {a} or {b} fit the layers {'-'.join(map(str, sizes))}; name them in order with --weights {a}"
        )
    columns, combo = best
    layers = []
    taken: set = set()
    for k, (leaf, folded) in enumerate(combo):
        b = None
        if folded is None and bias is not False:
            fits = [x for x in found if x not in taken and x != leaf and len(x.shape) <= 2 and _bias_fits(x, sizes[k + 1], columns)]
            fits = [x for x in fits if x not in [w for w, _ in combo]]
            fits.sort(key=lambda x: (_score(x, BIAS_NAMES), _near(x, leaf)))
            b = fits[0] if fits and not (bias is None and _score(fits[0], BIAS_NAMES) and not stepped) else None
            if b is not None:
                taken.add(b)
        layers.append(LayerSlots(leaf, b, columns, folded))
    if bias is True and not all(s.bias is not None or s.folded for s in layers):
        k = next(i for i, s in enumerate(layers, start=1) if s.bias is None and not s.folded)
        raise LearnerError(
            f"no bias found for layer {k} (an array of shape ({sizes[k]},) next to {layers[k - 1].weight.name}); if your network has none, say --no-bias"
        )
    return Binding(tuple(layers))


def _order(combo) -> int:
    """0 when the layers' weights come in the order the learner's objects hold them (W1 before W2), else 1."""
    paths = [leaf.path for leaf, _ in combo]
    return 0 if paths == sorted(paths, key=lambda p: [(h, str(k).zfill(8)) for h, k in p]) else 1


def _near(x: Leaf, w: Leaf) -> int:
    """How far apart two leaves' paths are: a bias beside its weight (the same holder, the same index) first."""
    common = sum(1 for a, b in zip(x.path, w.path) if a == b)
    return -common
