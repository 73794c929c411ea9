"""For your own test suite, as numpy.testing is for arrays: assert that a from-scratch backprop matches
the reference (assert_gradients_match), or get the report without raising (check)."""

from compare.learner.keywords import assert_gradients_match
from compare.learner.keywords import check_function as check

__all__ = ["assert_gradients_match", "check"]
