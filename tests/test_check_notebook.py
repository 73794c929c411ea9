"""The notebook in examples/ runs in a real kernel: a network defined in a cell is checked, the report is an HTML
table, and the wrong line is named by its cell; a cell's training loop is checked by %%check on its first step."""

import re
from pathlib import Path

import nbformat
from nbclient import NotebookClient

NOTEBOOK = Path(__file__).parent.parent / "examples" / "check_in_a_notebook.ipynb"


def test_the_notebook_checks_a_cells_network_and_names_the_cell_and_line_of_a_slip():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    NotebookClient(nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOK.parent)}}).execute()
    outputs = {i: cell.get("outputs", []) for i, cell in enumerate(nb.cells) if cell.cell_type == "code"}
    right = outputs[3][0]["data"]["text/html"]
    assert "<table" in right and "Right.</b> The loss and every gradient match the reference." in right
    wrong = outputs[6][0]["data"]["text/html"]
    assert "Wrong.</b> dW1 is the first wrong tensor walking back from the output: the activation derivative is applied" in wrong
    source = "dZ1 = dA1 * sigmoid(A1) * (1 - sigmoid(A1))  # (3, m)"
    assert re.search(
        rf"<pre>cell In\[4\], line 12  {re.escape(source)}  ← dZ1 departs here \(dZ1: rel 0\.13\); dA1 \(line 11\) was right; A1 \(line 5\) was right</pre>",
        wrong,
    ), wrong
    assert outputs[7][0]["text"] == "False dW1 deriv_input\n"
    loop = outputs[11][0]["data"]["text/html"]  # %%check on a cell's training loop: its step, its line
    assert "lr 0.5 (0.5, written in your update)" in loop and "Wrong.</b> dW1 is the first wrong tensor" in loop
    assert "<pre>your cell, line 6  dH = d_out @ W2.T * (1 - H)  ← dH departs here" in loop, loop
    assert outputs[12][0]["text"] == "True (2, 4)\n"
