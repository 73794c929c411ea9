"""The mlp-compare command line: one subcommand a module, shared spec flags, bad input exits 2."""

from __future__ import annotations

import argparse
import gc
import importlib
import sys

from compare.experiment.spec import SpecError
from compare.io.bundle import BundleError

# subcommand -> module with add_parser(subparsers) and main(args) -> exit code
COMMANDS = {
    "run": "compare.commands.run",
    "bench": "compare.commands.bench",
    "defaults": "compare.commands.defaults",
    "explain": "compare.commands.explain",
    "check": "compare.commands.check",
    "gradcheck": "compare.commands.gradcheck",
    "table": "compare.commands.table",
}


class UsageError(Exception):
    """Bad input found after parsing (a file, a value): one line, exit 2."""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="mlp-compare",
        description="Train one MLP in NumPy (hand-written backprop), PyTorch and TensorFlow from identical weights "
        "and show where their gradients and loss curves agree, and why they differ.",
        epilog="Run 'mlp-compare COMMAND --help' for each command's flags and examples.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    modules = {name: importlib.import_module(path) for name, path in COMMANDS.items()}
    for module in modules.values():
        module.add_parser(sub)
    args = parser.parse_args(argv)
    try:
        return modules[args.command].main(args)
    except (SpecError, UsageError, BundleError) as e:
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
