"""mlp-compare: the comparison module, the only package that imports all three implementations (lazily)."""

from compare.shared.spec import Spec


def run(spec: Spec, **kwargs):
    """Train every framework of the spec from identical weights; see compare.experiment.pipeline.run."""
    from compare.experiment.pipeline import run as _run

    return _run(spec, **kwargs)


def gradcheck(spec: Spec, fd_entries: int | None = -1):
    """Gradients of every framework and finite differences at the initial weights; see compare.experiment.pipeline.gradients."""
    from compare.experiment.pipeline import gradients

    return gradients(spec, fd_entries=fd_entries)


def check(fn, spec: Spec | None = None, **options):
    """Check a learner's own backprop function (a notebook cell's too) against the reference; the options are the
    spec's fields and check's (layout="columns", params="dict", per_sample=True, convention=...); see
    compare.learner.grade.check_function. The report shows as an HTML table in Jupyter."""
    from compare.learner.grade import check_function

    return check_function(fn, spec, **options)


__all__ = ["Spec", "run", "gradcheck", "check"]
