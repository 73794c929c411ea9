"""Median ulps from the exact reference per framework, and what the exact reference costs (docs/exact.md): run
`.venv/bin/python docs/measure_ulps.py` (`... kinds`: float32 gradients computed in float64 or in float32, in ulps). The 784-128-64-10 network trains on 1024 synthetic samples (a CSV of
784 standard-normal features and 10 classes, seeded) for one epoch of mini-batches of 128."""

import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from compare.experiment import pipeline  # noqa: E402
from compare.shared.spec import Spec  # noqa: E402
from tests import conftest  # noqa: E402, F401  (torch before TensorFlow)


def wide_csv(folder: Path) -> Path:
    rng = np.random.default_rng(784)
    X = rng.standard_normal((1365, 784))
    y = (X[:, :10] @ rng.standard_normal(10) > 0).astype(int) * 5 + rng.integers(0, 5, len(X))
    path = folder / "wide.csv"
    pd.DataFrame(np.column_stack([X, y]), columns=[f"x{i}" for i in range(784)] + ["label"]).to_csv(path, index=False)
    return path


def kinds() -> None:
    """A float32 spec's first gradients computed in float64 and rounded to float32, and in float32: their float32 ulps
    from the exact gradients of the same float32 inputs tell the two apart."""
    import scratch
    from compare.agree import ulps
    from compare.exact import extended
    from compare.experiment.pipeline import first_batch, prepare
    from compare.shared import weights

    for spec in (Spec(layers=(2, 16, 16, 1), activation="tanh", dtype="float32"),
                 Spec(layers=(64, 128, 64, 10), activation="relu", loss="ce", dataset="digits", batch_size=128, dtype="float32")):  # fmt: skip
        data, init, order = prepare(spec)
        X, y = first_batch(spec, data, order)
        wide = lambda a, t: a.astype(t) if a.dtype.kind == "f" else a  # noqa: E731
        exact = weights.tensors(extended.build(spec, init).gradients(X.astype(np.longdouble), wide(y, np.longdouble))[1])
        init64 = [tuple(None if t is None else t.astype(np.float64) for t in p) for p in init]
        in64 = scratch.make(spec.replace(dtype="float64"), init64).gradients(X.astype(np.float64), wide(y, np.float64))[1]
        for name, g in (("float64 arithmetic, rounded to float32", [t.astype(np.float32) for t in weights.tensors(in64)]),
                        ("float32 arithmetic", weights.tensors(scratch.make(spec, init).gradients(X, y)[1]))):  # fmt: skip
            d = np.concatenate([ulps.distance(a, e, "float32").ravel() for a, e in zip(g, exact)])
            print(
                f"{spec.short()}: {name}: median {np.median(d):.3g} ulp, 90th percentile {np.percentile(d, 90):.3g}, largest {d.max():.3g}"
            )


def main() -> None:
    folder = Path(tempfile.mkdtemp())
    wide = dict(layers=(784, 128, 64, 10), activation="relu", loss="ce", dataset=str(wide_csv(folder)), batch_size=128, epochs=1,
                lr=0.05, init="he_uniform")  # fmt: skip
    rows = []
    for name, changes, mode in (("default 2-4-1", {}, "auto"), ("784-128-64-10", wide, "on")):
        for dtype in ("float64", "float32"):
            spec = Spec(**changes, dtype=dtype)
            start = time.perf_counter()
            result = pipeline.run(spec, exact=mode)
            wall = time.perf_counter() - start
            table = result.tables["exact"].set_index("framework")
            for fw in ("numpy", "torch", "tensorflow"):
                r = table.loc[fw]
                rows.append({"network": name, "dtype": dtype, "framework": fw, "grad ulps median": r["grad_ulps_median"],
                             "grad ulps max": r["grad_ulps_max"], "of bound": r["of_bound"], "curve ulps median": r["curve_ulps_median"],
                             "curve ulps max": r["curve_ulps_max"], "steps": r["steps"]})  # fmt: skip
            print(
                f"{name} {dtype}: run {wall:.2f} s, exact reference {result.exact.seconds:.3f} s ({100 * result.exact.seconds / wall:.1f}%)"
            )
    print(pd.DataFrame(rows).to_markdown(index=False, floatfmt=".3g"))
    spec = Spec()
    shares = []
    for _ in range(5):  # the cost on the default problem: the whole run with --exact auto against --exact off
        start = time.perf_counter()
        off = pipeline.run(spec, exact="off")
        t_off = time.perf_counter() - start
        start = time.perf_counter()
        on = pipeline.run(spec, exact="auto")
        t_on = time.perf_counter() - start
        shares.append((t_off, t_on, on.exact.seconds, on.exact.steps))
        assert off.exact is None
    for t_off, t_on, exact_s, steps in shares:
        print(
            f"default problem: --exact off {t_off:.2f} s, auto {t_on:.2f} s; the exact reference ({steps} steps) {exact_s:.3f} s = {100 * exact_s / t_on:.1f}% of the run"
        )


if __name__ == "__main__":
    kinds() if sys.argv[1:] == ["kinds"] else main()
