"""Python source laid out as ruff format lays it out (88 columns): calls and lists on one line, hugged, or one item a line."""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field

WIDTH = 88  # ruff's and black's default line length: a reader's formatter leaves the scripts as they are


@dataclass(frozen=True)
class Arg:
    """One argument or item with the comment that follows it on its own line (which keeps the call one item a line)."""

    value: str | Call | Seq
    comment: str = ""


@dataclass(frozen=True)
class Call:
    """head(args...); explode: one argument a line even where they would fit on one."""

    head: str
    args: list = field(default_factory=list)
    explode: bool = False
    open: str = "("
    close: str = ")"


def Seq(items: list, explode: bool = False) -> Call:  # noqa: N802  (reads as a node, like Call)
    """A list literal [items...]."""
    return Call("", items, explode, "[", "]")


def flat(node) -> str:
    """The node on one line."""
    if isinstance(node, Arg):
        return flat(node.value)
    if isinstance(node, str):
        return node
    return f"{node.head}{node.open}{', '.join(flat(a) for a in node.args)}{node.close}"


def flat_value(a):
    return a.value if isinstance(a, Arg) else a


def _commented(node) -> bool:
    return any(isinstance(a, Arg) and a.comment for a in node.args)


def render(node, indent: int = 0, prefix: str = "", suffix: str = "") -> list[str]:
    """Lines of `prefix + node + suffix` at `indent` spaces, split as ruff format splits them."""
    pad = " " * indent
    if isinstance(node, Arg):
        node = node.value
    one = f"{pad}{prefix}{flat(node)}{suffix}"
    if isinstance(node, str) or (not node.explode and not _commented(node) and len(one) <= WIDTH):
        return [one]
    head = f"{pad}{prefix}{node.head}{node.open}"
    tail = f"{pad}{node.close}{suffix}"
    inner = ", ".join(flat(a) for a in node.args)
    if not node.explode and not _commented(node) and len(pad) + 4 + len(inner) <= WIDTH:
        return [head, f"{pad}    {inner}", tail]  # hugged: every argument on one indented line
    if len(node.args) == 1 and not _commented(node) and not node.explode and not isinstance(flat_value(node.args[0]), str):
        return [head, *render(node.args[0], indent + 4), tail]  # a sole bracketed argument splits on its own
    lines = [head]
    for a in node.args:
        comment = a.comment if isinstance(a, Arg) else ""
        lines += with_comment(render(a, indent + 4, suffix=","), comment)
    return [*lines, tail]


def with_comment(lines: list[str], comment: str) -> list[str]:
    """The comment after a one-line statement, or on its own lines above a longer one (or one it would push past
    the width)."""
    if not comment:
        return lines
    if len(lines) == 1 and len(lines[0]) + 4 + len(comment) <= WIDTH:
        return [f"{lines[0]}  # {comment}"]
    pad = lines[0][: len(lines[0]) - len(lines[0].lstrip())]
    return [*comment_lines(comment, len(pad)), *lines]


def statement(text: str | Call, comment: str = "", indent: int = 0, prefix: str = "", suffix: str = "") -> list[str]:
    """One statement (a line of code, or `prefix` + a call + `suffix`), with its comment."""
    return with_comment(render(text, indent, prefix, suffix), comment)


def comment_lines(text: str, indent: int = 0) -> list[str]:
    """A comment wrapped to the width, one or more `# ...` lines."""
    pad = " " * indent
    return [f"{pad}# {line}" for line in textwrap.wrap(text, WIDTH - indent - 2, break_on_hyphens=False)]


def docstring(text: str, indent: int = 0) -> list[str]:
    """A module or function docstring: paragraphs wrapped to the width; one line when it fits."""
    pad = " " * indent
    paragraphs = [p for p in text.strip().split("\n\n")]
    if len(paragraphs) == 1 and len(pad) + 6 + len(paragraphs[0]) <= WIDTH and "\n" not in paragraphs[0]:
        return [f'{pad}"""{paragraphs[0]}"""']
    out = []
    for i, p in enumerate(paragraphs):
        if p.startswith("- "):  # a list: each item wrapped under itself
            for item in p.split("\n"):
                out += [f"{pad}{line}" for line in textwrap.wrap(item, WIDTH - len(pad), subsequent_indent="  ", break_on_hyphens=False)]
        elif p.startswith("    ") or "\n" in p:  # preformatted: kept as written
            out += [f"{pad}{line}" if line else "" for line in p.split("\n")]
        else:
            first = WIDTH - len(pad) - (3 if i == 0 else 0)
            wrapped = textwrap.wrap(p, first, break_on_hyphens=False)
            rest = textwrap.wrap(" ".join(wrapped[1:]), WIDTH - len(pad), break_on_hyphens=False) if len(wrapped) > 1 else []
            out += [f"{pad}{line}" for line in [wrapped[0], *rest]]
        out.append("")
    out[0] = f'{pad}"""{out[0].lstrip()}'
    return [*out[:-1], f'{pad}"""']


def number(x: float) -> str:
    """A float literal that reads back to the same float (repr), as written in the spec."""
    return repr(float(x))
