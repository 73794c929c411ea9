"""What round-off can explain in a network's first gradients: each entry's forward-error bound, derived from the
computation itself (dot products along the layers' shapes, magnitudes such as |A|^T |dZ|, the activations' and the
losses' own errors), for any framework computing the same network in the spec's dtype."""

from __future__ import annotations

import numpy as np

from compare.agree.roundoff import (
    UNIT,
    Err,
    Shared,
    add,
    exact,
    function,
    gamma,
    matmul,
    mul,
    neg,
    scale,
    total,
    transpose,
    widen,
)
from scratch.activations import activation, sigmoid
from scratch.losses import softmax

# An activation's own error, in ulps of its value: torch's and Keras's sigmoid and tanh are within 2.5 and 5.7 ulps
# in float32 (measured: /work/shared/NUMERICS.md row 15), GELU's erf and tanh forms alike; ReLU is exact, leaky ReLU's
# slope z one rounding.
OWN = {"sigmoid": 8, "tanh": 8, "gelu": 8, "gelu_tanh": 8, "relu": 0, "leaky_relu": 1, "identity": 0}
CURVATURE = {"sigmoid": 0.0963, "tanh": 0.770, "gelu": 0.798, "gelu_tanh": 0.80}  # sup |f''|: how far f' moves over z's error
GROWTH = {"sigmoid": 1.0, "tanh": 2.0}  # sup |f''/f'| (f'' = f' (1 - 2 sigma), -2 tanh f'): f' grows at most e^(k |dz|)
SOFTMAX_OWN = 4  # ulps of each probability: an exp, a sum's division, the shift by the row's max
ROOT = 4  # ulps of 1 / sqrt(var + eps): a square root and a division, or a reciprocal square root
FORMULAS = 4  # batch norm's backward: torch's and Keras's own formulas round more often than the compact one, as large
# A gradient may be rounded once more in a framework (accumulated into its .grad buffer, a penalty's gradient added in
# another order), and one ulp is round-off by any reading: each entry's bound gets STORE u |g| on top, up to an ulp.
STORE = 2
CARRIED = 4_000_000  # the most numbers an array of carried errors may hold (32 MB, one to two seconds); past it, entry-by-entry bounds only


def _up(x: np.ndarray) -> np.ndarray:
    """A bound worked out in float64, raised past the few roundings of its own computation (1e-14: 45 ulps)."""
    return x * (1 + 1e-14)


def slope_change(name: str, z: np.ndarray, e: np.ndarray) -> np.ndarray:
    """How far f' can move over an input error e: sup |f''| e; for GELU e sup |f''| over [z - e, z + e] alone; for
    sigmoid and tanh at most f'(z) (e^(k e) - 1), which keeps a saturated unit's tiny f' tiny (f'(z) taken as
    sigma(z) sigma(-z) and 1 / cosh(z)^2, to a few ulps of itself; not 1 - a^2, which loses every digit there)."""
    c = CURVATURE[name] * e
    if name == "gelu":  # f'' = phi(t) (2 - t^2): at most phi at the interval's point nearest 0 times the largest |2 - t^2|
        near, far = np.maximum(np.abs(z) - e, 0.0), np.abs(z) + e
        c = np.minimum(c, _up(e * np.exp(-near * near / 2) / np.sqrt(2 * np.pi) * np.maximum(2.0, far * far - 2)))
    if name in GROWTH:
        with np.errstate(over="ignore"):
            slope = sigmoid(z) * sigmoid(-z) if name == "sigmoid" else 1 / np.cosh(z) ** 2
            c = np.minimum(c, _up(slope * np.expm1(GROWTH[name] * e)))
    return c


def act(z: Err, name: str, slope: float, u: float) -> tuple[Err, Err]:
    """(f(z), f'(z)) with their errors. At a ReLU kink the input's error may cross 0: f' is then 0 or 1, either."""
    a = activation(name, slope)
    d = a.in_z(z.v)
    if name in ("relu", "leaky_relu", "identity"):
        kink = (np.abs(z.v) <= z.e) & (name != "identity")
        steep = max(1.0, slope) if name == "leaky_relu" else 1.0
        other = abs(1 - slope) if name == "leaky_relu" else 1.0  # f' on the kink's other side: 1 against 0, or 1 against slope
        h = function(z, a.f, np.where(kink, 0.0, d), OWN[name], u, change=np.where(kink, steep, 0.0))  # no slope taken at a kink
        return h, Err(d, np.where(kink, other, 0.0))
    c = slope_change(name, z.v, z.e)
    h = function(z, a.f, d, OWN[name], u, change=c)
    if name in ("gelu", "gelu_tanh"):  # z (1 + erf) / 2 and z (1 + tanh) / 2: 1 + erf(z) rounds to u, however small it is
        h = widen(h, OWN[name] * u * np.abs(z.v))
        return h, Err(d, c + OWN[name] * u * (np.abs(d) + np.abs(h.v) + 1 + np.abs(z.v)))
    return h, Err(d, c + OWN[name] * u * (np.abs(d) + np.abs(h.v)))


def inverse_root(s: Err, u: float) -> Err:
    """1 / sqrt(s): s's error through the derivative at its low end, |d s^-1/2| <= e / (2 (s - e)^1.5) (infinite where
    s - e <= 0), and the operation's own ROOT ulps. With shared errors: the slope at s, -s^-1.5 / 2, carries them and
    the curvature takes the rest, |g(s + d) - g(s) - g'(s) d| <= 3 d^2 / (8 (s - e)^2.5)."""
    low, v = s.v - s.e, 1 / np.sqrt(s.v)

    def at_low(x, power: float) -> np.ndarray:  # x / (s - e)^power, infinite where s - e <= 0
        return np.divide(x, np.abs(low) ** power, out=np.full(np.shape(low), np.inf), where=low > 0)

    if s.c is None:
        return Err(v, at_low(s.e / 2, 1.5) + ROOT * u * v)
    slope = -0.5 * s.v**-1.5
    return Err(v, np.abs(slope) * s.r + at_low(3 * s.e**2 / 8, 2.5) + ROOT * u * v, slope * s.c)


def norm(h: Err, eps: float, u: float) -> tuple[Err, tuple]:
    """Batch norm on the batch's statistics: Y = (H - mean) / sqrt(var + eps), var the biased variance."""
    n = h.v.shape[0]
    mean = scale(total(h, 0, u), 1 / n, u)
    xc = add(h, neg(mean), u)
    var = scale(total(mul(xc, xc, u), 0, u), 1 / n, u)
    inv = inverse_root(add(var, Err(np.float64(eps), u * eps), u), u)  # eps rounded to the dtype
    y = mul(xc, inv, u)
    return y, (y, inv)


def norm_back(dy: Err, cache, u: float) -> Err:
    """dH = inv / N (N dY - sum dY - Y sum(dY Y)), each rounding taken FORMULAS times as large."""
    y, inv = cache
    n, w = dy.v.shape[0], FORMULAS * u
    sums = add(neg(total(dy, 0, w)), neg(mul(y, total(mul(dy, y, w), 0, w), w)), w)
    return mul(scale(add(scale(dy, n, w), sums, w), 1 / n, w), inv, w)


def probabilities_of(z: Err, u: float) -> Err:
    """softmax(z) by rows. A shift d of z moves p_i to p_i e^(d_i - (lse(z + d) - lse(z))): the first-order part
    p (d - sum p d) is carried; what it leaves is at most p (e^(2m) - 1 - 2m + m^2 / 2), m the row's largest error (the
    log-sum-exp's second derivative is a variance, at most m^2). Its own error: SOFTMAX_OWN ulps and the sum's."""
    p = softmax(z.v)
    m = z.e.max(axis=1, keepdims=True)
    rest = p * (np.expm1(2 * m) - 2 * m + m * m / 2) + (SOFTMAX_OWN * u + gamma(z.v.shape[1], u)) * p
    c = None if z.c is None else p * (z.c - (p * z.c).sum(axis=-1, keepdims=True))
    return Err(p, p * (z.r + (p * z.r).sum(axis=1, keepdims=True)) + rest, c)


def loss_gradient(spec, z: Err, y: np.ndarray, u: float, probabilities: bool = False) -> Err:
    """dL/dlogits with its error: the mean's divisions, the output activation or softmax, weighted sums' own sum.
    probabilities: the cross-entropy taken on probabilities (torch's BCELoss(sigmoid(z)), Keras's from_logits=False),
    whose 1 - p loses its digits as p nears 1: each entry's relative error grows as u / min(p, 1 - p)."""
    n, o = z.v.shape
    if spec.loss == "mse":
        a, fp = act(z, spec.output, 0.0, u)
        grad = scale(add(a, exact(-y), u), 2 / (n * o), u, ops=3)  # a mean over outputs, then over the batch
        return grad if spec.output == "identity" else mul(grad, fp, u)
    labels = y if spec.loss == "ce" else y[:, 0] == 1  # as scratch weighs them
    w = np.ones(n) if spec.class_weights is None else np.asarray(spec.class_weights)[labels.astype(int)]
    over = np.sum(w) if spec.class_weights is not None and spec.weight_reduction == "sum_weights" else n * (o if spec.loss == "bce" else 1)
    ops = 3 + (n if spec.class_weights is not None and spec.weight_reduction == "sum_weights" else 0)  # the sum of weights: n roundings
    if spec.loss == "bce":
        p = function(z, sigmoid, sigmoid(z.v) * sigmoid(-z.v), OWN["sigmoid"], u, change=slope_change("sigmoid", z.v, z.e))
        target = y
    else:
        p = probabilities_of(z, u)
        target = np.eye(o)[y]
    diff = add(p, exact(-target), u)
    if spec.class_weights is not None:
        diff = mul(diff, exact(w[:, None]), u)
    grad = scale(diff, 1 / over, u, ops=ops)
    if probabilities:
        near = np.maximum(np.minimum(p.v, 1 - p.v), np.finfo(np.float64).tiny)
        grad = widen(grad, OWN["sigmoid"] * u * np.abs(grad.v) / near)
    return grad


def carried_size(spec, n: int) -> int:
    """How many numbers the largest carried array holds: one shared error per entry of each hidden layer's output, times
    the largest tensor that carries them (a batch's layer or a weight matrix)."""
    widths = spec.layers[1:]
    largest = max(max(n * w for w in widths), max(a * b for a, b in zip(spec.layers, widths)))
    return n * sum(widths[:-1]) * largest


def gradient_bounds(spec, params, X: np.ndarray, y: np.ndarray, masks=None, probabilities: bool = False, carried: bool = True):
    """Every gradient tensor on the batch (X, y) at `params`, [(dW, db), ..., (dgamma, dbeta), ...] as Err: its value
    (float64) and the bound on the error of any computation of it in spec.dtype (probabilities: see loss_gradient).
    Each entry's bound is the smaller of two that both hold: errors bounded entry by entry at every step, and (carried,
    where it fits in memory) the errors of each hidden layer's output carried with their signs through
    everything downstream, which keeps a layer from adding up its input's errors as if they all had the same sign."""
    plain = _gradients(spec, params, X, y, masks, probabilities, Shared(on=False))
    if not carried or carried_size(spec, len(X)) > CARRIED:
        return plain
    signed = _gradients(spec, params, X, y, masks, probabilities, Shared())
    least = lambda a, b: None if a is None else Err(a.v, np.minimum(a.e, b.e))  # noqa: E731
    return [(least(a, c), least(b, d)) for (a, b), (c, d) in zip(plain, signed)]


def _gradients(spec, params, X, y, masks, probabilities, shared: Shared) -> list[tuple[Err, Err | None]]:
    u, n = UNIT[spec.dtype], len(spec.layers) - 1
    A, cache = exact(X), []
    for layer in range(n - 1):
        W, b = params[layer]
        Z = matmul(A, exact(W), u, None if b is None else exact(b))
        H, fp = act(Z, spec.activations[layer], spec.leaky_slope, u)
        B, bn = norm(H, spec.bn_eps, u) if spec.batch_norm else (H, None)
        if spec.bn_affine:
            gamma_, beta = params[n + layer]
            B = add(mul(B, exact(gamma_), u), exact(beta), u)
        mask = None if masks is None else exact(masks[layer])
        cache.append((A, fp, bn, mask))
        A = shared.keep(B if mask is None else mul(B, mask, u))
    W, b = params[n - 1]
    dZ = loss_gradient(spec, matmul(A, exact(W), u, None if b is None else exact(b)), y, u, probabilities)
    grads: list = [None] * len(params)
    for layer in reversed(range(n)):
        A_prev = cache[layer][0] if layer < n - 1 else A
        W, b = params[layer]
        dW, db = matmul(transpose(A_prev), dZ, u), total(dZ, 0, u) if b is not None else None
        if spec.l2 > 0:  # lam W added to the gradient (and lam b with decay_biases)
            dW = add(dW, scale(exact(W), spec.l2, u), u)
            db = add(db, scale(exact(b), spec.l2, u), u) if db is not None and spec.decay_biases else db
        grads[layer] = (dW, db)
        if layer == 0:
            break
        _, fp, bn, mask = cache[layer - 1]
        dA = matmul(dZ, transpose(exact(W)), u)
        dA = dA if mask is None else mul(dA, mask, u)
        if spec.bn_affine:
            y_hat, gamma_ = bn[0], exact(params[n + layer - 1][0])
            grads[n + layer - 1] = (total(mul(dA, y_hat, u), 0, u), total(dA, 0, u))
            dA = mul(dA, gamma_, u)
        dH = norm_back(dA, bn, u) if bn is not None else dA
        dZ = mul(dH, fp, u)
    stored = lambda g: None if g is None else Err(g.v, g.e + STORE * u * np.abs(g.v))  # noqa: E731
    return [(stored(a), stored(b)) for a, b in grads]
