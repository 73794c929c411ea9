"""The fault battery, output side: two runs into one --out, SIGTERM and SIGKILL mid-run, a folder that cannot be written,
a data set that cannot be used, a reader gone from the pipe. Each is exit status, one line, and nothing else written.
Signals are sent when the run says it is training (tests/held.py), never after a sleep."""

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from compare.cli import main
from compare.errors import BundleError
from compare.experiment.verify import verify
from compare.io import manifest, staging

ROOT = Path(__file__).resolve().parents[1]
QUICK = ["--frameworks", "numpy", "--epochs", "2"]
HELD = [sys.executable, str(ROOT / "tests" / "held.py")]


def error_line(capsys) -> str:
    (line,) = capsys.readouterr().err.strip().splitlines()
    return line


def held_run(out: Path, *flags: str) -> tuple[subprocess.Popen, Path]:
    """mlp-compare run into `out`, held at its first training run; returns it and its staging folder, once it said it."""
    proc = subprocess.Popen([*HELD, "run", *QUICK, *flags, "--out", str(out)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
    said = []
    for line in proc.stderr:  # a warning may come first
        if line.startswith("held "):
            return proc, Path(line.split(" ", 1)[1].strip())
        said.append(line)
    raise AssertionError(f"the run ended before training ({proc.wait()}): {''.join(said)}")


EXACT = 6  # bounds.npz, exact.csv, and exact/'s exact.json, grads-torch.npz, losses-torch.npy and losses-torch.lo.npy


def test_a_second_run_into_the_same_out_is_refused_while_the_first_writes_and_neither_deletes_the_others(tmp_path, capsys):
    out = tmp_path / "runs" / "d"
    first, staged = held_run(out)
    assert staged.parent == out.parent and staged.name.startswith(".d.") and (staged / staging.PID).is_file()
    for force in ([], ["--force"]):  # --force replaces a bundle, never a run in progress
        assert main(["run", *QUICK, "--epochs", "3", "--out", str(out), *force]) == 2
        assert error_line(capsys) == f"mlp-compare run: error: --out {out}: is being written by another run (pid {first.pid} on {socket.gethostname()}); wait for it to finish, or choose another folder"  # fmt: skip
    _, err = first.communicate(timeout=60)  # stdin closed: the first finishes
    assert first.returncode == 0, err
    assert sorted(os.listdir(out.parent)) == ["d"] and '"epochs": 2' in (out / "spec.json").read_text()
    assert verify(out)[0].startswith(f"{17 + EXACT} files match manifest.json")
    assert main(["run", *QUICK, "--epochs", "3", "--out", str(out)]) == 2
    assert error_line(capsys) == f"mlp-compare run: error: --out {out}: exists and is not empty; pass --force to replace it"
    assert '"epochs": 2' in (out / "spec.json").read_text()
    assert main(["run", *QUICK, "--epochs", "3", "--out", str(out), "--force"]) == 0  # the old renamed aside, the new in
    assert sorted(os.listdir(out.parent)) == ["d"] and '"epochs": 3' in (out / "spec.json").read_text()
    assert verify(out)[0].startswith(f"{17 + EXACT} files match manifest.json")


@pytest.mark.parametrize(
    "sent, status, said", [(signal.SIGINT, 130, "interrupted"), (signal.SIGTERM, 143, "terminated (SIGTERM)")], ids=["sigint", "sigterm"]
)
def test_sigint_or_sigterm_mid_run_stops_it_cleanly_with_the_signals_status_and_nothing_written(tmp_path, sent, status, said):
    proc, staged = held_run(tmp_path / "new" / "d")
    assert staged.is_dir()
    proc.send_signal(sent)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == status and err.strip() == f"mlp-compare run: {said}; nothing written"
    assert list(tmp_path.iterdir()) == []  # neither the staging folder nor the folder made for it


def test_a_killed_runs_staging_folder_is_removed_by_the_next_run_into_that_folder(tmp_path, capsys):
    proc, staged = held_run(tmp_path / "d")
    proc.kill()
    proc.wait(timeout=60)
    assert (staged / staging.PID).read_text().split()[:2] == [socket.gethostname(), str(proc.pid)]  # left behind
    (tmp_path / ".mine.tmp").mkdir()  # a hidden folder of the user's own, without a pid file: kept
    assert main(["run", *QUICK, "--out", str(tmp_path / "e")]) == 0
    assert sorted(os.listdir(tmp_path)) == [".mine.tmp", "e"]
    assert main(["run", *QUICK, "--out", str(tmp_path / "d")]) == 0  # the dead run's --out is free again
    capsys.readouterr()


def test_a_dead_runs_pid_reused_by_another_process_does_not_hold_its_out(tmp_path):
    staged = tmp_path / ".d.abcd1234.tmp"
    staged.mkdir()
    (staged / staging.PID).write_text(f"{socket.gethostname()} {os.getpid()} 1")  # a live pid, started at another time
    assert main(["run", *QUICK, "--out", str(tmp_path / "d")]) == 0
    assert sorted(os.listdir(tmp_path)) == ["d"]


def test_a_killed_run_not_yet_collected_by_its_parent_holds_no_out(tmp_path):
    dead = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        started = Path(f"/proc/{dead.pid}/stat").read_text().rsplit(")", 1)[1].split()[19]
        staged = tmp_path / ".d.abcd1234.tmp"
        staged.mkdir()
        (staged / staging.PID).write_text(f"{socket.gethostname()} {dead.pid} {started}")
        assert staging._alive(staged)  # running: its out is held
        dead.send_signal(signal.SIGKILL)
        os.waitid(os.P_PID, dead.pid, os.WEXITED | os.WNOWAIT)  # ended, not collected: a zombie, as a killed worker is
        assert not staging._alive(staged)
        assert main(["run", *QUICK, "--out", str(tmp_path / "d")]) == 0
        assert sorted(os.listdir(tmp_path)) == ["d"]
    finally:
        dead.kill()
        dead.wait()


def test_a_sweeps_earlier_try_on_this_machine_is_dead_though_its_process_lingers(tmp_path):
    (tmp_path / ".lr-0.abcd1234.tmp").mkdir()
    (tmp_path / ".lr-0.abcd1234.tmp" / staging.PID).write_text(staging._owner())  # this very process: alive
    with pytest.raises(BundleError, match="is being written by another run"):
        staging.staging(tmp_path / "lr-0").__enter__()
    with staging.staging(tmp_path / "lr-0", force=True, foreign_dead=True) as staged:  # the scheduler gave up on it
        assert sorted(os.listdir(tmp_path)) == [staged.name]


def test_a_sweeps_claim_takes_only_its_own_combinations_staging_left_by_another_machine_for_dead(tmp_path):
    for name, pid in (("lr-0", 1), ("lr-0.1", 2)):  # left by workers on another machine
        (tmp_path / f".{name}.abcd1234.tmp").mkdir()
        (tmp_path / f".{name}.abcd1234.tmp" / staging.PID).write_text(f"elsewhere {pid} 1")
    with staging.staging(tmp_path / "lr-0", force=True, foreign_dead=True) as staged:  # lr-0's earlier try: dead
        assert sorted(os.listdir(tmp_path)) == sorted([".lr-0.1.abcd1234.tmp", staged.name])  # lr-0.1's may be running
    with pytest.raises(BundleError, match=r"^out='.*lr-0.1': is being written by another run \(pid 2 on elsewhere\)"):
        staging.staging(tmp_path / "lr-0.1").__enter__()


def test_out_under_a_file_or_in_a_folder_that_cannot_be_written_is_one_line(tmp_path, capsys, monkeypatch):
    (tmp_path / "f").write_text("")
    for out, words in [
        ("f/x", f"{tmp_path / 'f'} is a file; expected a folder to write the bundle in"),
        ("f", "exists and is not a folder"),
    ]:
        assert main(["run", *QUICK, "--out", str(tmp_path / out)]) == 2
        assert error_line(capsys) == f"mlp-compare run: error: --out {tmp_path / out}: {words}"
    locked = tmp_path / "ro"
    locked.mkdir()
    locked.chmod(0o555)
    if os.geteuid() == 0:  # root writes anyway: the system's refusal, as a folder it cannot write in gives it

        def refused(prefix, suffix, dir):
            raise PermissionError(13, "Permission denied", os.path.join(dir, prefix + "x" + suffix))

        monkeypatch.setattr(staging.tempfile, "mkdtemp", refused)
    assert main(["run", *QUICK, "--out", str(locked / "x")]) == 2
    assert error_line(capsys) == f"mlp-compare run: error: --out {locked / 'x'}: cannot write in {locked} (Permission denied)"
    assert sorted(os.listdir(tmp_path)) == ["f", "ro"] and os.listdir(locked) == []


@pytest.mark.parametrize(
    "content, words",
    [
        ("a,b,y\n1,inf,0\n2,3,1\n3,4,0\n4,5,1\n5,6,0\n", "has infinite values in column(s) b; expected finite numbers"),
        ("a,b,y\n1,2,0\n", "has 1 row, too few to split into training and test samples (test_fraction 0.25); expected at least 2"),
        ("a,b,y\n", "is empty (a header and no rows); expected rows of numbers"),
        ("", "is empty; expected a header and rows of numbers"),
    ],
    ids=["inf", "one-row", "header-only", "no-bytes"],
)
def test_a_csv_that_cannot_be_a_data_set_is_one_line_and_nothing_written(tmp_path, capsys, monkeypatch, content, words):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "d.csv").write_text(content)
    assert main(["run", "--dataset", "d.csv", "--batch-size", "1", "--frameworks", "numpy"]) == 2
    assert error_line(capsys) == f"mlp-compare run: error: spec.dataset: 'd.csv' {words}"
    assert os.listdir(tmp_path) == ["d.csv"]


@pytest.mark.parametrize(
    "argv, status",
    [
        (["run", *QUICK, "--lr", "1e6", "--output", "identity", "--activation", "relu"], 1),  # the loss blows up: 1
        (["check", str(ROOT / "tests" / "learners" / "correct.py"), "--frameworks", "numpy"], 0),
    ],
    ids=["run-diverges", "check-right"],
)
def test_a_reader_gone_from_the_pipe_is_a_quiet_exit_with_the_commands_own_status(tmp_path, argv, status):
    """As `mlp-compare run | head -1` once head has gone: the pipe's reader closed before anything was written."""
    read, write = os.pipe()
    os.close(read)
    out = ["--out", str(tmp_path / "d")] if argv[0] == "run" else []
    proc = subprocess.run([sys.executable, "-m", "compare", *argv, *out], stdout=write, stderr=subprocess.PIPE, text=True, cwd=tmp_path)
    os.close(write)
    assert (proc.returncode, proc.stderr) == (status, "")
    if argv[0] == "run":
        assert manifest.check(tmp_path / "d")  # the run went on to the end: its bundle is whole
