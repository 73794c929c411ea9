"""One student's feedback, in markdown and HTML: the check's report for their code on each network (the table, the
verdict with the fix, their line), or why their code could not be judged; nothing of any other student's."""

from __future__ import annotations

import html as html_module

from compare.io import console

WORDS = {
    "right": "Right: your backprop matches the reference on every network.",
    "wrong": "Wrong: see below for the first wrong tensor, the mistake, its fix and your line.",
    "refused": "Not graded: the check could not take your submission as it is.",
    "timeout": "Not graded: your code ran out of time.",
    "crashed": "Not graded: your code stopped with an error or ended its process.",
}


def _table_md(frame) -> str:
    shown = frame.map(lambda v: console.fmt(v.item() if hasattr(v, "item") else v).replace("|", "\\|"))
    return shown.to_markdown(index=False)


def _total(row: dict) -> str:
    parts = [f"{k.removeprefix('points_')} {row[k]:g}" for k in row if k.startswith("points_")]
    return f"Points: {row['total']:g} ({', '.join(parts)})." if parts else ""


def markdown(sub, row: dict, checked: list, fix) -> str:
    lines = [f"# Feedback for {sub.student}", "", f"Submission: `{sub.file}`", "", f"**{WORDS[row['status']]}** {_total(row)}", ""]
    for c in checked:
        lines += [f"## {c.network.name}: {c.network.spec.short()}", ""]
        if c.report is None:
            lines += [f"**{c.status}**: {fix(c.cause)}", ""]
            if c.trace:
                lines += ["Your traceback:", "", "```", fix(c.trace), "```", ""]
            continue
        r = c.report
        lines += [r.title, "", _table_md(r.table), ""]
        if r.curves is not None:
            lines += ["Training with your gradients and plain SGD against the references:", "", _table_md(r.curves), ""]
        lines += [fix(n) for n in r.notes] + ([""] if r.notes else [])
        lines += [f"**{fix(r.verdict())}**", ""]
        if r.line:
            lines += ["```", fix(r.line), "```", ""]
        if c.cause:
            lines += [f"**Not accepted here**: {fix(c.cause)}.", ""]
        if c.optimizer is not None:
            o = c.optimizer
            lines += [f"### Your {o.spec.optimizer}", "", *[fix(h) for h in o.header()], "", _table_md(o.table), ""]
            lines += [f"**{fix(o.verdict())}**", ""]
    return "\n".join(lines)


def html(sub, row: dict, checked: list, fix) -> str:
    esc = html_module.escape
    parts = [
        "<!DOCTYPE html><html><head><meta charset='utf-8'>",
        f"<title>Feedback for {esc(sub.student)}</title>",
        "<style>body{font-family:sans-serif;max-width:70em;margin:2em auto}table{border-collapse:collapse}"
        "td,th{border:1px solid #ccc;padding:2px 6px;text-align:right}pre{background:#f6f6f6;padding:.5em;white-space:pre-wrap}</style>",
        "</head><body>",
        f"<h1>Feedback for {esc(sub.student)}</h1><p>Submission: <code>{esc(sub.file)}</code></p>",
        f"<p><b>{esc(WORDS[row['status']])}</b> {esc(_total(row))}</p>",
    ]
    for c in checked:
        parts.append(f"<h2>{esc(c.network.name)}: {esc(c.network.spec.short())}</h2>")
        if c.report is None:
            parts.append(f"<p><b>{esc(c.status)}</b>: {esc(fix(c.cause))}</p>")
            if c.trace:
                parts.append(f"<p>Your traceback:</p><pre>{esc(fix(c.trace))}</pre>")
            continue
        parts.append(fix(c.report._repr_html_()))
        if c.cause:
            parts.append(f"<p><b>Not accepted here</b>: {esc(fix(c.cause))}.</p>")
        if c.optimizer is not None:
            parts.append(f"<h3>Your {esc(c.optimizer.spec.optimizer)}</h3>" + fix(c.optimizer._repr_html_()))
    parts.append("</body></html>")
    return "\n".join(parts)
