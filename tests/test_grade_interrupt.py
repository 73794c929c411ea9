"""Ctrl-C (SIGINT) to mlp-compare grade while a submission's endless loop runs on a worker: exit 130, what was graded
written whole, and the loop's process and its folder gone with the cluster the command started."""

import os
import select
import signal
import subprocess
import sys
from pathlib import Path

import pandas as pd
import psutil

from tests import classroom

LOOPS = """import os


def loss_and_grads(params, X, y):
    with open({marker!r}, "w") as f:
        f.write(f"{{os.getpid()}} {{os.getcwd()}}")
    while True:
        pass
"""


def _ended(pid: int, seconds: float) -> bool:
    try:
        psutil.Process(pid).wait(timeout=seconds)
    except psutil.NoSuchProcess:
        pass
    except psutil.TimeoutExpired:
        return False
    return True


def test_ctrl_c_ends_the_loop_a_worker_runs_and_leaves_the_grades_taken(tmp_path):
    folder, out, fifo = tmp_path / "class", tmp_path / "grades", tmp_path / "looping"
    folder.mkdir()
    os.mkfifo(fifo)
    (folder / "a_right.py").write_text(classroom.BEGINNER)
    (folder / "b_loops.py").write_text(LOOPS.format(marker=str(fifo)))
    (tmp_path / "a.toml").write_text(classroom.ASSIGNMENT.replace("timeout = 4", "timeout = 120"))  # only Ctrl-C ends it
    command = [sys.executable, "-m", "compare", "grade", str(folder), "--assignment", str(tmp_path / "a.toml")]
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)  # a reader from the start: their open() for writing never blocks
    try:
        proc = subprocess.Popen([*command, "--workers", "1", "--out", str(out)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        ready, _, _ = select.select([reader], [], [], 120)  # until the loop has started (or 120 s: a failure)
        said = os.read(reader, 4096).decode() if ready else ""
    finally:
        os.close(reader)
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=60)
    assert said and proc.returncode == 130, stderr
    assert "interrupted: what was graded is in" in stdout
    pid, where = said.split(" ", 1)
    assert _ended(int(pid), 10) and not Path(where).exists()
    grades = pd.read_csv(out / "grades.csv")
    assert set(grades["student"]) <= {"a_right"} and set(grades["status"]) <= {"right"}
    assert "interrupted: run the same command again" in (out / "class.md").read_text()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.toml", "class", "grades", "looping"]  # no staging folder
