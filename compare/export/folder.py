"""compare.export: write an export folder (scripts or notebooks, the arrays they read, a README) atomically."""

from __future__ import annotations

from pathlib import Path

from compare.errors import BundleError, UsageError
from compare.export import keras_script, torch_script
from compare.export.convention import PLAIN, Convention
from compare.export.notebook import notebook
from compare.export.readme import readme
from compare.export.source import Source, read
from compare.io import staging
from compare.shared.spec import Spec

TARGETS = {"torch": ["torch"], "keras": ["keras"], "both": ["torch", "keras"], "notebook": ["torch", "keras"]}
STYLES = ("faithful", "idiomatic")
SCRIPTS = {"torch": torch_script.script, "keras": keras_script.script}


def export(
    what: str | Path | Spec,
    to: str = "both",
    style: str = "faithful",
    out: str | Path | None = None,
    force: bool = False,
    convention: Convention | None = None,
    cli: bool = False,
) -> Path:
    """Write standalone scripts for a run bundle's folder, a spec file (.toml, .json) or a Spec into `out` (default:
    exports/<name>): torch_train.py and/or keras_train.py (to="notebook": .ipynb files, one per framework), the
    init.npz, data.npz, schedule.npy (and masks.npz) they read, and a README.md. Returns the folder.

    style="faithful" reproduces the bundle's torch and tensorflow runs to round-off; "idiomatic" is what a
    framework user writes, its opening saying where it parts from the bundle. convention: a learner's loss
    convention the scripts train to (see compare.export.convention.Convention). An existing non-empty `out` needs
    force=True; the folder is written beside it and renamed into place, so a failure leaves nothing behind."""
    if to not in TARGETS:
        raise UsageError(f"to: got {to!r}; expected one of {', '.join(TARGETS)}")
    if style not in STYLES:
        raise UsageError(f"style: got {style!r}; expected one of {', '.join(STYLES)}")
    if convention is not None and not isinstance(convention, Convention):
        raise UsageError(f"convention: got {type(convention).__name__}; expected a compare.export.Convention")
    source = read(what)
    convention = convention or PLAIN
    refuse(source, style, convention)
    out = Path(out) if out is not None else Path("exports") / source.name
    with staging.staging(out, force, cli) as staged:
        write(source, staged, TARGETS[to], style, to == "notebook", convention)
        return staging.install(staged, out, force, cli)


def refuse(source: Source, style: str, convention: Convention) -> None:
    """Refuse in one line what the scripts cannot do: reproduce a bundle whose framework runs kept their own defaults
    (run --defaults native), or take a convention the spec has no room for."""
    if style == "faithful" and source.native:
        raise BundleError(
            f"{source.folder}: a run of --defaults native, whose torch and tensorflow runs started from each framework's "
            "own weights; export its spec.json for scripts that reproduce the aligned runs, or use --style idiomatic"
        )
    convention.check(source.spec)


def write(source: Source, folder: Path, frameworks: list[str], style: str, as_notebook: bool, convention: Convention) -> None:
    data_files = source.write(folder)
    for framework in frameworks:
        script = SCRIPTS[framework](source, style, convention)
        if as_notebook:
            (folder / f"{framework}_train.ipynb").write_text(notebook(script))
        else:
            (folder / f"{framework}_train.py").write_text(script.text())
    (folder / "README.md").write_text(readme(source, frameworks, style, as_notebook, data_files, convention))
