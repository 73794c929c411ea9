"""The on-disk cache of the built-in data sets: bit-identical to a fresh split, keyed on every field
the split depends on, robust to a broken file, and a warm load imports no scikit-learn."""

import json
import subprocess
import sys

import numpy as np
import pytest

from compare.shared import data, data_cache
from compare.shared.spec import Spec

FIELDS = ("X_train", "y_train", "X_test", "y_test")
SPECS = [
    Spec(),
    Spec(dtype="float32"),
    Spec(dataset="xor", loss="bce"),
    Spec(dataset="blobs", layers=(2, 5, 3), loss="ce"),
    Spec(dataset="sine", layers=(1, 8, 1), output="identity"),
    Spec(dataset="iris", layers=(4, 5, 3), loss="mse"),
    Spec(dataset="digits", layers=(64, 8, 10), loss="ce", dtype="float32"),
]


def assert_same(a: data.Dataset, b: data.Dataset) -> None:
    for name in FIELDS:
        x, y = getattr(a, name), getattr(b, name)
        assert x.dtype == y.dtype and x.shape == y.shape and np.array_equal(x, y), name
    assert a.n_classes == b.n_classes


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: f"{s.dataset}-{s.loss}-{s.dtype}")
def test_cold_and_warm_loads_equal_an_uncached_split_bit_for_bit(spec, tmp_path, monkeypatch):
    monkeypatch.setenv("MLP_COMPARE_CACHE", "off")
    fresh = data.load(spec)
    monkeypatch.setenv("MLP_COMPARE_CACHE", str(tmp_path))
    cold = data.load(spec)
    assert data_cache.path(spec).is_file()
    warm = data.load(spec)
    assert_same(fresh, cold)
    assert_same(fresh, warm)


def test_a_warm_load_takes_the_arrays_from_the_file(tmp_path, monkeypatch):
    monkeypatch.setenv("MLP_COMPARE_CACHE", str(tmp_path))
    spec = Spec()
    data.load(spec)
    monkeypatch.setattr(data, "split", lambda *a: pytest.fail("the warm load split the data again"))
    data.load(spec)


def test_every_field_the_split_depends_on_is_in_the_key(tmp_path, monkeypatch):
    monkeypatch.setenv("MLP_COMPARE_CACHE", str(tmp_path))
    base = Spec(dataset="blobs", layers=(2, 4, 3), loss="ce")
    changes = [
        dict(seed=1),
        dict(n_samples=300),
        dict(noise=0.3),
        dict(test_fraction=0.5),
        dict(layers=(2, 4, 4)),
        dict(dataset="moons", layers=(2, 4, 1), loss="mse"),
    ]
    paths = {data_cache.path(base)} | {data_cache.path(base.replace(**c)) for c in changes}
    assert len(paths) == 1 + len(changes)
    assert data_cache.path(base.replace(lr=0.1, epochs=3, dtype="float32")) == data_cache.path(base)  # training fields share the split


def test_a_broken_cache_file_is_made_again(tmp_path, monkeypatch):
    monkeypatch.setenv("MLP_COMPARE_CACHE", str(tmp_path))
    spec = Spec()
    good = data.load(spec)
    data_cache.path(spec).write_bytes(b"PK\x03\x04 not a zip")
    assert_same(data.load(spec), good)
    assert_same(data.load(spec), good)  # and the rewritten file reads back


def test_off_and_an_unwritable_folder_write_nothing_and_still_load(tmp_path, monkeypatch):
    monkeypatch.setenv("MLP_COMPARE_CACHE", "off")
    assert data_cache.path(Spec()) is None
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setenv("MLP_COMPARE_CACHE", str(blocker / "cache"))  # a folder under a file cannot be made
    assert data.load(Spec()).X_train.shape == (150, 2)
    assert list(tmp_path.iterdir()) == [blocker]


def test_a_warm_run_imports_no_scikit_learn(tmp_path):
    code = "import sys, json; from compare.shared import data; from compare.shared.spec import Spec; data.load(Spec()); print(json.dumps('sklearn' in sys.modules))"
    env = {"MLP_COMPARE_CACHE": str(tmp_path), "PATH": "/usr/bin:/bin"}
    loaded = [
        json.loads(subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout)
        for _ in range(2)
    ]
    assert loaded == [True, False]
