"""The oracle's optimizer steps on one tensor's entries (Fractions), each update rule in torch's and Keras's form,
written from the published formulas (see scratch/optimizers.py for the same rules on arrays)."""

from __future__ import annotations

from fractions import Fraction as F

from compare.exact.oracle import rnd, sqrt


def step(net, i: int, p: list, g: list) -> list:
    """Tensor i's entries after the step; net.t is the step number (from 1), net.state[i] its optimizer's slots."""
    s, keras = net.spec, net.convention == "keras"
    lr, t = F(s.lr), net.t
    state = net.state.setdefault(i, {})
    if s.optimizer == "sgd":
        return [rnd(x - lr * d) for x, d in zip(p, g)]
    if s.optimizer in ("momentum", "nesterov"):
        mu, nesterov = F(s.momentum), s.optimizer == "nesterov"
        if keras:  # v = mu v - lr g; p += v  (Nesterov: p += mu v - lr g)
            v = [rnd(mu * a - lr * d) for a, d in zip(state.get("v", [F(0)] * len(p)), g)]
            state["v"] = v
            return [rnd(x + (mu * a - lr * d if nesterov else a)) for x, a, d in zip(p, v, g)]
        buf = g if "buf" not in state else [rnd(mu * a + d) for a, d in zip(state["buf"], g)]  # buf = g at step 1
        state["buf"] = buf
        return [rnd(x - lr * ((d + mu * a) if nesterov else a)) for x, a, d in zip(p, buf, g)]
    if s.optimizer == "rmsprop":
        rho, eps = F(s.rho), F(s.eps)
        v = [rnd(rho * a + (1 - rho) * d * d) for a, d in zip(state.get("v", [F(0)] * len(p)), g)]
        state["v"] = v
        if keras:
            return [rnd(x - lr * d / sqrt(a + eps)) for x, a, d in zip(p, v, g)]
        return [rnd(x - lr * d / (sqrt(a) + eps)) for x, a, d in zip(p, v, g)]
    b1, b2, eps = F(s.beta1), F(s.beta2), F(s.eps)  # adam
    m = [rnd(b1 * a + (1 - b1) * d) for a, d in zip(state.get("m", [F(0)] * len(p)), g)]
    v = [rnd(b2 * a + (1 - b2) * d * d) for a, d in zip(state.get("v", [F(0)] * len(p)), g)]
    state["m"], state["v"] = m, v
    bc1, bc2 = 1 - b1**t, 1 - b2**t
    if keras:  # alpha = lr sqrt(bc2) / bc1; p -= alpha m / (sqrt(v) + eps)
        alpha = rnd(lr * sqrt(bc2) / bc1)
        return [rnd(x - alpha * a / (sqrt(c) + eps)) for x, a, c in zip(p, m, v)]
    root = sqrt(bc2)
    return [rnd(x - lr / bc1 * a / (sqrt(c) / root + eps)) for x, a, c in zip(p, m, v)]
