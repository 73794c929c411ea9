"""Time one training step (forward, backward, update) of each implementation over a grid of sizes, side by side."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from compare.shared import implementations, weights
from compare.shared.spec import Spec

NAMES = ("numpy", "torch", "tensorflow")  # torch before tensorflow: the safe import order
HEADLINE = dict(layers=(784, 128, 64, 10), batch=128, dtype="float32")  # the reference point


@dataclass(frozen=True)
class Grid:
    """Hidden widths (halving layer by layer), hidden depths, batch sizes and dtypes to time."""

    widths: tuple[int, ...]
    depths: tuple[int, ...]
    batches: tuple[int, ...]
    dtypes: tuple[str, ...] = ("float32", "float64")
    steps: int = 50  # timed steps per point and implementation (the median is reported)
    warmup: int = 10  # untimed steps first (tf.function tracing, allocator, caches)


FULL = Grid(widths=(16, 64, 128, 256, 1024), depths=(1, 2, 3), batches=(32, 128, 1024))
QUICK = Grid(widths=(16, 128, 512), depths=(2,), batches=(32, 128))


def layers_for(width: int, depth: int, n_in: int = 784, n_out: int = 10) -> tuple[int, ...]:
    """784 inputs, `depth` hidden layers of width, width/2, ..., 10 outputs: width 128 depth 2 is 784-128-64-10."""
    return (n_in, *(max(width >> i, 1) for i in range(depth)), n_out)


def bench_spec(layers: tuple[int, ...], batch: int, dtype: str, threads: int = 1) -> Spec:
    """The timed problem: ReLU hidden layers, softmax cross-entropy, plain SGD."""
    return Spec(
        layers=layers,
        activation="relu",
        loss="ce",
        optimizer="sgd",
        lr=1e-3,
        dtype=dtype,
        batch_size=batch,
        init="torch_default",
        dataset="digits",
        threads=threads,
        frameworks=NAMES,
    )


def random_batch(spec: Spec, n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Standard-normal features of the spec's dtype and int64 class labels, n samples."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, spec.layers[0])).astype(spec.dtype)
    return X, rng.integers(0, spec.layers[-1], n).astype(np.int64)


def points(grid: Grid) -> Iterator[tuple[tuple[int, ...], int, str]]:
    """(layers, batch, dtype) of every grid point, the headline point first."""
    yield HEADLINE["layers"], HEADLINE["batch"], HEADLINE["dtype"]
    for dtype in grid.dtypes:
        for depth in grid.depths:
            for width in grid.widths:
                for batch in grid.batches:
                    point = (layers_for(width, depth), batch, dtype)
                    if point != (HEADLINE["layers"], HEADLINE["batch"], HEADLINE["dtype"]):
                        yield point


def step_times(spec: Spec, names=NAMES, steps: int = 50, warmup: int = 10, block: int = 10) -> dict[str, np.ndarray]:
    """Seconds per train_step of each implementation; blocks of `block` steps take turns, the first
    implementation rotating, so drift on a busy machine hits all alike while each runs as in training."""
    init = weights.init(spec)
    X, y = random_batch(spec, spec.batch_size)
    models = {name: implementations.build(name, spec, init) for name in names}
    for model in models.values():
        for _ in range(warmup):
            model.train_step(X, y)
    times = {name: [] for name in names}
    for turn in range(-(-steps // block)):
        for name in names[turn % len(names) :] + names[: turn % len(names)]:
            for _ in range(block):
                start = time.perf_counter()
                models[name].train_step(X, y)
                times[name].append(time.perf_counter() - start)
    return {name: np.array(t) for name, t in times.items()}


def grid_rows(grid: Grid, names=NAMES, threads: int = 1, progress=None) -> list[dict]:
    """One row per grid point and implementation: median ms per step and the ratio to torch."""
    rows = []
    for layers, batch, dtype in points(grid):
        spec = bench_spec(layers, batch, dtype, threads)
        times = step_times(spec, names, grid.steps, grid.warmup)
        medians = {name: float(np.median(t)) * 1e3 for name, t in times.items()}
        for name, t in times.items():
            rows.append(
                {
                    "layers": "-".join(map(str, layers)),
                    "depth": len(layers) - 2,
                    "batch": batch,
                    "dtype": dtype,
                    "implementation": name,
                    "madds": batch * sum(a * b for a, b in zip(layers[:-1], layers[1:])),
                    "ms_per_step": medians[name],
                    "iqr_ms": float(np.subtract(*np.percentile(t, [75, 25]))) * 1e3,
                    "vs_torch": medians[name] / medians["torch"] if "torch" in medians else np.nan,
                }
            )
        if progress:
            progress(spec, medians)
    return rows
