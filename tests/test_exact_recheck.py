"""A bundle's exact reference and round-off bounds re-derived from its own spec, data, weights and sample order: the
same bits come back, and one changed entry of bounds.npz, of the exact gradients or of the exact curve is named."""

import shutil

import numpy as np
import pytest

from compare.errors import BundleError
from compare.exact.recheck import recheck
from compare.experiment import pipeline
from compare.io import bundle
from compare.shared.spec import Spec

SPEC = Spec(layers=(2, 5, 1), epochs=2, optimizer="adam", lr=0.01, dropout=0.2, frameworks=("numpy",))


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return bundle.save(pipeline.run(SPEC, exact="on"), tmp_path_factory.mktemp("b") / "run")


def test_the_bounds_and_the_exact_reference_come_back_bit_for_bit(folder):
    said = recheck(folder)
    steps = len(np.load(folder / "losses" / "numpy.npy"))  # every step: --exact on
    assert len(said) == 2 and "bounds.npz" in said[0] and f"first gradients and {steps} steps" in said[1], said


def _damaged(folder, tmp_path, name: str, key: str, where=()):
    copy = tmp_path / "copy"
    shutil.copytree(folder, copy)
    (copy / "manifest.json").unlink()  # its SHA-256 would name the file first: the re-derivation itself is under test
    path = copy / name
    if path.suffix == ".npz":
        with np.load(path) as f:
            arrays = {k: f[k].copy() for k in f.files}
        arrays[key][where] = np.nextafter(arrays[key][where], np.inf)  # one ulp
        np.savez(path, **arrays)
    else:
        a = np.load(path)
        a[where] = np.nextafter(a[where], np.inf)
        np.save(path, a)
    return copy


@pytest.mark.parametrize(
    "name,key,where,said",
    [
        ("bounds.npz", "dW1", (0, 1), "bounds.npz: dW1 is not the bound"),
        ("exact/grads-torch.npz", "db1", (2,), "grads-torch.npz: db1 is not what the exact reference gives"),
        ("exact/losses-torch.npy", None, (5,), "losses-torch.npy: step 6 is not"),
    ],
)
def test_one_ulp_changed_anywhere_is_named(folder, tmp_path, name, key, where, said):
    with pytest.raises(BundleError, match=said.replace("(", r"\(")):
        recheck(_damaged(folder, tmp_path, name, key, where))
