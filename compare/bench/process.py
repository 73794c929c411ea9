"""What the benchmark measures in fresh processes: import and start-up time, `mlp-compare run`'s overhead, peak memory."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time

IMPORTS = (
    "numpy",
    "scratch",
    "torch",
    "torch_impl",
    "tensorflow",
    "tf_impl",
    "torch_impl, tf_impl",
    "compare.experiment.pipeline",
    "compare.cli",
)
HEAVY = ("torch", "tensorflow", "keras")

_TIME_IMPORT = "import time; t = time.perf_counter(); import {0}; print(time.perf_counter() - t)"

_RUN_PARTS = """
import json, time
t = time.perf_counter()
import compare.cli, compare.commands.run, compare.experiment.pipeline
t_compare = time.perf_counter() - t
t = time.perf_counter()
import torch_impl, tf_impl
t_import = time.perf_counter() - t
t = time.perf_counter()
import torch._dynamo  # torch.optim imports it on first use
t_dynamo = time.perf_counter() - t
from compare.shared import implementations
from compare.shared import harness
from compare.experiment.pipeline import prepare
from compare.shared.spec import Spec
spec = Spec(epochs={epochs})
data, init, order = prepare(spec)
t_train = 0.0
for name in implementations.runs_for(spec):
    model = implementations.build(name, spec, init)
    t = time.perf_counter()
    harness.train(name, model, spec, data, order)
    t_train += time.perf_counter() - t
print(json.dumps({{"import_s": t_import, "torch_dynamo_import_s": t_dynamo, "train_s": t_train, "compare_import_s": t_compare}}))
"""

_MODULES_AFTER_RUN = """
import json, sys
from compare.cli import main
code = main(["run", "--frameworks", "numpy", "--epochs", "2", "--out", {out!r}, "--force"])
print(json.dumps({{"exit": code, "loaded": sorted(m for m in {heavy} if m in sys.modules)}}))
"""


def python(code: str, timeout: float = 600) -> str:
    """Run code in a fresh interpreter of this environment; its last line of output."""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=timeout, check=True)
    return out.stdout.strip().splitlines()[-1]


_PEAK = """
import atexit, runpy, sys
def peak():  # VmHWM: this process's own high-water mark (ru_maxrss would inherit the parent's across exec)
    kib = next(line.split()[1] for line in open("/proc/self/status") if line.startswith("VmHWM"))
    open({path!r}, "w").write(kib)
atexit.register(peak)
sys.argv = ["mlp-compare", *{args!r}]
runpy.run_module("compare", run_name="__main__")
"""


def wall_and_peak(args: list[str], timeout: float = 600, env: dict | None = None) -> tuple[float, float]:
    """Wall seconds and peak resident memory (MiB) of `mlp-compare ARGS` in a fresh interpreter."""
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "peak")
        start = time.perf_counter()
        code = _PEAK.format(path=path, args=args)
        subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=timeout, check=True, env={**os.environ, **(env or {})})
        wall = time.perf_counter() - start
        with open(path) as f:
            return wall, int(f.read()) / 1024


def import_rows(repeats: int = 1) -> list[dict]:
    """Seconds to import each module in a fresh interpreter (least of `repeats`), and the bare start-up."""
    start = []
    for _ in range(repeats):
        begin = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True)
        start.append(time.perf_counter() - begin)
    rows = [{"what": "python start-up (python -c pass)", "seconds": min(start)}]
    for module in IMPORTS:
        times = [float(python(_TIME_IMPORT.format(module))) for _ in range(repeats)]
        rows.append({"what": f"import {module}", "seconds": min(times)})
    return rows


def run_cli(epochs: int, *flags: str, env: dict | None = None) -> tuple[float, float]:
    """Wall seconds and peak MiB of `mlp-compare run` on the default problem, its bundle in a temporary folder."""
    with tempfile.TemporaryDirectory() as tmp:
        return wall_and_peak(["run", "--epochs", str(epochs), "--out", tmp, "--force", *flags], env=env)


def run_overhead(epochs: int = 100, repeats: int = 2) -> dict:
    """`mlp-compare run` on the default problem against the frameworks' import time plus their training time.

    Import time counts torch._dynamo, which torch.optim imports on its first use (1-2 s). The overhead is
    split into compare's own imports (pandas, rich) and the rest (start-up, data, gradients, finite
    differences, tables, the bundle and its plots). The data comes from the warm cache (see
    compare/shared/data_cache.py); one more run with the cache off shows a machine's first run, which imports
    scikit-learn. Each figure is the least of `repeats` alternating measurements: other processes only
    ever add time.
    """
    parts, walls = [], []
    for _ in range(repeats):
        parts.append(json.loads(python(_RUN_PARTS.format(epochs=epochs))))  # also warms the data cache
        walls.append(run_cli(epochs))
    cold, _ = run_cli(epochs, env={"MLP_COMPARE_CACHE": "off"})
    best = {key: min(p[key] for p in parts) for key in parts[0]}
    wall, peak = min(w for w, _ in walls), max(m for _, m in walls)
    pure = best["import_s"] + best["torch_dynamo_import_s"] + best["train_s"]
    rest = wall - pure - best["compare_import_s"]
    return {
        "epochs": epochs,
        **best,
        "rest_s": rest,
        "run_wall_s": wall,
        "run_peak_mib": peak,
        "overhead": wall / pure - 1,
        "run_wall_cold_cache_s": cold,
        "overhead_cold_cache": cold / pure - 1,
    }


def memory_rows(epoch_counts=(100, 1000), repeats: int = 2) -> list[dict]:
    """Peak resident memory of `mlp-compare run` on the default problem for growing epoch counts: the
    least of `repeats` runs each (TensorFlow's thread arenas make one reading vary by a few MiB), and
    the growth per 1000 steps since the row before."""
    rows = []
    for epochs in epoch_counts:
        runs = [run_cli(epochs) for _ in range(repeats)]
        peak, spread = min(m for _, m in runs), max(m for _, m in runs) - min(m for _, m in runs)
        growth = (peak - rows[-1]["peak_rss_mib"]) / (epochs - rows[-1]["epochs"]) / 10 * 1000 if rows else 0.0
        rows.append(
            {
                "epochs": epochs,
                "steps_per_framework": epochs * 10,
                "peak_rss_mib": peak,
                "spread_mib": spread,
                "mib_per_1000_steps": growth,
                "wall_s": min(w for w, _ in runs),
            }
        )
    return rows


def numpy_only_imports() -> dict:
    """Which of torch, TensorFlow and Keras `mlp-compare run --frameworks numpy` loads (it should load none)."""
    with tempfile.TemporaryDirectory() as tmp:
        return json.loads(python(_MODULES_AFTER_RUN.format(heavy=HEAVY, out=tmp)))
