"""The optimizer and layer rows of the defaults table: each measures, live, what it states."""

from __future__ import annotations

import numpy as np

from compare.defaults.probe import (
    Probe,
    both,
    data,
    effect,
    fmt,
    hp,
    init,
    keras_lr,
    max_diff,
    probe_spec,
    train_keras,
    train_numpy,
    train_torch,
)
from compare.shared import native


def weight_layout(p: Probe) -> dict:
    import keras
    import torch

    from torch_impl import torch_layout

    i, o = p.layers[0], p.layers[1]
    t_shape = tuple(torch.nn.Linear(i, o).weight.shape)
    d = keras.layers.Dense(o, dtype=p.dtype)
    d.build((None, i))
    k_shape = tuple(d.kernel.shape)
    X, _ = data(p)
    W, b = init(p)[0]
    d.kernel.assign(W)
    d.bias.assign(b)
    ref = d(X).numpy()
    lin = torch.nn.Linear(i, o, dtype=getattr(torch, p.dtype))
    out = {}
    for how, weight in (("aligned", torch_layout(W)), ("default", W.reshape(o, i))):  # transposed, or copied in memory order
        with torch.no_grad():
            lin.weight.copy_(torch.from_numpy(np.ascontiguousarray(weight)))
            lin.bias.copy_(torch.from_numpy(b))
            out[how] = float(np.max(np.abs(lin(torch.from_numpy(X)).detach().numpy() - ref)))
    return {
        "what": "weight layout",
        "torch": f"nn.Linear({i}, {o}).weight is {t_shape} = (out, in); y = x Wᵀ + b",
        "keras": f"Dense({o}) on {i} inputs: kernel {k_shape} = (in, out); y = x K + b",
        "numpy": "W (in, out), the canonical layout; torch_impl transposes on load and export",
        "align": "torch: weight.copy_(W.T); Keras: kernel.assign(W)",
        "effect": f"first-layer output, W reshaped instead of transposed {fmt(out['default'])} · transposed {fmt(out['aligned'])}",
        **out,
    }


def default_init(p: Probe) -> dict:
    import keras
    import torch

    torch.manual_seed(p.seed)
    lin = torch.nn.Linear(784, 128)
    keras.utils.set_random_seed(p.seed)
    d = keras.layers.Dense(128)
    d.build((None, 784))
    tw, tb = float(lin.weight.detach().abs().max()), float(lin.bias.detach().abs().max())
    kw, kb = float(np.abs(d.kernel.numpy()).max()), float(np.abs(d.bias.numpy()).max())
    spec = probe_spec(p)
    default = both(
        p,
        lambda ps: torch.optim.SGD(ps, lr=p.lr),
        lambda: keras.optimizers.SGD(keras_lr(p, p.lr)),
        torch_params=native.init("torch", spec),
        keras_params=native.init("tensorflow", spec),
    )
    aligned = both(p, lambda ps: torch.optim.SGD(ps, lr=p.lr), lambda: keras.optimizers.SGD(keras_lr(p, p.lr)))
    return {
        "what": "default initialisation",
        "torch": f"kaiming_uniform(a=√5): 784→128 max|W| {tw:.4f} (1/√784 = {1 / 28:.4f}); bias U(±1/√fan_in), max|b| {tb:.4f}",
        "keras": f"glorot_uniform: 784→128 max|K| {kw:.4f} (√(6/912) = {np.sqrt(6 / 912):.4f}); bias zeros, max|b| {kb:g}",
        "numpy": "no default: the spec names the scheme (compare/shared/weights.py), drawn once by NumPy",
        "align": "draw once, copy the same arrays into every framework",
        "effect": effect(default, aligned, "each framework's own init vs copied weights, SGD"),
        "default": default,
        "aligned": aligned,
    }


def default_lr(p: Probe) -> dict:
    import keras
    import torch

    t = {o: native.hyper("torch", o)["lr"] for o in ("sgd", "adam", "rmsprop")}
    k = {o: native.hyper("tensorflow", o)["lr"] for o in ("sgd", "adam", "rmsprop")}
    default = both(p, lambda ps: torch.optim.SGD(ps), lambda: keras.optimizers.SGD())
    aligned = both(p, lambda ps: torch.optim.SGD(ps, lr=p.lr), lambda: keras.optimizers.SGD(keras_lr(p, p.lr)))

    def show(d):
        return ", ".join(f"{o} {v:g}" for o, v in d.items())

    return {
        "what": "default learning rates",
        "torch": show(t),
        "keras": show(k),
        "numpy": "none: the spec's lr is required and passed to all three",
        "align": "always pass lr",
        "effect": effect(default, aligned, "SGD()"),
        "default": default,
        "aligned": aligned,
    }


def _momentum(p: Probe, nesterov: bool) -> dict:
    import keras
    import torch

    X, y = data(p)
    params = init(p)
    opt = "nesterov" if nesterov else "momentum"
    ours = max_diff(
        train_numpy(p, params, opt, "torch", X, y, lr=p.lr, momentum=0.9), train_numpy(p, params, opt, "keras", X, y, lr=p.lr, momentum=0.9)
    )

    def t(ps):
        return torch.optim.SGD(ps, lr=p.lr, momentum=0.9, nesterov=nesterov)

    default = both(p, t, lambda: keras.optimizers.SGD(p.lr, momentum=0.9, nesterov=nesterov), params, X, y)
    aligned = both(p, t, lambda: keras.optimizers.SGD(keras_lr(p, p.lr), momentum=hp(p, 0.9), nesterov=nesterov), params, X, y)
    ours_t = max_diff(train_numpy(p, params, opt, "torch", X, y, lr=p.lr, momentum=0.9), train_torch(p, params, t, X=X, y=y))
    if nesterov:
        forms = ("p -= lr (g + μ buf)", "p += μ v - lr g")
    else:
        forms = ("buf = μ buf + g (buf = g at step 1); p -= lr buf", "v = μ v - lr g; p += v")
    return {
        "what": "Nesterov" if nesterov else "momentum formula",
        "torch": forms[0] + "; default momentum 0",
        "keras": forms[1] + "; default momentum 0",
        "numpy": f"both forms (numpy / numpy-keras): equal for a constant lr, {fmt(ours)} apart; numpy vs torch {fmt(ours_t)}",
        "align": "any form; Keras: momentum=np.float64(0.9) and a float64 lr in float64 runs",
        "effect": effect(default, aligned, "momentum 0.9 as a Python float vs np.float64"),
        "default": default,
        "aligned": aligned,
    }


def momentum(p: Probe) -> dict:
    return _momentum(p, False)


def nesterov(p: Probe) -> dict:
    return _momentum(p, True)


def adam(p: Probe) -> dict:
    import keras
    import torch

    X, y = data(p)
    params = init(p)
    te, ke = native.hyper("torch", "adam")["eps"], native.hyper("tensorflow", "adam")["eps"]

    def k(eps):
        return lambda: keras.optimizers.Adam(keras_lr(p, p.lr), beta_1=hp(p, 0.9), beta_2=hp(p, 0.999), epsilon=hp(p, eps))

    default = both(p, lambda ps: torch.optim.Adam(ps, lr=p.lr), lambda: keras.optimizers.Adam(p.lr), params, X, y)
    same_eps = both(p, lambda ps: torch.optim.Adam(ps, lr=p.lr, eps=1e-8), k(1e-8), params, X, y)
    aligned = both(p, lambda ps: torch.optim.Adam(ps, lr=p.lr, eps=0.0), k(0.0), params, X, y)
    nk = train_numpy(p, params, "adam", "keras", X, y, lr=p.lr, eps=1e-8, beta2=0.999)
    ours = max_diff(nk, train_keras(p, params, k(1e-8), X=X, y=y))
    return {
        "what": "Adam: eps value and placement",
        "torch": f"p -= (lr/bc1) m / (√v/√bc2 + eps), the paper's Algorithm 1; eps {te:g}",
        "keras": f"α = lr √bc2/bc1; p -= α m / (√v + eps), the paper's 'efficient' form; eps {ke:g}; β in βᵗ rounded to float32",
        "numpy": f"both forms: numpy (torch's) and numpy-keras (Keras's), which matches Keras to {fmt(ours)} at eps 1e-8",
        "align": "no eps > 0 makes them equal: compare torch with numpy and Keras with numpy-keras; or eps = 0",
        "effect": effect(default, aligned, f"equal eps 1e-8 {fmt(same_eps)}; aligned = eps 0"),
        "default": default,
        "aligned": aligned,
        "same_eps": same_eps,
    }


def _rmsprop(p: Probe, centered: bool) -> dict:
    import keras
    import torch

    X, y = data(p)
    params = init(p)
    th, kh = native.hyper("torch", "rmsprop"), native.hyper("tensorflow", "rmsprop")

    def k(eps):
        return lambda: keras.optimizers.RMSprop(keras_lr(p, p.lr), rho=hp(p, 0.9), epsilon=hp(p, eps), centered=centered)

    def t(eps):
        return lambda ps: torch.optim.RMSprop(ps, lr=p.lr, alpha=0.9, eps=eps, centered=centered)

    default = both(
        p, lambda ps: torch.optim.RMSprop(ps, centered=centered), lambda: keras.optimizers.RMSprop(centered=centered), params, X, y
    )
    same_eps = both(p, t(1e-8), k(1e-8), params, X, y)
    aligned = both(p, t(0.0), k(0.0), params, X, y)
    if centered:
        return {
            "what": "RMSprop centered",
            "torch": "p -= lr g / (√(v - ḡ²) + eps)",
            "keras": "p -= lr g / √(v - ḡ² + eps)",
            "numpy": "not implemented (the spec has no centered flag)",
            "align": "eps = 0",
            "effect": effect(default, aligned, f"equal lr, rho, eps 1e-8 {fmt(same_eps)}"),
            "default": default,
            "aligned": aligned,
            "same_eps": same_eps,
        }
    nk = train_numpy(p, params, "rmsprop", "keras", X, y, lr=p.lr, rho=0.9, eps=1e-8)
    ours = max_diff(nk, train_keras(p, params, k(1e-8), X=X, y=y))
    return {
        "what": "RMSprop: decay, eps value and placement",
        "torch": f"p -= lr g / (√v + eps); alpha {th['rho']:g}, eps {th['eps']:g}, lr {th['lr']:g}",
        "keras": f"p -= lr g / √(v + eps); rho {kh['rho']:g}, eps {kh['eps']:g}, lr {kh['lr']:g}",
        "numpy": f"both forms; numpy-keras matches Keras to {fmt(ours)} at eps 1e-8",
        "align": "pass lr and alpha = rho; exact only with eps = 0",
        "effect": effect(default, aligned, f"equal lr, rho, eps 1e-8 {fmt(same_eps)}; aligned = eps 0"),
        "default": default,
        "aligned": aligned,
        "same_eps": same_eps,
    }


def rmsprop(p: Probe) -> dict:
    return _rmsprop(p, False)


def rmsprop_centered(p: Probe) -> dict:
    return _rmsprop(p, True)


def weight_decay(p: Probe) -> dict:
    import keras
    import torch

    wd = 0.01
    tw, kw = native.signature_defaults(torch.optim.AdamW)["weight_decay"], native.signature_defaults(keras.optimizers.AdamW)["weight_decay"]

    def k(cls):
        return lambda: cls(keras_lr(p, p.lr), beta_1=hp(p, 0.9), beta_2=hp(p, 0.999), epsilon=hp(p, 0.0), weight_decay=hp(p, wd))

    default = both(p, lambda ps: torch.optim.Adam(ps, lr=p.lr, eps=0.0, weight_decay=wd), k(keras.optimizers.Adam))
    aligned = both(p, lambda ps: torch.optim.AdamW(ps, lr=p.lr, eps=0.0, weight_decay=wd), k(keras.optimizers.AdamW))
    return {
        "what": "weight decay: L2 vs decoupled",
        "torch": f"Adam(weight_decay) adds wd·p to the gradient (L2); AdamW decouples it, default {tw:g}",
        "keras": f"every optimizer's weight_decay is decoupled (p -= lr·wd·p); AdamW default {kw:g}; a Python-float wd is rounded to float32",
        "numpy": "spec.weight_decay: AdamW in both conventions (kernels only unless decay_biases); spec.l2 for the L2 form",
        "align": "torch AdamW ↔ Keras AdamW (np.float64 wd)",
        "effect": effect(default, aligned, f"wd {wd:g}, eps 0: Adam(L2) vs Keras Adam; aligned = both AdamW"),
        "default": default,
        "aligned": aligned,
    }
