"""--to notebook: one valid .ipynb per framework whose cells follow the nine steps of docs/side_by_side.md, and whose
code, run cell after cell in a fresh interpreter, reproduces the bundle's run as the script does."""

import importlib.util

import nbformat
import pytest

from tests.docs_runner import ROOT
from tests.exports import NOTEBOOKS
from tests.test_export_faithful import reference, worst

NAME = next(iter(NOTEBOOKS))


def side_by_side_steps() -> list[str]:
    spec = importlib.util.spec_from_file_location("make_side_by_side", ROOT / "docs" / "make_side_by_side.py")
    docs = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(docs)
    return [title for title, *_ in docs.STEPS]


@pytest.mark.parametrize("framework", ["torch", "keras"])
def test_a_notebook_follows_the_nine_steps_and_reproduces_the_bundle(exported, framework):
    folder = exported[NAME]
    assert not (folder / f"{framework}_train.py").exists()
    nb = nbformat.read(folder / f"{framework}_train.ipynb", as_version=4)
    nbformat.validate(nb)
    headings = [c.source.split("\n")[0] for c in nb.cells if c.cell_type == "markdown" and c.source.startswith("## ")]
    assert headings == [f"## {i}. {title}" for i, title in enumerate(side_by_side_steps(), start=1)]
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.outputs == [] and c.execution_count is None for c in code)
    curve, final = worst(folder, framework, reference(NOTEBOOKS[NAME], framework))  # its code cells, run in order
    assert curve <= 1e-12 and final <= 1e-12, (curve, final)
