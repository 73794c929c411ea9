"""A submission's row of grades.csv: its status, the points of each part, and what the check named (the first wrong
tensor, the mistake, the line and its code, the convention, the finite-difference grade) on the first network it
got wrong."""

from __future__ import annotations

import ast
import hashlib
import io
import re
import tokenize

from compare.grading.assignment import Assignment

STATUSES = ("right", "wrong", "refused", "timeout", "crashed")
FD_GRADES = ("good", "acceptable", "suspicious", "wrong")  # CS231n's, best first
LINE = re.compile(r"^(?P<where>.+?:\d+|.+? cell \d+, line \d+)  (?P<code>.*?)  ← ")
TRAILING = ["wall_s", "network", "cause", "code", "hash", "code_hash"]  # after the columns: for the class report


def columns(a: Assignment) -> list[str]:
    parts = [f"points_{p}" for p in a.points]
    head = ["student", "file", "status", *parts, "total", "first_wrong", "mistake", "line", "convention", "fd_grade"]
    return head + TRAILING


def key(sub_digest: str, a: Assignment) -> str:
    """What a row was graded from: the submission's files and the assignment; the same key, the same grade."""
    return hashlib.sha256(f"{sub_digest}:{a.digest}".encode()).hexdigest()[:16]


def code_digest(source: str) -> str:
    """The normalised AST of the code (docstrings, comments, layout left out): the same for copies that differ only there."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return ""
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr) and isinstance(getattr(body[0], "value", None), ast.Constant):
            if isinstance(body[0].value.value, str):
                node.body = body[1:] or [ast.Pass()]
    return hashlib.sha256(ast.dump(tree, include_attributes=False).encode()).hexdigest()[:16]


def bare_code(code: str) -> str:
    """A line of code without its comment, spaced as ast.unparse would (the same line written twice looks the same)."""
    try:
        tokens = [t for t in tokenize.generate_tokens(io.StringIO(code + "\n").readline) if t.type != tokenize.COMMENT]
        text = tokenize.untokenize(tokens).strip()
    except (tokenize.TokenError, IndentationError, SyntaxError):
        text = code.split("  #")[0].strip()
    try:
        return ast.unparse(ast.parse(text))
    except SyntaxError:
        return text


def worst_fd(table) -> str:
    grades = [str(g).split(",")[0].strip() for g in table["fd_grade"]] if table is not None and "fd_grade" in table else []
    found = [g for g in grades if g in FD_GRADES]
    return max(found, key=FD_GRADES.index) if found else "-"


def _fraction_right(c) -> float:
    """The share of the network's tensors (the loss first) judged right, 0 when the check could not judge or the
    convention is refused."""
    if c.report is None or c.cause:
        return 0.0
    verdicts = c.report.table["verdict"].astype(str)
    return float(verdicts.isin(["right", "convention"]).mean()) if len(verdicts) else 0.0


def points(a: Assignment, checked: list) -> dict[str, float]:
    judged = [c for c in checked if c.report is not None]
    every = len(judged) == len(checked) and bool(checked)
    earned = {
        "tensors": sum(_fraction_right(c) for c in checked) / max(len(checked), 1),
        "convention": float(every and all(a.accepted(c.convention) for c in judged)),
        "steps": float(every and all(c.report.curves is not None and bool(c.report.curves["pass"].all()) for c in judged)),
        "optimizer": float(every and all(c.optimizer is not None and c.optimizer.ok for c in judged)),
    }
    return {p: round(a.points[p] * earned[p], 4) for p in a.points}


def status(checked: list) -> str:
    for s in ("timeout", "crashed", "refused", "wrong"):
        if any(c.status == s for c in checked):
            return s
    return "right"


def row(sub, a: Assignment, checked: list, fix, wall_s: float, code_hash: str = "") -> dict:
    shown = next((c for c in checked if c.status != "right"), checked[0] if checked else None)
    got = points(a, checked)
    out = {"student": sub.student, "file": sub.file, "status": status(checked)}
    out.update({f"points_{p}": v for p, v in got.items()})
    out.update(total=round(sum(got.values()), 4), first_wrong="", mistake="", line="", convention="", fd_grade="-")
    out.update(wall_s=round(wall_s, 3), network=shown.network.name if shown else "", cause=fix(shown.cause) if shown else "")
    out.update(code="", hash=key(sub.digest, a), code_hash=code_hash)
    if shown is None or shown.report is None:
        return out
    d = shown.report.diagnosis
    out.update(convention=shown.convention, fd_grade=worst_fd(shown.report.table))
    if shown.status == "wrong":
        out["first_wrong"] = d.first_wrong or ""
        out["mistake"] = "convention" if shown.cause else d.mistake or ("optimizer" if d.ok else "unknown")
        if d.ok and shown.optimizer is not None and not shown.optimizer.ok:
            out["cause"] = fix(shown.optimizer.message())
        found = LINE.match(fix(shown.report.line or ""))
        if found:
            out.update(line=found["where"], code=bare_code(found["code"]))
    return out
