"""The mlp-compare command line: one subcommand a module, bad input one line and exit 2."""

from __future__ import annotations

import argparse
import gc
import sys

from compare.commands import bench, check, check_optimizer, defaults, explain, export, gradcheck, grade, run, sweep, table
from compare.errors import UsageError

# subcommand -> module with add_parser(subparsers) and main(args) -> exit code
COMMANDS = {
    "run": run,
    "bench": bench,
    "defaults": defaults,
    "explain": explain,
    "check": check,
    "check-optimizer": check_optimizer,  # a learner's own update rule (compare/optimizer_check/)
    "gradcheck": gradcheck,
    "table": table,
    "sweep": sweep,  # a grid of specs on a Dask cluster (compare/sweeps/)
    "grade": grade,  # a class's submissions checked on a Dask cluster (compare/grading/)
    "export": export,  # standalone PyTorch and Keras scripts (compare/export/)
}


class Parser(argparse.ArgumentParser):
    """argparse, with a bad flag or value reported in one line (not the usage block) and exit status 2."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message}; see '{self.prog} --help'\n")


def parser() -> Parser:
    top = Parser(
        prog="mlp-compare",
        description="Train one MLP in NumPy (hand-written backprop), PyTorch and TensorFlow from identical weights "
        "and show where their gradients and loss curves agree, and why they differ.",
        epilog="Run 'mlp-compare COMMAND --help' for each command's flags and examples.",
    )
    sub = top.add_subparsers(dest="command", metavar="COMMAND", required=True, parser_class=Parser)
    for module in COMMANDS.values():
        module.add_parser(sub)
    return top


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return COMMANDS[args.command].main(args)
    except UsageError as e:
        if getattr(e, "trace", ""):
            print("Traceback (your file only):\n" + e.trace, file=sys.stderr)
        print(f"mlp-compare {args.command}: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"mlp-compare {args.command}: interrupted; nothing written", file=sys.stderr)
        return 130


def entry() -> None:
    """The console script: main(), then exit without the interpreter's last garbage collection, which
    walks every object torch and TensorFlow made (about 1.5 s; nothing of ours is left to collect)."""
    code = main()
    gc.freeze()
    sys.exit(code)
