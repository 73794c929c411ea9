"""Run the commands and Python blocks of a markdown document in order, as a reader would, and check them.

What runs: every fenced ```python block (one namespace per document, like a notebook), and every command line
of a fenced ```bash/```sh/```console block or of an indented code block (a line starting with `$ ` or with
`mlp-compare`; other lines of such a block are output or prose and are left alone). `mlp-compare ...` runs
in this process through compare.cli.main (imports shared, so the docs cost seconds, not minutes), with shell
globs expanded. The reader's folder is a fresh temporary folder holding a copy of examples/.

An HTML comment just before a block (invisible on GitHub) says what the docs test should know:
    <!-- docs-test: skip: REASON -->          not run, and why (the reason is required)
    <!-- docs-test: exit: N -->               every command of the block exits N (default 0)
    <!-- docs-test: args: ARGS: WHY -->       ARGS appended to every mlp-compare command (a smaller size), and why
    <!-- docs-test: check: EXPR -->           a Python expression that must hold after the block: a figure the
                                             text quotes, within a band. Names: out and err (the block's output),
                                             codes (exit statuses), cwd (the reader's folder), np, pd, Path, re,
                                             and the document's Python namespace.
"""

from __future__ import annotations

import contextlib
import glob
import io
import re
import shlex
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
NOTE = re.compile(r"^<!--\s*docs-test:\s*(skip|exit|args|check):\s*(.*?)\s*-->\s*$")
SHELL = ("bash", "sh", "console", "shell")


@dataclass
class Block:
    """A runnable block of a document: its first line, kind ("python" or "commands"), text, and notes."""

    line: int
    kind: str
    lines: list[str]
    notes: list[tuple[str, str]] = field(default_factory=list)

    def note(self, key: str) -> list[str]:
        return [value for k, value in self.notes if k == key]

    @property
    def commands(self) -> list[str]:
        out = []
        for text in self.lines:
            text = text.strip()
            if text.startswith("$ "):
                out.append(text[2:])
            elif text.startswith("mlp-compare ") or text == "mlp-compare":
                out.append(text)
        return out


def blocks(path: Path) -> list[Block]:
    """The runnable blocks of a markdown file, in order, each with the docs-test notes just above it."""
    lines = path.read_text().splitlines()
    found, notes, i = [], [], 0
    while i < len(lines):
        text = lines[i]
        note = NOTE.match(text.strip())
        if note:
            notes.append((note.group(1), note.group(2)))
            i += 1
            continue
        if text.startswith("```"):
            lang, start = text[3:].strip().lower(), i + 1
            i += 1
            while i < len(lines) and not lines[i].startswith("```"):
                i += 1
            body = lines[start:i]
            if lang == "python":
                found.append(Block(start, "python", body, notes))
            elif lang in SHELL:
                found.append(Block(start, "commands", body, notes))
            notes, i = [], i + 1
            continue
        if text.startswith("    ") and (i == 0 or not lines[i - 1].strip()):
            start = i
            while i < len(lines) and (lines[i].startswith("    ") or not lines[i].strip()):
                i += 1
            block = Block(start + 1, "commands", [t[4:] for t in lines[start:i]], notes)
            if block.commands:
                found.append(block)
            notes = []
            continue
        if text.strip():
            notes = []  # a note belongs to the block right below it
        i += 1
    return found


def reader_folder(tmp: Path) -> Path:
    """A fresh folder as a reader has after cloning: the examples the docs point at."""
    shutil.copytree(ROOT / "examples", tmp / "examples")
    return tmp


def run_command(command: str, cwd: Path) -> tuple[int, str, str]:
    """(exit status, stdout, stderr) of one mlp-compare command line, run in this process from cwd."""
    from compare.cli import main

    words = shlex.split(command, comments=True)
    if not words or words[0] != "mlp-compare":
        raise ValueError(f"not an mlp-compare command: {command!r} (mark the block <!-- docs-test: skip: ... -->)")
    argv = []
    for word in words[1:]:
        matches = sorted(glob.glob(word, root_dir=cwd)) if any(c in word for c in "*?[") else []
        argv += matches or [word]
    out, err = io.StringIO(), io.StringIO()
    with contextlib.chdir(cwd), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(argv)
        except SystemExit as e:  # argparse: --help, or a bad flag
            code = e.code if isinstance(e.code, int) else 1
    return code, out.getvalue(), err.getvalue()


def run_block(block: Block, cwd: Path, namespace: dict) -> None:
    """Run one block as the document says; AssertionError naming the block's line on any mismatch."""
    where = f"line {block.line}"
    if block.kind == "python":
        with contextlib.chdir(cwd):
            exec(compile("\n".join(block.lines), f"<block at {where}>", "exec"), namespace)
        out = err = ""
        codes: list[int] = []
    else:
        expected = int((block.note("exit") or ["0"])[0])
        extra = " ".join(block.note("args")[0].split(":")[0].split()) if block.note("args") else ""
        out, err, codes = "", "", []
        for command in block.commands:
            code, o, e = run_command(f"{command} {extra}".strip(), cwd)
            out, err, codes = out + o, err + e, codes + [code]
            assert code == expected, f"{where}: `{command}` exited {code}, expected {expected}\n{e[-2000:]}"
    flat = " ".join(out.split())  # sentences as one line, however the terminal wrapped them
    names = {**namespace, "out": out, "flat": flat, "err": err, "codes": codes, "cwd": cwd, "np": np, "pd": pd, "Path": Path, "re": re}
    for check in block.note("check"):
        with contextlib.chdir(cwd):
            assert eval(check, names), f"{where}: the figure the text quotes does not hold: {check}"
