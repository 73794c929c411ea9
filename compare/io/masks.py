"""A dropout run's masks in its bundle: masks/mask<l>.npy, each step's kept units as packed bits, for any tool to re-train."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from compare.shared import harness
from compare.shared.spec import Spec

FOLDER = "masks"  # masks/mask1.npy, mask2.npy, ...: one per hidden layer


def paths(folder: Path, spec: Spec) -> list[Path]:
    return [Path(folder) / FOLDER / f"mask{i}.npy" for i in range(1, len(spec.layers) - 1)]


def write(folder: Path, spec: Spec, shape: tuple[int, int]) -> None:
    """masks/mask<l>.npy: uint8 (epochs, n_train, ceil(width / 8)), np.packbits of the kept units (bit 1) along the
    last axis; row k of epoch e is the sample at position k of that epoch's order, so that a step's masks are the
    rows of its mini-batch. Drawn as the harness draws them (compare.shared.harness.Dropout), an epoch at a time."""
    epochs, n = shape
    (Path(folder) / FOLDER).mkdir(exist_ok=True)
    widths = spec.layers[1:-1]
    files = [np.lib.format.open_memmap(p, "w+", np.uint8, (epochs, n, -(-w // 8))) for p, w in zip(paths(folder, spec), widths)]
    dropout = harness.Dropout(spec)
    for epoch in range(epochs):
        for start in range(0, n, spec.batch_size):
            stop = min(start + spec.batch_size, n)
            for file, mask in zip(files, dropout.draw(stop - start)):
                file[epoch, start:stop] = np.packbits(mask != 0, axis=-1)
    for file in files:
        file.flush()
    del files


class Stored:
    """A bundle's masks handed out step after step as harness.Dropout draws them: draw(n) gives the next step's masks,
    one (n, width) array per hidden layer, 0 (dropped) or 1 / (1 - p) (kept) in the spec's dtype."""

    def __init__(self, folder: Path, spec: Spec):
        self.bits = [np.load(p, mmap_mode="r") for p in paths(folder, spec)]
        self.widths, self.dtype = spec.layers[1:-1], np.dtype(spec.dtype)
        self.scale = self.dtype.type(1 / (1 - spec.dropout))
        self.epoch, self.start = 0, 0

    def draw(self, n: int) -> list[np.ndarray]:
        stop = self.start + n
        masks = [
            np.unpackbits(b[self.epoch, self.start : stop], axis=-1, count=w).astype(self.dtype) * self.scale
            for b, w in zip(self.bits, self.widths)
        ]
        self.epoch, self.start = (self.epoch + 1, 0) if stop == self.bits[0].shape[1] else (self.epoch, stop)
        return masks
