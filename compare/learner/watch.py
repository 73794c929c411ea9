"""A learner's code run under sys.settrace: every numeric value their statements write (locals, attributes of their
objects, items of their lists and dicts, numbers in nested lists), recorded with the statement that wrote it, in
place or not; the first update of a network's weights noticed, and the run ended there when asked (a script's
training loop, a fit method: the check needs one step, not 60,000)."""

from __future__ import annotations

import inspect
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from compare.learner import slots
from compare.learner.statements import Statement, numeric, parameter_named, statements, values, weight_like, writes

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
    was: int = 0  # of an update: id() of the object the name held before (the same array for -=, the last one for W = W - ...)

    @property
    def root(self) -> str:
        return self.key.split(".")[0].split("[")[0]


def _copy(value):
    return np.array(value, dtype=np.float64) if isinstance(value, np.ndarray) else value


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
        self._stepped = {}  # key -> ids of every array a step left in it (several layer objects' self.weights)
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
            if event == "return" and numeric(arg):
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
        is_update = bool(st and st.update and was is not None and np.shape(was[1]) == np.shape(copy) and writes(st, key))
        is_update = is_update and (st.arithmetic or parameter_named(key))  # x = layer.forward(x) is no step
        if is_update and np.size(copy) > 1 and np.array_equal(np.sort(copy, axis=None), np.sort(was[1], axis=None)):
            is_update = False  # X = X[perm]: the same numbers reordered, a shuffle and not a step
        if st and st.arithmetic and was is not None and np.shape(was[1]) != np.shape(copy) and writes(st, key) and weight_like(key):
            self.reshaped.append((key, np.shape(was[1]), np.shape(copy), st.line, st.source))
        dtype = str(obj.dtype) if isinstance(obj, np.ndarray) else "float64"
        rec = Record(
            frame.f_code.co_filename, st.line if st else prev, key, copy, alias, ident, serial, st.source if st else "",
            st.reads_for(key) if st else (), is_update, was[1] if is_update else None, dtype, calls=self._calls,
        )  # fmt: skip
        if obj is not None:
            seen.setdefault(ident, obj)
        if is_update and np.ndim(copy) in (1, 2) and weight_like(key):
            again = key in self._updated and key in self._read
            if again and was[0] is not None and was[0] is obj:  # in place: the same array again, not another object's self.weights
                again = id(was[0]) in self._stepped.get(key, ())
            if self.stop_at_update and again:
                del self.records[self._event[0] :], self.updates[self._event[1] :]  # the statement belongs to the next step
                raise Stop  # weights updated, read by the next forward pass, and updated again: the second step
            self._updated[key] = ident
            self._stepped.setdefault(key, set()).add(ident)
            rec.was = id(was[0]) if was[0] is not None else 0
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
