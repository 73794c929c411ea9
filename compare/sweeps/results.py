"""The sweep table, DIR/sweep.csv: a row per combination, summed up from its bundle's own tables."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd

from compare.errors import UsageError
from compare.io import bundle, formats, manifest
from compare.sweeps.grid import Combination, text

SWEEP_CSV = "sweep.csv"
RUNS = "runs"  # DIR/runs/<name>/: each combination's bundle
STATUSES = ("ok", "disagrees", "diverged", "failed")
LEADING = ["name"]  # then the grid's fields, then TRAILING, then the measured columns
TRAILING = ["status", "error"]
MEASURES = ("max_grad_rel", "max_curve_rel", "first_divergent_step")  # per framework pair, as column[pair]
METRICS = ("train_loss", "test_loss", "train_acc", "test_acc")  # per framework, as column[framework]


def folder(out: Path, combo: Combination) -> Path:
    return out / RUNS / combo.name


def complete(path: Path, combo: Combination) -> bool:
    """A bundle with every file a run writes, each matching its manifest, made from this very spec (so a resumed
    sweep may keep it)."""
    files = [path / f for f in bundle.FILES] + [path / d for d in bundle.FOLDERS]
    if not all(f.exists() for f in files):
        return False
    try:
        manifest.check(path)
        return json.loads((path / "spec.json").read_text()) == json.loads(bundle.spec_json(combo.spec))
    except (OSError, ValueError):  # BundleError too: a file changed since the run wrote it
        return False


def _passes(column: pd.Series) -> pd.Series:
    """A CSV's pass column (True / False / empty) as booleans, empty counting as not failed."""
    return column.map(lambda v: str(v) != "False")


def bundle_row(path: Path) -> dict:
    """A bundle in one row: status, the largest gradient and curve differences and first divergent step per
    pair, and the final losses and accuracies per framework (the bundle's gradients, agreement, metrics.csv)."""
    grads, agree, metrics = (pd.read_csv(path / f"{name}.csv") for name in ("gradients", "agreement", "metrics"))
    row: dict = {}
    for pair, rows in grads.groupby("pair", sort=False):
        row[f"max_grad_rel[{pair}]"] = rows["max_rel"].max()
    for r in agree.itertuples():
        row[f"max_curve_rel[{r.pair}]"] = r.max_rel
        row[f"first_divergent_step[{r.pair}]"] = r.first_divergent_step
    for r in metrics.to_dict("records"):
        row.update({f"{m}[{r['framework']}]": r[m] for m in METRICS if m in r})
    stopped = [f"{r['framework']}: {r['status']}" for r in metrics.to_dict("records") if str(r["status"]).startswith("non-finite")]
    should = agree[(agree["should_agree"].astype(str) == "True") & (agree["status"] != "measured")]  # measured: not judged
    if stopped:
        row.update(status="diverged", error="; ".join(stopped))
    elif not _passes(grads["pass"]).all() or not (should["pass"].astype(str) == "True").all():
        failing = list(grads[~_passes(grads["pass"])]["pair"].unique()) + list(should[should["pass"].astype(str) != "True"]["pair"])
        row.update(status="disagrees", error="; ".join(dict.fromkeys(failing)))
    else:
        row.update(status="ok", error="")
    return row


def failed_row(error: BaseException | str) -> dict:
    """A combination that raised (or whose worker died twice): its one line."""
    if isinstance(error, BaseException):
        line = str(error) if isinstance(error, UsageError) else f"{type(error).__name__}: {error}"
    else:
        line = error
    return {"status": "failed", "error": (line.strip().splitlines() or [""])[0]}


def table(combos: list[Combination], rows: dict[str, dict], fields: list[str]) -> pd.DataFrame:
    """The sweep table in grid order, for the combinations that have a row: name, the grid's fields, status,
    error, the per-pair differences, the per-framework metrics, wall_s."""
    records = []
    for combo in combos:
        if combo.name in rows:
            values = combo.spec.to_dict()
            records.append({"name": combo.name, **{f: text(values[f]) for f in fields}, **rows[combo.name]})
    frame = pd.DataFrame(records)
    measured = [c for c in frame.columns if "[" in c]
    order = {kind: i for i, kind in enumerate(MEASURES + METRICS)}
    measured.sort(key=lambda c: order[c.split("[")[0]])  # stable: pairs and frameworks keep their first order
    columns = LEADING + fields + TRAILING + measured + ["wall_s"]
    frame = frame.reindex(columns=columns)
    for c in measured:
        if c.startswith("first_divergent_step"):
            frame[c] = frame[c].astype("Int64")
    return frame


def write(frame: pd.DataFrame, out: Path) -> Path:
    """DIR/sweep.csv, atomically (a temporary file renamed): an interrupted sweep leaves a whole table."""
    path = out / SWEEP_CSV
    formats.write(frame.to_csv(index=False), path, flag="--out")  # floats as Python writes them: the shortest exact text
    return path


def read(out: Path) -> pd.DataFrame:
    """A sweep folder's table (mlp-compare table DIR)."""
    path = Path(out) / SWEEP_CSV
    if not path.is_file():
        raise UsageError(f"{out}: not a sweep folder (no {SWEEP_CSV}); expected a folder written by 'mlp-compare sweep --out'")
    header = pd.read_csv(path, nrows=0).columns
    fields = list(header[1 : list(header).index("status")]) if "status" in header else []
    steps = {c: "Int64" for c in header if c.startswith("first_divergent_step")}
    return pd.read_csv(path, dtype={**{f: str for f in fields}, **steps, "name": str, "error": str}, keep_default_na=False, na_values=[""])


def shown(frame: pd.DataFrame) -> pd.DataFrame:
    """The sweep table for reading (markdown, LaTeX, HTML): differences as 1.23e-15, steps as whole numbers, a
    cell with nothing in it (a pair a combination did not run) as -."""

    def cell(column: str, value) -> str:
        if pd.isna(value):
            return "-"
        if column.startswith("first_divergent_step"):
            return str(int(value))
        if column == "wall_s":
            return f"{value:.2f}"
        if isinstance(value, float) and "[" in column:
            return f"{value:.2e}" if column.startswith("max_") else f"{value:.4g}"
        return str(value)

    return pd.DataFrame({c: [cell(c, v) for v in frame[c]] for c in frame.columns})


def previous_walls(out: Path) -> dict[str, float]:
    """name -> wall_s of an earlier sweep.csv in the same folder (kept for the rows a resumed sweep skips)."""
    path = out / SWEEP_CSV
    if not path.is_file():
        return {}
    try:
        old = pd.read_csv(path, usecols=["name", "wall_s"])
    except (ValueError, OSError, pd.errors.ParserError):
        return {}
    return {n: w for n, w in zip(old["name"], old["wall_s"]) if isinstance(w, float) and not math.isnan(w)}
