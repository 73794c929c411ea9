"""Run a sweep: skip the combinations whose bundle is complete, submit the rest to Dask, gather rows as they complete
into DIR/sweep.csv (rewritten whole each time), and on Ctrl-C cancel, shut down and leave no partial bundle."""

from __future__ import annotations

import shutil
import time
import uuid
from pathlib import Path

import pandas as pd

from compare.errors import UsageError
from compare.sweeps import cluster, grid, report, results
from compare.sweeps.grid import Combination

WRITE_EVERY_S = 1.0  # sweep.csv is rewritten at most this often while results come in, and once at the end


def run_one(name: str, spec_fields: dict, out: str) -> dict:
    """On a worker: one combination trained into its bundle, out/runs/<name>/ (run_to_bundle, as run writes one), and
    its row; a combination that raises becomes a failed row (a worker that dies is Dask's to retry)."""
    from compare.experiment.to_bundle import run_to_bundle
    from compare.shared import spec as spec_module

    started = time.perf_counter()
    path = Path(out) / results.RUNS / name
    try:
        run_to_bundle(spec_module.from_dict(spec_fields), path, force=True, foreign_dead=True)
        row = results.bundle_row(path)
    except Exception as e:  # recorded in the row, and the other combinations go on
        row = results.failed_row(e)
    return {**row, "wall_s": time.perf_counter() - started}


class Sweep:
    """One sweep's state on the driver: the combinations, the rows gathered so far, and the sweep folder."""

    def __init__(self, combos: list[Combination], out: Path):
        self.combos, self.out = combos, out
        self.fields = grid.fields_of(combos)
        self.rows: dict[str, dict] = {}
        self.written = 0.0

    def frame(self) -> pd.DataFrame:
        return results.table(self.combos, self.rows, self.fields)

    def save(self, now: bool = True) -> None:
        """sweep.csv with every row so far (atomically), at most once a WRITE_EVERY_S unless now."""
        if now or time.monotonic() - self.written >= WRITE_EVERY_S:
            results.write(self.frame(), self.out)
            self.written = time.monotonic()

    def resume(self, force: bool) -> list[Combination]:
        """Rows for the combinations whose bundle is complete and of the same spec (unless force); the rest to run."""
        walls = results.previous_walls(self.out)
        todo = []
        for combo in self.combos:
            path = results.folder(self.out, combo)
            if not force and results.complete(path, combo):
                self.rows[combo.name] = {**results.bundle_row(path), "wall_s": walls.get(combo.name, float("nan"))}
            else:
                todo.append(combo)
        return todo

    def adopt(self, todo: list[Combination]) -> None:
        """Rows for bundles completed after their row could be gathered (a worker finishing as Ctrl-C came): the
        table then lists every complete bundle on disk."""
        for combo in todo:
            path = results.folder(self.out, combo)
            if combo.name not in self.rows and results.complete(path, combo):
                self.rows[combo.name] = {**results.bundle_row(path), "wall_s": float("nan")}

    def remove_partial(self, todo: list[Combination]) -> None:
        """Staging folders left by runs the shut-down cluster cut short (bundle.staging names them .<name>.*.tmp)."""
        for combo in todo:
            for tmp in (self.out / results.RUNS).glob(f".{combo.name}.*.tmp"):
                shutil.rmtree(tmp, ignore_errors=True)


def sweep(grid_file, out, force=False, workers=None, scheduler=None, security=None, client=None, progress=None) -> pd.DataFrame:
    """Validate every combination, resume what is done, run the rest on Dask, write DIR/sweep.csv, heatmap.png and
    report.md; return the sweep table. progress(done, total, failed) is called as rows come in."""
    combos = grid.load(grid_file)
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {out}: exists and is not a folder")
    state = Sweep(combos, out)
    todo = state.resume(force)
    if not todo and progress:
        progress(len(combos), len(combos), 0)  # everything complete already
    if todo:
        try:
            with cluster.client(workers, scheduler, security, client) as c:
                # once the cluster is there (a bad --scheduler leaves nothing); runs/ made here, so that no worker's
                # failed staging removes it as the empty folder it made while another worker is about to write there
                (out / results.RUNS).mkdir(parents=True, exist_ok=True)
                _gather(c, state, todo, progress, local=client is None and scheduler is None)
            state.remove_partial(todo)  # every task is over: a staging folder left now was a dead worker's
        except KeyboardInterrupt:
            if client is None and scheduler is None:  # our LocalCluster is closed: what its workers were writing goes
                state.remove_partial(todo)
            if out.is_dir():  # not when Ctrl-C came while the cluster was starting: then nothing is written
                state.adopt(todo)
                state.save()
            raise
    state.save()
    frame = state.frame()
    report.write(frame, out, grid_file if not isinstance(grid_file, dict) else None)
    return frame


def _gather(c, state: Sweep, todo: list[Combination], progress, local: bool) -> None:
    """Submit every combination (retries=1) and take each row as it completes; a future's memory is let go once read."""
    from distributed import as_completed

    cluster.warm(c, local)
    tag = uuid.uuid4().hex[:8]
    futures = {}
    for combo in todo:
        future = c.submit(
            run_one, combo.name, combo.spec.to_dict(), str(state.out.resolve()), key=f"sweep-{tag}-{combo.name}", retries=1, pure=False
        )
        futures[future] = combo
    failed, total, done = 0, len(state.combos), len(state.combos) - len(todo)
    if progress:
        progress(done, total, failed)
    try:
        for future in as_completed(futures):
            combo = futures.pop(future)
            try:
                row = future.result()
            except Exception as e:  # the task's worker died twice (KilledWorker), or the task could not be sent
                row = {**results.failed_row(e), "wall_s": float("nan")}
            failed += row["status"] == "failed"
            state.rows[combo.name] = row
            done += 1
            state.save(now=not futures)
            if progress:
                progress(done, total, failed)
            future.release()
    except KeyboardInterrupt:
        c.cancel(list(futures))
        raise
