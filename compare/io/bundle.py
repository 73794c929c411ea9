"""The run bundle: a self-contained folder that anyone can re-verify, written atomically."""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import pandas as pd

from compare.agree import tables
from compare.exact import extended, measure
from compare.io import manifest, markdown, masks, plots, reader
from compare.io import staging as staging_module
from compare.shared import implementations, loss_file, weights
from compare.shared import spec as spec_module

FOLDERS = ["grads", "final", loss_file.LOSSES]  # per framework: first gradients, final weights, per-step losses (.npy)
FILES = [
    manifest.MANIFEST,  # the size and SHA-256 of every other file, written last
    "spec.json",
    "data.npz",
    "init.npz",
    "schedule.npy",
    "curves.csv",
    "curve_diffs.csv",
    "environment.json",
    "gradients.csv",
    "agreement.csv",
    "metrics.csv",
    "summary.md",
    "loss_curves.png",
    "grad_errors.png",
    "report.md",
    "bounds.npz",
]
EXACT_FILES = ["exact.csv"]  # and the folder exact/: written unless --exact off (or no exact reference can be taken)
ORDERS = "orders"  # orders/<framework>.npy: the sample order of a run that did not train on schedule.npy
EXACT = "exact"  # exact/: the exact reference's first gradients and curve per update rule (long double as float64 hi, lo)
BOUNDS = "bounds.npz"  # the round-off bound of every first-gradient entry (dW1, db1, ...), in the run's dtype
MASKS = masks.FOLDER  # masks/mask<l>.npy: a dropout run's masks, packed bits (see compare/io/masks.py)
FLOAT = "%.17g"  # enough digits to read every float64 back bit for bit


def default_dir(spec) -> Path:
    """runs/<time>-<short spec>, e.g. runs/20261124-153000-2-4-1-sigmoid-mse-sgd-moons (2-4-1-nobias-... without biases)."""
    layers = ["-".join(map(str, spec.layers))] + ([] if spec.bias else ["nobias"])
    slug = "-".join([*layers, *spec.activations[:1], spec.loss, spec.optimizer, Path(spec.dataset).stem])
    return Path("runs") / f"{time.strftime('%Y%m%d-%H%M%S')}-{slug}"


def spec_json(spec) -> str:
    d = spec.to_dict()
    d["conventions"] = {name: f"{implementations.RUNS[name].convention} update rules" for name in implementations.runs_for(spec)}
    return json.dumps(d, indent=2)


def _write(result, tmp: Path) -> None:
    spec, data = result.spec, result.data
    (tmp / "spec.json").write_text(spec_json(spec))
    n_classes = np.int64(-1 if data.n_classes is None else data.n_classes)  # -1: regression
    np.savez(tmp / "data.npz", X_train=data.X_train, y_train=data.y_train, X_test=data.X_test, y_test=data.y_test, n_classes=n_classes)
    weights.save(tmp / "init.npz", result.init)
    loss_file.write_npy(tmp / "schedule.npy", "<i8", result.schedule.shape, result.schedule)  # a row an epoch
    if result.orders:  # a run that trained on an order of its own (Keras's fit order under --defaults native)
        (tmp / ORDERS).mkdir(exist_ok=True)
        for name, order in result.orders.items():
            np.save(tmp / ORDERS / f"{name}.npy", np.asarray(order, "<i8"))
    for folder in FOLDERS:
        (tmp / folder).mkdir(exist_ok=True)  # losses/ is there already when training streamed into it
    _write_losses(result, tmp)
    _write_csv(tmp / "curves.csv", result.curve_frames(), ["framework", "epoch", "step", "loss"], FLOAT)
    _write_csv(tmp / "curve_diffs.csv", tables.diff_frames(result), ["pair", "step", "abs_diff", "rel_diff", "tolerance", "ulps"], "%.6g")
    for name, (_, grads) in result.grads.items():
        weights.save(tmp / "grads" / f"{name}.npz", grads, prefix="d")
    for name, history in result.histories.items():
        weights.save(tmp / "final" / f"{name}.npz", history.final)
    (tmp / "environment.json").write_text(json.dumps(result.environment, indent=2))
    for key, table in result.tables.items():
        table.to_csv(tmp / f"{key}.csv", index=False, float_format=FLOAT)
    _write_exact(result, tmp)
    (tmp / "summary.md").write_text(markdown.summary(result))
    plots.loss_curves(result, tmp / "loss_curves.png")
    plots.grad_errors(result, tmp / "grad_errors.png")
    (tmp / "report.md").write_text(markdown.report(result))
    if spec.dropout > 0:
        masks.write(tmp, spec, result.schedule.shape)


def _write_exact(result, tmp: Path) -> None:
    """bounds.npz, and exact/: grads-<rules>.npz (dW1, dW1.lo, ..., loss, loss.lo: a long double is hi + lo exactly),
    losses-<rules>.npy and losses-<rules>.lo.npy (each step's loss, hi and lo; there already when training streamed them)
    and exact.json (method, steps, cost, each run's rules)."""
    names = weights.spec_names(result.spec, "d")
    if result.bounds is not None:
        np.savez(tmp / BOUNDS, **dict(zip(names, [e.e for pair in result.bounds for e in pair if e is not None])))
    exact = result.exact
    if exact is None:
        return
    (tmp / EXACT).mkdir(exist_ok=True)
    for rules, (loss, grads) in exact.grads.items():
        arrays = {"loss": extended.split(loss)}
        arrays.update(zip(names, map(extended.split, weights.tensors(grads))))
        np.savez(
            tmp / EXACT / f"grads-{rules}.npz",
            **{k + suffix: part for k, pair in arrays.items() for suffix, part in zip(("", ".lo"), pair)},
        )
        curve = exact.losses[rules]
        for path, part in zip(measure.paths(tmp / EXACT, rules), (curve.hi, curve.lo)):
            if not (isinstance(part, loss_file.LossFile) and path.exists() and path.samefile(part.path)):
                loss_file.write_npy(path, "<f8", (len(part),), (part[a:b] for a, b in loss_file.spans(len(part))))
    about = {"method": exact.method, "mode": exact.mode, "steps": exact.steps, "total": exact.total, "seconds": round(exact.seconds, 3),
             "unit_roundoff": extended.unit_roundoff() if exact.method != "fractions" else None, "runs": exact.runs}  # fmt: skip
    (tmp / EXACT / "exact.json").write_text(json.dumps(about, indent=2))


def exact(folder: str | Path) -> dict | None:
    """A bundle's exact reference as written by _write_exact: {"about": exact.json, rules: {"grads": {name: long
    double}, "losses": long double per step}}; None without one."""
    folder = Path(folder) / EXACT
    if not (folder / "exact.json").is_file():
        return None
    out: dict = {"about": json.loads((folder / "exact.json").read_text())}
    for path in sorted(folder.glob("grads-*.npz")):
        rules = path.stem.removeprefix("grads-")
        with np.load(path) as f:
            grads = {k: extended.join(f[k], f[k + ".lo"]) for k in f.files if not k.endswith(".lo")}
        out[rules] = {"grads": grads, "losses": extended.join(*(np.load(path) for path in measure.paths(folder, rules)))}
    return out


def exact_reference(folder: str | Path) -> measure.Exact | None:
    """The exact reference a bundle holds (exact/), as the run had it, for its tables to be derived again; None without."""
    stored = exact(folder)
    if stored is None:
        return None
    about = stored["about"]
    rules = sorted(set(about["runs"].values()))
    grads = {
        r: (stored[r]["grads"]["loss"], weights.from_dict({k: v for k, v in stored[r]["grads"].items() if k != "loss"}, "d")) for r in rules
    }
    losses = {r: stored[r]["losses"] for r in rules}
    return measure.Exact(about["method"], about["mode"], grads, losses, about["steps"], about["total"], about["seconds"], about["runs"])


def _write_losses(result, folder: Path) -> None:
    """losses/<name>.npy: each run's per-step losses, exact; runs streamed into this folder are there already."""
    for name, history in result.histories.items():
        path, losses = loss_file.loss_path(folder, name), history.losses
        if isinstance(losses, loss_file.LossFile) and path.exists() and path.samefile(losses.path):
            continue
        loss_file.write_npy(path, "<f8", (len(losses),), (losses[start:stop] for start, stop in loss_file.spans(len(losses))))


def _write_csv(path: Path, frames, columns: list[str], float_format: str) -> None:
    """A long table written a chunk at a time: its size on disk, not in memory, grows with the run."""
    with open(path, "w", newline="") as f:
        f.write(",".join(columns) + "\n")
        for frame in frames:
            frame.to_csv(f, header=False, index=False, float_format=float_format)


def staging(out: Path, force: bool = False, cli: bool = False, foreign_dead: bool = False):
    """A staging folder beside `out`, claimed for this run (see compare/io/staging.py): training streams its curves
    there; removed on any failure or interrupt; save() renames it to `out`."""
    return staging_module.staging(Path(out), force, cli, foreign_dead)


def save(result, out: str | Path | None = None, force: bool = False, staged: Path | None = None, cli: bool = False) -> Path:
    """Write the bundle into a staging folder beside `out` (or into `staged`, from staging(out)), its manifest last,
    then rename it into place: atomically, and never over a folder another run writes or (without force) one that
    exists. cli: say --out and --force in an error, not out= and force=True."""
    out = Path(out) if out is not None else default_dir(result.spec)
    if staged is None:
        with staging(out, force, cli) as tmp:
            return save(result, out, force, staged=tmp, cli=cli)
    _write(result, staged)
    manifest.write(staged)
    return staging_module.install(staged, out, force, cli)


def load(folder: str | Path):
    """(spec, data, init, schedule, curves) from a bundle: all a re-run needs, and what it gave (curves: framework,
    epoch, step, loss from the exact losses/*.npy). Files that do not match the bundle's manifest.json are refused
    (BundleError, one line naming the first); a bundle without one is said on stderr and read, its damage one line."""
    folder = Path(folder)
    sealed = reader.checked(folder)
    if not sealed:
        reader.readable(folder)
    spec = reader.spec(folder)
    data, init = reader.data(folder), reader.read(folder, "init.npz", weights.load)
    schedule = reader.npy(folder, "schedule.npy", "<i8", 2)
    curves = reader.curves(folder, spec, schedule.shape[1])
    if not sealed:
        reader.unchecked(folder)
    return spec, data, init, schedule, curves


def orders(folder: str | Path) -> dict[str, np.ndarray]:
    """{framework: (epochs, n_train) sample order} of the runs that trained on an order of their own (none: all on
    schedule.npy)."""
    paths = sorted((Path(folder) / ORDERS).glob("*.npy"))
    return {path.stem: reader.npy(folder, f"{ORDERS}/{path.name}", "<i8", 2) for path in paths}


def ulps_rows(folder: Path) -> list[dict]:
    """A bundle's distance from the exact reference, a row per framework (exact.csv): the spec in short, the dtype, the
    median and largest ulps of its first gradients and of its curve, the share of the round-off bound used, steps."""
    d = json.loads((folder / "spec.json").read_text())
    d.pop("conventions", None)
    spec = spec_module.from_dict(d)
    short = spec.short()
    if not (folder / "exact.csv").is_file():
        return [{"run": folder.name, "spec": short, "framework": "-", "dtype": spec.dtype, "steps": "no exact reference (--exact off)"}]
    return [{"run": folder.name, "spec": short, **r} for r in pd.read_csv(folder / "exact.csv").to_dict("records")]


def is_bundle(folder: Path) -> bool:
    """A folder with a spec.json: a run bundle (a broken one is reported when it is read)."""
    return (folder / "spec.json").is_file()


def pair_rows(folder: Path) -> list[dict]:
    """A bundle summed up a row per framework pair: the spec in short, the largest gradient and curve
    differences, the first divergent step and each framework's final test accuracy (mlp-compare table). Refused in
    one line naming the file: a bundle whose files do not match its manifest, or (without one) a damaged table."""
    sealed = reader.checked(folder, ("spec.json",))
    spec = reader.spec(folder)
    grads = reader.table(folder, "gradients.csv", ("pair", "max_rel"))
    agree = reader.table(folder, "agreement.csv", ("pair", "should_agree", "max_rel", "first_divergent_step", "status"))
    metrics = reader.table(folder, "metrics.csv", ("framework",))
    acc = dict(zip(metrics["framework"], metrics["test_acc"])) if "test_acc" in metrics else {}
    rows = []
    for r in agree.itertuples():
        a, b = r.pair.split(" vs ")
        if b == EXACT:  # a run against the exact reference: in ulps_rows
            continue
        g = grads[grads["pair"] == r.pair]["max_rel"]
        rows.append(
            {
                "run": folder.name,
                "spec": spec.short(),
                "pair": r.pair,
                "should_agree": {True: "yes", False: "no"}.get(r.should_agree, "-"),
                "max_grad_rel_diff": g.max() if len(g) else float("nan"),
                "max_curve_rel_diff": r.max_rel,
                "first_divergent_step": "-" if pd.isna(r.first_divergent_step) else int(r.first_divergent_step),
                "test_acc_a": acc.get(a, float("nan")),
                "test_acc_b": acc.get(b, float("nan")),
                "status": r.status,
            }
        )
    if not sealed:
        reader.unchecked(folder)
    return rows
