"""An exported script as the nine steps of docs/side_by_side.md: a .py file, or the cells of a notebook."""

from __future__ import annotations

from dataclasses import dataclass, field

from compare.export import code

STEPS = ("Architecture", "Initialisation", "Activation", "Forward pass", "Loss", "Backpropagation", "Update", "Repeat", "Test")


@dataclass
class Step:
    """One of the nine steps: what it is in a sentence (the notebook's text), and its code (maybe none)."""

    what: str
    lines: list[str] = field(default_factory=list)
    where: str = ""  # said in the step's heading comment: where it happens, or what it takes


@dataclass
class Script:
    """A whole script: docstring, imports, settings and data (setup), helpers (classes, functions), nine steps, and
    what it saves."""

    doc: str
    imports: list[str]
    setup: list[str]
    steps: list[Step]
    save: list[str]
    helpers: list[list[str]] = field(default_factory=list)  # top-level definitions, two blank lines apart

    def text(self) -> str:
        """The .py file."""
        out = [*code.docstring(self.doc), "", *self.imports, "", *self.setup]
        for helper in self.helpers:
            out += ["", "", *helper]
        out += ["", ""] if self.helpers else [""]
        for i, (title, step) in enumerate(zip(STEPS, self.steps), start=1):
            heading = f"{i}. {title}" + (f": {step.where}" if step.where else "")
            out += code.comment_lines(heading)
            out += [*step.lines, ""]
        out += self.save
        return "\n".join(_tidy(out)) + "\n"

    def cells(self) -> list[tuple[str, str]]:
        """The notebook: (kind, source) cells, a markdown cell and its code for each step."""
        intro = [p for p in self.doc.strip().split("\n\n") if not p.startswith(("    ", "Run it in this folder"))]
        intro.insert(-1, "Run the cells in order, in this folder; the last one saves the losses and weights.")
        head = f"# {intro[0]}\n\n" + "\n\n".join(intro[1:])
        cells = [("markdown", head), ("code", "\n".join([*self.imports, "", *self.setup]).strip())]
        for helper in self.helpers:
            cells.append(("code", "\n".join(helper)))
        for i, (title, step) in enumerate(zip(STEPS, self.steps), start=1):
            text = f"## {i}. {title}\n\n{step.what}"
            if step.where:
                text += f" Here: {step.where}."
            cells.append(("markdown", text))
            if step.lines:
                cells.append(("code", "\n".join(step.lines).strip()))
        cells.append(("code", "\n".join(self.save).strip()))
        return cells


def _tidy(lines: list[str]) -> list[str]:
    """No more than two blank lines in a row, none at the end."""
    out: list[str] = []
    for line in lines:
        if not line.strip() and len(out) >= 2 and not out[-1].strip() and not out[-2].strip():
            continue
        out.append(line.rstrip())
    while out and not out[-1]:
        out.pop()
    return out
