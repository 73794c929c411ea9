"""The learner's function re-run under sys.settrace: every array assigned in a frame of their folder (a local, an
attribute of an object, an item of a list or dict) recorded with the line that made it; the lines read back."""

from __future__ import annotations

import ast
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from compare.learner.loading import guarded

MAX_ITEMS = 64  # items of a list, tuple or dict in their frames looked into (one level, pairs two)


@dataclass(eq=False)
class Record:
    file: str
    line: int
    key: str  # the variable, an attribute (self.dW) or an item (grads[0])
    value: object
    alias: bool  # the same object another key held before: an assignment that computes nothing
    ident: int  # id of the learner's object (kept alive while tracing)
    frame: int  # which call of which function (a serial number)


def _values(frame) -> dict[str, object]:
    """Arrays and floats in a frame's locals, in attributes of its objects, and in its lists, tuples and dicts."""
    out = {}
    for name, v in frame.f_locals.items():
        if isinstance(v, (np.ndarray, np.floating, float)) and not isinstance(v, bool):
            out[name] = v
        elif isinstance(v, (list, tuple)) and len(v) <= MAX_ITEMS:
            for k, item in enumerate(v):
                if (
                    isinstance(item, np.ndarray)
                    or isinstance(item, tuple)
                    and len(item) == 2
                    and all(isinstance(t, np.ndarray) for t in item)
                ):
                    out[f"{name}[{k}]"] = item
        elif isinstance(v, dict) and len(v) <= MAX_ITEMS:
            out.update({f"{name}[{k!r}]": item for k, item in v.items() if isinstance(item, np.ndarray)})
        elif hasattr(v, "__dict__") and not isinstance(v, type) and not callable(v) and type(v).__module__ != "builtins":
            attrs = vars(v) if isinstance(vars(v), dict) else {}
            out.update({f"{name}.{k}": item for k, item in attrs.items() if isinstance(item, np.ndarray)})
    return out


def _sum(value) -> float | None:
    """A cheap fingerprint that moves when an array is changed in place."""
    return float(np.sum(value)) if isinstance(value, np.ndarray) and value.dtype.kind in "fiub" else None


def run_traced(fn, args, folder: Path | None, kwargs=None) -> list[Record]:
    """fn(*args, **kwargs) with every new value assigned in a frame of the learner's folder recorded against the line that made it."""
    records, seen, last, before, serial = [], {}, {}, {}, {}

    def theirs(code) -> bool:
        path = Path(code.co_filename)
        return folder is not None and not code.co_filename.startswith("<") and path.resolve().is_relative_to(folder)

    def local(frame, event, arg):
        if event in ("line", "return"):
            now = {k: (v, _sum(v)) for k, v in _values(frame).items()}
            old = before.get(frame, {})
            for key, (value, total) in now.items():
                was, was_total = old.get(key, (None, None))
                if frame in last and (was is not value or total != was_total):  # a new object, or changed in place
                    copy = value if isinstance(value, tuple) else np.array(value)
                    alias = was is not value and id(value) in seen
                    records.append(Record(frame.f_code.co_filename, last[frame], key, copy, alias, id(value), serial[frame]))
                seen.setdefault(id(value), value)
            before[frame], last[frame] = now, frame.f_lineno
        return local

    def tracer(frame, event, arg):
        if not theirs(frame.f_code):
            return None
        serial[frame] = len(serial)
        return local

    old = sys.gettrace()
    sys.settrace(tracer)
    try:
        with guarded(fn):
            fn(*args, **(kwargs or {}))
    except Exception:
        pass  # their function raised before: check reported it already
    finally:
        sys.settrace(old)
    return records


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
    try:
        path = path.resolve().relative_to(Path.cwd())
    except ValueError:
        pass
    return f"{path}:{line}"


def names_on(source: str) -> list[str]:
    """The variables a line reads: its assigned value's (right of its =), or the whole line's where it assigns nothing."""
    try:
        tree = ast.parse(source.strip())
    except SyntaxError:
        return []
    node = tree.body[0] if tree.body else None
    value = getattr(node, "value", node)
    found = []
    for n in ast.walk(value) if value is not None else []:
        if isinstance(n, ast.Name) and n.id not in found:
            found.append(n.id)
        elif isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name):
            found.append(f"{n.value.id}.{n.attr}")
    return found
