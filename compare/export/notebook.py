"""A script's nine steps as a Jupyter notebook (nbformat 4 JSON, written without Jupyter installed)."""

from __future__ import annotations

import json

from compare.export.script import Script


def notebook(script: Script) -> str:
    """The .ipynb text: a markdown cell and a code cell for each step, the same code as the script."""
    cells = []
    for i, (kind, source) in enumerate(script.cells()):
        cell = {"cell_type": kind, "id": f"cell-{i}", "metadata": {}, "source": _lines(source)}
        if kind == "code":
            cell.update(execution_count=None, outputs=[])
        cells.append(cell)
    metadata = {
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
    }
    return json.dumps({"cells": cells, "metadata": metadata, "nbformat": 4, "nbformat_minor": 5}, indent=1, ensure_ascii=False) + "\n"


def _lines(text: str) -> list[str]:
    lines = text.split("\n")
    return [line + "\n" for line in lines[:-1]] + [lines[-1]]
