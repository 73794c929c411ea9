"""Tables in every format, in one place: markdown, CSV, LaTeX and HTML from a DataFrame, and writing them atomically."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from compare.errors import UsageError

FORMATS = ("markdown", "csv", "latex", "html")
SUFFIXES = {".md": "markdown", ".csv": "csv", ".tex": "latex", ".html": "html", ".htm": "html"}


def render(frame: pd.DataFrame, fmt: str, floats: str | None = "%.2e", csv_floats: str | None = None, border: int = 0) -> str:
    """The table as markdown (a | inside a cell escaped), csv, latex (special characters escaped) or html.
    floats: a printf format for the float columns of markdown, latex and html (None: as they are);
    csv_floats: the same for csv (None: every digit)."""
    if fmt == "csv":
        return frame.to_csv(index=False, float_format=csv_floats)
    if fmt == "markdown":
        shown = frame.map(lambda v: v.replace("|", "\\|") if isinstance(v, str) else v)
        shown.columns = [str(c).replace("|", "\\|") for c in frame.columns]
        return shown.to_markdown(index=False, floatfmt=floats.replace("%", "") if floats else "g") + "\n"
    if fmt == "latex":
        escaped = frame.map(lambda v: latex_escape(v) if isinstance(v, str) else v)
        escaped.columns = [latex_escape(c) for c in frame.columns]
        return escaped.to_latex(index=False, float_format=floats, escape=False)
    if fmt == "html":
        return frame.to_html(index=False, float_format=(lambda x: floats % x) if floats else None, border=border, escape=True)
    raise ValueError(f"format {fmt!r}; expected one of {', '.join(FORMATS)}")


LATEX = {"\\": r"\textbackslash{}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}", "|": r"\textbar{}"}
LATEX.update({c: "\\" + c for c in "_%&#${}"})


def latex_escape(text) -> str:
    """LaTeX's special characters escaped in a cell (Unicode such as Δ or √ needs xelatex or lualatex)."""
    return re.sub(r"[\\~^|_%&#${}]", lambda m: LATEX[m.group()], str(text))


def format_for(path: str | Path | None, fmt: str | None) -> str | None:
    """The format asked for, else the one an output file's suffix names (markdown when it names none)."""
    if fmt or path is None:
        return fmt
    return SUFFIXES.get(Path(path).suffix.lower(), "markdown")


def check_output(path: str | Path, flag: str = "--output") -> Path:
    """An output file name that can be written, or a one-line error (checked before any work is done)."""
    out = Path(path)
    if out.is_dir():
        raise UsageError(f"{flag} {out}: is a folder; expected a file name")
    if not out.parent.is_dir():
        raise UsageError(f"{flag} {out}: folder {out.parent} does not exist")
    return out


def write(text: str, path: str | Path, flag: str = "--output") -> None:
    """Write text to a file atomically (a temporary file beside it, then renamed); bad paths are one-line errors."""
    out = check_output(path, flag)
    tmp = out.with_name(f".{out.name}.tmp")
    try:
        tmp.write_text(text)
        tmp.replace(out)
    except OSError as e:
        tmp.unlink(missing_ok=True)
        raise UsageError(f"{flag} {out}: cannot write ({e.strerror})") from None
