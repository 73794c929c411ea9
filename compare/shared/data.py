"""Data sets from scikit-learn (generated and bundled) or a user's CSV, split and standardised."""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from compare.errors import SpecError
from compare.shared import data_cache
from compare.shared.spec import DATASETS, Spec


@dataclass(frozen=True)
class Dataset:
    """Train and test arrays, features standardised with training statistics.

    Targets are in the form the loss takes: int class labels of shape (N,) for ce,
    floats of shape (N, outputs) for mse and bce.
    """

    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    n_classes: int | None  # None for regression

    @property
    def classification(self) -> bool:
        return self.n_classes is not None


def _spirals(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaved spirals (a classic that sklearn lacks)."""
    y = np.arange(n) % 2
    t = np.sqrt(rng.uniform(0.0, 1.0, n)) * 3 * np.pi
    sign = np.where(y == 0, 1.0, -1.0)
    X = np.stack([sign * t * np.cos(t), sign * t * np.sin(t)], axis=1) / (3 * np.pi)
    return X + noise * 0.2 * rng.standard_normal(X.shape), y


def _builtin(spec: Spec) -> tuple[np.ndarray, np.ndarray, bool]:
    """(X, y, is_classification) for a built-in name."""
    from sklearn import datasets

    name, n, noise, seed = spec.dataset, spec.n_samples, spec.noise, spec.seed
    rng = np.random.default_rng([seed, 2])
    if name == "xor":
        X = rng.uniform(-1, 1, (n, 2))
        y = (X[:, 0] * X[:, 1] > 0).astype(int)
        X = X + noise * 0.1 * rng.standard_normal(X.shape)
    elif name == "moons":
        X, y = datasets.make_moons(n, noise=noise, random_state=seed)
    elif name == "circles":
        X, y = datasets.make_circles(n, noise=noise * 0.5, factor=0.5, random_state=seed)
    elif name == "blobs":
        k = spec.layers[-1] if spec.layers[-1] > 1 else 2
        X, y = datasets.make_blobs(n, n_features=spec.layers[0], centers=k, cluster_std=1 + 5 * noise, random_state=seed)
    elif name == "spirals":
        X, y = _spirals(n, noise, rng)
    elif name == "sine":
        X = rng.uniform(-np.pi, np.pi, (n, 1))
        return X, np.sin(X[:, 0]) + noise * 0.5 * rng.standard_normal(n), False
    else:
        loader = {"digits": datasets.load_digits, "iris": datasets.load_iris}.get(name, datasets.load_breast_cancer)
        X, y = loader(return_X_y=True)
    return X, y, True


def _csv(spec: Spec) -> tuple[np.ndarray, np.ndarray, bool]:
    """(X, y, is_classification) from a CSV: every column but the target is a numeric feature."""
    import pandas as pd

    path = Path(spec.dataset)
    if not path.is_file():
        raise SpecError(f"spec.dataset: no such file {spec.dataset!r}; expected a CSV path or one of " + ", ".join(DATASETS))
    try:
        frame = pd.read_csv(path)
    except pd.errors.EmptyDataError:
        raise SpecError(f"spec.dataset: {spec.dataset!r} is empty; expected a header and rows of numbers") from None
    except (pd.errors.ParserError, UnicodeDecodeError) as e:
        raise SpecError(f"spec.dataset: cannot read {spec.dataset!r} as CSV ({e})") from None
    if frame.empty:
        raise SpecError(f"spec.dataset: {spec.dataset!r} is empty (a header and no rows); expected rows of numbers")
    if frame.shape[1] < 2:
        raise SpecError(f"spec.dataset: {spec.dataset!r} has {frame.shape[1]} column(s); expected features and a target")
    target = spec.target if spec.target is not None else frame.columns[-1]
    if target not in frame.columns:
        raise SpecError(f"spec.target: no column {target!r} in {spec.dataset!r}; columns are " + ", ".join(map(str, frame.columns)))
    missing = frame.columns[frame.isna().any()].tolist()
    if missing:
        raise SpecError(
            f"spec.dataset: {spec.dataset!r} has missing values in column(s) {', '.join(map(str, missing))}; expected complete rows"
        )
    features = frame.drop(columns=[target])
    bad = [c for c in features.columns if not pd.api.types.is_numeric_dtype(features[c])]
    if bad:
        raise SpecError(f"spec.dataset: non-numeric feature column(s) {', '.join(map(str, bad))} in {spec.dataset!r}; expected numbers")
    numbers = frame.select_dtypes("number")
    infinite = numbers.columns[np.isinf(numbers.to_numpy(np.float64)).any(axis=0)].tolist()
    if infinite:
        raise SpecError(
            f"spec.dataset: {spec.dataset!r} has infinite values in column(s) {', '.join(map(str, infinite))}; expected finite numbers"
        )
    y = frame[target]
    if spec.loss_kind.regression and pd.api.types.is_float_dtype(y):
        return features.to_numpy(np.float64), y.to_numpy(np.float64), False
    _, codes = np.unique(y.to_numpy(), return_inverse=True)
    return features.to_numpy(np.float64), codes, True


def _check_fits(spec: Spec, n_features: int, n_classes: int | None, n_train: int) -> None:
    name = spec.dataset
    if spec.layers[0] != n_features:
        raise SpecError(
            f"spec.layers: input size {spec.layers[0]} does not fit {name!r}, which has {n_features} features; expected {n_features}"
        )
    outputs = spec.layers[-1]
    if n_classes is None:
        if not spec.loss_kind.regression or outputs != 1:
            raise SpecError(
                f"spec.loss: {name!r} is a regression set; expected loss mse with 1 output (got {spec.loss}, {outputs} outputs)"
            )
    elif spec.loss_kind.labels and outputs != n_classes:
        raise SpecError(f"spec.layers: output size {outputs} does not fit {name!r}, which has {n_classes} classes; expected {n_classes}")
    elif not spec.loss_kind.labels and outputs == 1 and n_classes != 2:
        raise SpecError(
            f"spec.layers: 1 output fits 2 classes but {name!r} has {n_classes}; expected {n_classes} outputs (one-hot) or loss ce"
        )
    elif not spec.loss_kind.labels and outputs != 1 and outputs != n_classes:
        raise SpecError(
            f"spec.layers: output size {outputs} does not fit {name!r}, which has {n_classes} classes; expected 1 (binary) or {n_classes}"
        )
    if spec.batch_size > n_train:
        raise SpecError(f"spec.batch_size: {spec.batch_size} is larger than the {n_train} training samples; expected at most {n_train}")
    if spec.batch_norm and n_train % spec.batch_size == 1:
        raise SpecError(
            f"spec.batch_size: {spec.batch_size} leaves a last batch of 1 of the {n_train} training samples, which batch_norm "
            "cannot normalise; expected a batch size that leaves >= 2"
        )


def split(spec: Spec, X: np.ndarray, y: np.ndarray, is_class: bool):
    """(X_train, X_test, y_train, y_test, n_classes): split by seed (stratified where every class has two
    samples), features standardised in float64 with the training statistics."""
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler

    if len(y) - math.ceil(spec.test_fraction * len(y)) < 1:  # train_test_split's count of test samples
        least = next(n for n in itertools.count(2) if n - math.ceil(spec.test_fraction * n) >= 1)
        raise SpecError(
            f"spec.dataset: {spec.dataset!r} has {len(y)} row{'s' if len(y) != 1 else ''}, too few to split into training "
            f"and test samples (test_fraction {spec.test_fraction:g}); expected at least {least}"
        )
    n_classes = int(y.max()) + 1 if is_class else None
    stratify = y if is_class and np.bincount(y).min() >= 2 else None
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=spec.test_fraction, random_state=spec.seed, stratify=stratify)
    scaler = StandardScaler().fit(X_tr)
    return scaler.transform(X_tr), scaler.transform(X_te), y_tr, y_te, n_classes


def fitting_layers(spec: Spec) -> tuple[int, ...]:
    """The spec's layers with the input and output sizes its data set needs (the hidden layers as they are): one
    output for a regression set and for two classes under mse or bce, one per class otherwise."""
    if spec.dataset.endswith(".csv"):
        X_tr, _, _, _, n_classes = split(spec, *_csv(spec))
    else:
        X_tr, _, _, _, n_classes = data_cache.get(spec, lambda: split(spec, *_builtin(spec)))
    outputs = 1 if n_classes is None or n_classes == 2 and not spec.loss_kind.labels else n_classes
    return (X_tr.shape[1], *spec.layers[1:-1], outputs)


def load(spec: Spec) -> Dataset:
    """The spec's data set, split by seed and standardised with training statistics (built-in sets
    come from the on-disk cache when they can: see compare/shared/data_cache.py)."""
    if spec.dataset.endswith(".csv"):
        X_tr, X_te, y_tr, y_te, n_classes = split(spec, *_csv(spec))
    else:  # the spec allows a built-in name or a .csv path
        X_tr, X_te, y_tr, y_te, n_classes = data_cache.get(spec, lambda: split(spec, *_builtin(spec)))
    _check_fits(spec, X_tr.shape[1], n_classes, len(X_tr))
    X_tr, X_te = X_tr.astype(spec.dtype), X_te.astype(spec.dtype)
    targets = lambda y: spec.loss_kind.targets(y, n_classes, spec.layers[-1], spec.dtype)  # noqa: E731
    return Dataset(X_tr, targets(y_tr), X_te, targets(y_te), n_classes)
