"""A sweep's grid file: the base spec, a [grid] of lists expanded as a cartesian product, [[include]] and
[[exclude]]; every combination named and validated before anything runs."""

from __future__ import annotations

import hashlib
import itertools
import re
from dataclasses import dataclass
from pathlib import Path

from compare.errors import SpecError
from compare.shared import spec as spec_module
from compare.shared import toml_file
from compare.shared.spec import FIELDS, Spec

TABLES = ("grid", "include", "exclude")
MAX_NAME = 120  # characters of a combination's folder name before it is shortened with a hash


@dataclass(frozen=True)
class Combination:
    """One run of a sweep: its folder name, the values it sets over the base, and the validated spec."""

    name: str
    values: dict  # field -> value, as the grid file gives them
    spec: Spec


def read(path: str | Path) -> dict:
    """The grid file's TOML, keys with - or _ alike; an unreadable file is a one-line error."""
    return toml_file.read_toml(path, "grid", "a TOML file with spec fields and a [grid] table of lists")


def _keys(table: dict, where: str) -> dict:
    """A table's keys as spec field names; an unknown one is refused by name."""
    out = {}
    for key, value in table.items():
        field = key.replace("-", "_")
        if field not in FIELDS:
            raise SpecError(f"{where}.{key}: unknown field; expected one of " + ", ".join(FIELDS))
        out[field] = value
    return out


def _tables(data: dict, key: str) -> list[dict]:
    value = data.get(key, [])
    if not isinstance(value, list) or not all(isinstance(t, dict) for t in value):
        raise SpecError(f"[[{key}]]: got {value!r}; expected tables written [[{key}]] with field = value lines")
    return [_keys(t, f"[[{key}]]") for t in value]


def _plain(value):
    """A value as it compares: tuples as lists, so a pattern matches a spec field whatever its container."""
    return [_plain(v) for v in value] if isinstance(value, (list, tuple)) else value


def text(value) -> str:
    """A value in a folder name or a table cell: sizes as 2x8x1, names as numpy+torch, numbers as Python writes them."""
    if isinstance(value, (list, tuple)):
        return ("x" if all(isinstance(v, int) for v in value) else "+").join(text(v) for v in value)
    return str(value)


def name_of(values: dict) -> str:
    """A combination's folder name from the values it sets, e.g. activation-tanh_lr-0.1_seed-0."""
    name = "_".join(f"{field}-{text(value)}" for field, value in values.items()) or "base"
    return re.sub(r"[^A-Za-z0-9.+=-]", "_", name.replace("/", "_"))


def _combination(base: dict, values: dict, label: str) -> Combination:
    fields = {**base, **values}
    if isinstance(fields.get("activation"), list) and len(fields["activation"]) == 1:
        fields["activation"] = fields["activation"][0]
    try:
        spec = spec_module.from_dict(fields)
    except (SpecError, TypeError) as e:
        shown = ", ".join(f"{k}={text(v)}" for k, v in values.items()) or "the base alone"
        raise SpecError(f"{str(e).rstrip('.')} (in {label} {shown})") from None
    return Combination(name_of(values), values, spec)


def _excluded(spec: Spec, patterns: list[dict]) -> bool:
    fields = spec.to_dict()
    return any(all(_plain(fields[k]) == _plain(v) for k, v in p.items()) for p in patterns)


def expand(data: dict) -> list[Combination]:
    """Every combination of a parsed grid file, validated: the base fields, the cartesian product of [grid]
    less each [[exclude]] pattern, then each [[include]] (base + its fields); a repeated spec runs once."""
    base = _keys({k: v for k, v in data.items() if k not in TABLES}, "base")
    grid = data.get("grid", {})
    if not isinstance(grid, dict):
        raise SpecError(f"grid: got {grid!r}; expected a [grid] table of field = [values] lines")
    grid = _keys(grid, "[grid]")
    for field, values in grid.items():
        if not isinstance(values, list):
            raise SpecError(f"[grid].{field}: got {values!r}; expected a list of values, e.g. {field} = [{values!r}]")
        if not values:
            raise SpecError(f"[grid].{field}: empty list; expected at least one value")
    excludes, includes = _tables(data, "exclude"), _tables(data, "include")
    combos = []
    if grid:
        for point in itertools.product(*grid.values()):
            combo = _combination(base, dict(zip(grid, point)), "combination")
            if not _excluded(combo.spec, excludes):
                combos.append(combo)
    combos += [_combination(base, values, "[[include]]") for values in includes]
    if not combos:
        raise SpecError("grid: no combination to run; expected a [grid] table of lists or [[include]] tables (not all excluded)")
    return _unique(combos)


def _unique(combos: list[Combination]) -> list[Combination]:
    """Each spec once (an include may repeat a grid point); names made unique where shortened or sanitised alike."""
    seen, names, out = set(), set(), []
    for combo in combos:
        key = spec_key(combo.spec)
        if key in seen:
            continue
        seen.add(key)
        name = combo.name
        if len(name) > MAX_NAME or name in names:
            name = f"{name[: MAX_NAME - 9]}-{hashlib.sha1(key.encode()).hexdigest()[:8]}"
        names.add(name)
        out.append(Combination(name, combo.values, combo.spec))
    return out


def spec_key(spec: Spec) -> str:
    """A spec as a string that two equal specs share."""
    return repr(sorted(spec.to_dict().items()))


def load(grid: str | Path | dict) -> list[Combination]:
    """The combinations of a grid file (or of its contents as a dict), all validated."""
    return expand(grid if isinstance(grid, dict) else read(grid))


def fields_of(combos: list[Combination]) -> list[str]:
    """The fields the grid varies, in the order the file names them: a sweep table's first columns."""
    return list(dict.fromkeys(field for combo in combos for field in combo.values))
