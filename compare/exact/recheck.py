"""What a bundle holds of the exact reference and the round-off bounds, re-derived from its spec, data, initial weights
and sample order and compared bit for bit: bounds.npz (a float64 computation) and exact/ (the quad or long-double
reference, on a platform with the same method). A re-check for `verify`; nothing is trusted from the files it checks."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from compare.agree import bounds
from compare.errors import BundleError
from compare.exact import extended, measure
from compare.experiment.pipeline import first_batch
from compare.io import bundle
from compare.shared import harness, weights


def _same(a, b) -> bool:
    """Equal bit for bit, NaN where NaN (a curve past a run that stopped)."""
    a, b = np.asarray(a), np.asarray(b)
    return a.shape == b.shape and bool(np.all((a == b) | (np.isnan(a) & np.isnan(b))))


def recheck(folder: str | Path) -> list[str]:
    """Re-derive bounds.npz and exact/ of a run bundle; return what was checked, in lines. The first entry that differs
    is a BundleError naming its file and tensor (or step)."""
    folder = Path(folder)
    spec, data, init, schedule, _ = bundle.load(folder)
    X, y = first_batch(spec, data, schedule)
    masks = harness.Dropout(spec).draw(len(X)) if spec.dropout > 0 else None
    names, said = weights.spec_names(spec, "d"), []
    if (folder / bundle.BOUNDS).is_file():
        derived = [e.e for pair in bounds.gradient_bounds(spec, init, X, y, masks) for e in pair if e is not None]
        with np.load(folder / bundle.BOUNDS) as stored:
            for name, value in zip(names, derived):
                if name not in stored.files or not _same(stored[name], value):
                    raise BundleError(
                        f"{folder / bundle.BOUNDS}: {name} is not the bound spec.json, init.npz and data.npz give; the bundle is damaged"
                    )
        said.append(f"{bundle.BOUNDS}: re-derived bit for bit from spec.json, init.npz, data.npz and the first mini-batch")
    stored = bundle.exact(folder)
    if stored is None:
        return said
    about, method = stored["about"], extended.method() or "fractions"
    if about["method"] != method:
        return [*said, f"{bundle.EXACT}/: computed by {about['method']}, and this platform's exact reference is {method}: not re-derived"]
    Xl, yl = measure._cast(data.X_train, data.y_train)
    idx = next(harness.batches(schedule, spec.batch_size))[2]
    wide = None if masks is None else [m.astype(np.longdouble) for m in masks]
    for rules in sorted(set(about["runs"].values())):
        model = measure._model(spec, init, rules)
        loss, grads = model.gradients(Xl[idx], yl[idx]) if wide is None else model.gradients(Xl[idx], yl[idx], wide)
        for name, value in [("loss", loss), *zip(names, weights.tensors(grads))]:
            if not _same(stored[rules]["grads"].get(name), value):
                raise BundleError(
                    f"{folder / bundle.EXACT}/grads-{rules}.npz: {name} is not what the exact reference gives; the bundle is damaged"
                )
        curve = measure._curve(measure._model(spec, init, rules), spec, Xl, yl, schedule, measure.Curve(about["steps"]))
        mine, theirs = curve[0 : about["steps"]], stored[rules]["losses"]
        if not _same(mine, theirs):
            step = (
                int(np.argmax(~((mine == theirs) | (np.isnan(mine) & np.isnan(theirs))))) + 1 if len(mine) == len(theirs) else len(theirs)
            )
            raise BundleError(
                f"{folder / bundle.EXACT}/losses-{rules}.npy: step {step} is not what the exact reference gives; the bundle is damaged"
            )
    rules = ", ".join(sorted(set(about["runs"].values())))
    said.append(
        f"{bundle.EXACT}/: the exact reference re-run ({rules} update rules: first gradients and {about['steps']} steps), bit for bit"
    )
    return said
