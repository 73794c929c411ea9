"""The grading folder: grades.csv, feedback/<student>.md and .html, class.md, class.html and mistakes.png, written
whole into a temporary folder beside it and renamed into place; and the grades of an earlier run read back."""

from __future__ import annotations

import contextlib
import re
import shutil
import uuid
from pathlib import Path

import pandas as pd

from compare.errors import UsageError
from compare.grading import classreport, outcome
from compare.grading.assignment import Assignment

GRADES = "grades.csv"
FEEDBACK = "feedback"


def check_out(out: Path) -> None:
    """--out may be new, or a grading folder of an earlier run (replaced whole); never another folder."""
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {out}: exists and is not a folder")
    if out.is_dir() and any(out.iterdir()) and not (out / GRADES).is_file():
        raise UsageError(f"--out {out}: a folder that holds no {GRADES}; expected a new folder or one 'mlp-compare grade' wrote")


def feedback_name(student: str, taken: set[str]) -> str:
    """A file name for a student's feedback: their name with anything but letters, digits, '.', '-' and '_' as '_'."""
    name = re.sub(r"[^\w.-]", "_", student).strip(".") or "student"
    base, k = name, 2
    while name in taken:
        name, k = f"{base}_{k}", k + 1
    taken.add(name)
    return name


def read(out: Path) -> pd.DataFrame:
    return pd.read_csv(out / GRADES, dtype=str, keep_default_na=False)


def previous(out: Path, subs: list, a: Assignment) -> dict:
    """The results of an earlier run in out for the submissions graded from the same files and assignment."""
    if not (out / GRADES).is_file():
        return {}
    try:
        old = read(out)
    except (OSError, ValueError, pd.errors.ParserError):
        return {}
    if list(old.columns) != outcome.columns(a):
        return {}
    rows = {r["student"]: r for r in old.to_dict("records")}
    taken, kept = set(), {}
    for sub in subs:
        name = feedback_name(sub.student, taken)
        r = rows.get(sub.student)
        md, html = out / FEEDBACK / f"{name}.md", out / FEEDBACK / f"{name}.html"
        if r is None or r["hash"] != outcome.key(sub.digest, a) or not (md.is_file() and html.is_file()):
            continue
        row = dict(r)
        for c in [c for c in row if c.startswith("points_")] + ["total", "wall_s"]:
            row[c] = float(row[c]) if row[c] != "" else float("nan")
        kept[sub.student] = {"row": row, "md": md.read_text(), "html": html.read_text()}
    return kept


def frame(subs: list, results: dict, a: Assignment) -> pd.DataFrame:
    rows = [results[s.student]["row"] for s in subs if s.student in results]
    return pd.DataFrame(rows).reindex(columns=outcome.columns(a))


def write(out: Path, subs: list, results: dict, a: Assignment, interrupted: bool = False) -> pd.DataFrame:
    """Everything in out, whole: written beside it first, then swapped in (the old folder removed after)."""
    grades = frame(subs, results, a)
    staging = out.parent / f".{out.name}.tmp-{uuid.uuid4().hex[:8]}"
    old = out.parent / f".{out.name}.old-{uuid.uuid4().hex[:8]}"
    try:
        (staging / FEEDBACK).mkdir(parents=True)  # the folders above out too, as a sweep makes them
        grades.to_csv(staging / GRADES, index=False)
        taken = set()
        for sub in subs:
            name = feedback_name(sub.student, taken)
            if sub.student in results:
                (staging / FEEDBACK / f"{name}.md").write_text(results[sub.student]["md"])
                (staging / FEEDBACK / f"{name}.html").write_text(results[sub.student]["html"])
        classreport.write(staging, grades, a, total=len(subs), interrupted=interrupted)
        if out.exists():
            out.rename(old)
        try:
            staging.rename(out)
        except OSError:
            if old.exists():
                old.rename(out)  # the earlier grades stay where they were
            raise
    except OSError as e:
        raise UsageError(f"--out {out}: cannot write ({e.strerror or e})") from None
    finally:
        with contextlib.suppress(OSError):
            shutil.rmtree(staging, ignore_errors=True)
            shutil.rmtree(old, ignore_errors=True)
    return grades
