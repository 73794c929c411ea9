"""What an export starts from: a run bundle, or a spec (a TOML file of spec fields, or a bundle's spec.json)."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from compare.errors import BundleError, SpecError, UsageError
from compare.io import bundle
from compare.shared import harness, weights
from compare.shared import spec as spec_module
from compare.shared.data import Dataset
from compare.shared.data import load as load_data
from compare.shared.spec import Spec

FILES = ("init.npz", "data.npz", "schedule.npy")  # what every exported script reads
MASKS = "masks.npz"  # with dropout: mask1, mask2, ... of shape (epochs, n_train, width)


@dataclass(frozen=True)
class Source:
    """The spec and the arrays the scripts train on; `folder` is the bundle they came from (None: a spec)."""

    spec: Spec
    data: Dataset
    init: list
    schedule: np.ndarray  # (epochs, n_train) sample order
    folder: Path | None = None
    native: bool = False  # a bundle of run --defaults native: its torch and tensorflow runs kept their own defaults

    @property
    def name(self) -> str:
        """A folder name for the export: the bundle's, or a slug of the spec."""
        if self.folder is not None:
            return self.folder.name
        s = self.spec
        return "-".join(["-".join(map(str, s.layers)), s.activations[0], s.loss, s.optimizer, Path(s.dataset).stem])

    def write(self, folder: Path) -> list[str]:
        """init.npz, data.npz and schedule.npy (a bundle's copied byte for byte), and masks.npz with dropout."""
        if self.folder is not None:
            for name in FILES:
                shutil.copyfile(self.folder / name, folder / name)
        else:
            d = self.data
            n_classes = np.int64(-1 if d.n_classes is None else d.n_classes)  # -1: regression, as in a bundle
            np.savez(folder / "data.npz", X_train=d.X_train, y_train=d.y_train, X_test=d.X_test, y_test=d.y_test, n_classes=n_classes)
            weights.save(folder / "init.npz", self.init)
            np.save(folder / "schedule.npy", np.asarray(self.schedule, "<i8"))
        if self.spec.dropout == 0:
            return list(FILES)
        np.savez(folder / MASKS, **{f"mask{i}": m for i, m in enumerate(masks(self.spec, self.schedule.shape), start=1)})
        return [*FILES, MASKS]


def masks(spec: Spec, shape: tuple[int, int]) -> list[np.ndarray]:
    """Every training step's dropout masks as the harness draws them, one (epochs, n_train, width) array per hidden
    layer: row k of epoch e is the mask of the sample at position k of that epoch's order."""
    epochs, n = shape
    out = [np.empty((epochs, n, width), spec.dtype) for width in spec.layers[1:-1]]
    dropout = harness.Dropout(spec)
    for epoch in range(epochs):
        for start in range(0, n, spec.batch_size):
            stop = min(start + spec.batch_size, n)
            for array, mask in zip(out, dropout.draw(stop - start)):
                array[epoch, start:stop] = mask
    return out


def read(what: str | Path | Spec) -> Source:
    """A Source from a Spec, a run bundle's folder, a TOML file of spec fields, or a spec.json; bad input is one
    line (BundleError, SpecError)."""
    if isinstance(what, Spec):
        return _from_spec(what)
    path = Path(what)
    if path.is_dir():
        return _from_bundle(path)
    if not path.is_file():
        raise UsageError(f"{path}: no such file or folder; expected a run bundle's folder or a spec file (.toml or .json)")
    if path.suffix == ".toml":
        return _from_spec(spec_module.from_dict(spec_module.load_toml(path)))
    if path.suffix == ".json":
        try:
            d = json.loads(path.read_text())
        except (json.JSONDecodeError, UnicodeDecodeError) as e:
            raise SpecError(f"{path}: not valid JSON ({e})") from None
        if not isinstance(d, dict):
            raise SpecError(f"{path}: expected a JSON object of spec fields")
        d.pop("conventions", None)  # a bundle's spec.json records them beside the fields
        return _from_spec(spec_module.from_dict(d))
    raise UsageError(f"{path}: expected a run bundle's folder or a spec file ending in .toml or .json")


def _from_spec(spec: Spec) -> Source:
    data = load_data(spec)
    return Source(spec, data, weights.init(spec), np.asarray(harness.Schedule(spec, len(data.X_train))))


def _from_bundle(folder: Path) -> Source:
    missing = [name for name in ("spec.json", *FILES) if not (folder / name).is_file()]
    if missing:
        raise BundleError(
            f"{folder}: not a run bundle (missing {', '.join(missing)}); expected a folder written by 'mlp-compare run --out'"
        )
    try:
        spec, data, init, schedule, _ = bundle.load(folder)
    except BundleError:  # one line naming the file already
        raise
    except SpecError as e:
        raise SpecError(f"{folder}/spec.json: {e}") from None
    except (OSError, KeyError, ValueError) as e:  # a file of the bundle that cannot be read
        raise BundleError(f"{folder}: cannot read the run bundle ({e})") from None
    environment = folder / "environment.json"
    native = environment.is_file() and json.loads(environment.read_text()).get("defaults") == "native"
    return Source(spec, data, init, schedule, folder, native)
