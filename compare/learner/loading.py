"""A learner's file as a module: loaded with its folder importable and its NumPy state kept to its own calls, a
training loop at import ended at its first update (the check needs the definitions, not 60,000 steps), and the
thing to check found in it: a function, a class, an object's method, or the file itself as a script."""

from __future__ import annotations

import contextlib
import copy
import importlib.util
import inspect
import sys
import traceback
import types
from collections.abc import Callable
from pathlib import Path

import numpy as np

from compare.errors import LearnerError
from compare.learner.statements import forget
from compare.learner.watch import Watch

WATCHED = (np, np.linalg, np.random)  # what a helper library may patch behind the learner's back (np.dot to float32)


def _snapshot() -> list[dict]:
    return [dict(vars(m)) for m in WATCHED]


def _changes(before: list[dict]) -> list[dict]:
    return [{k: v for k, v in vars(m).items() if old.get(k) is not v} for m, old in zip(WATCHED, before)]


def _restore(before: list[dict]) -> None:
    for m, old in zip(WATCHED, before):
        for k in [k for k, v in vars(m).items() if old.get(k) is not v]:
            if k in old:
                setattr(m, k, old[k])
            else:
                delattr(m, k)


@contextlib.contextmanager
def guarded(patches: list[dict] | None = None):
    """Run the learner's code with the NumPy patches its file made on import, and take every patch off afterwards
    (and NumPy's error state, which np.seterr changes for the whole process), so the check never computes with them."""
    before, state = _snapshot(), np.geterr()
    for m, changed in zip(WATCHED, patches or [{}] * len(WATCHED)):
        for k, v in changed.items():
            setattr(m, k, v)
    try:
        yield
    finally:
        _restore(before)
        np.seterr(**state)


def folder_of(fn) -> Path | None:
    """The learner's folder: their file's (the cell's, in a notebook)."""
    file = getattr(fn, "learner_file", None) or getattr(getattr(fn, "__code__", None), "co_filename", None)
    if file is None and inspect.isclass(fn) or inspect.ismethod(fn):
        with contextlib.suppress(TypeError, OSError):
            file = inspect.getfile(fn)
    return Path(file).resolve().parent if file and not file.startswith("<") else None


def their_traceback(e: BaseException, folder: Path | None) -> str:
    """The traceback of e cut down to the frames of files in the learner's folder (their modules, not only the one
    that holds the function)."""

    def theirs(name: str) -> bool:
        path = Path(name).resolve()
        return folder is not None and path.is_relative_to(folder) and "site-packages" not in path.parts

    frames = [f for f in traceback.extract_tb(e.__traceback__) if theirs(f.filename)]
    if isinstance(e, SyntaxError) and e.filename:
        return f'  File "{e.filename}", line {e.lineno}\n    {(e.text or "").strip()}\nSyntaxError: {e.msg}'
    lines = traceback.format_list(frames) + traceback.format_exception_only(type(e), e)
    return "".join(lines).rstrip()


def _copied(value):
    """A notebook variable as the cell gets it: arrays and containers copied, so a step taken in place does not
    change the notebook's own weights."""
    if isinstance(value, np.ndarray):
        return value.copy()
    if isinstance(value, (list, dict, tuple)):
        try:
            return copy.deepcopy(value)
        except Exception:
            return value
    return value


class Module:
    """A learner's file loaded (as __main__ for a script), with what its loading did: the NumPy patches it made,
    whether its training loop was ended at its first update, and the watcher that saw it."""

    def __init__(self, path: str | Path, expected: str, script: bool = False, namespace: dict | None = None):
        path = Path(path)
        if not path.is_file():
            raise LearnerError(f"{path}: no such file; expected {expected}")
        if path.suffix != ".py":
            raise LearnerError(f"{path}: not a .py file; expected {expected}")
        self.path = path.resolve()
        self.folder = self.path.parent
        self.name = "__main__" if script else f"learner_{abs(hash(str(self.path)))}"
        module_spec = importlib.util.spec_from_file_location(self.name, self.path)
        self.module = importlib.util.module_from_spec(module_spec)
        for name, value in (namespace or {}).items():  # a notebook cell: the variables earlier cells made, as copies
            if not name.startswith("_") and not isinstance(value, types.ModuleType):
                setattr(self.module, name, _copied(value))
            elif isinstance(value, types.ModuleType):
                setattr(self.module, name, value)
        forget(str(self.path))
        if str(self.folder) not in sys.path:
            sys.path.insert(0, str(self.folder))  # their helpers import as `python file.py` lets them
        if not script:
            sys.modules[self.name] = self.module  # as an import would (dataclasses in their file look themselves up there)
        before = _snapshot()
        self.watch = Watch(self.folder, stop_at_update=True)
        try:
            code = compile(self.path.read_text(), str(self.path), "exec")
            self.watch.run(exec, code, vars(self.module))
        except (Exception, SystemExit) as e:
            raise LearnerError(
                f"{path} raised {type(e).__name__} while loading (traceback above)", their_traceback(e, self.folder)
            ) from None
        finally:
            self.patches = _changes(before)
            _restore(before)

    @property
    def trained(self) -> bool:
        """Whether loading it ran a training loop (ended at its first update)."""
        return bool(self.watch.updates)

    def defined(self) -> list[str]:
        """The functions and classes the file defines."""
        return sorted(k for k, v in vars(self.module).items() if callable(v) and getattr(v, "__module__", None) == self.name)

    def find(self, name: str) -> tuple[object, Callable]:
        """(owner, callable) for a dotted name: a function (owner None), Class.method (owner the class), obj.method
        (owner their object)."""
        owner, fn = None, self.module
        for part in name.split("."):
            owner, fn = fn, getattr(fn, part, None)
        if not callable(fn):
            found = self.defined()
            hint = f"; it defines {', '.join(found)} (choose one with --function)" if found else ""
            raise LearnerError(f"{self.path.name}: no function {name!r}{hint}")
        return (None if owner is self.module else owner), fn


def load(path: str | Path, function: str = "loss_and_grads") -> Callable:
    """The named function from a learner's Python file (its folder importable while it loads), marked with the file
    and the NumPy patches it made, for the check's own process (tests, notebooks)."""
    module = Module(path, f"a Python file defining {function}(params, X, y)")
    owner, fn = module.find(function)
    with contextlib.suppress(AttributeError, TypeError):  # a callable object may refuse attributes
        fn.learner_file = str(module.path)
        fn.learner_patches = module.patches
    return fn
