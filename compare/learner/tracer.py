"""The line of the learner's code that first goes wrong: what their function assigned (recorder.py) matched against
the reference's intermediates and against the slipped reference's."""

from __future__ import annotations

import linecache
import re

import numpy as np

import scratch
from compare.learner import slips
from compare.learner.diagnose import close
from compare.learner.layouts import Form
from compare.learner.loading import call, folder_of, masks_for
from compare.learner.recorder import names_on, run_traced, where
from scratch.losses import output_fn


def intermediates(model, spec, X: np.ndarray, y: np.ndarray, scale: float, masks=None) -> dict[str, np.ndarray]:
    """Z, H = f(Z), A (after batch norm and dropout) per layer forward; f', dA, dH (through dropout and batch norm),
    dZ, dW, db per layer backward (× the convention's scale), canonical rows, in training mode with the step's masks."""
    logits, cache = model.layers(X, masks, training=True)
    loss, dZ = model.pieces.loss(logits, y)
    L = len(model.params)
    found = {"loss": np.float64(scale * loss), f"Z{L}": logits, f"A{L}": output_fn(spec)(logits)}
    found["A0"], found["y"] = X, y
    for layer, (W, b) in enumerate(model.params, start=1):  # what their code reads: W (as the layout holds it), b
        found[f"W{layer}"], found[f"b{layer}"] = W, b
    for layer, (_, Z, H, mask, bn) in enumerate(cache[:-1], start=1):  # (A_prev, Z, H = f(Z), dropout mask, batch-norm cache)
        found[f"Z{layer}"], found[f"A{layer}"] = Z, cache[layer][0]
        if mask is not None or bn is not None:
            found[f"H{layer}"] = H  # before batch norm and dropout
    if spec.loss == "mse":
        P, Y = found[f"A{L}"], y
        found[f"dA{L}"] = scale * 2 * (P - Y) / Y.size
    grads = model.backward(dZ, cache)
    dZs = {L: dZ}
    for layer in reversed(range(1, L)):  # dZ of each hidden layer, as backward computes it
        _, Z_prev, H_prev, mask, bn = cache[layer - 1]
        dA = model.pieces.through(dZs[layer + 1], model.params, layer)
        dH = dA if mask is None else model.pieces.dropout_back(dA, mask)
        dH = dH if bn is None else model.pieces.batch_norm_back(dH, bn)
        found[f"dA{layer}"] = scale * dA
        if mask is not None or bn is not None:
            found[f"dH{layer}"] = scale * dH
        found[f"fp{layer}"] = model.pieces.activations[layer - 1].derivative(Z_prev, H_prev)
        dZs[layer] = dH * found[f"fp{layer}"]
    for layer, (dW, db) in enumerate(grads, start=1):
        found[f"dW{layer}"], found[f"db{layer}"], found[f"dZ{layer}"] = scale * dW, scale * db, scale * dZs[layer]
    return found


def in_layout(form: Form, found: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The canonical intermediates as the learner's code holds them."""
    out = {}
    for name, value in found.items():
        if name.startswith("dW"):
            out[name] = form.weight(value)
        elif name.startswith("db") or name == "loss" or np.ndim(value) < 2:
            out[name] = value
        else:
            out[name] = form.batch(value)
    return out


def same(a, b, tol: float, broadcast: bool = False) -> bool:
    """Equal to tol (max |a - b| / max |b|), shapes equal once squeezed (or broadcast to b's); a (1, n) against an
    (n, 1) is a transposed vector (dW of a one-unit layer), not the same tensor."""
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape:
        if a.ndim == b.ndim == 2 and a.shape == b.T.shape:
            return False
        if np.squeeze(a).shape == np.squeeze(b).shape:
            a, b = np.squeeze(a), np.squeeze(b)
        elif broadcast and a.size < b.size:
            try:
                a = np.broadcast_to(a, b.shape)
            except ValueError:
                return False
        else:
            return False
    return close(a, b, tol)


def locate(fn, spec, params, X, y, form: Form, diagnosis, tol: float, masks=None) -> str:
    """The first line whose value departs from the reference while what it read was right, in words (or why
    tracing could not tell: it never stops the check)."""
    try:
        return _locate(fn, spec, params, X, y, form, diagnosis, tol, masks)
    except Exception as e:  # their code or ours: the tensor-level diagnosis stands either way
        return f"Tracing could not tell the line ({type(e).__name__}: {e}); the tensor-level diagnosis above stands."


def _locate(fn, spec, params, X, y, form: Form, diagnosis, tol: float, masks=None) -> str:
    if form.per_sample:
        X, y = X[:1], y[:1]
        masks = None if masks is None else [m[:1] for m in masks]
    linecache.checkcache()  # their file may have changed since this process last read it (a notebook, a watch loop)
    outputs = 1 if spec.loss_kind.labels else spec.layers[-1]
    scale = diagnosis.convention.per_sample().factor(len(X), outputs) if form.per_sample and diagnosis.convention else diagnosis.scale
    right = in_layout(form, intermediates(scratch.make(spec, params), spec, X, y, scale, masks))
    slipped = {}
    if diagnosis.plan:
        slipped = in_layout(
            form, intermediates(scratch.make(spec, params, pieces=slips.pieces(spec, diagnosis.plan)), spec, X, y, scale, masks)
        )
    elif diagnosis.factor is not None:
        slipped = {k: diagnosis.factor * v for k, v in right.items() if k.startswith("d")}
    elif diagnosis.mistake == "transposed":
        slipped = {k: v.T for k, v in right.items() if k.startswith("dW")}
    elif diagnosis.mistake == "bias_sum":
        slipped = {f"db{k[2:]}": v for k, v in right.items() if k.startswith("dZ")}
    elif diagnosis.first_wrong == "loss" or diagnosis.mistake == "loss_differs":
        got = fn_loss(fn, params, X, y, form, spec, masks)
        slipped = {"loss": np.float64(got)} if got is not None else {}
    departed = {k: v for k, v in slipped.items() if k in right and not same(v, right[k], tol)}
    classes = spec.layers[-1]
    Xs, ys = form.samples(X, y, classes)[0]
    records = run_traced(fn, (form.params_in(params), Xs, ys), folder_of(fn), masks_for(fn, form, masks, 0))
    first = (
        _first_departing(records, right, departed, diagnosis, tol)
        or _first_forward(records, right, tol)
        or _first_backward(records, right, tol)
    )
    if first is None:
        return (
            f"Tracing could not tell the line: {diagnosis.first_wrong}'s wrong value never appears in a variable of your code "
            f"(it may be computed inside a return or in place); the tensor-level diagnosis above stands."
        )
    record, name = first
    source = linecache.getline(record.file, record.line).strip()
    what = f"{record.key} departs here"
    if name in right:
        shape, expected = np.shape(record.value), np.shape(right[name])
        transposed = len(shape) == 2 and shape != expected and shape == expected[::-1]
        what += f" ({name} transposed: {shape} where {expected})" if transposed else f" ({name}: rel {_rel(record.value, right[name]):.2g})"
    inputs = _inputs(records, record, source, right, tol)
    return f"{where(record.file, record.line)}  {source}  ← {what}{inputs}"


def _rel(a, b) -> float:
    a, b = np.asarray(a, float), np.asarray(b, float)
    if np.squeeze(a).shape == np.squeeze(b).shape:
        a, b = np.squeeze(a), np.squeeze(b)
    elif a.shape == b.T.shape:
        b = b.T  # transposed: how far apart the numbers are, entry by entry
    else:
        try:
            a = np.broadcast_to(a, b.shape)
        except ValueError:
            return float("nan")
    return float(np.max(np.abs(a - b), initial=0.0)) / max(float(np.max(np.abs(b), initial=0.0)), 1e-300)


def fn_loss(fn, params, X, y, form, spec, masks=None):
    """The learner's own loss at params (None when their function returns none or raises there)."""
    try:
        return call(fn, params, X, y, form, spec.layers[-1], masks).loss
    except Exception:
        return None


def _matches(value, found: dict, tol: float, broadcast: bool = False) -> list[str]:
    if isinstance(value, tuple):
        return []
    return [k for k, v in found.items() if same(value, v, tol, broadcast)]


KINDS = [  # what a learner's variable name says it holds: (tensor kind, the names that say so)
    ("db", ("nabla_b", "dbias", "db", "grad_b", "bias")),
    ("dW", ("nabla_w", "dweight", "dw", "grad_w", "weight")),
    ("dZ", ("delta", "dz", "dscores", "dlogits")),
    ("dA", ("da",)),
    ("dH", ("dh",)),  # through dropout or batch norm
    ("fp", ("sp", "prime", "deriv")),
]


def kind(key: str) -> str | None:
    """dW, db, dZ, dA, dH or fp from a variable's name (grads['db1'], self.dbiases, nabla_w[0], delta), None if it does not say."""
    name = key.lower()
    if "[" in name and ("'" in name or '"' in name):
        name = name.partition("[")[2].strip("]'\"")  # a dict key names the tensor
    name = name.split(".")[-1].split("[")[0]
    if re.fullmatch(r"d?[wb]\d*", name):  # a params-style key: W1, b2, dW1
        return "dW" if name.lstrip("d").startswith("w") else "db"
    for tensor, words in KINDS:
        if any(name.startswith(w) or name == w for w in words):
            return tensor
    return None


def _tensor_kind(name: str) -> str:
    return name.rstrip("0123456789")


def _first_departing(records, right, departed, diagnosis, tol):
    """The first record that takes a departed value: one that matches only the slipped reference, or matches both
    and whose name says it holds the departed tensor (dZ = dA: the same numbers, now standing for dZ1)."""
    for n, r in enumerate(records):
        if isinstance(r.value, tuple):
            if diagnosis.mistake == "swapped":
                a, b = r.value
                if any(same(a, right[k], tol) for k in right if k.startswith("db")) and any(
                    same(b, right[k], tol) for k in right if k.startswith("dW")
                ):
                    return r, "swapped"
            continue
        ok, bad = _matches(r.value, right, tol), _matches(r.value, departed, tol, broadcast=True)
        said = kind(r.key)
        if diagnosis.mistake == "swapped" and said in ("dW", "db") and any(_tensor_kind(o) == ("db" if said == "dW" else "dW") for o in ok):
            return r, "swapped"
        if not bad:
            continue
        if ok:
            named = [b for b in bad if _tensor_kind(b) == said]
            if not named or any(_tensor_kind(o) == said for o in ok):
                continue
            bad = named
        return _caller(records, n, right, tol), bad[0]
    return None


FORWARD_NAMES = ("z", "a", "out", "act", "h", "hidden", "scores", "logits")  # how learners name Z and A


def _base(record) -> str:
    return record.key.split(".")[-1].split("[")[0].lower()


def _forward_kind(record) -> str | None:
    """Z or A from a forward name (z1, scores, A, out, hidden, ...), None for any other name."""
    base = _base(record)
    if not base.startswith(FORWARD_NAMES):
        return None
    return "Z" if base.startswith(("z", "scores", "logits")) else "A"  # a pre-activation, or an activation


def _first_forward(records, right, tol):
    """No slip to look for (a forward-pass mistake): the first new value a forward name holds (Z1, A, out, ...), of
    the shape of one of the reference's Z or A, that matches none of the reference's tensors while it read right ones."""
    return _first_new(records, right, tol, {k: v for k, v in right.items() if k[0] in "ZA"}, _forward_kind)


def _first_backward(records, right, tol):
    """No slip fits (a mistake no catalogue names): the first value a backward name holds (dZ, delta, dW, ...), of the
    shape of one of the reference's backward tensors, that matches none of the reference's tensors while every value
    it read was right."""
    return _first_new(records, right, tol, {k: v for k, v in right.items() if k.startswith(("d", "fp"))}, lambda r: kind(r.key))


def _first_new(records, right, tol, candidates: dict, kind_of):
    """(record, tensor) of the first record whose name says it holds a tensor kind (kind_of(record), None where it
    does not), of one of the candidates' shapes, that matches none of the reference's tensors while every value its
    line read was right; the tensor its name, then its kind, points to."""
    for n, r in enumerate(records):
        said = None if isinstance(r.value, tuple) or r.alias else kind_of(r)
        if said is None:
            continue
        shaped = [k for k, v in candidates.items() if np.squeeze(v).shape == np.squeeze(r.value).shape]
        if not shaped or _matches(r.value, right, tol):
            continue
        source = linecache.getline(r.file, r.line)
        earlier = {e.key: e for e in records[:n] if not isinstance(e.value, tuple)}
        reads = [earlier[k] for k in names_on(source) if k in earlier]
        if reads and all(_matches(e.value, right, tol) for e in reads):
            return r, ([k for k in shaped if k.lower() == _base(r)] or [k for k in shaped if _tensor_kind(k) == said] or shaped)[0]
    return None


def _caller(records, n: int, right, tol):
    """The departing record; or, for an alias, the callee's line that bound the object it returned (dx = dout in a
    helper); or the caller's line that receives its value when the same line gave right values before (a shared
    helper handed the wrong argument: the call is the slip)."""
    r = records[n]
    if r.alias:
        chain = [e for e in records[:n] if e.ident == r.ident]
        if chain and chain[-1].frame > r.frame and chain[-1].alias:  # a callee (made after r's frame) bound it
            return chain[-1]
        return r
    earlier = [e for e in records[:n] if (e.file, e.line) == (r.file, r.line) and _matches(e.value, right, tol)]
    if not earlier:
        return r
    later = [e for e in records[n + 1 :] if (e.file, e.line) != (r.file, r.line) and not isinstance(e.value, tuple)]
    later = [e for e in later if np.shape(e.value) == np.shape(r.value)]
    return next((e for e in later if np.array_equal(e.value, r.value)), r)


def _inputs(records, record, source: str, right: dict, tol: float) -> str:
    """'; dA (line 30) was right' for what the line read, from the last value each of those names held."""
    said = []
    for name in names_on(source):
        earlier = [r for r in records[: records.index(record)] if r.key == name and not isinstance(r.value, tuple)]
        if earlier and (match := _matches(earlier[-1].value, right, tol)):
            said.append(f"{name} (line {earlier[-1].line}) was right" + (f", {match[0]}" if match[0] != name else ""))
    return "; " + "; ".join(said) if said else ""
