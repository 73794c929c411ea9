"""The learner's code as the watcher reads it: each line's statement (what it reads, what it assigns, whether it
updates), parsed once per file; the numbers a frame holds, leaves of their containers included; names that say
weights rather than gradients."""

from __future__ import annotations

import ast
import linecache
import re
import types
from dataclasses import dataclass

import numpy as np

from compare.learner import roles, slots


@dataclass(frozen=True)
class Statement:
    line: int
    end: int
    source: str
    reads: tuple[str, ...]
    writes: tuple[str, ...]  # the names (roots) it assigns
    update: bool  # an update statement (augmented, or the target read on the right)
    loop: bool  # a for or while header
    parts: tuple = ()  # (target as written, the names its own part of the value reads): a, b = x, y; d = {"k": x}
    stored: tuple[str, ...] = ()  # x of x[...] = ...: read where x itself changed (a masked write), not for an item
    augmented: bool = False  # x += ..., x[i] -= ...
    arithmetic: bool = False  # the target plus or minus something (W = W - lr * dW), not W = step(W) or x = f(x)

    def reads_for(self, key: str) -> tuple[str, ...]:
        """The names the part of the statement that made key reads (all it reads where the key is not its own part;
        an item stored into a list or dict does not read the container)."""
        returned = key[key.index("()") :] if "()" in key else None  # f()[1][0]: an item of what a return built
        for target, names in self.parts:
            if key == target or target == returned:
                return names
        if any(key.startswith(root + "[") for root in self.stored):
            return tuple(n for n in self.reads if n not in self.stored)
        return self.reads


_STATEMENTS: dict[str, dict[int, Statement]] = {}


ARRAY_ATTRIBUTES = {"T", "shape", "size", "ndim", "dtype", "flat", "real", "imag"}


def names(node) -> list[str]:
    """The names an expression reads, in order: x, self.w (an attribute of a name as name.attr, not the bare name);
    for a method called on a name, the name (dZ of dZ.sum(), x of x.reshape())."""
    found, inside, calls = [], set(), set()
    for n in ast.walk(node):
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and isinstance(n.func.value, ast.Name):
            calls.add(id(n.func))
        if isinstance(n, ast.Attribute) and n.attr in ARRAY_ATTRIBUTES:
            calls.add(id(n))  # x.T, x.shape: x itself is read
        if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name):
            if id(n) not in calls:
                found.append(f"{n.value.id}.{n.attr}")
                inside.add(id(n.value))
        elif isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load) and id(n) not in inside:
            found.append(n.id)
    return list(dict.fromkeys(found))


def _root(target) -> list[str]:
    """What an assignment target assigns: x, self.w (for self.w[0] too), each name of a tuple; not the names in its
    subscripts (nabla_w[-l] assigns nabla_w, not l)."""
    if isinstance(target, (ast.Tuple, ast.List)):
        return [r for t in target.elts for r in _root(t)]
    if isinstance(target, ast.Starred):
        return _root(target.value)
    if isinstance(target, ast.Subscript):
        return _root(target.value)
    if isinstance(target, ast.Attribute):
        return [f"{target.value.id}.{target.attr}"] if isinstance(target.value, ast.Name) else _root(target.value)
    return [target.id] if isinstance(target, ast.Name) else []


def _target_roots(node) -> list[str]:
    return [r for t in (node.targets if isinstance(node, ast.Assign) else [node.target]) for r in _root(t)]


def _literal_parts(value, path: str = ""):
    """(path, names) for each element of a tuple, list or dict literal, nested: [1][0][0] -> the names of X.T @ dZ1."""
    if isinstance(value, (ast.Tuple, ast.List)):
        for i, v in enumerate(value.elts):
            yield from _literal_parts(v, f"{path}[{i}]")
    elif isinstance(value, ast.Dict):
        for k, v in zip(value.keys, value.values):
            if isinstance(k, ast.Constant):
                yield from _literal_parts(v, f"{path}[{k.value!r}]")
    elif path:
        yield path, tuple(names(value))


def _parts(node: ast.Assign):
    """(target, names) for each part of an assignment that builds several values at once: the elements of a tuple
    assigned to a tuple, the entries of a dict literal."""
    for target in node.targets:
        value = node.value
        if isinstance(target, ast.Tuple) and isinstance(value, ast.Tuple) and len(target.elts) == len(value.elts):
            for t, v in zip(target.elts, value.elts):
                yield ast.unparse(t), tuple(names(v))
        elif isinstance(value, ast.Dict):
            for k, v in zip(value.keys, value.values):
                if isinstance(k, ast.Constant):
                    yield f"{ast.unparse(target)}[{k.value!r}]", tuple(names(v))


def _terms(value) -> list:
    """The operands of a top-level sum or difference: a - b + c -> [a, b, c]; anything else is one term."""
    if isinstance(value, ast.BinOp) and isinstance(value.op, (ast.Add, ast.Sub)):
        return [*_terms(value.left), *_terms(value.right)]
    return [value]


def _stepped(value, targets: set[str]) -> bool:
    """A step's shape: the target plus or minus something (W = W - lr * dW, W = W * (1 - lr * lam) - lr * dW), a tuple
    of them, or a comprehension over it ([w - lr * g for w, g in zip(ws, gs)]); not a call, a transpose or a scaling
    of it (x = layer.forward(x), Y = Y.T, X = X / X.max()): those may change its shape without a step being wrong."""
    if isinstance(value, (ast.Tuple, ast.List)) and value.elts:
        return any(_stepped(v, targets) for v in value.elts)
    if isinstance(value, (ast.ListComp, ast.DictComp, ast.GeneratorExp)) or (
        isinstance(value, ast.Call) and value.args and isinstance(value.args[0], (ast.ListComp, ast.GeneratorExp))
    ):
        return bool(targets & set(names(value)))
    terms = _terms(value)
    return len(terms) > 1 and any(targets & set(names(t)) for t in terms)


def statements(file: str) -> dict[int, Statement]:
    """Line -> the simple statement (or loop header) that starts or spans it, parsed once per file."""
    if file in _STATEMENTS:
        return _STATEMENTS[file]
    text = "".join(linecache.getlines(file))
    table: dict[int, Statement] = {}
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        _STATEMENTS[file] = table
        return table
    lines = text.splitlines()
    for node in ast.walk(tree):
        if isinstance(node, (ast.For, ast.While)):
            src = lines[node.lineno - 1].strip()
            table.setdefault(
                node.lineno,
                Statement(
                    node.lineno, node.lineno, src, tuple(names(node.iter if isinstance(node, ast.For) else node.test)), (), False, True
                ),
            )
        if not isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Expr, ast.Return)):
            continue
        end = node.end_lineno or node.lineno
        src = "\n".join(lines[node.lineno - 1 : end]).strip()
        value = getattr(node, "value", None)
        reads = tuple(names(value)) if value is not None else ()
        writes = tuple(_target_roots(node)) if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign)) else ()
        update = isinstance(node, ast.AugAssign) or bool(set(writes) & set(reads))  # x -= ..., x = x - ..., W = step(W)
        arithmetic = isinstance(node, ast.AugAssign) or (isinstance(node, ast.Assign) and _stepped(node.value, set(writes)))
        stored = tuple(r for t in node.targets if isinstance(t, ast.Subscript) for r in _root(t)) if isinstance(node, ast.Assign) else ()
        if stored:  # x[mask] = 0 writes into x: what x held, and the names of the mask, are read (not an update)
            reads = tuple(dict.fromkeys([*reads, *(n for t in node.targets if isinstance(t, ast.Subscript) for n in names(t))]))
        if isinstance(node, ast.AugAssign):
            reads = (*writes, *reads)
        parts = tuple(_parts(node)) if isinstance(node, ast.Assign) else ()
        if isinstance(node, ast.Return) and node.value is not None:  # what a return builds: its parts by their place
            parts = tuple((f"(){path}", found) for path, found in _literal_parts(node.value))
        for k in range(node.lineno, end + 1):
            table[k] = Statement(
                node.lineno, end, src, reads, writes, update, False, parts, stored, isinstance(node, ast.AugAssign), arithmetic
            )
    _STATEMENTS[file] = table
    return table


def forget(file: str) -> None:
    """Parse the file again next time (a notebook cell run again, a file edited between checks)."""
    _STATEMENTS.pop(file, None)


def writes(st: Statement, key: str) -> bool:
    """Whether the statement assigns to the key (or to what holds it), not to another name for the same array; an
    augmented assignment into an item of a container counts for the container's numbers (neuron['weights'][j] -=
    ... changes network[0][*]['weights'], neuron being one of its items)."""
    if any(key == w or key.startswith((w + ".", w + "[")) for w in st.writes):
        return True
    return st.augmented and ("[" in key or "." in key)


BATCH_SIZE = re.compile(r"^(m|n|N|batch_size|num_examples|samples|n_samples|num_samples|num_train)$")  # whole numbers worth watching


def numeric(v, name: str = "") -> bool:
    """An array of numbers, a float (a loss), or a whole number named as the batch size (m = X.shape[1])."""
    if isinstance(v, bool):
        return False
    if isinstance(v, (int, np.integer)):
        return bool(BATCH_SIZE.match(name))
    return isinstance(v, (np.ndarray, np.floating, float)) and (not isinstance(v, np.ndarray) or v.dtype.kind in "fiu")


SKIPPED = (type, types.ModuleType, types.FunctionType, types.BuiltinFunctionType, types.MethodType)


def values(frame) -> dict[str, tuple[object, object]]:
    """key -> (the learner's object or None, its numbers) for every number, array and numeric leaf the frame can see:
    arrays as they are (copied only once they change), leaves of lists, dicts and objects as float64 arrays."""
    out = {}
    for name, v in frame.f_locals.items():
        if name.startswith("__") or isinstance(v, SKIPPED):
            continue
        if numeric(v, name):
            out[name] = (v if isinstance(v, np.ndarray) else None, v if isinstance(v, np.ndarray) else float(v))
            continue
        if callable(v):
            continue
        for leaf in slots.leaves(v, depth=3):
            try:
                live = slots.live(v, leaf) if leaf.kind == "array" else None
                out[leaf.where(name)] = (live, live) if live is not None else (None, slots.get(v, leaf))
            except Exception:
                continue
    return out


GRADIENT_WORDS = ("grad", "nabla", "delta", "error", "dw", "db", "dweight", "dbias", "dz", "dh", "da", "dscores", "dout", "d_")


PARAMETER_NAME = re.compile(r"(w|b|weights?|bias(es)?|theta|params?|parameters|syn|coefs?_?|intercepts?_?)(_?[a-z0-9]{0,8})", re.IGNORECASE)


def parameter_named(key: str) -> bool:
    """Whether the last part of a key is named as a weight or bias (W1, Wh, bo, params['W2'], self.weights), not as
    an activation (output, x, a2): a value a call returned in its place is then a step (W, b = update(W, b, dW, db))."""
    last = [p.strip("'\" ]") for p in key.replace("[", ".").split(".") if p.strip("'\" ]")]
    last = [p for p in last if not p.isdigit()]
    return bool(last) and bool(PARAMETER_NAME.fullmatch(last[-1])) and roles.role(last[-1]) not in ("X", "y", "batch")


def weight_like(key: str) -> bool:
    """Not a gradient, an error or a delta by its name (dW1, grads['W1'], self.dweights, nabla_w, l2_delta)."""
    parts = [p.strip("'\" ]") for p in key.lower().replace("[", ".").split(".") if p.strip("'\" ]")]
    if roles.role(next((p for p in reversed(parts) if not p.isdigit()), "")) in ("X", "y"):
        return False  # the data (X = X / X.max(), y = y / 100): scaled, not stepped
    return not any(p.startswith(GRADIENT_WORDS) or any(w in p for w in ("grad", "nabla", "delta", "error")) for p in parts if p != "self")
