"""Cut the script docs/export.md shows in full from a real export of the network its commands run (make docs runs
this); a test fails when the document no longer matches what `mlp-compare export` writes.

    python docs/make_export.py            # rewrite the script in docs/export.md
    python docs/make_export.py --check    # exit 1 if it is stale
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "export.md"
FLAGS = "--layers 2,16,16,1 --activation tanh --loss bce --optimizer adam --lr 0.01 --epochs 20"  # the doc's `mlp-compare run`
SHOWN = "keras_train.py"
BEGIN = f"<!-- export: the {SHOWN} that `mlp-compare export` writes for this network, cut by docs/make_export.py -->"
END = "<!-- export: end -->"
SKIP = "<!-- docs-test: skip: the exported script itself, kept fresh by tests/test_export_docs.py; the block above runs its twin -->"


def spec():
    """The Spec of the doc's `mlp-compare run FLAGS`, parsed as the command line parses it."""
    sys.path.insert(0, str(ROOT))
    from compare.cli import parser
    from compare.commands.flags import spec_from_args

    return spec_from_args(parser().parse_args(["run", *FLAGS.split()]))


def script() -> str:
    """The script, from a real export into a temporary folder."""
    import compare

    with tempfile.TemporaryDirectory() as tmp:
        return (compare.export(spec(), to="keras", out=Path(tmp) / "adam") / SHOWN).read_text()


def render(text: str) -> str:
    """The document with the region between BEGIN and END replaced by the fresh script."""
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{BEGIN}\n\n{SKIP}\n```python\n{script()}```\n\n{END}{tail}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="exit 1 if docs/export.md is stale")
    args = parser.parse_args(argv)
    text = DOC.read_text()
    fresh = render(text)
    if args.check:
        print(f"docs/export.md is {'stale: run make docs' if fresh != text else 'up to date'}")
        return int(fresh != text)
    DOC.write_text(fresh)
    print("wrote docs/export.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
