"""A learner's code run under sys.settrace: every numeric value their statements write (locals, attributes of their
objects, items of their lists and dicts, numbers in nested lists), recorded with the statement that wrote it, in
place or not; the first update of a network's weights noticed, and the run ended there when asked (a script's
training loop, a fit method: the check needs one step, not 60,000)."""

from __future__ import annotations

import ast
import inspect
import linecache
import re
import sys
import types
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from compare.learner import binding, slots

GRADIENT_WORDS = ("grad", "nabla", "delta", "error", "dw", "db", "dweight", "dbias", "dz", "dh", "da", "dscores", "dout", "d_")
LINE_LIMIT = 2_000_000  # line events before a run that never updates its weights is given up


@dataclass(eq=False)
class Record:
    """One value a statement of the learner's wrote."""

    file: str
    line: int  # the statement's first line
    key: str  # how their code names it: dZ1, self.dweights, grads['dW1'], nabla_w[0], network[0][*]['delta']
    value: object  # a float64 copy (or the float itself)
    alias: bool  # the same object another name held before: nothing computed
    ident: int  # id() of the learner's object (kept alive during the run)
    frame: int  # which call of which function, numbered in the order they started
    source: str  # the statement's text
    reads: tuple[str, ...]  # the names the statement reads
    update: bool = False  # x -= ..., x = x - ..., self.w = [w - ... for w in self.w]: an update of x
    before: object = None  # for a value changed by an update: what it held before
    dtype: str = "float64"  # the learner's own dtype
    bound: bool = False  # a call's argument, bound when the call started (an input, not a computation)
    returned: bool = False  # what a call returned (key "name()"): a value no variable may ever hold
    calls: tuple[int, ...] = ()  # the records of what the calls made by this statement returned
    step: bool = False  # an update of the network's weights (W -= lr * dW): compared as (before - after) / lr
    scalars: dict = field(default_factory=dict)  # of a step: the numbers it read (self.lr, alpha) and their values then

    @property
    def root(self) -> str:
        return self.key.split(".")[0].split("[")[0]


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
        update = isinstance(node, ast.AugAssign) or bool(set(writes) & set(reads))  # x -= ..., x = x - ...: a step's shape
        stored = tuple(r for t in node.targets if isinstance(t, ast.Subscript) for r in _root(t)) if isinstance(node, ast.Assign) else ()
        if stored:  # x[mask] = 0 writes into x: what x held, and the names of the mask, are read (not an update)
            reads = tuple(dict.fromkeys([*reads, *(n for t in node.targets if isinstance(t, ast.Subscript) for n in names(t))]))
        if isinstance(node, ast.AugAssign):
            reads = (*writes, *reads)
        parts = tuple(_parts(node)) if isinstance(node, ast.Assign) else ()
        if isinstance(node, ast.Return) and node.value is not None:  # what a return builds: its parts by their place
            parts = tuple((f"(){path}", found) for path, found in _literal_parts(node.value))
        for k in range(node.lineno, end + 1):
            table[k] = Statement(node.lineno, end, src, reads, writes, update, False, parts, stored, isinstance(node, ast.AugAssign))
    _STATEMENTS[file] = table
    return table


def forget(file: str) -> None:
    """Parse the file again next time (a notebook cell run again, a file edited between checks)."""
    _STATEMENTS.pop(file, None)


BATCH_SIZE = re.compile(r"^(m|n|N|batch_size|num_examples|samples|n_samples|num_samples|num_train)$")  # whole numbers worth watching


def _numeric(v, name: str = "") -> bool:
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
        if _numeric(v, name):
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


def _copy(value):
    return np.array(value, dtype=np.float64) if isinstance(value, np.ndarray) else value


def weight_like(key: str) -> bool:
    """Not a gradient, an error or a delta by its name (dW1, grads['W1'], self.dweights, nabla_w, l2_delta)."""
    parts = [p.strip("'\" ]") for p in key.lower().replace("[", ".").split(".") if p.strip("'\" ]")]
    if parts and binding.role(parts[-1] if not parts[-1].isdigit() or len(parts) < 2 else parts[-2]) in ("X", "y"):
        return False  # the data (X = X / X.max(), y = y / 100): scaled, not stepped
    return not any(p.startswith(GRADIENT_WORDS) or any(w in p for w in ("grad", "nabla", "delta", "error")) for p in parts if p != "self")


def _writes(st: Statement, key: str) -> bool:
    """Whether the statement assigns to the key (or to what holds it), not to another name for the same array; an
    augmented assignment into an item of a container counts for the container's numbers (neuron['weights'][j] -=
    ... changes network[0][*]['weights'], neuron being one of its items)."""
    if any(key == w or key.startswith((w + ".", w + "[")) for w in st.writes):
        return True
    return st.augmented and ("[" in key or "." in key)


_THEIRS: dict[tuple[str, Path | None], bool] = {}


class Stop(BaseException):
    """Raised inside the learner's code to end its run after the step the check needs (not an Exception: their
    `except Exception` does not catch it)."""


@dataclass
class Watch:
    """Run a learner's callable under the tracer; records, and the weight updates of the first step."""

    folder: Path | None
    stop_at_update: bool = False  # end the run once the first step's weight updates are done
    limit: int = LINE_LIMIT
    records: list[Record] = field(default_factory=list)
    updates: list[Record] = field(default_factory=list)
    events: int = 0
    stopped: bool = False
    reshaped: list = field(default_factory=list)  # (key, shape before, shape after, line, source): an update that broadcast

    def theirs(self, code) -> bool:
        """Whether code is the learner's (a file in their folder, a notebook cell): answered once per file, since
        every call of every library function asks."""
        name = code.co_filename
        known = _THEIRS.get((name, self.folder))
        if known is None:
            if name.startswith("<ipython-input") or name.startswith("/tmp/ipykernel") or "ipykernel" in name and self.folder is None:
                known = True
            else:
                known = self.folder is not None and not name.startswith("<") and Path(name).resolve().is_relative_to(self.folder)
            _THEIRS[(name, self.folder)] = known
        return known

    def run(self, fn, *args, **kwargs):
        """fn(*args, **kwargs) under the tracer; what it returned (None where the run was ended after its step)."""
        snapshots: dict = {}  # frame -> key -> (object, copy of its numbers when last seen)
        last: dict = {}  # frame -> the line that ran last
        serial: dict = {}  # frame -> which call it is
        seen: dict = {}  # id -> object: aliases are names for objects seen before
        self._updated = {}  # key -> id of what it holds: the weights updated so far
        self._read = set()  # the updated keys a statement has read since (the next forward pass)
        self._event = (0, 0)
        self._pending = {}  # frame -> records of what its callees returned since its last line

        def local(frame, event, arg):
            if event not in ("line", "return"):
                return local
            self.events += 1
            if self.events > self.limit:
                raise Stop
            old, prev = snapshots.get(frame), last.get(frame)
            table = statements(frame.f_code.co_filename)
            done, now = table.get(prev), table.get(frame.f_lineno)
            ended = event == "return" or done is None or now is None or done.line != now.line  # not a statement's next line
            self._calls = tuple(self._pending.pop(frame, ())) if ended else ()
            snap = {}
            self._event = (len(self.records), len(self.updates))  # what this statement's changes start at
            for key, (obj, value) in values(frame).items():
                was = old.get(key) if old is not None else None
                if was is not None and (obj is None or was[0] is obj) and _equal(was[1], value):
                    snap[key] = was  # unchanged: no copy
                    continue
                snap[key] = (obj, _copy(value))
                if old is None or prev is None:  # a call's arguments: bindings, not computations
                    self.records.append(
                        Record(frame.f_code.co_filename, frame.f_code.co_firstlineno, key, snap[key][1], True, id(obj) if obj is not None else 0,
                               serial[frame], "", (), bound=True)
                    )  # fmt: skip
                    if obj is not None:
                        seen.setdefault(id(obj), obj)
                    continue
                self._record(frame, table.get(prev), prev, key, obj, snap[key][1], was, seen, serial[frame])
            snapshots[frame], last[frame] = snap, frame.f_lineno
            if event == "return" and _numeric(arg):
                self._returned(frame, table.get(frame.f_lineno), arg, seen, serial[frame])
            elif event == "return" and isinstance(arg, (tuple, list, dict)):  # (loss, grads) built in the return itself
                for leaf in slots.leaves(arg, depth=3):
                    live = slots.live(arg, leaf) if leaf.kind == "array" else slots.get(arg, leaf)
                    self._returned(frame, table.get(frame.f_lineno), live, seen, serial[frame], leaf.where(f"{frame.f_code.co_name}()"))
            if self._updated and done is not None and ended and not done.update and not done.loop:
                self._mark_reads(frame, done)
            return local

        def tracer(frame, event, arg):
            if not self.theirs(frame.f_code):
                return None
            serial[frame] = len(serial)
            return local

        old_trace = sys.gettrace()
        sys.settrace(tracer)
        try:
            return fn(*args, **kwargs)
        except Stop:
            self.stopped = True
            return None
        finally:
            sys.settrace(old_trace)

    def _returned(self, frame, st: Statement | None, value, seen: dict, serial: int, key: str | None = None) -> None:
        """What a call of theirs returned, recorded under its name (an item of what it returned under name()[i]): the
        statement of the caller that made the call reads it (sigmoid_derivative(x) used inside an expression)."""
        ident = id(value) if isinstance(value, np.ndarray) else 0
        rec = Record(
            frame.f_code.co_filename, st.line if st else frame.f_lineno, key or f"{frame.f_code.co_name}()", _copy(value), ident in seen and ident != 0,
            ident, serial, st.source if st else "", st.reads_for(key) if st and key else st.reads if st else (), returned=True, calls=self._calls,
        )  # fmt: skip
        self.records.append(rec)
        if frame.f_back is not None:
            self._pending.setdefault(frame.f_back, []).append(len(self.records) - 1)

    def _record(self, frame, st: Statement | None, prev: int, key: str, obj, copy, was, seen: dict, serial: int) -> None:
        """A value changed by the statement that just ran: recorded; an update of weights noticed (and the run ended
        at the second update of the same weights, when asked)."""
        ident = id(obj) if obj is not None else 0
        alias = obj is not None and (was is None or was[0] is not obj) and ident in seen
        is_update = bool(st and st.update and was is not None and np.shape(was[1]) == np.shape(copy) and _writes(st, key))
        if is_update and np.size(copy) > 1 and np.array_equal(np.sort(copy, axis=None), np.sort(was[1], axis=None)):
            is_update = False  # X = X[perm]: the same numbers reordered, a shuffle and not a step
        if st and st.update and was is not None and np.shape(was[1]) != np.shape(copy) and _writes(st, key) and weight_like(key):
            self.reshaped.append((key, np.shape(was[1]), np.shape(copy), st.line, st.source))
        dtype = str(obj.dtype) if isinstance(obj, np.ndarray) else "float64"
        rec = Record(
            frame.f_code.co_filename, st.line if st else prev, key, copy, alias, ident, serial, st.source if st else "",
            st.reads_for(key) if st else (), is_update, was[1] if is_update else None, dtype, calls=self._calls,
        )  # fmt: skip
        if obj is not None:
            seen.setdefault(ident, obj)
        if is_update and np.ndim(copy) in (1, 2) and weight_like(key):
            if self.stop_at_update and key in self._updated and key in self._read:
                del self.records[self._event[0] :], self.updates[self._event[1] :]  # the statement belongs to the next step
                raise Stop  # weights updated, read by the next forward pass, and updated again: the second step
            self._updated[key] = ident
            self._read.discard(key)
            rec.scalars = _scalars(frame, st.reads)
            rec.step = True  # a bias's step too (from zeros): compared as a gradient
        if is_update and np.ndim(copy) == 2 and weight_like(key) and np.any(was[1] != 0):
            self.updates.append(rec)
        self.records.append(rec)

    def _mark_reads(self, frame, st: Statement) -> None:
        """The updated weights a statement read (not an update, not a loop's header): by their text in its source
        (neuron['weights'], self.W1) or as the object one of the names it reads holds (w of zip(self.weights, ...))."""
        source = st.source.replace('"', "'")
        held = {id(_resolve(frame, name)) for name in st.reads}
        for key, ident in self._updated.items():
            if key not in self._read and (ident and ident in held or re.search(rf"(?<![\w.]){re.escape(key)}(?!\w)", source)):
                self._read.add(key)


def _resolve(frame, name: str):
    """What a name (x, self.w) holds in a frame, without running their code (no properties), or None."""
    root, _, attr = name.partition(".")
    value = frame.f_locals.get(root, frame.f_globals.get(root))
    if attr and value is not None:
        value = inspect.getattr_static(value, attr, None)
    return value


def _scalars(frame, reads) -> dict:
    """The plain numbers among the names a statement reads (lr, self.lr, alpha), as the frame holds them."""
    out = {}
    for name in reads:
        value = _resolve(frame, name)
        if isinstance(value, (int, float, np.floating, np.integer)) and not isinstance(value, bool):
            out[name] = float(value)
    return out


def _equal(a, b) -> bool:
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return np.shape(a) == np.shape(b) and np.array_equal(a, b, equal_nan=True)
    return a == b or (a != a and b != b)
