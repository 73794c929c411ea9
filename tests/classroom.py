"""A small class for the grading tests: right submissions written in a few ways, one-line mutants of the beginner
network from tests/mutants.py's generator, a notebook, and hostile ones (an endless loop, os._exit, an import error, a memory blow-up)."""

from __future__ import annotations

from pathlib import Path

import nbformat

from tests.mutants import mutants

ROOT = Path(__file__).resolve().parent.parent
BEGINNER = (ROOT / "examples" / "beginner_mlp.py").read_text()
ASSIGNMENT = """# the beginner network, checked against the NumPy reference and finite differences
layers = [2, 3, 1]
frameworks = ["numpy"]
timeout = 4

[points]
tensors = 4
convention = 1
"""
MUTANTS = {  # student -> the mutated line, as the generator writes it
    "no_mean": "dA2 = 2 * (A2 - y)",
    "flipped": "dA2 = 2 * (y - A2) / N",
    "za_swapped": "dZ1 = dA1 * Z1 * (1 - A1)",
    "axis_one": "db1 = dZ1.sum(axis=1)",
}
NOTEBOOK_MUTANT = "dZ2 = dA2 * A2"  # a derivative dropped, in the notebook's third cell
HOSTILE = {
    "loops": ("import numpy as np\n\n\ndef loss_and_grads(params, X, y):\n    while True:\n        pass\n", "timeout"),
    "exits": ("import os\n\n\ndef loss_and_grads(params, X, y):\n    os._exit(3)\n", "crashed"),
    "imports": ("import numpy as np\nimport a_module_no_one_has\n\n\ndef loss_and_grads(params, X, y):\n    pass\n", "crashed"),
    "hogs": (
        "import numpy as np\n\n\ndef loss_and_grads(params, X, y):\n    kept = []\n    while True:\n        kept.append(np.empty(10**8))\n",
        "crashed",
    ),
}


def mutant(text: str, line: str) -> tuple[str, int]:
    """The generator's mutant of text whose rewritten statement reads line; and its line number."""
    for m in mutants(text):
        if m.source.splitlines()[m.line - 1].strip() == line:
            return m.source, m.line
    raise LookupError(line)


def notebook(source: str, split: int) -> str:
    """The file as a notebook: a markdown cell, its first split lines (a magic first), then the rest."""
    lines = source.splitlines()
    cells = [
        nbformat.v4.new_markdown_cell("# Backprop by hand"),
        nbformat.v4.new_code_cell("%matplotlib inline\n" + "\n".join(lines[:split])),
        nbformat.v4.new_code_cell("\n".join(lines[split:])),
    ]
    return nbformat.writes(nbformat.v4.new_notebook(cells=cells))


def write(folder: Path) -> dict:
    """The class in folder (one file per student); what the tests expect to read back: student -> (file, status),
    and the notebook's mutated (cell, line)."""
    folder.mkdir(parents=True, exist_ok=True)
    expected = {}
    (folder / "right_plain.py").write_text(BEGINNER)
    (folder / "right_generic.py").write_text((ROOT / "tests" / "learners" / "correct.py").read_text())
    same = BEGINNER.replace('"""The beginner network', '"""My own network').replace("    # forward\n", "    # forward pass\n\n")
    (folder / "right_copy.py").write_text(same)
    expected.update(right_plain="right", right_generic="right", right_copy="right")
    for student, line in MUTANTS.items():
        (folder / f"{student}.py").write_text(mutant(BEGINNER, line)[0])
    expected.update(no_mean="wrong", flipped="wrong", za_swapped="wrong", axis_one="refused")
    source, line = mutant(BEGINNER, NOTEBOOK_MUTANT)
    split = BEGINNER.splitlines().index("def loss_and_grads(params, X, y):")
    (folder / "notebook.ipynb").write_text(notebook(source, split))
    expected["notebook"] = "wrong"
    for student, (code, status) in HOSTILE.items():
        (folder / f"{student}.py").write_text(code)
        expected[student] = status
    cells = [nbformat.v4.new_code_cell("import numpy as np"), nbformat.v4.new_code_cell("W = np.zeros(3)\nW[5] = 1.0")]
    (folder / "raises.ipynb").write_text(nbformat.writes(nbformat.v4.new_notebook(cells=cells)))  # a cell that raises
    expected["raises"] = "crashed"
    (folder / "essay.txt").write_text("I did not do it.\n")
    expected["essay"] = "refused"
    return {"status": expected, "notebook_line": f"notebook.ipynb cell 3, line {line - split}"}
