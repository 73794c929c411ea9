"""The switches of optimizer defaults and weight decay: each single default of each optimizer on its own (read from
the installed torch and Keras), momentum's dampening and Nesterov form, L2 through an optimizer's weight_decay (coupled)
against decoupled decay; and the words of each framework's own defaults."""

from __future__ import annotations

from dataclasses import replace

from compare.explain import conventions
from compare.explain.switches import Switch, spec_change
from compare.shared import harness, implementations, native
from compare.shared.spec import Spec

ARGS = {"lr": ("lr", "learning_rate"), "eps": ("eps", "epsilon"), "rho": ("alpha", "rho"), "beta1": ("betas[0]", "beta_1"),
        "beta2": ("betas[1]", "beta_2")}  # fmt: skip
WHO = {"torch": "torch", "tensorflow": "Keras"}


def optimizer_switches(spec: Spec) -> list[Switch]:
    """Each hyperparameter of the spec's optimizer set to torch's or Keras's default on its own (where it differs from
    the spec's: RMSprop's alpha/rho and eps, Adam's eps and betas, every learning rate), momentum's dampening, and the
    other momentum form (Nesterov or not)."""
    out, o = [], spec.optimizer
    values: dict[tuple[str, float], list[str]] = {}
    for framework in ("torch", "tensorflow"):
        if implementations.installed(framework):
            for fieldname, value in native.hyper(framework, o).items():
                if fieldname in ARGS and (fieldname in ("lr", "eps") or o in ("adam", "rmsprop")) and value != getattr(spec, fieldname):
                    values.setdefault((fieldname, value), []).append(framework)
    for (fieldname, value), who in values.items():
        args = " / ".join(dict.fromkeys(f"{ARGS[fieldname][fw != 'torch']}" for fw in who))
        owners = " and ".join(f"{WHO[fw]}'s" for fw in who)
        out.append(Switch(f"default_{fieldname}_{value:g}", f"{args} {value:g} ({owners} default)",
                          f"{owners} {args} defaults to {value:g} where the spec says {getattr(spec, fieldname):g}",
                          spec_change(**{fieldname: value}), meta={"field": fieldname, "value": value}))  # fmt: skip
    if o == "momentum":
        out.append(Switch("dampening", "momentum dampening (buf = mu buf + (1 - mu) g)",
                          "torch's SGD(dampening=d) averages the gradients into the buffer, buf = mu buf + (1 - d) g, where the spec's momentum sums them (dampening 0)",
                          lambda b: replace(b, rule=b.rule + (conventions.dampened,))))  # fmt: skip
    if o in ("momentum", "nesterov"):
        other = "nesterov" if o == "momentum" else "momentum"
        words = {"nesterov": "Nesterov momentum (nesterov=True)", "momentum": "classical momentum (nesterov=False)"}
        out.append(Switch("nesterov", words[other], f"the run took {words[other]} where the spec says {o}", spec_change(optimizer=other)))
    return out


def decay_switches(spec: Spec) -> list[Switch]:
    """Weight decay in the other form: AdamW meant but Adam(weight_decay) taken (coupled L2, not in the loss), L2 meant but
    AdamW taken (decoupled), L2 through an optimizer's weight_decay (the gradient, not the loss a loop prints)."""
    out = []
    if spec.weight_decay > 0:
        out.append(Switch("coupled_decay", "weight decay coupled: Adam(weight_decay), not AdamW",
                          "torch's Adam(weight_decay=wd) adds wd·p to the gradient (L2, scaled by Adam's step like the gradient); AdamW shrinks "
                          "p by lr·wd·p beside the step (decoupled)",
                          lambda b: replace(b, spec=b.spec.replace(weight_decay=0.0), rule=b.rule + (conventions.coupled(b.spec.weight_decay, b.spec.decay_biases),))))  # fmt: skip
    if spec.l2 > 0 and spec.optimizer == "adam":
        out.append(Switch("decoupled_decay", "decoupled weight decay: AdamW, not L2",
                          "AdamW(weight_decay=λ) shrinks p by lr·λ·p beside Adam's step, where L2 adds λp to the gradient Adam rescales",
                          spec_change(l2=0.0, weight_decay=spec.l2)))  # fmt: skip
    if spec.l2 > 0:
        out.append(Switch("l2_in_optimizer", "L2 through the optimizer's weight_decay (not in the loss)",
                          "torch's weight_decay=λ adds λp to the gradient inside the optimizer's step: it is neither in the loss a training "
                          "loop prints nor in the parameters' .grad",
                          lambda b: replace(b, spec=b.spec.replace(l2=0.0), rule=b.rule + (conventions.coupled(b.spec.l2, b.spec.decay_biases),))))  # fmt: skip
    return out


def _hyper_words(framework: str, optimizer: str) -> str:
    """'lr 0.001, eps 1e-08, ...' as the installed framework defaults them, where that framework is installed."""
    if not implementations.installed(framework):
        return "its default hyperparameters"
    values = native.hyper(framework, optimizer)
    return ", ".join(f"{k} {v:g}" for k, v in values.items() if not (optimizer == "sgd" and k != "lr") and k != "beta1")


def _trick_words(framework: str, spec: Spec) -> str:
    """'; for the tricks: leaky_slope 0.01, ...' where the framework's idiom changes the spec's training tricks."""
    if not implementations.installed(framework):
        return ""
    changes = native.tricks(framework, spec)
    if framework == "tensorflow" and spec.clip_norm > 0:
        changes["clipnorm"] = "per tensor"
    if framework == "tensorflow" and spec.batch_norm:  # BatchNormalization's momentum k is torch's 1 - k
        m = changes["bn_momentum"]
        changes["bn_momentum"] = f"{m:g} (BatchNormalization's momentum {1 - m:g} = 1 − m; the spec's {spec.bn_momentum:g})"
        changes["moving variance"] = "biased"
    words = ", ".join(f"{k} {v:g}" if isinstance(v, float) else f"{k} {v}" for k, v in changes.items())
    return f"; for the training tricks: {words}" if words else ""


def torch_words(spec: Spec) -> str:
    return (
        f"torch ran on its own defaults: nn.Linear's kaiming_uniform(a=sqrt(5)) weights and {_hyper_words('torch', spec.optimizer)}"
        + _trick_words("torch", spec)
    )


def keras_words(spec: Spec, n_train: int | None) -> str:
    bias = ", zero bias" if spec.bias else ""
    order = f"; and the sample order of Model.fit(shuffle=True) seeded {spec.seed}" if n_train and spec.batch_size < n_train else ""
    return (
        f"Keras ran on its own defaults: Dense's glorot_uniform kernel{bias} and {_hyper_words('tensorflow', spec.optimizer)}"
        + _trick_words("tensorflow", spec)
        + order
    )


def fit_order_words(spec: Spec, natives, n_train: int) -> str:
    """Why Keras's fit order makes a gap, with its numbers: samples, mini-batches, seed, how many batches it changes."""
    order = natives.fit_order(n_train)
    shared = natives.schedule if natives.schedule is not None else harness.schedule(spec, n_train)
    batches = range(0, n_train, spec.batch_size)
    moved = sum(set(order[0, i : i + spec.batch_size]) != set(shared[0, i : i + spec.batch_size]) for i in batches)
    repeats = " (under a fixed seed every epoch repeats one permutation)" if (order == order[0]).all() else ""
    return (
        f"Keras's Model.fit(shuffle=True) trains on its own order, drawn by tf.random.shuffle in its tf.data pipeline after "
        f"keras.utils.set_random_seed({spec.seed}){repeats}, where the others are handed one shared order (a torch DataLoader "
        f"does not shuffle unless asked): {moved} of the {len(batches)} mini-batches of {spec.batch_size} in the first epoch "
        f"hold other samples"
    )
