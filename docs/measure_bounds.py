"""The round-off bounds on 300 random specs per dtype (docs/exact.md): run `.venv/bin/python docs/measure_bounds.py`."""

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests import conftest  # noqa: E402, F401  (torch before TensorFlow)
from tests.bound_study import FRAMEWORKS, measure, random_spec  # noqa: E402

N = int(sys.argv[1]) if len(sys.argv) > 1 else 300
for dtype in ("float64", "float32"):
    rows = [measure(random_spec(case, dtype)) for case in range(N)]
    shares = {k: np.array([r[k] for r in rows]) for k in rows[0]}
    inside = {k: int((v <= 1).sum()) for k, v in shares.items()}
    print(f"{dtype}: {N} specs")
    for k in (*FRAMEWORKS, "ulp"):
        print(
            f"  {k:>10}: inside the bound on {inside[k]}/{N}; share of the bound median {np.median(shares[k]):.3g}, largest {shares[k].max():.3g}"
        )
    for k in ("factor", "transpose"):
        print(f"  {k:>10} slip: outside the bound on {N - inside[k]}/{N}; smallest share {shares[k].min():.3g}")
    for case in np.flatnonzero([max(r[k] for k in (*FRAMEWORKS, "ulp")) > 1 or min(r["factor"], r["transpose"]) <= 1 for r in rows]):
        print(f"  case {case}: {random_spec(int(case), dtype)} {rows[case]}")
