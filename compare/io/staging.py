"""Folders written atomically and exclusively: a staging folder beside the target, claimed with a pid file, renamed in."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import socket
import tempfile
import time
from pathlib import Path

from compare.errors import BundleError

try:
    import fcntl
except ImportError:  # not on Windows: the claim is then unlocked (still exclusive but for a race of milliseconds)
    fcntl = None

PID = ".pid"  # in a staging folder: "host pid start-time" of the run writing it; removed before the rename
YOUNG_S = 60  # a staging folder without a pid file this young is a run between two of its steps: alive


def words(out: Path, cli: bool) -> tuple[str, str]:
    """How a message names the target and the way to replace it: --out and --force, or out= and force=True."""
    return (f"--out {out}", "--force") if cli else (f"out={str(out)!r}", "force=True")


def _start_time(pid: int) -> str:
    """The process's start time in clock ticks since boot (Linux), so that a reused pid is not taken for the run;
    "dead" for a process that has ended and only waits for its parent to collect it (a zombie, state Z or X)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return "dead" if fields[0] in ("Z", "X") else fields[19]
    except (OSError, IndexError):
        return "-"


def _owner() -> str:
    return f"{socket.gethostname()} {os.getpid()} {_start_time(os.getpid())}"


def _alive(folder: Path, foreign_dead: bool = False) -> bool:
    """Whether the run named in a staging folder's pid file still runs. A young folder without one is a run that has
    not written it yet or is renaming its bundle in: alive (an old one, of a version that wrote none, is not waited
    for). A run of another machine cannot be checked from here: alive. foreign_dead: a sweep's scheduler runs each
    combination once at a time, so an earlier try of it is dead, on whichever machine it ran (a killed worker's
    process may linger as a zombie its parent has not collected)."""
    try:
        host, pid, started = (folder / PID).read_text().split()
    except FileNotFoundError:
        with contextlib.suppress(OSError):
            return time.time() - folder.stat().st_mtime < YOUNG_S
        return False
    except (OSError, ValueError):
        return False  # a pid file cut short: its run died writing it
    if foreign_dead:  # an earlier try of a sweep's combination: the scheduler gave up on it, on this machine or another
        return False
    if host != socket.gethostname():
        return True
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # another user's process: it exists
    now = _start_time(int(pid))
    return now != "dead" and (started == "-" or now in ("-", started))


def _writer(folder: Path) -> str:
    """Who writes a staging folder, in words: 'pid 123 on host'."""
    try:
        host, pid, _ = (folder / PID).read_text().split()
        return f"pid {pid} on {host}"
    except (OSError, ValueError):
        return "starting"


def of(folder: Path, name: str) -> bool:
    """Whether `folder` is a staging folder of the target `name` (.<name>.<8 random characters>.tmp): that of 'lr-0'
    is not that of 'lr-0.1'."""
    return re.fullmatch(rf"\.{re.escape(name)}\.[a-z0-9_]{{8}}\.tmp", folder.name) is not None


@contextlib.contextmanager
def _locked(parent: Path):
    """The parent folder locked (flock) while a claim is checked and made, or a bundle renamed in: milliseconds."""
    fd = os.open(parent, os.O_RDONLY)
    try:
        if fcntl is not None:
            with contextlib.suppress(OSError):  # a file system without locks (some NFS): unlocked
                fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the lock


def remove_dead(parent: Path, name: str | None = None, foreign_dead: bool = False) -> None:
    """Remove the staging folders (.<name>.*.tmp) in `parent` whose pid file names a run that is gone (killed).
    foreign_dead: those of `name` left by another machine are dead too (those of other names may be live runs)."""
    for folder in parent.glob(".*.*.tmp"):
        foreign = foreign_dead and name is not None and of(folder, name)
        if folder.is_dir() and (folder / PID).is_file() and not _alive(folder, foreign):
            shutil.rmtree(folder, ignore_errors=True)


def _parents(out: Path, cli: bool) -> list[Path]:
    """Make out's parent folders; return those made here (removed again if the run fails). A file in the way or a
    folder that cannot be written is one line."""
    where = words(out, cli)[0]
    made = [p for p in [out.parent, *out.parent.parents] if not p.exists()]
    for p in [out.parent, *out.parent.parents]:
        if p.exists():
            if not p.is_dir():
                raise BundleError(f"{where}: {p} is a file; expected a folder to write the bundle in")
            break
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise BundleError(f"{where}: cannot make the folder {e.filename or out.parent} ({e.strerror})") from None
    return made


def _claim(out: Path, force: bool, cli: bool, foreign_dead: bool) -> Path:
    """Under the parent's lock: tidy dead runs' staging folders, refuse a folder another run is writing or one that
    exists (unless force), and make this run's staging folder with its pid file."""
    where, forcing = words(out, cli)
    if out.exists() and not out.is_dir():
        raise BundleError(f"{where}: exists and is not a folder")
    with _locked(out.parent):
        remove_dead(out.parent, out.name, foreign_dead)
        writers = [_writer(t) for t in out.parent.glob(".*.*.tmp") if of(t, out.name) and _alive(t, foreign_dead)]
        if writers:
            raise BundleError(f"{where}: is being written by another run ({writers[0]}); wait for it to finish, or choose another folder")
        if out.is_dir() and any(out.iterdir()) and not force:
            raise BundleError(f"{where}: exists and is not empty; pass {forcing} to replace it")
        try:
            tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent))
        except OSError as e:
            raise BundleError(f"{where}: cannot write in {out.parent} ({e.strerror})") from None
        umask = os.umask(0)
        os.umask(umask)
        tmp.chmod(0o777 & ~umask)  # mkdtemp makes it private; the bundle is an ordinary folder
        (tmp / PID).write_text(_owner())
    return tmp


@contextlib.contextmanager
def staging(out: Path, force: bool = False, cli: bool = False, foreign_dead: bool = False):
    """Claim `out` and give a staging folder beside it to write into (training streams its losses there); on any
    failure or interrupt the folder, and the parent folders made for it, are removed. install() renames it in."""
    made = _parents(out, cli)
    tmp = None
    try:
        tmp = _claim(out, force, cli, foreign_dead)
        yield tmp
    finally:
        if tmp is not None and tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
        for folder in made:  # a failed run leaves no empty runs/ behind either
            if folder.exists() and not any(folder.iterdir()):
                folder.rmdir()


def install(tmp: Path, out: Path, force: bool = False, cli: bool = False) -> Path:
    """Rename a staging folder to `out`, atomically: an existing bundle (force only) is renamed aside first, the new
    one renamed in, and the old one removed after; without force, a folder that appeared meanwhile is kept."""
    where, forcing = words(out, cli)
    old = None
    with _locked(out.parent):
        if out.is_dir() and any(out.iterdir()):
            if not force:
                raise BundleError(f"{where}: exists and is not empty (written meanwhile); pass {forcing} to replace it")
            old = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent))
            (old / PID).write_text(_owner())  # a run killed before the removal below leaves a dead run's folder
            out.rename(old / "old")
        (tmp / PID).unlink(missing_ok=True)
        tmp.rename(out)  # onto nothing or an empty folder: atomic
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
    return out
