"""A bundle that proves itself: its files against manifest.json, its tables re-derived from its exact losses, its masks."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import numpy as np

from compare.agree import tables
from compare.errors import BundleError
from compare.experiment.result import Result
from compare.io import bundle, manifest, masks, reader
from compare.shared import harness, implementations, loss_file, weights

DERIVED = ("curves.csv", "curve_diffs.csv", "agreement.csv")  # what the losses (and final weights) alone give


def from_bundle(folder: Path) -> Result:
    """The Result a bundle was written from, as far as its tables need: the exact losses, final weights, first
    gradients, which runs kept their own defaults or sample order, which were not installed."""
    spec, data, init, schedule, _ = bundle.load(folder)
    histories = {}
    for name, losses in reader.losses(folder, spec).items():
        bad = np.flatnonzero(~np.isfinite(losses))
        final = reader.read(folder, f"final/{name}.npz", weights.load)
        histories[name] = harness.History(name, losses, failed_step=int(bad[0]) + 1 if len(bad) else None, final=final)
    grads = {name: (np.nan, reader.read(folder, f"grads/{name}.npz", lambda p: weights.load(p, prefix="d"))) for name in histories}
    environment = reader.read(folder, "environment.json", lambda p: json.loads(p.read_text()))
    native = tuple(environment.get("native_hyperparameters", {}))
    missing = [n for n in implementations.runs_for(spec) if n not in histories]
    exact = bundle.exact_reference(folder)  # the runs against it are rows of curve_diffs.csv and agreement.csv
    return Result(spec, data, init, schedule, grads, histories, missing, None, environment, native, bundle.orders(folder), exact=exact)


def _lines(chunks):
    """The lines of a text given in chunks."""
    rest = ""
    for chunk in chunks:
        *whole, rest = (rest + chunk).split("\n")
        yield from whole
    if rest:
        yield rest


def _csv(frames, float_format: str, path: Path):
    """A table's CSV text, a chunk at a time, as bundle.py writes it: the header of the first chunk, then every chunk
    (no chunk, as for one run's curve_diffs.csv: the stored header alone)."""
    frames = iter(frames)
    first = next(frames, None)
    if first is None:
        with open(path) as f:
            yield f.readline()
        return
    yield ",".join(map(str, first.columns)) + "\n"
    for frame in itertools.chain([first], frames):
        yield frame.to_csv(header=False, index=False, float_format=float_format)


def first_difference(path: Path, chunks) -> int | None:
    """The first line (1-based) where a file differs from the text of `chunks`; None when they are the same."""
    with open(path, newline="") as f:
        stored = (line.rstrip("\r\n") for line in f)
        for n, (mine, theirs) in enumerate(itertools.zip_longest(_lines(chunks), stored), start=1):
            if mine is None or theirs is None or mine.rstrip("\r") != theirs:
                return n
    return None


def derived(result: Result, folder: Path) -> dict[str, object]:
    """The CSV text of each DERIVED table, re-computed from the Result (chunks, so that a long run's memory stays flat)."""
    agreement = tables.agreement_table(result)
    return {
        "curves.csv": _csv(result.curve_frames(), bundle.FLOAT, folder / "curves.csv"),
        "curve_diffs.csv": _csv(tables.diff_frames(result), "%.6g", folder / "curve_diffs.csv"),
        "agreement.csv": iter([agreement.to_csv(index=False, float_format=bundle.FLOAT)]),
    }


def check_masks(folder: Path, result: Result) -> bool:
    """A dropout run's masks/ against the masks the harness draws from the seed, bit for bit; False without dropout."""
    spec = result.spec
    if spec.dropout == 0:
        return False
    stored, drawn = masks.Stored(folder, spec), harness.Dropout(spec)
    for _, _, idx in harness.batches(np.asarray(result.schedule), spec.batch_size):
        for layer, (a, b) in enumerate(zip(stored.draw(len(idx)), drawn.draw(len(idx))), start=1):
            if not np.array_equal(a, b):
                raise BundleError(f"{folder / masks.FOLDER}/mask{layer}.npy: not the masks the seed draws; the bundle is damaged")
    return True


def verify(folder: str | Path) -> list[str]:
    """Check a bundle; return what was checked, in lines. The first file that does not match is a BundleError naming it."""
    folder = Path(folder)
    reader.require(folder)
    listed = manifest.read(folder)
    if listed is None:
        raise BundleError(f"{folder}: no {manifest.MANIFEST} (written before bundles carried one); its files cannot be verified, re-run it")
    wrong = manifest.mismatch(folder, listed)
    if wrong:
        raise BundleError(wrong)
    size = sum(v["size"] for v in listed["files"].values())
    said = [f"{len(listed['files'])} files match {manifest.MANIFEST} (size and SHA-256, {size / 1e6:.1f} MB)"]
    result = from_bundle(folder)
    for name, chunks in derived(result, folder).items():
        line = first_difference(folder / name, chunks)
        if line is not None:
            raise BundleError(
                f"{folder / name}: line {line} is not what {loss_file.LOSSES}/*.npy and final/ give; the bundle contradicts itself"
            )
    runs = ", ".join(result.histories)
    said.append(f"{', '.join(DERIVED)} re-derived bit for bit from {loss_file.LOSSES}/*.npy ({runs}) and final/")
    if check_masks(folder, result):
        steps = result.spec.epochs * harness.steps_per_epoch(result.spec, result.schedule.shape[1])
        said.append(f"{masks.FOLDER}/: the dropout masks of all {steps} steps, as the seed draws them")
    from compare.exact.recheck import recheck  # bounds.npz and exact/ computed again from the bundle's own inputs

    return said + recheck(folder)
