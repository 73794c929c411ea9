"""run_to_bundle: one spec trained into its bundle, the one sequence that run and sweep share."""

from __future__ import annotations

import contextlib
from pathlib import Path

from compare.experiment import pipeline
from compare.experiment.result import Result
from compare.io import bundle
from compare.shared import implementations
from compare.shared.spec import Spec


def run_to_bundle(
    spec: Spec, out: str | Path, force: bool = False, *, progress=None, cli: bool = False, foreign_dead: bool = False, **options
) -> Result:
    """Claim `out` and stage its bundle beside it, prepare the data, train every framework with the losses streaming into
    the staging folder, write the bundle and its manifest, and rename it into place; return the Result.

    Exclusive: a folder another run is writing, or one that exists (unless force), is refused in one line before
    anything is trained; force replaces it atomically. Any failure or interrupt removes the staging folder. progress:
    (names, epochs) -> a context giving on_epoch(name, epoch), such as console.progress_bars. cli: say --out and
    --force in errors. foreign_dead: a staging folder of `out` left by another machine is a dead try (a sweep's
    scheduler runs a combination once at a time). options: pipeline.run's (defaults, fd_entries)."""
    out = Path(out)
    with bundle.staging(out, force, cli, foreign_dead) as staged:
        prepared = pipeline.prepare(spec)  # bad data (a CSV, a size that does not fit) stops here, before any progress bar
        names = [n for n in implementations.runs_for(spec) if implementations.installed(n)]
        with progress(names, spec.epochs) if progress else contextlib.nullcontext() as on_epoch:
            result = pipeline.run(spec, on_epoch=on_epoch, stream_to=staged, prepared=prepared, **options)
        bundle.save(result, out, force=force, staged=staged, cli=cli)
    return result
