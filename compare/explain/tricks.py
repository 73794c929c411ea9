"""The switches of the training tricks (L2, class weights, clipping, schedules, batch norm, leaky ReLU, GELU): each
a framework default the NumPy reference takes on by a change of its spec, or, for torch's 1e-6 in the clip norm,
Keras's clipnorm and moving variance, of its clipping and running statistics."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from compare.explain.switches import Switch
from compare.shared.spec import Spec

LEAKY_SLOPES = {0.01: "torch's nn.LeakyReLU", 0.3: "keras.layers.LeakyReLU", 0.2: "keras.activations.leaky_relu and tf.nn.leaky_relu"}
BN_EPS = {1e-5: "torch's BatchNorm1d", 1e-3: "Keras's BatchNormalization"}
TORCH_BN_MOMENTUM, KERAS_BN_MOMENTUM = 0.1, 0.99  # BatchNorm1d's (the batch's weight), BatchNormalization's (the running value's)
GELU_OTHER = {"gelu": "gelu_tanh", "gelu_tanh": "gelu"}


def _leaky(slope: float) -> Callable[[Spec], Spec]:
    return lambda s: s.replace(leaky_slope=slope)


def _other_gelu(s: Spec) -> Spec:
    return s.replace(activation=tuple(GELU_OTHER.get(a, a) for a in s.activations))


def changes(spec: Spec) -> dict[str, tuple[str, str, Callable[[Spec], Spec]]]:
    """{switch name: (label, why, spec change)} for the tricks this spec uses."""
    out = {}
    if spec.l2 > 0:
        out["keras_l2"] = (
            "L2 ×2, kernels only",
            "Keras's l2(λ) adds λ·ΣW² to the loss (gradient 2λW) on the kernels only; λ/2·ΣW² and torch's weight_decay=λ give λW",
            lambda s: s.replace(l2=2 * s.l2, decay_biases=False),
        )
    if (spec.l2 > 0 or spec.weight_decay > 0) and spec.bias and not spec.decay_biases:  # without biases: nothing to decay
        out["decay_biases"] = (
            "L2 / weight decay on the biases too",
            "torch's weight_decay and AdamW decay every parameter they are given, biases included; Keras's kernel_regularizer does not",
            lambda s: s.replace(decay_biases=True),
        )
    if spec.class_weights is not None:
        reduction = "batch" if spec.weight_reduction == "sum_weights" else "sum_weights"
        out["weighted_mean"] = (
            "weighted mean over N" if reduction == "batch" else "weighted mean over Σw",
            "torch's CrossEntropyLoss(weight) divides the weighted sum by Σw, Keras's class_weight / sample_weight by N",
            lambda s: s.replace(weight_reduction=reduction),
        )
    if spec.schedule != "constant":
        every = "epoch" if spec.schedule_every == "batch" else "batch"
        out["schedule_every"] = (
            f"schedule stepped per {every}",
            "Keras's schedules count optimizer steps (per batch); a torch loop usually calls scheduler.step() once an epoch",
            lambda s: s.replace(schedule_every=every),
        )
    if "leaky_relu" in spec.activations:
        for slope, who in LEAKY_SLOPES.items():
            if slope != spec.leaky_slope:
                out[f"leaky_{slope:g}"] = (f"leaky ReLU slope {slope:g}", f"{who} defaults to a slope of {slope:g}", _leaky(slope))
    if any(a in GELU_OTHER for a in spec.activations):
        out["gelu_form"] = (
            "the other GELU form (exact ↔ tanh)",
            "keras.ops.gelu (and the backends' nn.gelu) default to the tanh approximation; torch's nn.GELU and keras.activations.gelu "
            "to the exact erf form",
            _other_gelu,
        )
    if spec.batch_norm:
        for eps, who in BN_EPS.items():
            if eps != spec.bn_eps:
                out[f"bn_eps_{eps:g}"] = (f"batch-norm eps {eps:g}", f"{who} defaults to eps {eps:g}", lambda s, e=eps: s.replace(bn_eps=e))
        for m, (label, why) in bn_momenta(spec.bn_momentum).items():
            out[f"bn_momentum_{m:g}"] = (label, why, lambda s, m=m: s.replace(bn_momentum=m))
    return out


def bn_momenta(m: float) -> dict[float, tuple[str, str]]:
    """{torch-sense momentum: (label, why)} a framework may have run batch norm with where the reference ran m: Keras's
    default, torch's default, and torch's m passed to Keras's momentum= (the classic mistake, torch's 1 - m)."""
    sense = "Keras's BatchNormalization(momentum=k) weights the running value, torch's BatchNorm1d(momentum=m) the batch (m = 1 - k)"
    keras, torch, mistake = 1 - KERAS_BN_MOMENTUM, TORCH_BN_MOMENTUM, 1 - m
    out = {
        keras: (f"batch-norm momentum 1 − m: {keras:g} (Keras's default {KERAS_BN_MOMENTUM:g})",
                f"{sense}: Keras's default {KERAS_BN_MOMENTUM:g} is torch's {keras:g}, not torch's default {torch:g}; the reference ran {m:g}"),
        mistake: (f"batch-norm momentum 1 − m: {mistake:g} (torch's {m:g} given to Keras's momentum=)",
                  f"{sense}: torch's {m:g} passed to Keras's momentum= is torch's {mistake:g}"),
        torch: (f"batch-norm momentum 1 − m: {torch:g} (torch's default; Keras's {1 - torch:g})",
                f"{sense}: torch's default {torch:g} is Keras's {1 - torch:g}, not Keras's default {KERAS_BN_MOMENTUM:g}; the reference ran {m:g}"),
    }  # fmt: skip
    return {v: words for v, words in out.items() if abs(v - m) > 1e-12}


def keras_running_var(spec: Spec) -> tuple[str, str] | None:
    """(label, why) of Keras's biased moving variance, for a spec with batch norm."""
    if not spec.batch_norm:
        return None
    n = spec.batch_size
    return (
        "batch-norm running variance biased (Keras)",
        f"Keras's BatchNormalization averages the biased batch variance (÷ n) into its moving variance, torch's BatchNorm1d the "
        f"unbiased one (÷ (n − 1)): with batches of {n} torch's is {n / (n - 1):.4f}× Keras's, and eval mode normalises by it",
    )


def keras_clipnorm(spec: Spec) -> tuple[str, str] | None:
    """(label, why) of Keras's per-tensor clipnorm, for a spec that clips to a norm."""
    if spec.clip_norm == 0:
        return None
    return (
        "clipnorm per tensor",
        "Keras's clipnorm clips each gradient tensor to the norm on its own; torch's clip_grad_norm_ and Keras's global_clipnorm clip them together",
    )


def switches(spec: Spec) -> list[Switch]:
    """The tricks' switches: each spec change above, and the clipping and running statistics of the other framework."""
    out = [Switch(name, label, why, lambda b, c=change: replace(b, spec=c(b.spec))) for name, (label, why, change) in changes(spec).items()]
    if spec.clip_norm > 0:
        out.append(Switch("clip_eps", "no 1e-6 in the clip norm (Keras's global_clipnorm)",
                          "torch's clip_grad_norm_ scales by c / (‖g‖ + 1e-6), Keras's global_clipnorm by c / ‖g‖",
                          lambda b: replace(b, clipping="keras"), excludes=frozenset({"keras_clipnorm"})))  # fmt: skip
        out.append(
            Switch("keras_clipnorm", *keras_clipnorm(spec), lambda b: replace(b, clipping="per_tensor"), excludes=frozenset({"clip_eps"}))
        )
    if spec.batch_norm:
        out.append(Switch("keras_running_var", *keras_running_var(spec), lambda b: replace(b, running="keras")))
    return out
