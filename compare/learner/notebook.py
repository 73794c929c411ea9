"""A notebook cell checked where it is written: `compare.check_cell(source)`, or `%%check [flags]` after
`%load_ext compare`; the cell's training loop run (on copies of the notebook's variables it reads) to its first step."""

from __future__ import annotations

import shlex
import tempfile
from pathlib import Path

from compare.learner.grade import check
from compare.learner.keywords import spec_and_options
from compare.learner.layouts import Form
from compare.learner.report import Report
from compare.learner.side import Options
from compare.shared.spec import Spec

CELL = "cell.py"  # the file a cell's code is written to, in a folder of its own: what the report's lines name


def check_cell(source: str, spec: Spec | None = None, namespace: dict | None = None, **fields) -> Report:
    """A cell's code (a training loop, or functions with function="name") checked as a script is: run until its
    weights first change, that step judged on the cell's own batch. namespace: the notebook's variables the cell
    reads (get_ipython().user_ns); they are copied, so the notebook's own weights stay as they were. fields: spec
    fields and the check's options, as compare.check takes them; layers are read from the cell's weights."""
    fields = dict(fields)
    function, init = fields.pop("function", None), tuple(fields.pop("init_args", {}).items())
    sizes_given, dataset_given = "layers" in fields or spec is not None, "dataset" in fields
    spec, options = spec_and_options(spec, fields)
    form = options.pop("form", Form())
    choices = Options(function, form, form != Form(), init, None, options.pop("loss_function", None), namespace=namespace)
    return check(_written(source), spec, options=choices, sizes_given=sizes_given, dataset_given=dataset_given, **options)


def _written(source: str) -> str:
    """The cell's code in a file of its own folder (the watcher follows the code of that folder)."""
    folder = Path(tempfile.mkdtemp(prefix="mlp-compare-cell-"))
    (folder / CELL).write_text(source)
    return str(folder / CELL)


def check_magic(line: str, cell: str, namespace: dict) -> Report:
    """%%check's work: the line's flags (as `mlp-compare check` takes them) and the cell's code."""
    import argparse

    from compare.commands.check import add_parser
    from compare.commands.flags import spec_from_args
    from compare.learner import binding

    parser = argparse.ArgumentParser(prog="%%check")
    add_parser(parser.add_subparsers())
    args = parser.parse_args(["check", CELL, *shlex.split(line)])
    sizes_given = args.layers is not None or args.config is not None
    if not sizes_given and args.loss == "ce":
        args.layers = (2, 4, 2)  # provisional: the cell's weights say the layers
    spec = spec_from_args(args)
    form = Form(args.layout or "rows", args.params or "pairs", args.per_sample, args.targets)
    given = any(v is not None for v in (args.layout, args.params, args.targets)) or args.per_sample
    weights = tuple(n.strip() for n in args.weights.split(",")) if args.weights else None
    init = tuple(binding.parse_init_args(args.init_args).items())
    choices = Options(args.function, form, given, init, weights, args.loss_function, namespace=namespace)
    return check(
        _written(cell), spec, options=choices, sizes_given=sizes_given, dataset_given=args.dataset is not None,
        lr=args.lr, steps=args.steps, convention=args.convention, trace=not args.no_trace,
    )  # fmt: skip


def load_ipython_extension(ipython) -> None:
    """`%load_ext compare`: registers %%check."""

    def check_cell_magic(line: str, cell: str):
        from compare.errors import UsageError

        try:
            return check_magic(line, cell, ipython.user_ns)
        except UsageError as e:
            print(f"%%check: error: {e}")
        except SystemExit:  # argparse's own message was printed
            return None

    ipython.register_magic_function(check_cell_magic, magic_kind="cell", magic_name="check")
