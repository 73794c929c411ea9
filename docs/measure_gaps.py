"""The explainer on generated gaps (docs/exact.md): run `.venv/bin/python docs/measure_gaps.py`."""

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests import conftest  # noqa: E402, F401  (torch before TensorFlow)
from tests.gaps import cases, run  # noqa: E402

right = wrong = unexplained = 0
for name, dtype in cases():
    start = time.perf_counter()
    finding, expected = run(name, dtype)
    named = {s.name for s in finding.best.switches} if finding.explained else None
    verdict = "right" if named == expected else ("not explained" if named is None else "WRONG")
    right, wrong, unexplained = right + (verdict == "right"), wrong + (verdict == "WRONG"), unexplained + (verdict == "not explained")
    shown = ", ".join(sorted(named)) if named else ("as is" if named is not None else "-")
    print(
        f"| {name} | {dtype} | {', '.join(sorted(expected)) or 'as is'} | {shown} | {verdict} | {time.perf_counter() - start:.1f} s |",
        flush=True,
    )
print(f"{right + wrong + unexplained} gaps: right {right}, wrong {wrong}, not explained {unexplained}")
