"""Per-step loss curves streamed to disk (one float64 .npy per run) and read back in chunks.

A run of any length then holds no per-step array in memory: the harness writes each epoch's losses
as it ends, and the tables, CSV files and plots read CHUNK steps at a time.
"""

from __future__ import annotations

import os
import weakref
from pathlib import Path

import numpy as np
import pandas as pd

CHUNK = 2048  # steps per read: the tables' and CSV writer's working memory stays below ~1 MB
LOSSES = "losses"  # the bundle's folder of streamed losses, one <name>.npy per run


def spans(n: int, size: int | None = None):
    """(start, stop) of consecutive chunks covering range(n)."""
    size = size or CHUNK
    for start in range(0, n, size):
        yield start, min(start + size, n)


def write_npy(path: str | Path, dtype, shape: tuple[int, ...], blocks) -> int:
    """An .npy file of `shape` whose data are `blocks` (arrays, or a lazy harness.Schedule's rows)
    written one after another, so the whole array is never in memory; returns where the data start."""
    dtype = np.dtype(dtype)
    with open(path, "wb") as f:
        np.lib.format.write_array_header_1_0(f, {"descr": dtype.str, "fortran_order": False, "shape": tuple(shape)})
        offset = f.tell()
        for block in blocks:
            f.write(np.ascontiguousarray(block, dtype).tobytes())
    return offset


def label(i: int, names: list[str], n: int) -> pd.Categorical:
    """names[i] n times, stored as a category (one byte a row, not a string): the name column of a chunk."""
    return pd.Categorical.from_codes(np.full(n, i, np.int8), categories=names)


def concat(frames, columns: list[str]) -> pd.DataFrame:
    """Chunks of a long table as one DataFrame (empty, with its columns, when there are none)."""
    frames = list(frames)
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns)


def loss_path(folder: str | Path, name: str) -> Path:
    """Where a run's streamed losses live in a bundle folder: losses/<name>.npy."""
    return Path(folder) / LOSSES / f"{name}.npy"


class LossFile:
    """A float64 vector of `length` per-step losses in a .npy file: NaN until written, written a slice
    at a time (losses[a:b] = values), read a slice at a time (losses[a:b]); np.asarray loads it whole."""

    dtype = np.dtype("<f8")

    def __init__(self, path: str | Path, length: int):
        self.path, self.length = Path(path), length
        self.offset = write_npy(self.path, self.dtype, (length,), (np.full(stop - start, np.nan) for start, stop in spans(length)))
        self.fd = os.open(self.path, os.O_RDWR)
        weakref.finalize(self, os.close, self.fd)

    def __len__(self) -> int:
        return self.length

    @property
    def shape(self) -> tuple[int]:
        return (self.length,)

    def _span(self, key: slice) -> tuple[int, int]:
        if not isinstance(key, slice):
            raise TypeError(f"LossFile takes slices of steps, got {key!r}")
        start, stop, stride = key.indices(self.length)
        if stride != 1:
            raise TypeError("LossFile takes contiguous slices of steps")
        return start, max(start, stop)

    def __setitem__(self, key: slice, values) -> None:
        start, stop = self._span(key)
        data = np.ascontiguousarray(values, self.dtype)
        if data.shape != (stop - start,):
            raise ValueError(f"{data.shape[0] if data.ndim else 1} values for {stop - start} steps")
        os.pwrite(self.fd, data.tobytes(), self.offset + 8 * start)

    def __getitem__(self, key: slice) -> np.ndarray:
        start, stop = self._span(key)
        return np.frombuffer(os.pread(self.fd, 8 * (stop - start), self.offset + 8 * start), self.dtype)

    def __array__(self, dtype=None, copy=None) -> np.ndarray:
        return np.asarray(self[:], dtype)

    def __repr__(self) -> str:
        return f"LossFile({str(self.path)!r}, {self.length} steps)"
