"""Where a network's weights live in a learner's objects: every numeric leaf (arrays or nested lists, in attributes,
lists, dicts or layer objects), and each layer's weights and bias, in either layout, the bias apart, folded into the
weights (its column last or first) or absent, read out and written back in the learner's own containers."""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

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
