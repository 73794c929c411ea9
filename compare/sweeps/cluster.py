"""Where a sweep runs: a LocalCluster on 127.0.0.1 (a process and one thread per worker), or an existing Dask
cluster at tcp:// or tls://; each worker holds BLAS, torch and TensorFlow to one thread and imports each framework once."""

from __future__ import annotations

import contextlib
import ipaddress
import logging
import os
import signal
import sys
import threading
from pathlib import Path
from urllib.parse import urlsplit

from distributed.diagnostics.plugin import WorkerPlugin

from compare.errors import UsageError

ALLOWED_FAILURES = 1  # a task whose worker dies is retried once on another worker, then recorded as failed
QUIET = {  # the local cluster's housekeeping kept small: measured in CPU seconds per run by compare/bench/sweep.py
    "distributed.scheduler.allowed-failures": ALLOWED_FAILURES,
    "distributed.scheduler.work-stealing": False,  # runs of a similar size, handed out as workers free up (queuing)
    "distributed.worker.memory.monitor-interval": "1s",  # not 100 ms
    "distributed.admin.system-monitor.interval": "2s",  # the dashboard's figures; there is no dashboard
    "distributed.admin.tick.interval": "1s",  # the blocked-event-loop check, not every 20 ms
    "distributed.worker.profile.enabled": False,  # a stack sample of the running run every 10 ms: ~7% of its CPU
    # Dask's worker environment less MALLOC_TRIM_THRESHOLD_=65536, which hands freed memory back to the system at
    # once, so that each run's many small NumPy arrays are paged in again (~3% of a run's CPU)
    "distributed.nanny.pre-spawn-environ": {"OMP_NUM_THREADS": 1, "MKL_NUM_THREADS": 1, "OPENBLAS_NUM_THREADS": 1},
}
PLUGIN = "mlp-compare-warm"
TCP_WARNING = (
    "warning: {address} is plain tcp://: whoever can reach that port can run any code on the workers; "
    "keep it on 127.0.0.1 or a private network, or use tls:// (see the README's Sweeps section)"
)


class Warm(WorkerPlugin):
    """A Dask worker plugin: BLAS held to one thread (torch and TensorFlow take theirs from the spec, 1 by default),
    and the comparison pipeline imported before the first run. A framework is imported by the first run that needs
    it, once per worker: a worker never given a TensorFlow combination never pays for TensorFlow. In the local
    cluster's workers Ctrl-C is left to the driver, which cancels, shuts them down and tidies up (no traceback from
    each worker); a worker of your own keeps its Ctrl-C."""

    def __init__(self, local: bool = False):
        self.local = local

    def setup(self, worker=None) -> None:
        from threadpoolctl import threadpool_limits

        threadpool_limits(1)
        if self.local and threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGINT, signal.SIG_IGN)
        import compare.experiment.pipeline  # noqa: F401
        import compare.io.bundle  # noqa: F401


def security(address: str, ca: str | None, cert: str | None, key: str | None):
    """Dask's Security for a tls:// address: the --tls-* files, else the certificates of the Dask config."""
    from distributed.security import Security

    given = {"--tls-ca": ca, "--tls-cert": cert, "--tls-key": key}
    if not any(given.values()):
        return None if address.startswith("tcp://") else Security()
    if not address.startswith("tls://"):
        raise UsageError(f"--scheduler {address}: --tls-ca/--tls-cert/--tls-key need a tls:// address")
    for flag, path in given.items():
        if path is None:
            raise UsageError(f"{flag}: missing; a tls:// scheduler needs --tls-ca, --tls-cert and --tls-key together")
    for flag, path in given.items():
        if not Path(path).is_file():
            raise UsageError(f"{flag} {path}: no such file; expected a PEM file")
    return Security(tls_ca_file=ca, tls_client_cert=cert, tls_client_key=key, require_encryption=True)


def check_address(address: str) -> None:
    """tcp://HOST:PORT or tls://HOST:PORT; a plain tcp:// address off this machine is warned about."""
    parts = urlsplit(address)
    if parts.scheme not in ("tcp", "tls") or not parts.hostname or parts.port is None:
        raise UsageError(f"--scheduler {address}: expected tcp://HOST:PORT or tls://HOST:PORT (a running 'dask scheduler')")
    if parts.scheme == "tcp" and not _loopback(parts.hostname):
        print(TCP_WARNING.format(address=address), file=sys.stderr)


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@contextlib.contextmanager
def client(workers: int | None = None, scheduler: str | None = None, tls=None, given=None):
    """A Dask client for the sweep: `given` as it is, a connection to `scheduler`, or a LocalCluster of `workers`
    processes (default: the machine's cores) listening on 127.0.0.1 only; tls: Dask's Security for a tls:// scheduler.
    What is made here is closed after."""
    if given is not None:
        yield given
        return
    import dask
    from distributed import Client, LocalCluster

    if scheduler is not None:
        check_address(scheduler)
        try:
            c = Client(scheduler, security=tls, timeout="10s")
        except (OSError, TimeoutError, ValueError) as e:
            raise UsageError(
                f"--scheduler {scheduler}: cannot connect ({str(e).splitlines()[0]}); expected a running 'dask scheduler'"
            ) from None
        try:
            yield c
        finally:
            c.close()
        return
    workers = workers or os.cpu_count() or 1
    with dask.config.set(QUIET):  # the scheduler and the nannies (which pass it to their workers) read it as they start
        cluster = LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address="127.0.0.1:0",  # its HTTP endpoints on loopback, on a free port (no dashboard without bokeh)
            silence_logs=logging.ERROR,
        )
    c = Client(cluster)
    try:
        yield c
    finally:
        c.close()
        cluster.close()


def warm(c, local: bool) -> None:
    """Install the Warm plugin on every worker, present and future; a worker that cannot import mlp-compare is a
    one-line error."""
    try:
        c.register_plugin(Warm(local), name=PLUGIN)
    except (ImportError, ModuleNotFoundError) as e:
        raise UsageError(f"the Dask workers cannot import mlp-compare ({e}); expected it installed where every worker runs") from None
