"""docs/side_by_side.md is generated from the sources, and a test fails when it no longer matches them."""

import importlib.util
import re
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location("make_side_by_side", ROOT / "docs" / "make_side_by_side.py")
docs = importlib.util.module_from_spec(spec)
spec.loader.exec_module(docs)


def test_side_by_side_matches_the_sources():
    assert (ROOT / "docs" / "side_by_side.md").read_text() == docs.render(ROOT), "docs/side_by_side.md is stale: run make docs"


def test_every_code_block_is_a_verbatim_slice_of_the_file_it_names():
    text = (ROOT / "docs" / "side_by_side.md").read_text()
    blocks = re.findall(r"\[`([^`]+)`\]\(\.\./[^#]+#L(\d+)-L(\d+)\).*?```python\n(.*?)\n```", text, re.S)
    assert len(blocks) == 27  # nine steps, three frameworks
    for path, start, end, code in blocks:
        lines = (ROOT / path).read_text().splitlines()[int(start) - 1 : int(end)]
        assert [line.strip() for line in code.splitlines()] == [line.strip() for line in lines], path


def test_nine_steps_each_link_a_defaults_row():
    from compare.defaults.table import KEYS

    text = (ROOT / "docs" / "side_by_side.md").read_text()
    titles = re.findall(r"^## \d\. (.+)$", text, re.M)
    assert titles == ["Architecture", "Initialisation", "Activation", "Forward pass", "Loss", "Backpropagation", "Update", "Repeat", "Test"]
    links = re.findall(r"\(defaults\.md#([a-z0-9-]+)\)", text)
    assert len(re.findall(r"\*\*Where they differ:\*\*", text)) == 9 and set(links) <= set(KEYS) and len(set(links)) >= 12


def test_a_changed_source_makes_the_document_stale(tmp_path):
    for folder in ("scratch", "torch_impl", "tf_impl", "compare"):
        shutil.copytree(ROOT / folder, tmp_path / folder)
    path = tmp_path / "scratch" / "mlp.py"
    source = path.read_text()
    path.write_text(source.replace("    def backward(", "    # a comment moves every line below it\n    def backward(", 1))
    assert docs.render(tmp_path) != docs.render(ROOT)  # line numbers moved
    path.write_text(source.replace("def predict(self, X", "def predict(self, X_new", 1))
    assert "def predict(self, X_new" in docs.render(tmp_path)  # the new code, not the old


def test_a_renamed_function_is_reported_not_skipped(tmp_path):
    shutil.copytree(ROOT / "tf_impl", tmp_path / "tf_impl")
    path = tmp_path / "tf_impl" / "mlp.py"
    path.write_text(path.read_text().replace("def _forward(", "def forward_pass("))
    with pytest.raises(LookupError, match="MLP._forward"):
        docs.excerpt(tmp_path, "tf_impl/mlp.py", "MLP._forward")


def test_check_flag_reports_up_to_date(capsys):
    assert docs.main(["--check"]) == 0
    assert "up to date" in capsys.readouterr().out
