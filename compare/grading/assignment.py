"""The assignment file: the check's options under their long names without dashes, the spec's fields as --config
takes them, [[network]] tables for several networks, [conventions] accepted or refused, and [points] per part."""

from __future__ import annotations

import difflib
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from compare.errors import UsageError
from compare.learner import binding, conventions
from compare.learner.child import MEMORY_GB, TIMEOUT
from compare.learner.layouts import CONTAINERS, LAYOUTS, TARGETS
from compare.shared import spec as spec_module
from compare.shared import toml_file
from compare.shared.spec import Spec

OPTIONS = (  # mlp-compare check's long options, as assignment keys
    "function",
    "layout",
    "params",
    "per_sample",
    "targets",
    "loss_function",
    "convention",
    "steps",
    "init_args",
    "weights",
    "optimizer_function",
    "no_trace",
    "timeout",
    "memory",
)
OWN = ("file",)  # which file of a student's folder is the submission (a glob)
PARTS = ("tensors", "convention", "steps", "optimizer")  # [points]: what each part rewards
TABLES = ("network", "conventions", "points")


@dataclass(frozen=True)
class Network:
    """One network every submission is checked on: its spec, and whether the layers and data set were named."""

    name: str
    spec: Spec
    sizes_given: bool
    dataset_given: bool
    lr: float | None  # the check's --lr: given, or None (a script's own step read with the spec's)


@dataclass(frozen=True)
class Assignment:
    path: str
    networks: tuple[Network, ...]
    function: str | None = None
    layout: str | None = None
    params: str | None = None
    per_sample: bool = False
    targets: str | None = None
    loss_function: str | None = None
    convention: str | None = None
    steps: int = 0
    init_args: tuple = ()
    weights: tuple[str, ...] | None = None
    optimizer_function: str | None = None
    no_trace: bool = False
    timeout: float = TIMEOUT
    memory: float = MEMORY_GB
    file: str | None = None
    accept: tuple[str, ...] | None = None  # conventions judged right (None: every one the check names)
    refuse: tuple[str, ...] = ()  # conventions whose right gradients are graded wrong
    points: dict = field(default_factory=dict)  # part -> points
    digest: str = ""  # of everything above: a changed assignment regrades every submission

    @property
    def form_given(self) -> bool:
        return any(v is not None for v in (self.layout, self.params, self.targets)) or self.per_sample

    def accepted(self, name: str) -> bool:
        return name not in self.refuse and (self.accept is None or name in self.accept)


def _fail(path: Path, where: str, message: str) -> None:
    raise UsageError(f"{path}: {where}{message}")


def _unknown(path: Path, key: str, where: str, allowed: tuple[str, ...]) -> None:
    near = difflib.get_close_matches(key, allowed, n=1)
    hint = f" (did you mean {near[0]!r}?)" if near else ""
    _fail(
        path,
        where,
        f"unknown field {key!r}{hint}; expected a check option ({', '.join(OPTIONS + OWN)}), a spec field, or [[network]], [conventions], [points]",
    )


def _convention(path: Path, where: str, name) -> str:
    if not isinstance(name, str):
        _fail(path, where, f"got {name!r}; expected a convention name such as mean or half+outputs")
    try:
        return conventions.parse(name).name
    except UsageError:
        _fail(path, where, f"got {name!r}; expected mean, or {', '.join(conventions.PARTS)} joined by + (e.g. half+outputs)")


def _options(path: Path, raw: dict) -> dict:
    """The check's options, each validated as its flag is (one line naming the field)."""
    out = {}
    kinds = {"per_sample": bool, "no_trace": bool, "steps": int, "timeout": (int, float), "memory": (int, float)}
    for key in OPTIONS + OWN:
        if key not in raw:
            continue
        value = raw[key]
        kind = kinds.get(key, str)
        if key in ("weights", "init_args") and isinstance(value, (list, dict)):
            kind = (list, dict)
        if not isinstance(value, kind) or isinstance(value, bool) and kind is not bool:
            expected = {bool: "true or false", str: "a string", int: "a whole number"}.get(
                kind, "a number" if key in kinds else "a string or a list"
            )
            _fail(path, f"{key}: ", f"got {value!r}; expected {expected}")
        for name, allowed in (("layout", LAYOUTS), ("params", CONTAINERS), ("targets", TARGETS)):
            if key == name and value not in allowed:
                _fail(path, f"{key}: ", f"got {value!r}; expected one of {', '.join(allowed)}")
        if key == "steps" and value < 0 or key in ("timeout", "memory") and value <= 0:
            _fail(path, f"{key}: ", f"got {value!r}; expected {'a whole number >= 0' if key == 'steps' else 'a number > 0'}")
        if key == "convention":
            value = _convention(path, "convention: ", value)
        if key == "weights":
            value = tuple(value) if isinstance(value, list) else tuple(n.strip() for n in value.split(","))
        if key == "init_args":
            try:
                value = tuple((value if isinstance(value, dict) else binding.parse_init_args(value)).items())
            except UsageError:
                _fail(path, "init_args: ", f"got {value!r}; expected 'name=value,...' or a table")
        out[key] = value
    return out


def _network(path: Path, k: int, name: str, fields: dict, lr) -> Network:
    fields = dict(fields)
    sizes_given = "layers" in fields
    if not sizes_given and fields.get("loss") == "ce":
        fields["layers"] = [2, 4, 2]  # provisional, as the check has it: their code's weights say the layers
    if isinstance(fields.get("activation"), list) and len(fields["activation"]) == 1:
        fields["activation"] = fields["activation"][0]
    where = f"[[network]] {k}: " if k else ""
    for key in ("layers", "frameworks"):
        if key in fields and not isinstance(fields[key], list):
            _fail(path, where, f"spec.{key}: got {fields[key]!r}; expected a list")
    try:
        spec = spec_module.from_dict(fields)
    except UsageError as e:
        _fail(path, where, str(e))
    except TypeError as e:
        _fail(path, where, f"a spec field has a value of the wrong kind ({e})")
    return Network(name, spec, sizes_given, "dataset" in fields, lr)


def load(path: str | Path) -> Assignment:
    """Read and validate an assignment file; every problem is one line naming the field (UsageError)."""
    path = Path(path)
    raw = toml_file.read_toml(path, "--assignment", "a TOML file (see 'mlp-compare grade --help')")
    raw = {k.replace("-", "_"): v for k, v in raw.items()}
    allowed = OPTIONS + OWN + spec_module.FIELDS + TABLES
    for key in raw:
        if key not in allowed:
            _unknown(path, key, "", allowed)
    base = {k: v for k, v in raw.items() if k in spec_module.FIELDS}
    tables = raw.get("network", [])
    if not isinstance(tables, list) or not all(isinstance(t, dict) for t in tables):
        _fail(path, "", "network: expected [[network]] tables")
    networks = []
    for k, table in enumerate(tables or [{}], start=1):
        table = {key.replace("-", "_"): v for key, v in table.items()}
        for key in table:
            if key not in spec_module.FIELDS + ("name",):
                _unknown(path, key, f"[[network]] {k}: ", spec_module.FIELDS)
        name = str(table.pop("name", f"network {k}" if tables else "network"))
        fields = {**base, **table}
        networks.append(_network(path, k if tables else 0, name, fields, fields.get("lr")))
    options = _options(path, raw)
    accept, refuse = _conventions(path, raw.get("conventions", {}))
    points = _points(path, raw.get("points", {}), options)
    digest = hashlib.sha256(json.dumps(raw, sort_keys=True, default=str).encode()).hexdigest()[:16]
    return Assignment(str(path), tuple(networks), **options, accept=accept, refuse=refuse, points=points, digest=digest)


def _conventions(path: Path, table) -> tuple[tuple[str, ...] | None, tuple[str, ...]]:
    if not isinstance(table, dict):
        _fail(path, "", "conventions: expected a [conventions] table with accept = [...] and/or refuse = [...]")
    for key in table:
        if key not in ("accept", "refuse"):
            _unknown(path, key, "[conventions] ", ("accept", "refuse"))
    lists = {}
    for key in ("accept", "refuse"):
        value = table.get(key)
        if value is not None and not isinstance(value, list):
            _fail(path, f"[conventions] {key}: ", f'got {value!r}; expected a list such as ["mean", "half"]')
        lists[key] = None if value is None else tuple(_convention(path, f"[conventions] {key}: ", v) for v in value)
    return lists["accept"], lists["refuse"] or ()


def _points(path: Path, table, options: dict) -> dict:
    if not isinstance(table, dict):
        _fail(path, "", "points: expected a [points] table of part = points")
    points = {}
    for key, value in table.items():
        if key not in PARTS:
            _unknown(path, key, "[points] ", PARTS)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
            _fail(path, f"[points] {key}: ", f"got {value!r}; expected a number >= 0")
        points[key] = float(value)
    if points.get("steps") and not options.get("steps"):
        _fail(path, "[points] steps: ", "needs steps = N (> 0): the training steps the points are for")
    if points.get("optimizer") and not options.get("optimizer_function"):
        _fail(path, "[points] optimizer: ", "needs optimizer_function = NAME: the update rule the points are for")
    return points or {"tensors": 1.0}
