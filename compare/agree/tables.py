"""The agreement of a run, as tables: gradients per pair and tensor, loss curves per pair, final metrics, the verdict.

Each function takes a Result (compare/experiment/result.py) and reads only its data.
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd

from compare.agree import exact_rows, finite_diff
from compare.agree.differences import curve_diff, tensor_diff
from compare.agree.tolerances import FD_TOL, GRAD_TOL, curve_tolerance
from compare.shared import loss_file
from compare.shared.implementations import RUNS, convention_matters, convention_reasons, runs_for, same_rules
from compare.shared.weights import spec_names, tensors

FD_PAIR = "numpy vs finite differences"
OWN_DEFAULTS = "own defaults: not expected to agree"
GRADIENT_COLUMNS = [
    "pair",
    "tensor",
    "max_abs",
    "max_rel",
    "cosine",
    "tolerance",
    "bound",
    "bound_ratio",
    "ulps_max",
    "ulps_median",
    "pass",
    "status",
]
AGREEMENT_COLUMNS = [
    "pair",
    "should_agree",
    "reason",
    "max_abs",
    "max_rel",
    "first_divergent_step",
    "final_weights_max_abs",
    "verdict",
    "ulps_max",
    "ulps_median",
    "pass",
    "status",
]


def should_agree(a: str, b: str, result) -> bool:
    """Whether two runs implement the same computation, so they must match to round-off: not where one runs on
    its framework's own defaults, nor where their published optimizer update rules differ."""
    return a not in result.native and b not in result.native and same_rules(a, b, result.spec)


def reason(a: str, b: str, result) -> str:
    """Why a pair should agree, or why not, in words."""
    spec = result.spec
    own = [n for n in (a, b) if n in result.native]
    if own:
        words = f"{' and '.join(own)} on {'its' if len(own) == 1 else 'their'} framework's own default initial weights and hyperparameters"
        return words + (", and Keras fit's sample order" if "tensorflow" in own and "tensorflow" in result.orders else "")
    if not convention_matters(spec):
        return f"same update rule ({spec.optimizer})"
    ca, cb = RUNS[a].convention, RUNS[b].convention
    if ca == cb:
        return f"same {spec.optimizer} update rule ({ca} form)"
    return "; ".join(convention_reasons(spec))


def missing_pairs(result) -> list[str]:
    everyone = runs_for(result.spec)
    return [f"{a} vs {b}" for a, b in itertools.combinations(everyone, 2) if a in result.missing or b in result.missing]


def gradient_table(result) -> pd.DataFrame:
    """Per pair and tensor: max abs / max rel difference, cosine, the round-off bound and the share of it the difference
    uses (pass: within it; the fixed tolerance decides only where no bound is derived); then each run against the exact
    reference (in ulps too), then the finite-difference check; tensors in backward order (output layer first)."""
    tol = GRAD_TOL[result.spec.dtype]
    rows = []
    for a, b in itertools.combinations(result.grads, 2):
        (_, ga), (_, gb) = result.grads[a], result.grads[b]
        expected = a not in result.native and b not in result.native  # the optimizer's rules do not touch a gradient
        names = spec_names(result.spec, "d")  # no db rows without biases; dgamma, dbeta with bn_affine
        for i, (name, ta, tb) in reversed(list(enumerate(zip(names, tensors(ga), tensors(gb))))):
            d, bound = tensor_diff(ta, tb), exact_rows.pair_bound(result, i, ta, tb) if expected else {}
            derived = result.bounds is not None and expected
            if not expected:
                verdict = {"pass": None, "status": OWN_DEFAULTS}
            elif derived:  # a pair is within twice a run's bound: the run's own share of the tensor is half the pair's
                verdict = exact_rows.judged(bound["bound_ratio"], bound["bound"] / 2, result.spec.dtype)
            else:
                verdict = {"pass": bool(d["max_rel"] <= tol), "status": "ok"}
            rows.append({"pair": f"{a} vs {b}", "tensor": name, **d, "tolerance": np.nan if derived else tol, **bound, **verdict})
    rows += exact_rows.gradient_rows(result)
    if result.fd is not None:
        for r in result.fd.iloc[::-1].itertuples():
            kinks = f", {r.kinks} at a ReLU kink (skipped)" if r.kinks else ""
            rows.append(
                {
                    "pair": FD_PAIR,
                    "tensor": r.tensor,
                    "max_abs": np.nan,
                    "max_rel": r.max_rel_error,
                    "cosine": np.nan,
                    "tolerance": FD_TOL,
                    "pass": r.grade in finite_diff.PASSING,  # CS231n's acceptable or better: <= FD_TOL
                    "status": f"{r.grade}; {r.checked} of {r.total} entries{kinks}",
                }
            )
    rows += [{"pair": p, "tensor": "-", "pass": None, "status": "not installed"} for p in missing_pairs(result)]
    return pd.DataFrame(rows, columns=GRADIENT_COLUMNS)


def first_failing_tensor(gradients: pd.DataFrame) -> dict[str, str | None]:
    """Per compared pair of a gradient table, the first tensor that fails walking back from the output layer."""
    out = {}
    compared = gradients[~gradients["status"].isin(["not installed", OWN_DEFAULTS])]
    for pair, rows in compared.groupby("pair", sort=False):
        failing = rows[rows["pass"] == False]  # noqa: E712  (pass is an object column)
        out[pair] = failing["tensor"].iloc[0] if len(failing) else None
    return out


def curve_pairs(result) -> list[tuple[str, str]]:
    return list(itertools.combinations(result.histories, 2))


def diff_chunks(result, a: str, b: str, size: int | None = None):
    """(steps, abs_diff, rel_diff, tolerance) of one pair's loss curves, a chunk of steps at a time."""
    la, lb = result.histories[a].losses, result.histories[b].losses
    for start, stop in loss_file.spans(len(la), size):
        steps = np.arange(start + 1, stop + 1)
        yield (steps, *curve_diff(la[start:stop], lb[start:stop]), curve_tolerance(result.spec.dtype, steps, result.spec.adaptive))


def diff_frames(result, size: int | None = None):
    """The curve_diffs table (pair, step, abs_diff, rel_diff, tolerance, ulps), a chunk of steps of one pair at a time;
    then each run against the exact curve (ulps: its distance in ulps of the run's dtype)."""
    pairs = curve_pairs(result)
    labels = [f"{a} vs {b}" for a, b in pairs]
    for i, (a, b) in enumerate(pairs):
        for steps, abs_diff, rel_diff, tol in diff_chunks(result, a, b, size):
            pair = loss_file.label(i, labels, len(steps))
            yield pd.DataFrame({"pair": pair, "step": steps, "abs_diff": abs_diff, "rel_diff": rel_diff, "tolerance": tol, "ulps": np.nan})
    yield from exact_rows.curve_frames(result)


def curve_summary(result, a: str, b: str) -> dict:
    """One pass over a pair's curves: largest differences, first step past the tolerance, and the relative
    difference and tolerance there."""
    out = {"max_abs": -np.inf, "max_rel": -np.inf, "first": None, "rel_at_first": np.nan, "tol_at_first": np.nan}
    for steps, abs_diff, rel_diff, tol in diff_chunks(result, a, b):
        out["max_abs"] = max(out["max_abs"], np.max(abs_diff[~np.isnan(abs_diff)], initial=-np.inf))
        out["max_rel"] = max(out["max_rel"], np.max(rel_diff[~np.isnan(rel_diff)], initial=-np.inf))
        over = ~(rel_diff <= tol)  # NaN counts as over
        if out["first"] is None and over.any():
            j = int(np.argmax(over))
            out.update(first=int(steps[j]), rel_at_first=float(rel_diff[j]), tol_at_first=float(tol[j]))
    for key in ("max_abs", "max_rel"):
        out[key] = float(out[key]) if out[key] > -np.inf else np.nan
    return out


def verdict(curve: dict, should_agree: bool) -> str:
    """Words for a pair's curve agreement (a curve_summary): round-off, gradual growth, or a real difference at once."""
    first, at_first = curve["first"], curve["rel_at_first"]
    if first is None:
        return "agree to round-off"
    if not np.isfinite(at_first):
        return f"one run stopped at step {first}"
    expected = "expected: not the same computation"
    if first <= 2 or at_first > 1e3 * curve["tol_at_first"]:
        return f"differ from step {first} at once ({at_first:.1e}): {expected if not should_agree else 'a real disagreement'}"
    kind = expected if not should_agree else "round-off amplified past the tolerance, or a small real difference"
    return f"drift grows gradually past the tolerance at step {first}: {kind}"


def agreement_table(result) -> pd.DataFrame:
    """Per pair: should it agree and why, largest differences, first divergent step, verdict."""
    rows = []
    for a, b in curve_pairs(result):
        ha, hb = result.histories[a], result.histories[b]
        c = curve_summary(result, a, b)
        agree = should_agree(a, b, result)
        final = max(tensor_diff(x, y)["max_abs"] for x, y in zip(tensors(ha.final), tensors(hb.final)))
        rows.append(
            {
                "pair": f"{a} vs {b}",
                "should_agree": agree,
                "reason": reason(a, b, result),
                "max_abs": c["max_abs"],
                "max_rel": c["max_rel"],
                "first_divergent_step": c["first"],
                "final_weights_max_abs": final,
                "verdict": verdict(c, agree),
                "pass": (c["first"] is None) if agree else None,
                "status": "ok",
            }
        )
    rows += exact_rows.agreement_rows(result)
    rows += [{"pair": p, "status": "not installed"} for p in missing_pairs(result)]
    return pd.DataFrame(rows, columns=AGREEMENT_COLUMNS)


def metrics_table(result) -> pd.DataFrame:
    rows = []
    for name, h in result.histories.items():
        rows.append({"framework": name, "status": "ok" if h.ok else f"non-finite loss at step {h.failed_step}", **h.metrics})
    rows += [{"framework": name, "status": "not installed"} for name in result.missing]
    return pd.DataFrame(rows)


def passed(result, tables: dict[str, pd.DataFrame]) -> bool:
    """Every run finished and every pair that should agree does (gradients and curves)."""
    grads, agree = tables["gradients"], tables["agreement"]
    checked = agree[(agree["should_agree"] == True) & (agree["status"] != "measured")]  # noqa: E712  (measured: not judged)
    return bool((grads["pass"] != False).all() and checked["pass"].all() and all(h.ok for h in result.histories.values()))  # noqa: E712
