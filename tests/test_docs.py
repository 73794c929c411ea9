"""The README and docs/*.md as a reader runs them: every command and Python block in order, in a fresh folder,
with its exit status and the figures the text quotes checked (see tests/docs_runner.py for the notes)."""

from pathlib import Path

import pytest

from tests.docs_runner import ROOT, blocks, reader_folder, run_block

DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


@pytest.mark.parametrize("doc", DOCS, ids=[d.name for d in DOCS])
def test_the_commands_and_python_blocks_run_in_order_and_the_quoted_figures_hold(doc: Path, tmp_path):
    cwd, namespace = reader_folder(tmp_path), {"__name__": "__docs__"}
    for block in blocks(doc):
        if not block.note("skip"):
            run_block(block, cwd, namespace)


def test_every_block_left_out_says_why_and_the_readme_runs_its_examples():
    for doc in DOCS:
        for block in blocks(doc):
            for reason in block.note("skip"):
                assert len(reason.split()) >= 3, f"{doc.name} line {block.line}: a skipped block needs its reason"
    readme = [b for b in blocks(ROOT / "README.md") if not b.note("skip")]
    assert sum(len(b.commands) for b in readme) >= 4 and any(b.kind == "python" for b in readme)


def test_a_command_that_exits_otherwise_than_the_document_says_fails_the_docs(tmp_path):
    doc = tmp_path / "doc.md"
    doc.write_text("Text.\n\n<!-- docs-test: exit: 0 -->\n\n    mlp-compare run --lr -1\n")
    (block,) = blocks(doc)
    with pytest.raises(AssertionError, match="exited 2, expected 0"):
        run_block(block, reader_folder(tmp_path / "reader"), {})
