"""Reading a TOML file the user names (a config, a grid, an assignment): one line for each way it can fail."""

from __future__ import annotations

import tomllib
from pathlib import Path

from compare.errors import UsageError


def read_toml(path: str | Path, name: str, expected: str, error: type[UsageError] = UsageError) -> dict:
    """A TOML file's tables as they are; a missing, unreadable or malformed one is one line `error` naming it as
    `name PATH` (a config, a grid, an assignment) and saying what is `expected`."""
    path = Path(path)
    try:
        text = path.read_text()
    except FileNotFoundError:
        raise error(f"{name} {path}: no such file; expected {expected}") from None
    except (OSError, UnicodeDecodeError) as e:
        raise error(f"{name} {path}: cannot read it ({getattr(e, 'strerror', None) or e})") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise error(f"{name} {path}: not valid TOML ({e})") from None
