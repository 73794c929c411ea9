"""compare.export(..., convention=...): the scripts train to a learner's own loss convention, said in a comment, and
their curve is the learner's: the factor times the bundle's run of the equivalent spec (the rate times the factor,
the L2 penalty rescaled), step by step, to round-off."""

import numpy as np
import pytest

from tests.exports import CONVENTIONS
from tests.test_export_faithful import reference, worst


def equivalent(case):
    """The spec whose bundle run the learner's follows: with loss f·L + p·(λ/2)·ΣW², plain or momentum SGD takes the
    steps of L + (pλ/f)/2·ΣW² at the rate lr·f, and reports f times its loss."""
    spec, c = case.spec, case.convention
    changes = {"lr": spec.lr * c.loss_factor}
    if spec.l2 > 0:
        changes.update(l2=spec.l2 * (c.l2_penalty_factor or 1.0) / c.loss_factor, decay_biases=c.biases_decayed(spec))
    return spec.replace(**changes)


@pytest.mark.parametrize("framework", ["torch", "keras"])
@pytest.mark.parametrize("name", CONVENTIONS)
def test_a_script_exported_under_a_convention_reports_the_learners_numbers(exported, name, framework):
    case, folder = CONVENTIONS[name], exported[name]
    factor = case.convention.loss_factor
    learner = reference(equivalent(case), framework)
    learner.losses = factor * learner.losses
    curve, final = worst(folder, framework, learner)
    assert curve <= 1e-12 and final <= 1e-12, (curve, final)
    bundle = reference(case.spec, framework)  # the spec's own run: the first loss is the learner's / factor
    losses = np.load(folder / f"{framework}_losses.npy")
    if case.spec.l2 == 0:
        assert losses[0] == pytest.approx(factor * bundle.losses[0], rel=1e-14)
    assert np.abs(losses - bundle.losses).max() > 1e-3
    source = (folder / f"{framework}_train.py").read_text()
    assert case.convention.words in source and "× 0.5" in source
