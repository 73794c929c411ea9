"""The rows a run's tables gain from the exact reference and the round-off bounds: each run against the exact
gradients (in ulps, and as a share of the bound) and the exact curve (in ulps, per step), and each pair's gradients
as a share of what round-off can explain."""

from __future__ import annotations

import numpy as np
import pandas as pd

from compare.agree import ulps
from compare.agree.differences import curve_diff, tensor_diff
from compare.agree.tolerances import curve_tolerance
from compare.shared import loss_file
from compare.shared.weights import spec_names, tensors

EXACT = "exact"


def label(name: str) -> str:
    return f"{name} vs {EXACT}"


def bounds(result) -> list[np.ndarray] | None:
    """The round-off bound of every gradient tensor, in parameter order (None where none was derived)."""
    return None if result.bounds is None else [e.e for pair in result.bounds for e in pair if e is not None]


def relative(bound: np.ndarray, tensor) -> float:
    """A bound's largest entry relative to the tensor's largest entry (as max_rel measures a difference)."""
    scale = float(np.max(np.abs(np.asarray(tensor, np.float64)), initial=0.0))
    return float(bound.max(initial=0.0)) / scale if scale > 0 else np.nan


def judged(ratio: float, bound: float, dtype: str) -> dict:
    """pass and status of a tensor against its bound (bound: relative to the tensor, for one run): beyond it fails
    whatever the size; within it passes, unless the bound is as large as the tensor itself: round-off alone could then
    move the gradient by its own size, and no comparison in this dtype can check it (not judged, and said so)."""
    if ulps.within(ratio) and bound >= 1:
        return {"pass": None, "status": f"below round-off in {dtype}: its bound is {bound:.2g} times its largest entry, not judged"}
    return {"pass": ulps.within(ratio), "status": "ok"}


def pair_bound(result, index: int, a: np.ndarray, b: np.ndarray) -> dict:
    """A pair's gradient tensor against what round-off can explain: each run is within the bound B of the exact value,
    so two runs are within 2B of each other. bound: 2B relative to the tensor; bound_ratio: max |a - b| / 2B."""
    B = bounds(result)
    if B is None:
        return {"bound": np.nan, "bound_ratio": np.nan}
    return {"bound": relative(2 * B[index], a), "bound_ratio": ulps.ratio(np.asarray(a, np.float64) - b, 2 * B[index])}


def compared(result) -> list[str]:
    """The runs measured against the exact reference: all but those on their framework's own defaults."""
    if result.exact is None:
        return []
    return [name for name in result.grads if name not in result.native and name in result.exact.runs]


def _exact_grads(result, name: str) -> list[np.ndarray]:
    return tensors(result.exact.grads[result.exact.runs[name]][1])


def gradient_rows(result) -> list[dict]:
    """Per run and tensor (output layer first): its gradient against the exact one, relative, in ulps of its dtype, and
    as a share of the round-off bound; a run beyond the bound fails, whatever the size."""
    rows, B, dtype = [], bounds(result), result.spec.dtype
    names = spec_names(result.spec, "d")
    for name in compared(result):
        mine = tensors(result.grads[name][1])
        for i in reversed(range(len(names))):
            exact = _exact_grads(result, name)[i]
            d = tensor_diff(exact.astype(np.float64), mine[i])
            ratio = np.nan if B is None else ulps.ratio(np.asarray(mine[i], np.longdouble) - exact, B[i])
            bound = np.nan if B is None else relative(B[i], exact)
            within = judged(ratio, bound, dtype) if B is not None else {"pass": None, "status": "no bound derived"}
            rows.append({"pair": label(name), "tensor": names[i], **d, "tolerance": np.nan, "bound": bound, "bound_ratio": ratio,
                         **ulps.summary(mine[i], exact, dtype), **within})  # fmt: skip
    return rows


def _chunks(result, name: str):
    """(steps, the run's losses, the exact losses) over the steps the exact curve covers, a chunk at a time."""
    curve = result.exact.losses[result.exact.runs[name]]
    for start, stop in loss_file.spans(len(curve)):
        yield np.arange(start + 1, stop + 1), np.asarray(result.histories[name].losses[start:stop], np.float64), curve[start:stop]


def curve_frames(result):
    """The curve_diffs rows of each run against the exact curve: pair, step, abs_diff, rel_diff, tolerance, ulps."""
    for name in (n for n in compared(result) if n in result.histories):
        for steps, mine, exact in _chunks(result, name):
            abs_diff, rel_diff = curve_diff(mine, exact.astype(np.float64))
            yield pd.DataFrame({"pair": label(name), "step": steps, "abs_diff": abs_diff, "rel_diff": rel_diff,
                                "tolerance": curve_tolerance(result.spec.dtype, steps, result.spec.adaptive),
                                "ulps": ulps.distance(mine, exact, result.spec.dtype)})  # fmt: skip


def curve_stats(result, name: str) -> dict:
    """One pass over a run's curve against the exact one: the largest differences, the first step past the suite's fixed
    curve tolerance (no bound is derived for a trained curve), the distance in ulps (its median needs every step's)."""
    out = {"max_abs": 0.0, "max_rel": 0.0, "first": None, "rel_at_first": np.nan}
    distances = []
    with np.errstate(invalid="ignore", over="ignore"):
        for steps, mine, exact in _chunks(result, name):
            abs_diff, rel = curve_diff(mine, exact.astype(np.float64))
            out["max_abs"], out["max_rel"] = (
                max(out["max_abs"], np.nanmax(abs_diff, initial=0.0)),
                max(out["max_rel"], np.nanmax(rel, initial=0.0)),
            )
            over = ~(rel <= curve_tolerance(result.spec.dtype, steps, result.spec.adaptive))
            if out["first"] is None and over.any():
                out.update(first=int(steps[np.argmax(over)]), rel_at_first=float(rel[np.argmax(over)]))
            distances.append(ulps.distance(mine, exact, result.spec.dtype))
    if not distances:  # no step of the exact curve taken: nothing measured
        return {**out, "ulps_max": np.nan, "ulps_median": np.nan}
    d = np.nan_to_num(np.concatenate(distances), nan=np.inf, posinf=np.inf)
    return {**out, "ulps_max": float(d.max()), "ulps_median": float(np.median(d))}


def agreement_rows(result) -> list[dict]:
    """Per run: its curve against the exact curve over the steps it covers, in ulps (largest, median), with the suite's
    fixed curve tolerance (no bound is derived for a trained curve)."""
    rows = []
    for name in (n for n in compared(result) if n in result.histories):
        c = curve_stats(result, name)
        covered = f"{result.exact.steps} of {result.exact.total} steps"
        words = (
            f"within the fixed curve tolerance of the exact curve over {covered} (median {c['ulps_median']:.2g} ulp)"
            if c["first"] is None
            else f"leaves the exact curve at step {c['first']} ({c['rel_at_first']:.1e}; a fixed tolerance: no bound is derived for a trained curve)"
        )
        judged = c["first"] is None if not result.spec.adaptive else None  # Adam and RMSprop amplify round-off: measured, not judged
        words += (
            "" if judged is not None else f"; not judged: {result.spec.optimizer} amplifies round-off along the curve, the pairs are judged"
        )
        rows.append({"pair": label(name), "should_agree": True, "reason": _reason(result, name), "max_abs": c["max_abs"],
                     "max_rel": c["max_rel"], "first_divergent_step": c["first"], "final_weights_max_abs": np.nan, "verdict": words,
                     "pass": judged, "status": "ok" if judged is not None else "measured", "ulps_max": c["ulps_max"], "ulps_median": c["ulps_median"]})  # fmt: skip
    return rows


def _reason(result, name: str) -> str:
    from compare.exact import extended

    return f"the exact reference in {result.exact.runs[name]}'s update rules, computed in {extended.HOW[result.exact.method]}"


SUMMARY_COLUMNS = ["framework", "dtype", "grad_ulps_median", "grad_ulps_max", "of_bound", "curve_ulps_median", "curve_ulps_max", "steps"]


def summary_table(result) -> pd.DataFrame:
    """A row per run: its distance from the exact reference in ulps of its dtype over every entry of its first gradients
    (median, largest) and the largest share of the round-off bound they use (of_bound), and over every step of the
    exact curve (median, largest): the "ulps from exact" table."""
    rows, dtype = [], result.spec.dtype
    for name in compared(result):
        mine, exact = tensors(result.grads[name][1]), _exact_grads(result, name)
        d = np.concatenate([ulps.distance(m, e, dtype).ravel() for m, e in zip(mine, exact)])
        B = bounds(result)
        share = max(ulps.ratio(np.asarray(m, np.longdouble) - e, b) for m, e, b in zip(mine, exact, B)) if B is not None else np.nan
        row = {
            "framework": name,
            "dtype": dtype,
            "grad_ulps_median": float(np.median(d)),
            "grad_ulps_max": float(d.max()),
            "of_bound": share,
        }
        if name in result.histories and result.exact.steps:
            c = curve_stats(result, name)
            row.update(curve_ulps_median=c["ulps_median"], curve_ulps_max=c["ulps_max"], steps=f"{result.exact.steps}/{result.exact.total}")
        rows.append(row)
    return pd.DataFrame(rows, columns=SUMMARY_COLUMNS)
