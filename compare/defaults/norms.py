"""The defaults row of batch norm's learned scale and shift: torch's BatchNorm1d(affine=True) and Keras's
BatchNormalization(center=True, scale=True) learn gamma and beta by default; measured with them left in and aligned."""

from __future__ import annotations

from compare.defaults.probe import Probe, effect
from compare.defaults.tricks import _gap
from compare.shared.native import signature_defaults


def batch_norm_affine(p: Probe) -> dict:
    import keras
    import torch

    t, k = signature_defaults(torch.nn.BatchNorm1d), signature_defaults(keras.layers.BatchNormalization)
    bn = {"batch_norm": True}
    # both frameworks on their own default (a learned scale and shift) against both without one: the gap a learner meets
    # when the reference (or a course's batch norm) has none; aligned: both with, as the spec says
    default = _gap(p, ("torch", {**bn, "bn_affine": t["affine"]}, {}), ("numpy", bn, {}))
    keras_default = _gap(p, ("tensorflow", {**bn, "bn_affine": k["center"] and k["scale"]}, {}), ("numpy-keras", bn, {}))
    aligned = max(_gap(p, ("torch", {**bn, "bn_affine": True}, {}), ("numpy", {**bn, "bn_affine": True}, {})),
                  _gap(p, ("tensorflow", {**bn, "bn_affine": True}, {}), ("numpy-keras", {**bn, "bn_affine": True}, {})))  # fmt: skip
    return {
        "what": "batch norm: learned scale and shift (γ, β)",
        "torch": f"BatchNorm1d(affine={t['affine']}): B = γ·Y + β, γ = 1 and β = 0 at the start, learned",
        "keras": f"BatchNormalization(center={k['center']}, scale={k['scale']}): the same γ and β, learned",
        "numpy": "spec.bn_affine (default false: no scale or shift); with it, γ and β after the linear layers' (W, b) pairs "
        "and a hand-written backward: dγ = Σ dB·Y, dβ = Σ dB, dY = γ·dB",
        "align": "affine=False / center=False, scale=False, or --bn-affine on all sides (explain: 'batch norm with a learned scale and shift')",
        "effect": effect(default, aligned, f"each framework's default against the reference without γ, β (Keras {keras_default:.1e})"),
        "default": default,
        "aligned": aligned,
        "keras_default": keras_default,
    }
