"""Reading a bundle back: its files held against manifest.json first, a damaged file one line naming it, the exact losses."""

from __future__ import annotations

import json
import sys
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd

from compare.errors import BundleError, SpecError
from compare.io import manifest
from compare.shared import harness, implementations, loss_file
from compare.shared import spec as spec_module
from compare.shared.data import Dataset

NEEDED = ("spec.json", "data.npz", "init.npz", "schedule.npy")  # all a re-run needs
DAMAGE = (OSError, ValueError, KeyError, IndexError, TypeError, EOFError, zipfile.BadZipFile, UnicodeDecodeError)
UNCHECKED = "mlp-compare: note: {folder}: no manifest.json (written before bundles carried one); its files are read unchecked"


def require(folder: Path, needed=NEEDED) -> None:
    """Refuse a folder that is not a run bundle, in one line."""
    missing = [f for f in needed if not (Path(folder) / f).is_file()]
    if not Path(folder).is_dir() or missing:
        raise BundleError(
            f"{folder}: not a run bundle (missing {', '.join(missing) or 'the folder'}); expected a folder written by 'mlp-compare run --out'"
        )


def checked(folder: Path, needed=NEEDED) -> bool:
    """Refuse a folder that is not a bundle or whose files do not match its manifest (BundleError, one line naming the
    file); True when they match, False for a bundle without one (read unchecked: see unchecked())."""
    require(folder, needed)
    return manifest.check(folder)


def unchecked(folder: Path) -> None:
    """Say in one line on stderr that a bundle without a manifest was read unchecked (once it was read: an error
    stays one line)."""
    print(UNCHECKED.format(folder=folder), file=sys.stderr)


def read(folder: Path, name: str, reader):
    """reader(folder / name), a file that cannot be read (cut, garbage, of another shape) one line naming it."""
    path = Path(folder) / name
    try:
        return reader(path)
    except SpecError as e:
        raise BundleError(f"{path}: {e}") from None
    except DAMAGE as e:
        why = str(e).splitlines()[0] if str(e) else type(e).__name__
        raise BundleError(f"{path}: cannot be read ({why}); the bundle is damaged, re-run it") from None


def table(folder: Path, name: str, columns: tuple[str, ...]) -> pd.DataFrame:
    """A CSV table of the bundle with the columns the reader needs: an empty or garbled one is one line naming it."""
    if not (Path(folder) / name).is_file():
        raise BundleError(f"{folder}: not a run bundle (no {name}); expected a folder written by 'mlp-compare run'")
    frame = read(folder, name, pd.read_csv)
    lacking = [c for c in columns if c not in frame.columns]
    if lacking:
        raise BundleError(f"{Path(folder) / name}: not the table a run writes (no column {', '.join(lacking)}); the bundle is damaged")
    return frame


def spec(folder: Path):
    """The bundle's spec (spec.json less the conventions recorded beside its fields)."""

    def parse(path: Path):
        d = json.loads(path.read_text())
        if not isinstance(d, dict):
            raise ValueError("not a JSON object of spec fields")
        d.pop("conventions", None)
        return spec_module.from_dict(d)

    return read(folder, "spec.json", parse)


def data(folder: Path) -> Dataset:
    """data.npz: X_train, y_train, X_test, y_test and n_classes (-1: regression)."""

    def load(path: Path) -> Dataset:
        with np.load(path, allow_pickle=False) as f:
            n_classes = int(f["n_classes"]) if "n_classes" in f.files else -1
            return Dataset(f["X_train"], f["y_train"], f["X_test"], f["y_test"], None if n_classes < 0 else n_classes)

    return read(folder, "data.npz", load)


def npy(folder: Path, name: str, dtype: str, ndim: int) -> np.ndarray:
    """An .npy file of the bundle, of the kind and number of dimensions a run writes."""

    def load(path: Path) -> np.ndarray:
        array = np.load(path, allow_pickle=False)
        if array.dtype.kind != np.dtype(dtype).kind or array.ndim != ndim:
            raise ValueError(f"a {array.ndim}-d {array.dtype} array where a run writes a {ndim}-d {dtype} one")
        return array

    return read(folder, name, load)


def npz(folder: Path, name: str) -> dict[str, np.ndarray]:
    """Every array of an .npz file of the bundle, read whole (a cut one is BadZipFile, said as damage)."""

    def load(path: Path) -> dict:
        with np.load(path, allow_pickle=False) as f:
            return {k: f[k] for k in f.files}

    return read(folder, name, load)


def losses(folder: Path, spec) -> dict[str, np.ndarray]:
    """{run: its per-step losses} from losses/<run>.npy, exact (never curves.csv re-parsed), in the runs' order: those
    the manifest lists (any losses/*.npy in a bundle without one)."""
    listed = manifest.read(folder)
    if listed is not None:
        paths = [Path(folder) / name for name in listed["files"] if name.startswith(f"{loss_file.LOSSES}/") and name.endswith(".npy")]
    else:
        paths = list((Path(folder) / loss_file.LOSSES).glob("*.npy"))
    runs = implementations.runs_for(spec)
    names = sorted((p.stem for p in paths), key=lambda n: (runs.index(n) if n in runs else len(runs), n))
    if not names:
        raise BundleError(f"{folder}: no {loss_file.LOSSES}/*.npy (the exact losses of every run); expected a bundle of 'mlp-compare run'")
    return {n: npy(folder, f"{loss_file.LOSSES}/{n}.npy", "<f8", 1) for n in names}


def curves(folder: Path, spec, n_train: int) -> pd.DataFrame:
    """framework, epoch, step, loss: curves.csv's table, from the exact losses."""
    per_epoch = harness.steps_per_epoch(spec, n_train)
    frames = []
    for name, values in losses(folder, spec).items():
        steps = np.arange(1, len(values) + 1)
        frames.append(pd.DataFrame({"framework": name, "epoch": (steps - 1) // per_epoch + 1, "step": steps, "loss": values}))
    return pd.concat(frames, ignore_index=True)


def readable(folder: Path) -> None:
    """For a bundle without a manifest: every array and table a reader takes opens (grads/, final/, orders/, the
    tables), so that damage is one line naming the file before anything is computed from it."""
    folder = Path(folder)
    for sub in ("grads", "final", "orders", "masks"):
        for path in sorted((folder / sub).glob("*.np[yz]")):
            if path.suffix == ".npz":
                npz(folder, f"{sub}/{path.name}")
            else:
                read(folder, f"{sub}/{path.name}", np.load)
    for name, columns in (("metrics.csv", ("framework",)), ("agreement.csv", ("pair",)), ("gradients.csv", ("pair", "tensor"))):
        if (folder / name).is_file():
            table(folder, name, columns)
