"""The loss conventions' vocabulary, pinned: each factor, its words and its advice, which factors are found (to ten
tolerances) and which conventions a loss allows."""

import pytest

from compare.errors import LearnerError
from compare.learner.conventions import Convention, find, known, parse, reports_mean

N = 16


@pytest.mark.parametrize(
    "name,loss,outputs,message",
    [
        ("mean", "mse", 1, "your loss is the mean of (ŷ − y)² over the outputs per sample, mean over the batch: torch's and Keras's defaults."),
        ("half+outputs", "mse", 3,
         "your loss is ½‖ŷ − y‖² per sample, mean over the batch = 0.5 × 3 outputs × the spec's: 1.5 × torch's MSELoss(reduction='mean'), "
         "1.5 × Keras's MeanSquaredError(). With the same learning rate your steps are 1.5× larger than torch's and Keras's with their "
         "default reduction; to match them use lr × 1.5 there (or lr / 1.5 here)."),
        ("half", "mse", 1,
         "your loss is ½ × the mean of (ŷ − y)² over the outputs per sample, mean over the batch = 0.5 × the spec's: 0.5 × torch's "
         "MSELoss(reduction='mean'), 0.5 × Keras's MeanSquaredError(). With the same learning rate your steps are 2× smaller than torch's "
         "and Keras's with their default reduction; to match them use lr × 0.5 there (or lr / 0.5 here)."),
        ("outputs+sum", "bce", 2,
         "your loss is the binary cross-entropy summed over the outputs per sample, summed over the batch = 2 outputs × N = 16 × the "
         "spec's: torch's BCEWithLogitsLoss(reduction='sum'), 32 × Keras's BinaryCrossentropy(from_logits=True). With the same learning "
         "rate your steps are 32× larger than torch's and Keras's with their default reduction; to match them use lr × 32 there "
         "(or lr / 32 here)."),
        ("sum", "ce", 1,
         "your loss is the cross-entropy per sample, summed over the batch = N = 16 × the spec's: torch's CrossEntropyLoss(reduction='sum'), "
         "Keras's SparseCategoricalCrossentropy(from_logits=True, reduction='sum'). With the same learning rate your steps are 16× larger "
         "than torch's and Keras's with their default reduction; to match them use lr × 16 there (or lr / 16 here)."),
    ],
)  # fmt: skip
def test_each_convention_says_its_loss_its_factor_and_the_learning_rate_that_matches(name, loss, outputs, message):
    assert parse(name).message(loss, N, outputs) == message


def test_a_sum_over_one_output_is_the_frameworks_sum_reduction():
    """Declared on one output, outputs+sum is a plain sum over the batch in both frameworks."""
    assert parse("outputs+sum").frameworks("mse", N, 1) == "torch's MSELoss(reduction='sum'), Keras's MeanSquaredError(reduction='sum')"
    assert parse("outputs+sum").frameworks("mse", N, 2) == "torch's MSELoss(reduction='sum'), 32 × Keras's MeanSquaredError()"


def test_a_factor_is_a_convention_to_ten_tolerances_and_never_the_specs_own():
    tol = 1e-7
    assert find(N * (1 + 0.9e-6), "mse", N, 1, tol) == Convention(batch=True)
    assert find(N * (1 + 1.5e-6), "mse", N, 1, tol) is None
    assert find(1.0, "mse", N, 1, tol) is None  # the mean is the spec's own: nothing to name
    assert find(0.5 * 3, "mse", N, 3, tol) == Convention(half=True, outputs=True)
    assert find(0.5 * 3 * N, "mse", N, 3, tol) == Convention(True, True, True)
    assert find(0.5, "bce", N, 2, tol) is None  # no ½ in cross-entropy


def test_each_loss_allows_its_conventions_fewest_parts_first():
    assert [c.name for c in known("mse", 3)] == [
        "mean",
        "half",
        "outputs",
        "sum",
        "half+outputs",
        "half+sum",
        "outputs+sum",
        "half+outputs+sum",
    ]
    assert [c.name for c in known("mse", 1)] == ["mean", "half", "sum", "half+sum"]  # one output: a sum over it is the mean
    assert [c.name for c in known("bce", 2)] == ["mean", "outputs", "sum", "outputs+sum"]
    assert [c.name for c in known("ce", 3)] == ["mean", "sum"]


def test_a_sum_declared_with_the_mean_reported_is_read_as_such():
    ref = 0.25
    assert reports_mean(parse("sum"), ref, ref, N, 1, 1e-7)  # the mean printed, N × it descended
    assert not reports_mean(parse("sum"), N * ref, ref, N, 1, 1e-7)  # the sum printed
    assert reports_mean(parse("half+sum"), 0.5 * ref, ref, N, 1, 1e-7)
    assert not reports_mean(parse("half"), 0.5 * ref, ref, N, 1, 1e-7) and not reports_mean(None, ref, ref, N, 1, 1e-7)
    assert not reports_mean(parse("sum"), None, ref, N, 1, 1e-7)


def test_one_sample_drops_the_batch_part_and_words_its_factor():
    c = Convention(True, True, True)
    assert c.per_sample() == Convention(True, True, False) and c.factor(N, 3) == 24.0
    assert c.factor_words(N, 3) == "0.5 × 3 outputs × N = 16" and Convention().factor_words(N, 3) == "1"


@pytest.mark.parametrize("name", ["", "sum+sum", "half+twice", "mean+sum"])
def test_a_convention_name_that_is_not_one_is_refused(name):
    with pytest.raises(LearnerError, match=r"expected mean, or half, outputs, sum joined by \+ \(e\.g\. half\+outputs\)"):
        parse(name)
