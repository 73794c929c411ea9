"""The built-in data sets' standardised split, cached on disk: a warm run does not import scikit-learn.

Importing scikit-learn costs about a second, more than training the default network; a suite run
many times (sweeps, classrooms, CI) pays it once per data set. The key holds every spec field the
split depends on and the versions of scikit-learn and NumPy that produced it; the arrays come back
bit for bit. MLP_COMPARE_CACHE=DIR moves the cache, MLP_COMPARE_CACHE=off turns it off.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from importlib import metadata
from pathlib import Path

import numpy as np

FORMAT = 1  # bump when the split or the standardisation changes
GENERATED = ("xor", "moons", "circles", "blobs", "spirals", "sine")
FIELDS = ("X_train", "X_test", "y_train", "y_test")


def directory() -> Path | None:
    """Where the cache lives ($MLP_COMPARE_CACHE, else $XDG_CACHE_HOME/mlp-compare), or None when off."""
    value = os.environ.get("MLP_COMPARE_CACHE", "")
    if value.lower() in ("off", "0", "no", "false"):
        return None
    if value:
        return Path(value)
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "mlp-compare"


def key(spec) -> dict:
    """Everything the split of a built-in data set depends on."""
    k = {
        "format": FORMAT,
        "dataset": spec.dataset,
        "seed": spec.seed,
        "test_fraction": spec.test_fraction,
        "scikit-learn": metadata.version("scikit-learn"),
        "numpy": np.__version__,
    }
    if spec.dataset in GENERATED:
        k.update(n_samples=spec.n_samples, noise=spec.noise)
    if spec.dataset == "blobs":
        k["centers"] = spec.layers[-1] if spec.layers[-1] > 1 else 2
        if spec.layers[0] != 2:  # blobs have as many features as the first layer has inputs
            k["features"] = spec.layers[0]
    return k


def path(spec) -> Path | None:
    folder = directory()
    if folder is None:
        return None
    digest = hashlib.sha256(json.dumps(key(spec), sort_keys=True).encode()).hexdigest()[:20]
    return folder / f"{spec.dataset}-{digest}.npz"


def get(spec, make):
    """(X_train, X_test, y_train, y_test, n_classes) from the cache, or from make() and then stored."""
    file = path(spec)
    if file is not None and file.is_file():
        try:
            with np.load(file) as f:
                n_classes = int(f["n_classes"])
                return (*(f[name] for name in FIELDS), None if n_classes < 0 else n_classes)
        except Exception:  # noqa: BLE001  (a truncated zip, a disk error, an older layout: the cache only ever costs a re-make)
            pass
    split = make()
    if file is not None:
        _store(file, split)
    return split


def _store(file: Path, split) -> None:
    """Write atomically (temporary file, then rename); a read-only or full disk only costs the cache."""
    *arrays, n_classes = split
    try:
        file.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{file.stem}.", suffix=".tmp", dir=file.parent)
        try:
            with os.fdopen(fd, "wb") as f:
                np.savez(f, **dict(zip(FIELDS, arrays)), n_classes=np.int64(-1 if n_classes is None else n_classes))
            os.replace(tmp, file)
        finally:
            if os.path.exists(tmp):
                os.remove(tmp)
    except OSError:
        pass
