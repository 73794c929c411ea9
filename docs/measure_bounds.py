"""The round-off bounds on 300 random specs per dtype (docs/exact.md): run `.venv/bin/python docs/measure_bounds.py`."""

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests import conftest  # noqa: E402, F401  (torch before TensorFlow)
from tests.bound_study import FRAMEWORKS, measure, random_spec  # noqa: E402

N = int(sys.argv[1]) if len(sys.argv) > 1 else 300
for dtype in ("float64", "float32"):
    specs = [random_spec(case, dtype) for case in range(N)]
    rows = [measure(spec) for spec in specs]
    shares = {k: np.array([r[k] for r in rows]) for k in rows[0]}
    inside = {k: int((v <= 1).sum()) for k, v in shares.items()}
    print(f"{dtype}: {N} specs")
    for k in (*FRAMEWORKS, "ulp"):
        print(
            f"  {k:>10}: inside the bound on {inside[k]}/{N}; share of the bound median {np.median(shares[k]):.3g}, largest {shares[k].max():.3g}"
        )
    for k in ("factor", "transpose"):
        moves = shares[f"{k} moves"].astype(bool)
        out = int((shares[k][moves] > 1).sum())
        flagged = int(((shares[k] <= 1) & moves & shares[f"{k} unjudged"].astype(bool)).sum())
        print(
            f"  {k:>10} slip: outside the bound on {N - inside[k]}/{N}, on {out}/{int(moves.sum())} where it moves the gradients at all;"
            f" inside but on a tensor below round-off (not judged) on {flagged}, passed as agreeing on {int(moves.sum()) - out - flagged}"
        )
    for case in np.flatnonzero([max(r[k] for k in (*FRAMEWORKS, "ulp")) > 1 or min(r["factor"], r["transpose"]) <= 1 for r in rows]):
        r, s = rows[case], specs[case]
        slips = ", ".join(f"{k} {r[k]:.2g}" + ("" if r[f"{k} moves"] else " (moves nothing)") for k in ("factor", "transpose") if r[k] <= 1)
        print(f"  case {case}: {s.short()}, batch {s.batch_size}{', batch norm' if s.batch_norm else ''}: {slips}")
