"""docs/export.md shows in full the script `mlp-compare export` writes for the network its own commands run, cut by
docs/make_export.py; a test fails when it is stale. The docs link to it."""

import importlib.util

from tests.docs_runner import ROOT

spec = importlib.util.spec_from_file_location("make_export", ROOT / "docs" / "make_export.py")
make_export = importlib.util.module_from_spec(spec)
spec.loader.exec_module(make_export)


def test_the_script_shown_in_full_is_the_one_export_writes_today():
    text = (ROOT / "docs" / "export.md").read_text()
    assert text == make_export.render(text), "docs/export.md is stale: run make docs"
    shown = text.split(make_export.BEGIN)[1].split("```python\n")[1].split("```")[0]
    assert shown.startswith('"""Train a 2-16-16-1 MLP') and "model.train_on_batch" in shown


def test_the_shown_script_is_of_the_network_the_doc_runs():
    text = (ROOT / "docs" / "export.md").read_text()
    assert f"mlp-compare run {make_export.FLAGS} --out runs/adam" in text
    assert "mlp-compare export runs/adam --out exports/adam" in text


def test_the_readme_and_the_side_by_side_page_link_the_export_page():
    assert "(docs/export.md)" in (ROOT / "README.md").read_text()
    assert "(export.md)" in (ROOT / "docs" / "side_by_side.md").read_text()
