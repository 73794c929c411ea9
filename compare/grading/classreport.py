"""The class's picture, for the teacher: how many got each part, the mistakes by kind (mistakes.png), the conventions
used, the lines most often wrong (their code only, no names), the slowest and the failing submissions, and the
submissions with the same code; as class.md and class.html."""

from __future__ import annotations

import html as html_module
from pathlib import Path

import pandas as pd

from compare.grading.assignment import Assignment
from compare.grading.outcome import STATUSES
from compare.io.plots import figure
from compare.learner.mistakes import MISTAKES

CHART = "mistakes.png"
TOP_LINES = 5  # snippets per mistake
SLOWEST = 10
OTHER_WORDS = {
    "unknown": "no known mistake fits (the table in the feedback says where)",
    "convention": "right under a convention the assignment does not accept",
    "optimizer": "the gradients are right, the update rule is not",
}


def what(mistake: str) -> str:
    """A mistake key in words: 'sign+batch' as both."""
    if mistake in OTHER_WORDS:
        return OTHER_WORDS[mistake]
    return "; ".join(MISTAKES[k].what if k in MISTAKES else k for k in mistake.split("+"))


def _number(grades: pd.DataFrame, column: str) -> pd.Series:
    return pd.to_numeric(grades[column], errors="coerce")


def sections(grades: pd.DataFrame, a: Assignment, total: int, interrupted: bool) -> list[tuple[str, str, pd.DataFrame | None]]:
    """(heading, a sentence, table) in the order the report shows them."""
    out = []
    done = len(grades)
    head = f"{done} of {total} submissions graded" + (" (interrupted: run the same command again to grade the rest)" if interrupted else "")
    nets = "; ".join(f"{n.name}: {n.spec.short()}" for n in a.networks)
    statuses = grades["status"].value_counts().reindex(list(STATUSES), fill_value=0)
    out.append(("Statuses", f"{head}, on {nets}.", pd.DataFrame({"status": statuses.index, "submissions": statuses.to_numpy()})))
    parts = []
    for part, most in a.points.items():
        got = _number(grades, f"points_{part}")
        parts.append(
            {"part": part, "points": most, "full marks": int((got >= most).sum()), "mean": round(float(got.mean()), 3) if done else 0.0}
        )
    totals = _number(grades, "total")
    parts.append(
        {
            "part": "total",
            "points": sum(a.points.values()),
            "full marks": int((totals >= sum(a.points.values())).sum()),
            "mean": round(float(totals.mean()), 3) if done else 0.0,
        }
    )
    out.append(("Points per part", "How many earned each part in full, and the mean.", pd.DataFrame(parts)))
    wrong = grades[grades["status"] == "wrong"]
    kinds = wrong["mistake"].replace("", "unknown").value_counts()
    table = pd.DataFrame({"mistake": kinds.index, "what it is": [what(k) for k in kinds.index], "submissions": kinds.to_numpy()})
    out.append(
        (
            "Mistakes by kind",
            f"Among the {len(wrong)} wrong submissions (first network each got wrong). ![mistakes by kind]({CHART})",
            table,
        )
    )
    tensors = wrong["first_wrong"].replace("", "-").value_counts()
    out.append(
        ("First wrong tensor", "Walking back from the output.", pd.DataFrame({"tensor": tensors.index, "submissions": tensors.to_numpy()}))
    )
    judged = grades[grades["status"].isin(["right", "wrong"]) & (grades["convention"] != "")]
    conv = judged["convention"].value_counts()
    accepted = ["yes" if a.accepted(c) else "no" for c in conv.index]
    out.append(
        (
            "Conventions used",
            "The loss convention the check found (mean: the spec's own).",
            pd.DataFrame({"convention": conv.index, "accepted": accepted, "submissions": conv.to_numpy()}),
        )
    )
    lines = wrong[wrong["code"] != ""].groupby(["mistake", "code"]).size().reset_index(name="submissions")
    lines = lines.sort_values(["mistake", "submissions"], ascending=[True, False]).groupby("mistake").head(TOP_LINES)
    out.append(
        (
            "Lines most often wrong",
            "The line each wrong submission was named at, its comment left out, grouped by mistake (no names).",
            lines.reset_index(drop=True),
        )
    )
    wall = _number(grades, "wall_s")
    slow = grades.assign(wall_s=wall).sort_values("wall_s", ascending=False).head(SLOWEST)[["student", "status", "wall_s"]]
    out.append(("Slowest submissions", "Seconds to grade each (every network).", slow.reset_index(drop=True)))
    failing = grades[grades["status"].isin(["refused", "timeout", "crashed"])][["student", "status", "cause"]]
    out.append(("Not graded", "Refused, out of time or crashed, with the cause.", failing.reset_index(drop=True)))
    code = grades[grades["code_hash"] != ""].groupby("code_hash")["student"].apply(list)
    same = [{"students": ", ".join(s), "count": len(s)} for s in code if len(s) > 1]
    out.append(
        (
            "Identical submissions",
            "The same code once comments, docstrings and layout are left out (not a plagiarism verdict).",
            pd.DataFrame(same, columns=["students", "count"]),
        )
    )
    return out


def chart(grades: pd.DataFrame, path: Path) -> None:
    """Bars of the mistakes by kind, most frequent on top."""
    kinds = grades[grades["status"] == "wrong"]["mistake"].replace("", "unknown").value_counts().sort_values()
    fig = figure(figsize=(7, 1.2 + 0.35 * max(len(kinds), 1)), layout="constrained")
    ax = fig.add_subplot()
    if len(kinds):
        from matplotlib.ticker import MaxNLocator

        ax.barh(list(kinds.index), kinds.to_numpy(), color="tab:red")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # counts of submissions
        ax.set_xlabel("submissions")
    else:
        ax.text(0.5, 0.5, "no wrong submissions", ha="center", va="center", transform=ax.transAxes)
        ax.set_axis_off()
    ax.set_title("Mistakes by kind")
    fig.savefig(path, dpi=100)


def markdown(parts: list) -> str:
    lines = ["# The class", ""]
    for heading, sentence, table in parts:
        lines += [f"## {heading}", "", sentence, ""]
        if table is not None:
            shown = table.map(lambda v: v.replace("|", "\\|") if isinstance(v, str) else v)
            lines += [shown.to_markdown(index=False, floatfmt=".3g") if len(table) else "_(none)_", ""]
    return "\n".join(lines)


def html(parts: list) -> str:
    esc = html_module.escape
    body = [
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>The class</title>",
        "<style>body{font-family:sans-serif;max-width:70em;margin:2em auto}table{border-collapse:collapse}"
        "td,th{border:1px solid #ccc;padding:2px 6px}</style></head><body><h1>The class</h1>",
    ]
    for heading, sentence, table in parts:
        text = esc(sentence).replace(esc(f"![mistakes by kind]({CHART})"), f"</p><img src='{CHART}' alt='mistakes by kind'><p>")
        body += [f"<h2>{esc(heading)}</h2>", f"<p>{text}</p>"]
        if table is not None:
            body.append(
                table.to_html(index=False, escape=True, border=0, float_format=lambda x: f"{x:.3g}") if len(table) else "<p>(none)</p>"
            )
    body.append("</body></html>")
    return "\n".join(body)


def write(folder: Path, grades: pd.DataFrame, a: Assignment, total: int, interrupted: bool = False) -> None:
    parts = sections(grades, a, total, interrupted)
    chart(grades, folder / CHART)
    (folder / "class.md").write_text(markdown(parts))
    (folder / "class.html").write_text(html(parts))
