"""manifest.json: the size and SHA-256 of every file of a bundle, written last, and the check that its files still match."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from compare.errors import BundleError

MANIFEST = "manifest.json"
VERSION = 1
BLOCK = 1 << 20  # bytes hashed at a time: memory stays flat however long the run


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(BLOCK):
            h.update(block)
    return h.hexdigest()


def files(folder: Path) -> list[str]:
    """Every file under `folder` but the manifest and hidden ones (a staging folder's pid file), as sorted posix paths."""
    paths = (p.relative_to(folder) for p in folder.rglob("*") if p.is_file())
    return sorted(p.as_posix() for p in paths if p.as_posix() != MANIFEST and not any(part.startswith(".") for part in p.parts))


def write(folder: Path) -> dict:
    """manifest.json in `folder`: {"version", "files": {path: {"size", "sha256"}}} of every file there; written last."""
    listed = {name: {"size": (folder / name).stat().st_size, "sha256": sha256(folder / name)} for name in files(folder)}
    lines = ",\n".join(f"  {json.dumps(name)}: {json.dumps(entry)}" for name, entry in listed.items())
    (folder / MANIFEST).write_text(f'{{"version": {VERSION}, "files": {{\n{lines}\n}}}}\n')  # a file a line
    return {"version": VERSION, "files": listed}


def read(folder: Path) -> dict | None:
    """A bundle's manifest, None when it has none (a bundle of a version before manifests); a damaged one is one line."""
    path = Path(folder) / MANIFEST
    if not path.is_file():
        return None
    try:
        manifest = json.loads(path.read_text())
        whole = all(
            isinstance(v["size"], int) and isinstance(v["sha256"], str) and len(v["sha256"]) == 64 for v in manifest["files"].values()
        )
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError, AttributeError):
        whole = False
    if not whole:
        raise BundleError(f"{path}: damaged (not the manifest a run writes); the bundle cannot be trusted, re-run it")
    return manifest


def mismatch(folder: Path, manifest: dict) -> str | None:
    """The first file (in the manifest's order) that is missing, of another size or another SHA-256, in words; None
    when all match."""
    for name, want in manifest["files"].items():
        path = Path(folder) / name
        if not path.is_file():
            return f"{path}: missing, though {MANIFEST} lists it"
        size = path.stat().st_size
        if size != want["size"]:
            return f"{path}: {size} bytes, {MANIFEST} says {want['size']}; changed since the run wrote it"
        if sha256(path) != want["sha256"]:
            return f"{path}: its SHA-256 is not the one in {MANIFEST}; changed since the run wrote it"
    return None


def check(folder: Path) -> bool:
    """Refuse (BundleError, one line naming the file) a bundle whose files do not match its manifest; True when they
    all match, False when it has no manifest (older bundles are read unchecked)."""
    manifest = read(folder)
    if manifest is None:
        return False
    wrong = mismatch(folder, manifest)
    if wrong:
        raise BundleError(wrong)
    return True
