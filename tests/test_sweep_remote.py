"""A sweep on an existing cluster: `dask scheduler` and two `dask worker` processes on 127.0.0.1 over TLS
(certificates from distributed.Security.temporary()), one worker killed mid-sweep, and nothing lost."""

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from distributed import Client, Security

from compare.cli import main
from compare.io import bundle
from compare.sweeps import results
from tests.test_sweep import NUMPY_GRID

GRID = NUMPY_GRID.replace("epochs = 3", "epochs = 100")  # long enough runs for the kill to land mid-run
DASK = str(Path(sys.executable).parent / "dask")


def wait_for(condition, what: str, timeout: float = 60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def tls_cluster(tmp_path):
    """(address, the three PEM files, client security, worker processes) of a loopback TLS cluster."""
    temporary = Security.temporary()
    pems = {"ca": temporary.tls_ca_file, "cert": temporary.tls_client_cert, "key": temporary.tls_client_key}
    for name, text in pems.items():
        (tmp_path / f"{name}.pem").write_text(text)
    tls = ["--tls-ca-file", str(tmp_path / "ca.pem"), "--tls-cert", str(tmp_path / "cert.pem"), "--tls-key", str(tmp_path / "key.pem")]
    env = {**os.environ, "DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES": "1"}  # the README's way: a lost task is retried once
    file = tmp_path / "scheduler.json"
    scheduler = [
        DASK,
        "scheduler",
        "--host",
        "127.0.0.1",
        "--port",
        "0",
        "--protocol",
        "tls",
        "--no-dashboard",
        "--scheduler-file",
        str(file),
    ]
    procs = [subprocess.Popen([*scheduler, *tls], env=env, stderr=subprocess.DEVNULL)]
    address = wait_for(lambda: file.is_file() and json.loads(file.read_text() or "{}").get("address"), "the scheduler")
    assert address.startswith("tls://127.0.0.1:")
    worker = [DASK, "worker", address, "--nthreads", "1", "--no-nanny", "--no-dashboard", "--host", "127.0.0.1", *tls]
    procs += [subprocess.Popen([*worker, "--name", f"w{i}"], env=env, stderr=subprocess.DEVNULL) for i in range(2)]
    security = Security(tls_ca_file=pems["ca"], tls_client_cert=pems["cert"], tls_client_key=pems["key"], require_encryption=True)
    try:
        yield address, [str(tmp_path / f"{n}.pem") for n in pems], security, procs[1:]
    finally:
        for proc in procs:
            proc.kill()
            proc.wait()


def test_a_sweep_on_a_tls_cluster_survives_a_worker_killed_mid_run_with_nothing_lost(tls_cluster, tmp_path):
    address, (ca, cert, key), security, workers = tls_cluster
    (tmp_path / "grid.toml").write_text(GRID)
    out = tmp_path / "sweep"
    killed = {}
    with Client(address, security=security, timeout="30s") as watcher:
        watcher.wait_for_workers(2, timeout=60)
        w0 = next(a for a, w in watcher.scheduler_info(n_workers=-1)["workers"].items() if w["name"] == "w0")

        def kill_w0_while_it_runs_a_combination():
            wait_for(lambda: watcher.processing().get(w0), "w0 busy mid-sweep")  # its first combination
            killed["running"] = list(watcher.processing()[w0])
            workers[0].send_signal(signal.SIGKILL)

        killer = threading.Thread(target=kill_w0_while_it_runs_a_combination)
        killer.start()
        argv = ["sweep", str(tmp_path / "grid.toml"), "--scheduler", address, "--tls-ca", ca, "--tls-cert", cert, "--tls-key", key]
        code = main([*argv, "--out", str(out)])
        killer.join(timeout=60)
    assert workers[0].poll() == -signal.SIGKILL and killed["running"]  # w0 died while running a combination
    frame = results.read(out)
    assert code == 0, frame[["name", "status", "error"]].to_string()
    assert len(frame) == 8 and set(frame["status"]) == {"ok"}
    assert sorted(os.listdir(out / results.RUNS)) == sorted(frame["name"])  # no staging folder left by the dead worker
    for name in frame["name"]:
        assert all((out / results.RUNS / name / f).is_file() for f in bundle.FILES)
