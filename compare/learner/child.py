"""The learner's code in a child process: a fresh interpreter that loads their file, runs the tracer and answers the
check's requests over a pipe, with a time limit per request and a memory cap. Whatever their code does there —
os._exit, sys.exit, a segfault, an endless loop, a memory blow-up, NumPy's global state — ends in one line saying
what it did, never in a verdict the check did not reach, and never touches the reference in the check's process."""

from __future__ import annotations

import contextlib
import io
import os
import pickle
import random
import signal
import subprocess
import sys
import traceback
from multiprocessing.connection import Connection

import numpy as np

from compare.errors import LearnerError

TIMEOUT = 60.0  # seconds a request may take by default (--timeout)
MEMORY_GB = 4.0  # address space the learner's process may take (--memory)
START_S = 120.0  # seconds the process may take to start (the check's own imports, none of the learner's code): not --timeout
DOING = {
    "open": "while loading your file",
    "call": "while computing gradients",
    "losses": "while computing its loss for finite differences",
    "trace": "while re-running under the tracer",
    "adapter": "while loading your update rule",
    "step_adapter": "while taking an optimizer step",
}
SIGNALS = {signal.SIGSEGV: "a segmentation fault", signal.SIGKILL: "killed (SIGKILL): out of memory?", signal.SIGABRT: "aborted"}


class ChildSide:
    """The check's handle on a learner's file served in a child process: the same methods as side.Side."""

    def __init__(self, path: str, options, timeout: float = TIMEOUT, memory_gb: float = MEMORY_GB):
        self.timeout, self.memory_gb = timeout, memory_gb
        to_child_r, to_child_w = os.pipe()
        from_child_r, from_child_w = os.pipe()
        env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1", PYTHONUNBUFFERED="1")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "compare.learner.child", str(to_child_r), str(from_child_w), str(memory_gb)],
            pass_fds=(to_child_r, from_child_w),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=env,
            start_new_session=True,  # Ctrl-C reaches the check, which ends the child
        )
        os.close(to_child_r)
        os.close(from_child_w)
        self.send, self.receive = Connection(to_child_w, readable=False), Connection(from_child_r, writable=False)
        self.ask("setup", path, options)

    def ask(self, method: str, *args):
        """One request; the answer, or the learner's failure as a LearnerError in one line."""
        try:
            self.send.send((method, args))
        except (BrokenPipeError, OSError):
            self._died(method, None)
        exited = None
        while True:
            if not self.receive.poll(max(self.timeout, START_S) if method == "setup" else self.timeout):
                self.close()
                if method == "setup":
                    raise LearnerError(
                        f"the process for your code did not start within {START_S:g} s (a machine this busy cannot check it)"
                    )
                raise LearnerError(
                    f"your code did not finish within {self.timeout:g} s {DOING.get(method, '')} (an endless loop?); "
                    "give it longer with --timeout SECONDS"
                )
            try:
                kind, *payload = self.receive.recv()
            except (EOFError, OSError, pickle.UnpicklingError):
                self._died(method, exited)
            if kind == "exiting":  # their os._exit, said just before it happens
                exited = payload
                continue
            if kind == "error":
                raise LearnerError(payload[0], payload[1])
            if kind == "bug":
                raise RuntimeError(f"the check failed in the process running your code:\n{payload[0]}")
            return payload[0]

    def _died(self, method: str, exited) -> None:
        code = self.process.wait()
        doing = DOING.get(method, "")
        if exited is not None:
            status, where = exited
            raise LearnerError(f"your code ended the process with os._exit({status}){where} {doing}; the check cannot judge code that does")
        if code < 0:
            what = SIGNALS.get(-code, f"signal {signal.Signals(-code).name}")
            raise LearnerError(f"your code crashed the process ({what}) {doing}")
        raise LearnerError(f"your code ended the process (exit status {code}) {doing}; the check cannot judge code that does")

    def open(self, setup):
        return self.ask("open", setup)

    def call(self, batch):
        return self.ask("call", batch)

    def losses(self, batches):
        return self.ask("losses", batches)

    def trace(self, batch):
        return self.ask("trace", batch)

    def adapter(self, optimizer: str, name: str | None, hyper: dict):
        """Their update rule, made in the child: a stand-in the optimizer check steps as it would the real one."""
        number, attributes = self.ask("adapter", optimizer, name, hyper)
        return RemoteAdapter(self, number, attributes)

    def close(self) -> None:
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        for c in (self.send, self.receive):
            with contextlib.suppress(OSError):
                c.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class RemoteAdapter:
    """The optimizer check's adapter of a learner's update rule, living in the child process."""

    def __init__(self, side: ChildSide, number: int, attributes: dict):
        self.side, self.number = side, number
        self.__dict__.update(attributes)

    def _ask(self, method: str, *args):
        return self.side.ask("step_adapter", self.number, method, args)

    def start(self, tensors):
        return self._ask("start", tensors)

    def step(self, grads, names, t):
        return self._ask("step", grads, names, t)

    def layout(self, canonical):
        return self._ask("layout", canonical)

    def restore(self, tensors, canonical):
        return self._ask("restore", tensors, canonical)


def _limit_memory(gb: float) -> None:
    import resource

    limit = int(gb * 2**30)
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def serve(read_fd: int, write_fd: int, memory_gb: float) -> None:
    """The child's loop: one Side, requests answered until the check closes the pipe."""
    _limit_memory(memory_gb)
    random.seed(0)  # their unseeded draws (np.random.shuffle at import): the same each check, so the same verdict
    np.random.seed(0)
    receive, send = Connection(read_fd, writable=False), Connection(write_fd, readable=False)
    real_exit = os._exit

    def said_exit(status=0):  # their os._exit: said to the check before the process ends
        frames = [f for f in traceback.extract_stack()[:-1] if "compare" not in f.filename.split(os.sep)[-2:-1]]
        where = f" at {os.path.basename(frames[-1].filename)}:{frames[-1].lineno}" if frames else ""
        with contextlib.suppress(Exception):
            send.send(("exiting", status, where))
        real_exit(status)

    os._exit = said_exit
    from compare.learner.side import Side

    side = None
    while True:
        try:
            method, args = receive.recv()
        except (EOFError, OSError):
            return
        out, err = io.StringIO(), io.StringIO()
        try:
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                if method == "setup":
                    side = Side(*args)
                    answer = None
                else:
                    answer = getattr(side, method)(*args)
            reply = ("ok", answer)
        except LearnerError as e:
            reply = ("error", str(e), e.trace)
        except SystemExit as e:
            reply = ("error", f"your code called sys.exit({e.code!r}) {DOING.get(method, '')}", "")
        except MemoryError:
            reply = (
                "error",
                f"your code ran out of the memory the check allows ({memory_gb:g} GB; --memory GB) {DOING.get(method, '')}",
                "",
            )
        except Exception:  # the check's own fault, not the learner's: shown as the bug it is
            reply = ("bug", traceback.format_exc())
        send.send(reply)


if __name__ == "__main__":
    serve(int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]))
