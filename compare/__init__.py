"""mlp-compare: the comparison module, the only package that imports all three implementations (lazily)."""

from compare.spec import Spec


def run(spec: Spec, **kwargs):
    """Train every framework of the spec from identical weights; see compare.runner.run."""
    from compare.runner import run as _run

    return _run(spec, **kwargs)


__all__ = ["Spec", "run"]
