"""The training-trick rows of the defaults table (leaky ReLU, GELU, L2, class weights, clipping, schedules, dropout,
batch norm, data order): each framework's default read from its installed signature, its gap measured by training
the three implementations on the probe, with the default left in and aligned."""

from __future__ import annotations

import inspect

import numpy as np

from compare.defaults.probe import Probe, data, effect, fmt, init, max_diff
from compare.shared import harness, implementations, native, weights
from compare.shared.native import signature_defaults
from compare.shared.spec import Spec

BATCHES = 4  # mini-batches an epoch where a row needs epochs (schedules, data order)


def _spec(p: Probe, classes: int = 0, **changes) -> Spec:
    out = classes if classes > 1 else p.layers[-1]
    loss = "ce" if classes > 1 else "mse"
    fields = dict(layers=(*p.layers[:-1], out), activation="tanh", loss=loss, output=None if classes > 1 else "identity", lr=p.lr,
                  dtype=p.dtype, seed=p.seed, batch_size=p.n, threads=p.threads)  # fmt: skip
    return Spec(**{**fields, **changes})


def _params(p: Probe, spec: Spec):
    return init(p.replace(layers=spec.layers)) + weights.norm_pairs(spec)  # gamma 1, beta 0 with a learned scale and shift


def train(p: Probe, name: str, spec: Spec, X, y, order=None, masks_seed: int | None = None, **options):
    """Final weights after p.steps full-batch steps (or mini-batches of the given per-epoch orders), with
    dropout masks drawn from the spec's seed, or from masks_seed (another framework's own generator)."""
    return trained(p, name, spec, X, y, order, masks_seed, **options).get_params()


def trained(p: Probe, name: str, spec: Spec, X, y, order=None, masks_seed: int | None = None, **options):
    """The model after train()'s steps: its weights, and its running statistics for eval mode."""
    model = implementations.build(name, spec, _params(p, spec), **options)
    dropout = harness.Dropout(spec if masks_seed is None else spec.replace(seed=masks_seed)) if spec.dropout > 0 else None
    if order is None:
        for _ in range(p.steps):
            harness.step(model, X, y, dropout)
        return model
    batch = len(X) // BATCHES
    for step in range(p.steps):
        idx = order[step // BATCHES][(step % BATCHES) * batch : (step % BATCHES + 1) * batch]
        harness.step(model, X[idx], y[idx], dropout)
        if step % BATCHES == BATCHES - 1:
            model.end_epoch()
    return model


def _gap(p: Probe, a: tuple, b: tuple, classes: int = 0, order=None) -> float:
    """max |Δ| of the final weights of two runs, each (implementation name, spec changes, make options)."""
    X, y = data(p.replace(layers=(*p.layers[:-1], classes)) if classes > 1 else p, classes)
    runs = [train(p, name, _spec(p, classes, **changes), X, y, order, **options) for name, changes, options in (a, b)]
    return max_diff(*runs)


def leaky_relu(p: Probe) -> dict:
    import keras
    import torch

    t = signature_defaults(torch.nn.LeakyReLU)["negative_slope"]
    layer = signature_defaults(keras.layers.LeakyReLU)["negative_slope"]
    fn = inspect.signature(keras.activations.leaky_relu).parameters["negative_slope"].default
    act = {"activation": "leaky_relu"}
    default = _gap(p, ("torch", {**act, "leaky_slope": t}, {}), ("tensorflow", {**act, "leaky_slope": layer}, {}))
    aligned = _gap(p, ("torch", {**act, "leaky_slope": t}, {}), ("tensorflow", {**act, "leaky_slope": t}, {}))
    return {
        "what": "leaky ReLU slope",
        "torch": f"nn.LeakyReLU negative_slope {t:g}",
        "keras": f"keras.layers.LeakyReLU {layer:g}, keras.activations.leaky_relu {fn:g}; tf.nn's kernel holds the slope in float32",
        "numpy": "spec.leaky_slope (default 0.01), f' = slope at z = 0 as both frameworks",
        "align": "pass the slope everywhere; float64 Keras: the formula in keras.ops (as tf_impl does)",
        "effect": effect(default, aligned, f"tanh → leaky ReLU, slope {t:g} vs {layer:g}"),
        "default": default,
        "aligned": aligned,
    }


def gelu(p: Probe) -> dict:
    import keras
    import tensorflow as tf
    import torch

    t = signature_defaults(torch.nn.GELU)["approximate"]
    k = inspect.signature(keras.activations.gelu).parameters["approximate"].default
    k_ops = inspect.signature(keras.ops.gelu).parameters["approximate"].default
    z = np.linspace(-4, 4, 81)
    tf_error = float(
        np.max(np.abs(tf.nn.gelu(tf.constant(z), approximate=False).numpy() - torch.nn.functional.gelu(torch.from_numpy(z)).numpy()))
    )
    default = _gap(p, ("torch", {"activation": "gelu"}, {}), ("tensorflow", {"activation": "gelu_tanh"}, {}))
    aligned = _gap(p, ("torch", {"activation": "gelu"}, {}), ("tensorflow", {"activation": "gelu"}, {}))
    return {
        "what": "GELU: exact or tanh approximation",
        "torch": f"nn.GELU approximate={t!r}: exact, z Φ(z) with erf",
        "keras": f"keras.activations.gelu approximate={k}, but keras.ops.gelu approximate={k_ops}; tf.nn.gelu's exact form is off by "
        f"{tf_error:.1e} in float64",
        "numpy": "gelu (exact, erf) and gelu_tanh, both with hand-written derivatives",
        "align": "name the form: nn.GELU(approximate='tanh') ↔ gelu(approximate=True); float64 Keras: keras.ops.erf",
        "effect": effect(default, aligned, f"nn.GELU() vs keras.ops.gelu() (approximate={k_ops})"),
        "default": default,
        "aligned": aligned,
        "tf_gelu_error": tf_error,
    }


def l2(p: Probe, lam: float = 0.01) -> dict:
    import keras

    k = signature_defaults(keras.regularizers.L2)["l2"]
    default = _gap(p, ("torch", {"l2": lam}, {}), ("tensorflow", {"l2": 2 * lam}, {}))  # Keras's l2(λ) is λΣW²
    aligned = _gap(p, ("torch", {"l2": lam}, {}), ("tensorflow", {"l2": lam}, {}))  # kernel_regularizer=l2(λ/2)
    return {
        "what": "L2 penalty: λ/2·ΣW², λΣW² or weight_decay",
        "torch": f"weight_decay=λ adds λp to every parameter's gradient (biases too), not to the loss (λ {lam:g})",
        "keras": f"l2(λ) adds λ·ΣW² to the loss (gradient 2λW), kernels only; default λ {k:g}; the factor is cast through float32",
        "numpy": "spec.l2 = λ: λ/2·ΣW² in the loss, gradient λW, kernels only unless decay_biases",
        "align": "torch weight_decay=λ (weights only) ↔ Keras l2(λ/2); explain switch: L2 ×2, kernels only",
        "effect": effect(default, aligned, f"λ {lam:g}: torch's λW vs Keras l2(λ)"),
        "default": default,
        "aligned": aligned,
    }


def class_weights(p: Probe, weights=(1.0, 3.0, 0.5)) -> dict:
    cw = {"class_weights": weights}
    default = _gap(p, ("torch", {**cw, "weight_reduction": "sum_weights"}, {}), ("tensorflow", {**cw, "weight_reduction": "batch"}, {}), 3)
    aligned = _gap(p, ("torch", {**cw, "weight_reduction": "batch"}, {}), ("tensorflow", {**cw, "weight_reduction": "batch"}, {}), 3)
    return {
        "what": "class weights: the weighted mean's denominator",
        "torch": "CrossEntropyLoss(weight=w) divides Σ wᵢlᵢ by Σ wᵢ; BCEWithLogitsLoss(weight) by N",
        "keras": "fit(class_weight=) and sample_weight: Σ wᵢlᵢ / N (sum_over_batch_size); reduction='mean_with_sample_weight' divides by Σ wᵢ",
        "numpy": "spec.class_weights with weight_reduction sum_weights (Σw) or batch (N)",
        "align": "pick one: torch reduction='sum' / N ↔ Keras default; or Keras mean_with_sample_weight ↔ torch default",
        "effect": effect(default, aligned, f"3 classes, weights {', '.join(f'{w:g}' for w in weights)}: Σw vs N"),
        "default": default,
        "aligned": aligned,
    }


def clipping(p: Probe, norm: float = 0.05) -> dict:
    c = {"clip_norm": norm}
    default = _gap(p, ("torch", c, {}), ("tensorflow", c, {"per_tensor_clipnorm": True}))
    global_norms = _gap(p, ("torch", c, {}), ("tensorflow", c, {}))
    aligned = max(_gap(p, ("torch", c, {}), ("numpy", c, {})), _gap(p, ("tensorflow", c, {}), ("numpy-keras", c, {})))
    return {
        "what": "gradient clipping: global norm or per tensor",
        "torch": "clip_grad_norm_ scales every gradient by min(c / (‖g‖ + 1e-6), 1), ‖g‖ over all of them",
        "keras": "clipnorm clips each tensor to c on its own; global_clipnorm = c·min(1/‖g‖, 1/c) over all, no 1e-6",
        "numpy": "spec.clip_norm in both conventions (numpy: torch's, numpy-keras: Keras's global), clip_value in both",
        "align": "torch clip_grad_norm_ ↔ Keras global_clipnorm; still 1e-6 apart: compare each with its numpy run",
        "effect": effect(default, aligned, f"c {norm:g}: clipnorm per tensor vs global; global vs global {global_norms:.1e}"),
        "default": default,
        "aligned": aligned,
        "global_vs_global": global_norms,
    }


def schedules(p: Probe, gamma: float = 0.7) -> dict:
    order = np.asarray(harness.Schedule(_spec(p).replace(epochs=p.steps // BATCHES + 1), p.n))
    s = {"schedule": "exponential", "decay_rate": gamma}
    default = _gap(p, ("torch", {**s, "schedule_every": "epoch"}, {}), ("tensorflow", {**s, "schedule_every": "batch"}, {}), order=order)
    aligned = _gap(p, ("torch", {**s, "schedule_every": "epoch"}, {}), ("tensorflow", {**s, "schedule_every": "epoch"}, {}), order=order)
    m = {**s, "optimizer": "momentum"}
    momentum = _gap(p, ("torch", m, {}), ("tensorflow", m, {}), order=order)
    return {
        "what": "learning-rate schedule: per batch or per epoch",
        "torch": "a scheduler steps when the loop calls scheduler.step(): usually once an epoch",
        "keras": "a LearningRateSchedule is called with the optimizer's iteration count: per batch; LearningRateScheduler per epoch",
        "numpy": "spec.schedule (step, exponential, cosine, inverse_time) with schedule_every batch or epoch",
        "align": "step both the same way; momentum: torch's and Keras's forms part once the rate changes",
        "effect": effect(default, aligned, f"exponential γ {gamma:g}, {BATCHES} batches an epoch; momentum forms {momentum:.1e}"),
        "default": default,
        "aligned": aligned,
        "momentum_forms": momentum,
    }


def dropout(p: Probe, rate: float = 0.3) -> dict:
    import torch

    t = signature_defaults(torch.nn.Dropout)["p"]
    d = {"dropout": rate}
    default = _gap(p, ("torch", d, {"masks_seed": p.seed + 1}), ("tensorflow", d, {}))  # each its own generator
    aligned = _gap(p, ("torch", d, {}), ("tensorflow", d, {}))
    return {
        "what": "dropout: masks and train/eval mode",
        "torch": f"nn.Dropout(p={t:g}) draws from torch's generator in train mode, identity after model.eval()",
        "keras": "Dropout(rate) draws from its own seed generator when called with training=True (fit does; a custom loop must say so)",
        "numpy": "inverted dropout with masks drawn by NumPy from the seed, handed to all three; none in eval",
        "align": "the same masks in all three (as the harness hands them); evaluate in eval mode",
        "effect": effect(default, aligned, f"rate {rate:g}: each framework's own masks vs shared ones"),
        "default": default,
        "aligned": aligned,
    }


def batch_norm(p: Probe) -> dict:
    import keras
    import torch

    t, k = signature_defaults(torch.nn.BatchNorm1d), signature_defaults(keras.layers.BatchNormalization)
    bn = {"batch_norm": True}
    torch_own, keras_own = (
        {**bn, "bn_momentum": t["momentum"], "bn_eps": t["eps"]},
        {**bn, "bn_momentum": 1 - k["momentum"], "bn_eps": k["epsilon"]},
    )
    default = _gap(p, ("torch", torch_own, {}), ("tensorflow", keras_own, {}))
    aligned = _gap(p, ("torch", torch_own, {}), ("tensorflow", torch_own, {}))
    X, y = data(p)
    outputs = {key: trained(p, name, _spec(p, **changes), X, y).predict(X) for key, name, changes in
               (("torch", "torch", torch_own), ("keras", "tensorflow", keras_own), ("aligned", "tensorflow", torch_own),
                ("momentum", "tensorflow", {**keras_own, "bn_momentum": t["momentum"]}))}  # fmt: skip
    eval_default = float(abs(outputs["torch"] - outputs["keras"]).max())  # eval mode: the running statistics
    eval_variance = float(abs(outputs["torch"] - outputs["aligned"]).max())  # momentum and eps aligned: the variance only
    eval_momentum = float(abs(outputs["keras"] - outputs["momentum"]).max())  # Keras alone: its 0.99 vs torch's 0.1
    return {
        "what": "batch norm: momentum and eps",
        "torch": f"BatchNorm1d momentum {t['momentum']:g} (the batch's weight), eps {t['eps']:g}; running variance unbiased",
        "keras": f"BatchNormalization momentum {k['momentum']:g} (the running value's weight), epsilon {k['epsilon']:g}; moving variance biased",
        "numpy": "spec.batch_norm, bn_momentum in torch's sense, bn_eps; running statistics in both conventions",
        "align": "Keras momentum = 1 - torch's (torch's 0.1 is Keras's 0.9, Keras's 0.99 torch's 0.01), equal eps; eval still differs "
        "by the unbiased running variance (explain: 'batch-norm momentum 1 − m', 'running variance biased')",
        "effect": effect(default, aligned, "each framework's eps and momentum vs torch's in both")
        + f" · eval-mode outputs: defaults {fmt(eval_default)}, momentum alone {fmt(eval_momentum)}, aligned {fmt(eval_variance)} (the variance)",
        "default": default,
        "aligned": aligned,
        "eval_default": eval_default,
        "eval_momentum": eval_momentum,
        "eval_variance": eval_variance,
    }


def _validation_split(fraction: float) -> str:
    """Which of iris's samples (stored class by class) Keras's fit(validation_split=fraction) holds out, in words."""
    from keras.src.trainers.data_adapters.array_slicing import train_validation_split  # what fit() calls; not public API
    from sklearn.datasets import load_iris

    labels = load_iris().target
    _, (held, held_labels) = train_validation_split((np.arange(len(labels)), labels), validation_split=fraction)
    classes = ", ".join(str(c) for c in np.unique(held_labels))
    return (
        f"validation_split={fraction:g} on iris holds out samples {held[0]}-{held[-1]} of {len(labels)}, "
        f"{len(held)} of class {classes} only ({len(np.unique(labels))} classes in the data)"
    )


def data_order(p: Probe) -> dict:
    import keras
    import torch

    shuffle_fit = inspect.signature(keras.Model.fit).parameters["shuffle"].default
    shuffle_loader = inspect.signature(torch.utils.data.DataLoader).parameters["shuffle"].default
    epochs = p.steps // BATCHES + 1
    fit = native.keras_fit_order(p.seed, p.n, epochs)  # the order Keras's own fit takes
    in_order = np.tile(np.arange(p.n), (epochs, 1))
    X, y = data(p)
    runs = {key: train(p, name, _spec(p), X, y, order) for key, name, order in
            (("torch", "torch", in_order), ("keras", "tensorflow", fit), ("aligned", "tensorflow", in_order))}  # fmt: skip
    default, aligned = max_diff(runs["torch"], runs["keras"]), max_diff(runs["torch"], runs["aligned"])
    repeats = "; under keras.utils.set_random_seed every epoch repeats one permutation" if (fit == fit[0]).all() else ""
    held = _validation_split(0.2)
    return {
        "what": "data order: Keras's fit shuffles",
        "torch": f"DataLoader(shuffle={shuffle_loader}): in order unless asked",
        "keras": f"fit(shuffle={shuffle_fit}) draws its own order (tf.random.shuffle in its tf.data pipeline){repeats}; "
        f"validation_split takes the last samples, before shuffling: {held}",
        "numpy": "one seeded order per epoch (compare/shared/harness.py), handed to all three; run --defaults native trains "
        "TensorFlow on fit's own (native.keras_fit_order)",
        "align": "shuffle=False in fit and hand both the same order; split the data yourself (explain: 'Keras shuffles in fit')",
        "effect": effect(default, aligned, f"{BATCHES} mini-batches an epoch, in order vs Keras fit's order"),
        "default": default,
        "aligned": aligned,
    }
