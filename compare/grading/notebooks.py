"""A notebook submission as a script: its code cells in order (IPython magics and shell lines made inert), and each
line of the script mapped back to its cell and line, so that what the check says points into the notebook."""

from __future__ import annotations

import re

HEADER = ["def display(*args, **kwargs):  # IPython's display(), which a script lacks", "    pass"]
PYTHON_CELL_MAGICS = ("%%time", "%%timeit", "%%capture")  # their body is Python: only the magic line goes


def to_script(text: str) -> tuple[str, list[tuple[int, int]]]:
    """(the script, for each of its lines the notebook's (cell, line), 1-based, cells counted from the top, (0, 0)
    for the header); raises ValueError for a file that is not a notebook."""
    import nbformat

    try:
        nb = nbformat.reads(text, as_version=4)
    except Exception as e:  # nbformat's reader raises several kinds for JSON that is not a notebook
        raise ValueError(f"not a readable notebook ({type(e).__name__})") from None
    lines, where = list(HEADER), [(0, 0)] * len(HEADER)
    for n, cell in enumerate(nb.cells, start=1):
        if cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "").splitlines()
        magic = source[0].strip().split()[0] if source and source[0].lstrip().startswith("%%") else None
        for k, line in enumerate(source, start=1):
            inert = line.lstrip().startswith(("%", "!")) or (magic is not None and (k == 1 or magic not in PYTHON_CELL_MAGICS))
            if inert:
                indent = line[: len(line) - len(line.lstrip())]
                line = f"{indent}pass  # IPython: {line.strip()}"
            lines.append(line)
            where.append((n, k))
        lines.append("")
        where.append((n, len(source) + 1))
    return "\n".join(lines) + "\n", where


def script_name(notebook: str) -> str:
    """The script written beside the notebook: hw.ipynb -> hw.ipynb.py."""
    return notebook + ".py"


def point_back(text: str, notebook: str, where: list[tuple[int, int]]) -> str:
    """Every 'hw.ipynb.py:LINE', 'File "hw.ipynb.py", line LINE' and the tracer's '(line LINE)' in text said as the
    notebook's cell and line, and the script's name elsewhere as the notebook's."""
    if not text:
        return text
    name = notebook.rsplit("/", 1)[-1]
    script = re.escape(script_name(name))

    def cell(line: int) -> str:
        n, k = where[line - 1] if 0 < line <= len(where) else (0, 0)
        return f"cell {n}, line {k}" if n else f"line {line} of the script made from it"

    text = re.sub(rf'"(?:[^"]*/)?{script}", line (\d+)', lambda m: f'"{name}", {cell(int(m.group(1)))}', text)
    text = re.sub(rf"(?:\S*/)?{script}:(\d+)", lambda m: f"{name} {cell(int(m.group(1)))}", text)
    text = re.sub(r"\(line (\d+)\)", lambda m: f"({cell(int(m.group(1)))})", text)  # the tracer's "dA1 (line 28) was right"
    return re.sub(rf"(?:[^\s\"']*/)?{script}", name, text)  # the script named without a line: the notebook
