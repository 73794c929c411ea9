"""Where one submission is graded: its files written to a fresh folder on the worker, each network checked with the
learner's code in a child process (the check's own isolation), the children ended when the worker shuts down."""

from __future__ import annotations

import contextlib
import os
import resource
import shutil
import signal
import tempfile
import threading
from pathlib import Path

from distributed.diagnostics.plugin import WorkerPlugin

from compare.learner.child import ChildSide

PLUGIN = "mlp-compare-grading"
CPU_BACKSTOP = 5  # × the timeout: CPU seconds a child may use in all, should its worker die without ending it
_LIVE: set[int] = set()  # process groups of the children running now, in this worker process
_FOLDER = threading.Lock()  # the working folder is the process's: one child starts at a time
_ROOT: list[Path] = []  # this worker process's folder of submissions being graded, removed when it shuts down


class Child(ChildSide):
    """The check's child process, started in the submission's own folder (what their code reads or writes by a
    relative path stays there), remembered until closed so that a worker shutting down ends it, and held to a
    total of CPU time so that it ends even if its worker is killed outright."""

    def __init__(self, path: str, options, timeout: float, memory_gb: float, folder: Path):
        self._back = None
        _FOLDER.acquire()
        try:
            self._back = os.getcwd()
            os.chdir(folder)
            super().__init__(path, options, timeout=timeout, memory_gb=memory_gb)  # its first ask() returns the folder
        finally:
            self._leave()

    def _leave(self) -> None:
        if self._back is not None:
            os.chdir(self._back)
            self._back = None
            _FOLDER.release()

    def ask(self, method: str, *args):
        if self._back is not None:  # the process is running: remember it, cap it, and give the folder back
            _LIVE.add(self.process.pid)
            with contextlib.suppress(OSError, ValueError):
                cpu = int(CPU_BACKSTOP * self.timeout) + 60
                resource.prlimit(self.process.pid, resource.RLIMIT_CPU, (cpu, cpu + 5))
            self._leave()
        return super().ask(method, *args)

    def close(self) -> None:
        super().close()
        _LIVE.discard(self.process.pid)


def end_children() -> None:
    """Kill every child this worker process is running (their process groups), and remove the submissions' folders."""
    for pid in list(_LIVE):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, signal.SIGKILL)
        _LIVE.discard(pid)
    for root in _ROOT:
        shutil.rmtree(root, ignore_errors=True)


class Ready(WorkerPlugin):
    """A Dask worker plugin: BLAS to one thread, matplotlib without a display for the learners' children, the check
    imported before the first submission; in the local cluster's workers Ctrl-C is left to the driver. On shut-down
    the children still running are ended, so that no learner's endless loop outlives the grading."""

    def __init__(self, local: bool = False):
        self.local = local

    def setup(self, worker=None) -> None:
        from threadpoolctl import threadpool_limits

        threadpool_limits(1)
        os.environ["MPLBACKEND"] = "Agg"  # the children inherit it: a notebook's plt.show() draws nowhere
        if self.local and threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGINT, signal.SIG_IGN)
        import compare.grading.judge  # noqa: F401

    def teardown(self, worker=None) -> None:
        end_children()


@contextlib.contextmanager
def unpacked(files: dict):
    """The student's files in a fresh folder (resolved), removed after."""
    if not _ROOT:
        _ROOT.append(Path(tempfile.mkdtemp(prefix=f"mlp-compare-grade-{os.getpid()}-")).resolve())
    _ROOT[0].mkdir(exist_ok=True)
    folder = Path(tempfile.mkdtemp(dir=_ROOT[0])).resolve()
    try:
        for name, data in files.items():
            path = folder / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)
