"""Where a network's weights live in a learner's objects: arrays or nested lists, in attributes, lists, dicts or layer
objects, in either layout, with the biases apart, folded into the weights (a column of the bias last or first) or
absent; found by the chain of the layer sizes, read out and written back in the learner's own containers."""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

import numpy as np

from compare.errors import LearnerError

DEPTH = 4  # how deep into a learner's objects the weights are looked for
MAX_ITEMS = 64  # items of a list or dict looked into
WEIGHT_NAMES = re.compile(r"(^|_)(w\d*|weights?\w*|syn\d+|wi?h|who|coefs?_?|kernel|theta\d*)$|^w", re.IGNORECASE)
BIAS_NAMES = re.compile(r"(^|_)(b\d*|bias(es)?\w*|intercepts?_?)$|^b", re.IGNORECASE)
SKIP_ROOTS = {"input", "inputs", "x", "y", "target", "targets", "output", "outputs", "labels"}  # data, not weights


@dataclass(frozen=True)
class Leaf:
    """One numeric tensor in the learner's objects: where it is (keys from the root), its shape and how it is held."""

    path: tuple  # ((".", attribute) | ("[]", index or key), ...) from the root
    shape: tuple[int, ...]
    kind: str  # "array" (an ndarray), "list" (a rectangular nested list of numbers), "rows" (dicts each holding a row)
    key: str | None = None  # "rows": the dict key (or attribute) of each row, e.g. 'weights'
    label: str = ""  # the name where the path's one key is a whole expression (a script's self.b_h: b_h)

    @property
    def name(self) -> str:
        """The last name on the path (an attribute or a dict key): wih, W1, weights."""
        named = [str(k) for _, k in self.path if isinstance(k, str)]
        return self.label or (named[-1] if named else "")

    def where(self, root: str) -> str:
        """How the learner's code names it: self.wih, params['W1'], self.layers[0].weights, network[0][*]['weights']."""
        steps = list(self.path)
        out = root
        if not root and steps:  # a name of the learner's own: the first key is the name
            out, steps = str(steps[0][1]), steps[1:]
        out += "".join(f".{k}" if how == "." else f"[{k!r}]" for how, k in steps)
        return out + (f"[*][{self.key!r}]" if self.kind == "rows" else "")


def _numeric_list(value) -> tuple[int, ...] | None:
    """The shape of a rectangular nested list of numbers (one or two levels), None for anything else."""
    if not isinstance(value, list) or not value or len(value) > 4096:
        return None
    if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value):
        return (len(value),)
    if all(isinstance(v, list) for v in value):
        shapes = {_numeric_list(v) for v in value}
        if len(shapes) == 1 and (s := shapes.pop()) is not None and len(s) == 1:
            return (len(value), s[0])
    return None


def _rows(value) -> tuple[str, int] | None:
    """(key, width) where a list holds dicts (or objects) each with a numeric list under one key: neurons' weights."""
    if not isinstance(value, list) or not value or len(value) > MAX_ITEMS:
        return None
    items = [v if isinstance(v, dict) else getattr(v, "__dict__", None) for v in value]
    if not all(isinstance(d, dict) for d in items):
        return None
    common = set.intersection(*(set(d) for d in items))
    for key in sorted(common, key=lambda k: (not WEIGHT_NAMES.search(str(k)), str(k))):
        shapes = {_numeric_list(d[key]) for d in items}
        if len(shapes) == 1 and (s := shapes.pop()) is not None and len(s) == 1:
            return key, s[0]
    return None


def _children(value, root: bool = False):
    """(("." or "[]", key), child) for what value holds: dict items, list items, an object's attributes (of a
    library's object only where it is the root: scikit-learn's MLP checked itself, not a scaler it holds)."""
    if isinstance(value, dict):
        return [(("[]", k), v) for k, v in list(value.items())[:MAX_ITEMS]]
    if isinstance(value, (list, tuple)):
        return [(("[]", i), v) for i, v in list(enumerate(value))[:MAX_ITEMS]]
    attrs = getattr(value, "__dict__", None)
    if isinstance(attrs, dict) and not isinstance(value, type) and not callable(value) and type(value).__module__ != "builtins":
        library = type(value).__module__.split(".")[0] in ("numpy", "pandas", "sklearn", "scipy")
        if type(value).__name__ == "module" or library and not root:
            return []
        return [((".", k), v) for k, v in list(attrs.items())[:MAX_ITEMS]]
    return []


def leaves(root, depth: int = DEPTH, skip: set | None = None) -> list[Leaf]:
    """Every numeric tensor of 1 or 2 dimensions under root, in the order the learner's objects hold them."""
    found: list[Leaf] = []
    seen: set[int] = set()

    def walk(value, path: tuple, level: int) -> None:
        if id(value) in seen:
            return
        if isinstance(value, np.ndarray):
            if value.dtype.kind in "fiu" and value.ndim in (1, 2) and value.size and value.dtype != bool:
                seen.add(id(value))
                found.append(Leaf(path, value.shape, "array"))
            return
        shape = _numeric_list(value)
        if shape is not None:
            seen.add(id(value))
            found.append(Leaf(path, shape, "list"))
            return
        rows = _rows(value)
        if rows is not None:
            seen.add(id(value))
            found.append(Leaf(path, (len(value), rows[1]), "rows", rows[0]))
            return
        if level >= depth:
            return
        seen.add(id(value))
        for step, child in _children(value, root=level == 0):
            if level == 0 and skip and str(step[1]).lower() in skip:
                continue
            walk(child, (*path, step), level + 1)

    walk(root, (), 0)
    return found


def _step(value, step):
    how, key = step
    return getattr(value, key) if how == "." else value[key]


def _holder(root, leaf: Leaf):
    holder = root
    for key in leaf.path[:-1]:
        holder = _step(holder, key)
    return holder


def get(root, leaf: Leaf) -> np.ndarray:
    """The leaf's numbers as a float64 array (a copy)."""
    value = _step(_holder(root, leaf), leaf.path[-1]) if leaf.path else root
    if leaf.kind == "rows":
        return np.array([(d if isinstance(d, dict) else vars(d))[leaf.key] for d in value], dtype=np.float64)
    return np.array(value, dtype=np.float64)


def live(root, leaf: Leaf):
    """The learner's own array at a leaf (not a copy), for telling the same object apart under two names."""
    return _step(_holder(root, leaf), leaf.path[-1]) if leaf.path else root


def put(root, leaf: Leaf, value: np.ndarray) -> None:
    """Write numbers into the learner's own container: into their array (so every other name for it sees them), or
    into their lists, keeping lists as lists."""
    holder = _holder(root, leaf)
    current = _step(holder, leaf.path[-1])
    if leaf.kind == "array":
        current[...] = value.reshape(current.shape)
    elif leaf.kind == "list":
        if len(leaf.shape) == 1:
            current[:] = [float(v) for v in value]
        else:
            for row, new in zip(current, value):
                row[:] = [float(v) for v in new]
    else:
        for item, new in zip(current, value):
            (item if isinstance(item, dict) else vars(item))[leaf.key][:] = [float(v) for v in new]


@dataclass(frozen=True)
class LayerSlots:
    """Where one layer's W and b live: the weight leaf ((fan_in, fan_out), or (fan_out, fan_in) in columns), and the
    bias as its own leaf, folded into the weight leaf as its last or first column (row in rows), or absent."""

    weight: Leaf
    bias: Leaf | None
    columns: bool
    folded: str | None = None  # None | "last" | "first"

    def read(self, root) -> tuple[np.ndarray, np.ndarray | None]:
        A = get(root, self.weight)
        A = A.T if self.columns else A  # (fan_in [+1], fan_out)
        if self.folded:
            return (A[:-1], A[-1]) if self.folded == "last" else (A[1:], A[0])
        return A, None if self.bias is None else get(root, self.bias).reshape(-1)

    def write(self, root, W: np.ndarray, b: np.ndarray | None) -> None:
        if self.folded:
            A = np.vstack([W, b[None, :]] if self.folded == "last" else [b[None, :], W])
            put(root, self.weight, A.T if self.columns else A)
            return
        put(root, self.weight, W.T if self.columns else W)
        if self.bias is not None:
            put(root, self.bias, b)

    def words(self, k: int, root: str) -> list[str]:
        layout = " (fan_out, fan_in), transposed" if self.columns else ""
        out = [f"W{k} ← {self.weight.where(root)}{layout}"]
        if self.folded:
            out[0] += f", b{k} its {self.folded} {'row' if not self.columns else 'column'}"
        elif self.bias is not None:
            out.append(f"b{k} ← {self.bias.where(root)}")
        return out


@dataclass(frozen=True)
class Binding:
    """A network's weights in the learner's objects, layer by layer."""

    layers: tuple[LayerSlots, ...]

    @property
    def sizes(self) -> tuple[int, ...]:
        shapes = [s.weight.shape[::-1] if s.columns else s.weight.shape for s in self.layers]
        return tuple([shapes[0][0] - (1 if self.layers[0].folded else 0)] + [s[1] for s in shapes])

    @property
    def bias(self) -> bool:
        return all(s.bias is not None or s.folded for s in self.layers)

    @property
    def columns(self) -> bool:
        return self.layers[0].columns

    def read(self, root) -> list[tuple[np.ndarray, np.ndarray | None]]:
        return [s.read(root) for s in self.layers]

    def write(self, root, params) -> None:
        for s, (W, b) in zip(self.layers, params):
            s.write(root, W, b)

    def words(self, root: str) -> list[str]:
        return [w for k, s in enumerate(self.layers, start=1) for w in s.words(k, root)]


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


def bind(found: list[Leaf], sizes: tuple[int, ...], *, layout: str | None = None, bias: bool | None = None, names=None) -> Binding:
    """The leaves that hold each layer's weights (and biases) for the sizes; refused in one line when none fit or when
    two fit equally well (with the names to give --weights)."""
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
    if rivals:
        a = ",".join(leaf.name for leaf, _ in best[1])
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
            b = fits[0] if fits and not (bias is None and _score(fits[0], BIAS_NAMES)) else None
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
