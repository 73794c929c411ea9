"""Random specs (seeded, replayable by id): the agreement holds with no false alarm."""

import itertools

import numpy as np
import pytest

from compare.shared import implementations
from compare.shared.spec import ACTIVATIONS, OPTIMIZERS, Spec
from tests.helpers import NAMES, curves, first_grads, grads_rel

N_SPECS = 100
LR_RANGE = {"sgd": (1e-3, 0.3), "momentum": (1e-3, 0.1), "nesterov": (1e-3, 0.1), "adam": (1e-4, 1e-2), "rmsprop": (1e-4, 5e-3)}


def random_spec(case: int) -> Spec:
    """Spec number `case`: depth 1-4, widths 1-32, any activation, loss, optimizer, hyperparameters."""
    rng = np.random.default_rng([2026, case])
    depth = int(rng.integers(1, 5))
    loss, output = [("mse", "identity"), ("mse", "sigmoid"), ("bce", "sigmoid"), ("ce", "softmax")][rng.integers(4)]
    classes = int(rng.integers(2, 5)) if loss == "ce" else 1
    optimizer = str(rng.choice(OPTIMIZERS))
    lo, hi = LR_RANGE[optimizer]
    activation = tuple(str(a) for a in rng.choice(ACTIVATIONS, depth)) if rng.random() < 0.5 else str(rng.choice(ACTIVATIONS))
    return Spec(
        layers=(2, *(int(w) for w in rng.integers(1, 33, depth)), classes),
        activation=activation, loss=loss, output=output, optimizer=optimizer,
        lr=float(np.exp(rng.uniform(np.log(lo), np.log(hi)))),
        momentum=float(rng.uniform(0, 0.95)), beta1=float(rng.uniform(0.5, 0.95)), beta2=float(rng.uniform(0.9, 0.9999)),
        eps=float(10 ** rng.uniform(-8, -4)), rho=float(rng.uniform(0.8, 0.99)),
        batch_size=int(rng.integers(4, 41)), epochs=3, seed=int(rng.integers(1000)),
        init=str(rng.choice(["small_uniform", "small_normal", "glorot_uniform", "torch_default", "he_uniform"])),
        dataset="blobs" if loss == "ce" else str(rng.choice(["moons", "circles", "xor", "spirals"])), n_samples=120,
    )  # fmt: skip


@pytest.mark.parametrize("case", range(N_SPECS))
def test_random_spec_agrees_to_round_off(case):
    spec = random_spec(case)
    grads = first_grads(spec)
    for a, b in itertools.combinations(NAMES, 2):
        assert grads_rel(grads[a][1], grads[b][1]) <= 1e-12, (spec, a, b)
    hist = curves(spec)
    for a, b in itertools.combinations(NAMES, 2):
        if implementations.same_rules(a, b, spec):
            la, lb = hist[a].losses, hist[b].losses
            assert np.max(np.abs(la - lb)) / np.max(np.abs(la)) <= 1e-10, (spec, a, b)
