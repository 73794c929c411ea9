"""A class's submissions found on disk: a folder of .py and .ipynb files (otter's layout, .zip exports too) or one
folder per student (nbgrader's submitted/<student>/<assignment>/), each read into memory with the file to check."""

from __future__ import annotations

import fnmatch
import hashlib
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from compare.errors import UsageError

CODE = (".py", ".ipynb")
SKIP = {".ipynb_checkpoints", "__pycache__", "__MACOSX", ".git", ".venv", "node_modules"}
MAX_BYTES = 50 * 2**20  # what one student's folder may hold (sent to a worker whole: their helpers and data files)


@dataclass(frozen=True)
class Submission:
    student: str
    file: str  # what was graded, relative to the submissions folder (the folder or zip itself where no file fits)
    files: dict  # relative path (posix) -> bytes: the student's folder, as the worker recreates it
    main: str | None  # the file checked, among files
    problem: str | None = None  # why it cannot be checked: recorded as refused
    digest: str = ""  # of its files: an unchanged submission is not graded again

    @property
    def notebook(self) -> bool:
        return self.main is not None and self.main.endswith(".ipynb")


def _digest(files: dict, main: str | None) -> str:
    h = hashlib.sha256(str(main).encode())
    for name in sorted(files):
        h.update(name.encode() + b"\0" + hashlib.sha256(files[name]).digest())
    return h.hexdigest()[:16]


def _visible(parts) -> bool:
    return not any(p in SKIP or p.startswith(".") for p in parts)


def _folder_files(folder: Path) -> dict:
    files, total = {}, 0
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder)
        if path.is_file() and not path.is_symlink() and _visible(rel.parts):
            total += path.stat().st_size
            if total > MAX_BYTES:
                raise ValueError(f"holds over {MAX_BYTES // 2**20} MB")
            files[rel.as_posix()] = path.read_bytes()
    return files


def _zip_files(path: Path) -> dict:
    files, total = {}, 0
    with zipfile.ZipFile(path) as z:
        for info in z.infolist():
            rel = PurePosixPath(info.filename)
            if info.is_dir() or rel.is_absolute() or ".." in rel.parts or not _visible(rel.parts):
                continue
            total += info.file_size
            if total > MAX_BYTES:
                raise ValueError(f"holds over {MAX_BYTES // 2**20} MB")
            files[rel.as_posix()] = z.read(info)
    return files


def _defines(text: str, name: str) -> bool:
    """Whether the code defines the function or class the check looks for (Class.method: the class)."""
    first = name.split(".")[0]
    return re.search(rf"^\s*(def|class)\s+{re.escape(first)}\b|^\s*{re.escape(first)}\s*=", text, re.MULTILINE) is not None


def choose(files: dict, pattern: str | None, function: str | None) -> tuple[str | None, str | None]:
    """(the file to check, None) or (None, why none can be chosen)."""
    if pattern:
        found = [n for n in files if fnmatch.fnmatch(n, pattern) or fnmatch.fnmatch(PurePosixPath(n).name, pattern)]
        if len(found) == 1:
            return found[0], None
        what = "no file matches" if not found else f"several files match ({', '.join(sorted(found)[:4])})"
        return None, f"{what} file = {pattern!r} of the assignment"
    code = sorted(n for n in files if n.endswith(CODE))
    if len(code) == 1:
        return code[0], None
    if not code:
        kinds = sorted({PurePosixPath(n).suffix or PurePosixPath(n).name for n in files})
        return None, f"no .py or .ipynb file in it ({', '.join(kinds[:5]) or 'empty'})"
    text = lambda n: files[n].decode("utf-8", "replace")  # noqa: E731
    defining = [n for n in code if _defines(text(n), function or "loss_and_grads")]
    notebooks = [n for n in code if n.endswith(".ipynb")]
    for found in (defining, notebooks):
        if len(found) == 1:
            return found[0], None
    return None, f"several .py/.ipynb files ({', '.join(code[:4])}); name the one to check with file = '...' in the assignment"


def discover(root: str | Path, pattern: str | None = None, function: str | None = None) -> list[Submission]:
    """Every submission under root, in name order; a bad folder is one line (UsageError)."""
    root = Path(root)
    if root.is_file():
        kind = (
            "one submission ('mlp-compare check' checks one file)"
            if root.suffix in CODE
            else f"not Python or a notebook ({root.suffix or 'no suffix'})"
        )
        raise UsageError(f"{root}: a file, {kind}; expected the folder of every submission (.py/.ipynb files, or a folder per student)")
    if not root.is_dir():
        raise UsageError(f"{root}: no such folder; expected a folder of .py/.ipynb files or of one folder per student")
    entries = [p for p in sorted(root.iterdir()) if _visible([p.name])]
    stems = [p.stem if p.is_file() else p.name for p in entries]
    out = []
    for path, stem in zip(entries, stems):
        student = stem if stems.count(stem) == 1 else path.name
        rel = path.relative_to(root).as_posix()
        try:
            if path.is_dir():
                files = _folder_files(path)
            elif path.suffix == ".zip":
                files = _zip_files(path)
            else:
                files = {path.name: path.read_bytes()}
        except (ValueError, OSError, zipfile.BadZipFile) as e:
            out.append(Submission(student, rel, {}, None, f"cannot be read: {e}"))
            continue
        if path.is_file() and path.suffix not in CODE + (".zip",):
            problem = f"not a Python file or notebook ({path.suffix or 'no suffix'}); expected .py or .ipynb"
            out.append(Submission(student, rel, {}, None, problem, _digest(files, None)))
            continue
        main, problem = choose(files, pattern, function) if path.is_dir() or path.suffix == ".zip" else (path.name, None)
        shown = rel if main is None or path.is_file() and path.suffix != ".zip" else f"{rel}/{main}"
        out.append(Submission(student, shown, files, main, problem, _digest(files, main)))
    if not out:
        raise UsageError(f"{root}: no submissions in it; expected .py or .ipynb files, or one folder per student")
    if all(s.main is None for s in out):  # not a class: the wrong folder, or the assignment's file = fits none
        first = out[0]
        raise UsageError(f"{root}: none of its {len(out)} submissions has a file to check (e.g. {first.file}: {first.problem})")
    return out
