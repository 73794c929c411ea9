"""mlp-compare: the comparison module, the only package that imports all three implementations (lazily)."""

from compare.export.convention import Convention  # noqa: F401  (also loads the room compare.export, see export below)
from compare.shared.spec import Spec, require_biases


def run(spec: Spec, **kwargs):
    """Train every framework of the spec from identical weights; see compare.experiment.pipeline.run."""
    from compare.experiment.pipeline import run as _run

    return _run(spec, **kwargs)


def gradcheck(spec: Spec, fd_entries: int | None = -1):
    """Gradients of every framework and finite differences at the initial weights; see compare.experiment.pipeline.gradients."""
    from compare.experiment.pipeline import gradients

    return gradients(spec, fd_entries=fd_entries)


def check_optimizer(fn, optimizer: str, *, steps: int = 10, spec: Spec | None = None, **fields):
    """A learner's optimizer (CS231n function, deeplearning.ai function, nnfs or step class) against torch.optim,
    Keras and the NumPy reference; fields are Spec fields (lr, momentum, beta1, ...); see compare.optimizer_check."""
    from compare.optimizer_check.check import DEFAULT_LR
    from compare.optimizer_check.check import check_optimizer as _check

    spec = (spec or Spec()).replace(optimizer=optimizer)
    spec = spec.replace(**{"lr": DEFAULT_LR[optimizer], **fields})
    require_biases(spec.bias, "compare.check_optimizer")
    return _check(fn, spec, steps=steps)


def sweep(grid, client=None, out=None, force: bool = False, workers: int | None = None):
    """Every combination of a grid (a TOML file or its contents as a dict) on a Dask cluster (`client`, else a
    LocalCluster of `workers`), bundles and sweep.csv in `out` (default: sweeps/<grid name>); the sweep table as a
    DataFrame. See compare.sweeps.runner.sweep."""
    from pathlib import Path

    from compare.sweeps.runner import sweep as _sweep

    if out is None:
        out = Path("sweeps") / (Path(grid).stem if not isinstance(grid, dict) else "grid")
    return _sweep(grid, out, force=force, workers=workers, client=client)


def grade(submissions, assignment, out=None, force: bool = False, workers: int | None = None, client=None):
    """Every submission in a folder (.py/.ipynb files, or one folder per student) checked under an assignment file on a
    Dask cluster (`client`, else a LocalCluster of `workers`); grades.csv, feedback/ and class.md in `out` (default:
    grades/<assignment name>); the grades as a DataFrame, a row per submission. See compare.grading.runner.grade."""
    from pathlib import Path

    from compare.grading.runner import grade as _grade

    out = Path("grades") / Path(assignment).stem if out is None else out
    return _grade(submissions, assignment, out, force=force, workers=workers, client=client)


def check(fn, spec: Spec | None = None, **options):
    """Check a learner's own backprop function (a notebook cell's too) against the reference; the options are the
    spec's fields and check's (layout="columns", params="dict", per_sample=True, convention=...); see
    compare.learner.keywords.check_function. The report shows as an HTML table in Jupyter."""
    from compare.learner.keywords import check_function

    return check_function(fn, spec, **options)


def check_cell(source: str, spec: Spec | None = None, namespace: dict | None = None, **fields):
    """A notebook cell's training loop checked on its first step (namespace: the notebook's variables it reads, e.g.
    get_ipython().user_ns, copied); or `%load_ext compare` and `%%check [flags]` on the cell. See
    compare.learner.notebook."""
    from compare.learner.notebook import check_cell as _check_cell

    return _check_cell(source, spec, namespace, **fields)


def load_ipython_extension(ipython):
    """`%load_ext compare` in Jupyter or IPython: the %%check cell magic."""
    from compare.learner.notebook import load_ipython_extension as _load

    _load(ipython)


# Defined after the room compare.export is loaded (by the import above): the name is then this function, and the room's
# modules stay importable as compare.export.folder, compare.export.convention, ... from sys.modules.
def export(spec_or_run_dir, to: str = "both", style: str = "faithful", out=None, force: bool = False, convention=None):
    """Standalone PyTorch and Keras scripts (to="torch", "keras", "both" or "notebook") for a Spec, a spec file or a
    run bundle's folder, written into `out` (default: exports/<name>) with the arrays they read; returns the folder.
    style="faithful" reproduces the bundle to round-off, "idiomatic" is framework idiom; convention: a learner's
    loss convention, compare.Convention(loss_factor=0.5, words="your ½·MSE"). See compare.export.folder."""
    from compare.export.folder import export as _export

    return _export(spec_or_run_dir, to=to, style=style, out=out, force=force, convention=convention)


__all__ = [
    "Spec",
    "Convention",
    "run",
    "gradcheck",
    "check",
    "check_cell",
    "check_optimizer",
    "sweep",
    "grade",
    "export",
]
