"""Grade a class: find the submissions, keep the grades of those unchanged since the last run, grade the rest on a
Dask cluster as they complete, and write --out through a temporary folder renamed into place (on Ctrl-C too, with
what was graded, so that the same command resumes)."""

from __future__ import annotations

import uuid
from pathlib import Path

import pandas as pd

from compare.errors import UsageError
from compare.grading import assignment as assignments
from compare.grading import submissions, written
from compare.grading.assignment import Assignment
from compare.sweeps import cluster


def _register(c, local: bool) -> None:
    from compare.grading.worker import PLUGIN, Ready

    try:
        c.register_plugin(Ready(local), name=PLUGIN)
    except (ImportError, ModuleNotFoundError) as e:
        raise UsageError(f"the Dask workers cannot import mlp-compare ({e}); expected it installed where every worker runs") from None


def _killed(sub, a: Assignment, error: BaseException) -> dict:
    """The row of a submission whose worker died under it twice (a blow-up the child's limits did not hold)."""
    from compare.grading.judge import Checked, _finish

    cause = f"the worker grading it died ({type(error).__name__}), twice: its code may take the whole machine's memory"
    result = _finish(sub, a, [Checked(n, "crashed", cause) for n in a.networks], str, 0.0)
    result["row"]["wall_s"] = float("nan")
    return result


def grade(
    folder, assignment, out, force: bool = False, workers=None, scheduler=None, security=None, client=None, progress=None
) -> pd.DataFrame:
    """Grade every submission in folder under the assignment (a file, or an Assignment); grades.csv, feedback/ and
    the class report in out; the grades as a DataFrame. progress(done, total, counts) is called as rows come in."""
    a = assignment if isinstance(assignment, Assignment) else assignments.load(assignment)
    subs = submissions.discover(folder, a.file, a.function)
    out = Path(out)
    written.check_out(out)
    results = {} if force else written.previous(out, subs, a)
    todo = [s for s in subs if s.student not in results]
    counts = lambda: pd.Series([r["row"]["status"] for r in results.values()]).value_counts().to_dict()  # noqa: E731
    if progress:
        progress(len(results), len(subs), counts())
    interrupted = False
    if todo:
        try:
            with cluster.client(workers, scheduler, security, client) as c:
                _gather(
                    c, a, todo, results, lambda: progress and progress(len(results), len(subs), counts()), client is None and not scheduler
                )
        except KeyboardInterrupt:
            interrupted = True
    frame = written.write(out, subs, results, a, interrupted)
    if interrupted:
        raise KeyboardInterrupt
    return frame


def _gather(c, a: Assignment, todo: list, results: dict, tick, local: bool) -> None:
    """Submit every submission and take each result as it completes; on Ctrl-C cancel what is left."""
    from distributed import as_completed

    from compare.grading.judge import grade_one

    _register(c, local)
    tag = uuid.uuid4().hex[:8]
    futures = {c.submit(grade_one, s, a, key=f"grade-{tag}-{k}", retries=1, pure=False): s for k, s in enumerate(todo)}
    try:
        for future in as_completed(futures):
            sub = futures.pop(future)
            try:
                results[sub.student] = future.result()
            except Exception as e:  # its worker died twice (KilledWorker), or it could not be sent
                results[sub.student] = _killed(sub, a, e)
            future.release()
            tick()
    except KeyboardInterrupt:
        c.cancel(list(futures))
        raise
