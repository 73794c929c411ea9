"""Every faithful script, run in a fresh interpreter, reproduces its bundle: the curve step by step and the final
weights, to 1e-12 in float64 and the float32 curve tolerance, for every optimizer, loss, output, activation and
training trick (a matrix, plus random specs)."""

import numpy as np
import pytest

from compare.agree.tolerances import curve_tolerance
from compare.export.source import read
from compare.shared import harness, implementations, weights
from tests.exports import FAITHFUL

REFERENCE = {"torch": "torch", "keras": "numpy-keras"}  # the bundle's run each script is held against


def reference(spec, framework: str):
    """The bundle's run: torch's, and for Keras the NumPy reference in Keras's rules, which its tensorflow run follows."""
    source = read(spec)
    model = implementations.build(REFERENCE[framework], spec, source.init)
    return harness.train(REFERENCE[framework], model, spec, source.data, source.schedule)


def worst(folder, framework: str, history) -> tuple[float, float]:
    """(largest relative curve difference, largest relative final-weight difference) of a script against a run."""
    losses = np.load(folder / f"{framework}_losses.npy")
    assert losses.dtype == np.float64 and losses.shape == history.losses.shape
    curve = np.abs(losses - history.losses) / np.maximum(np.abs(losses), np.abs(history.losses))
    with np.load(folder / f"{framework}_final.npz") as final:  # W1, b1, ... as the bundle's final/<run>.npz; no b without biases
        assert sorted(final.files) == sorted(weights.to_dict(history.final))
        ours = weights.from_dict(final)
    pairs = [(a, b) for mine, ref in zip(ours, history.final) for a, b in zip(mine, ref) if b is not None]
    rel = max(np.abs(a - b).max() / np.abs(b).max() for a, b in pairs)
    return float(curve.max()), float(rel)


@pytest.mark.parametrize("framework", ["torch", "keras"])
@pytest.mark.parametrize("name", FAITHFUL)
def test_a_faithful_script_reproduces_its_bundle_run(exported, name, framework):
    spec = FAITHFUL[name]
    history = reference(spec, framework)
    curve, final = worst(exported[name], framework, history)
    steps = np.arange(1, len(history.losses) + 1)
    if spec.dtype == "float64":
        assert curve <= 1e-12 and final <= 1e-12, (curve, final)
    else:
        assert curve <= curve_tolerance("float32", steps, spec.adaptive).min() and final <= 1e-4, (curve, final)
    print(f"{name} {framework}: curve {curve:.1e}, final weights {final:.1e}")
