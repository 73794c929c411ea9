"""The mlp-compare command line: one subcommand a module; bad input one line and exit 2, signals and broken pipes quiet."""

from __future__ import annotations

import argparse
import contextlib
import gc
import importlib
import os
import signal
import sys
import threading

from compare.errors import Terminated, UsageError, interrupted_status

# subcommand -> module of compare.commands with add_parser(subparsers) and main(args) -> exit code; imported only when
# its command is the one run (each pulls in its own libraries: `check` need not load pandas or Dask)
COMMANDS = {
    "run": "run",
    "bench": "bench",
    "defaults": "defaults",
    "explain": "explain",
    "check": "check",
    "check-optimizer": "check_optimizer",  # a learner's own update rule (compare/optimizer_check/)
    "gradcheck": "gradcheck",
    "table": "table",
    "verify": "verify",  # a bundle's files against its manifest, its tables re-derived from its losses
    "sweep": "sweep",  # a grid of specs on a Dask cluster (compare/sweeps/)
    "grade": "grade",  # a class's submissions checked on a Dask cluster (compare/grading/)
    "export": "export",  # standalone PyTorch and Keras scripts (compare/export/)
}


def command(name: str):
    """The module of a subcommand."""
    return importlib.import_module(f"compare.commands.{COMMANDS[name]}")


class Parser(argparse.ArgumentParser):
    """argparse, with a bad flag or value reported in one line (not the usage block) and exit status 2."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message}; see '{self.prog} --help'\n")


def parser(only: str | None = None) -> Parser:
    """Every subcommand's parser, or only the one about to run (the others' modules are then not imported)."""
    top = Parser(
        prog="mlp-compare",
        description="Train one MLP in NumPy (hand-written backprop), PyTorch and TensorFlow from identical weights "
        "and show where their gradients and loss curves agree, and why they differ.",
        epilog="Run 'mlp-compare COMMAND --help' for each command's flags and examples.",
    )
    sub = top.add_subparsers(dest="command", metavar="COMMAND", required=True, parser_class=Parser)
    for name in [only] if only in COMMANDS else COMMANDS:
        command(name).add_parser(sub)
    return top


class QuietPipe:
    """stdout that, once its reader has gone (mlp-compare run | head -1), sends the rest to /dev/null: the command
    finishes its work and exits with its own status, without a BrokenPipeError."""

    def __init__(self, stream):
        self.stream, self.gone = stream, False

    def write(self, text: str) -> int:
        if not self.gone:
            try:
                return self.stream.write(text)
            except BrokenPipeError:
                self._gone()
        return len(text)

    def flush(self) -> None:
        if not self.gone:
            try:
                self.stream.flush()
            except BrokenPipeError:
                self._gone()

    def _gone(self) -> None:
        self.gone = True
        with contextlib.suppress(OSError, ValueError, AttributeError):  # what is still buffered goes nowhere at exit too
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, self.stream.fileno())
            os.close(devnull)

    def __getattr__(self, name: str):
        return getattr(self.stream, name)


def _terminate(signum, frame):
    raise Terminated


@contextlib.contextmanager
def _quiet_exits():
    """SIGTERM raised as Terminated (handled as Ctrl-C is) and stdout a QuietPipe, while a command runs."""
    stdout, handler = sys.stdout, None
    if threading.current_thread() is threading.main_thread():
        handler = signal.signal(signal.SIGTERM, _terminate)
    sys.stdout = QuietPipe(stdout)
    try:
        yield
    finally:
        sys.stdout.flush()
        sys.stdout = stdout
        if handler is not None:
            signal.signal(signal.SIGTERM, handler)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parser(argv[0] if argv else None).parse_args(argv)
    name = f"mlp-compare {args.command}"
    with _quiet_exits():
        try:
            return command(args.command).main(args)
        except UsageError as e:
            if getattr(e, "trace", ""):
                print("Traceback (your file only):\n" + e.trace, file=sys.stderr)
            print(f"{name}: error: {e}", file=sys.stderr)
            return 2
        except KeyboardInterrupt as e:
            what = "terminated (SIGTERM)" if isinstance(e, Terminated) else "interrupted"
            print(f"{name}: {what}; nothing written", file=sys.stderr)
            return interrupted_status(e)
        except OSError as e:  # a file or folder the system refused (full disk, no permission): what and where, in one line
            where = f"{e.filename}: " if e.filename else ""
            print(f"{name}: error: {where}{e.strerror or e}", file=sys.stderr)
            return 2


def entry() -> None:
    """The console script: main(), then exit without the interpreter's last garbage collection, which
    walks every object torch and TensorFlow made (about 1.5 s; nothing of ours is left to collect)."""
    code = main()
    gc.freeze()
    sys.exit(code)
