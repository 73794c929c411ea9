"""What a learner's callable is, read before it runs: a training function (its own weights and loop), a gradient
function the check can call (else refused in one line), one taking a network of plain lists or dropout masks; whether
a file defines a function."""

from __future__ import annotations

import ast
import inspect
import textwrap
from pathlib import Path
from typing import TYPE_CHECKING

from compare.errors import LearnerError
from compare.learner import layer_search, roles, slots

if TYPE_CHECKING:
    from compare.learner.side import Setup


ACCEPTED = (
    "the check calls f(params, X, y) (one sample x with --per-sample; f(params, X, y, masks) with dropout) and takes back "
    "(loss, grads) or the gradients alone"
)


def template(fn, module, setup: Setup, layout: str | None):
    """(name, network, binding) where the function takes a network its file keeps as plain Python lists (Grus's
    List[List[Vector]], each neuron's weights with the bias last), or None."""
    for p in roles.parameters(fn):
        value = vars(module).get(p.name) if p.role == "params" and module is not None else None
        found = slots.leaves(value) if isinstance(value, list) else []
        if not found or any(leaf.kind == "array" for leaf in found):
            continue
        chains = layer_search.chains(found, setup.sizes if setup.sizes_given else None, layout=layout, bias=setup.bias)
        if chains:
            return p.name, value, layer_search.bind(found, chains[0], layout=layout, bias=setup.bias)
    return None


def epochs(fn) -> bool:
    """Whether a function takes how long to train (fit(x, y, epochs, learning_rate), model(X, Y, num_iterations)):
    a training function, whatever weights its object already holds."""
    return any(p.role == "epochs" for p in roles.parameters(fn))


def trains(fn, method: bool = False) -> bool:
    """Whether a function takes no weights (it makes its own and trains them: build_model(nn_hdim), fit(X, y)): no
    parameter that holds weights or a tensor, and too few required ones for (params, X, y)."""
    params = roles.parameters(fn)
    if any(p.role in ("params", "tensor") for p in params):
        return False
    required = [p for p in params if p.required]
    if method or not required or any(p.role in ("n_hidden", "sizes", "epochs") for p in required):
        return True
    return len(required) < 3 and any(p.role == "X" for p in required) and _loops_over_updates(fn)


def _loops_over_updates(fn) -> bool:
    """Whether a function's own source has a loop with an update in it (for ...: W -= lr * dW): it trains."""
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(fn)))
    except (OSError, TypeError, SyntaxError):
        return False
    loops = [n for n in ast.walk(tree) if isinstance(n, (ast.For, ast.While))]
    return any(isinstance(m, ast.AugAssign) and isinstance(m.op, (ast.Add, ast.Sub)) for loop in loops for m in ast.walk(loop))


def callable_as_a_gradient(fn, name: str) -> None:
    """Refuse, in one line that says what is accepted, a function the check cannot hand weights, a batch and targets."""
    params = roles.parameters(fn)
    if not params or any(p.role in ("params", "tensor") for p in params):
        return
    required = [p for p in params if p.required and p.role != "masks"]
    unnamed = [p for p in required if p.role is None]
    if len(required) >= 3 or len(unnamed) >= 1 and len(required) >= 3:
        return
    raise LearnerError(f"{name} takes ({', '.join(p.name for p in required)}); {ACCEPTED}")


def defines(path: str, name: str) -> bool:
    """Whether a file defines a top-level function of that name (read, not run)."""
    try:
        tree = ast.parse(Path(path).read_text())
    except (OSError, SyntaxError, ValueError):
        return True  # let loading say what is wrong with it
    return any(
        isinstance(n, (ast.FunctionDef, ast.Assign))
        and (getattr(n, "name", None) == name or any(getattr(t, "id", None) == name for t in getattr(n, "targets", [])))
        for n in tree.body
    )


def takes_masks(fn) -> bool:
    try:
        return "masks" in inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False


def requires_masks(fn) -> bool:
    try:
        parameter = inspect.signature(fn).parameters.get("masks")
    except (TypeError, ValueError):
        return False
    return parameter is not None and parameter.default is parameter.empty
