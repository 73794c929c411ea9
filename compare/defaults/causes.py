"""The 25 most reported causes of "same model, different numbers" between PyTorch, Keras and a hand-written NumPy MLP
(counted in public issue trackers and Q&A threads, 2026-11-25), and which defaults row and explain switch cover each."""

from __future__ import annotations

import pandas as pd

# (cause, defaults rows, explain switches, status): covered = a measured row (and a switch where a curve can show it)
CAUSES = [
    ("data order: Keras fit(shuffle=True) vs DataLoader(shuffle=False); validation_split takes the tail", ["data-order"], ["keras_shuffle"], "covered (validation_split: defaults only)"),
    ("activation defaults: leaky ReLU 0.01 / 0.3 / 0.2; GELU exact vs tanh", ["leaky-relu", "gelu"], ["leaky_0.01", "leaky_0.3", "leaky_0.2", "gelu_form"], "covered (hard_sigmoid not)"),
    ("float32 frameworks vs float64 NumPy; dtype casts", ["float32-vs-float64"], ["float32"], "covered"),
    ("batch norm: momentum 0.99 ≡ torch 0.01, not 0.1; eps 1e-3 vs 1e-5; learned scale and shift", ["batch-norm", "batch-norm-affine"], ["bn_momentum_0.01", "bn_momentum_0.1", "bn_momentum_0.9", "keras_running_var", "bn_eps_0.001", "bn_eps_1e-05", "bn_affine"], "covered (momentum: in eval mode)"),
    ("Adam eps value and placement", ["adam"], ["keras_rules"], "covered"),
    ("class / sample weights: torch divides by Σw, Keras by N", ["class-weights"], ["weighted_mean"], "covered"),
    ("learning-rate schedules: per batch vs per epoch; momentum forms part once the rate changes", ["lr-schedule"], ["schedule_every", "keras_rules"], "covered (Keras's legacy decay= not)"),
    ("TF32 on Ampere GPUs", [], [], "missing (GPU)"),
    ("L2 regulariser vs weight_decay; L2 vs decoupled", ["l2", "weight-decay"], ["keras_l2", "decay_biases", "l2_in_optimizer", "decoupled_decay"], "covered"),
    ("train/eval mode: dropout and batch norm without model.eval() / training=", ["dropout", "batch-norm"], [], "partial (defaults; no switch)"),
    ("softmax output fed to CrossEntropyLoss", ["ce-probabilities"], ["torch_probs"], "partial"),
    ("default initialisation", ["default-init"], ["torch_defaults", "keras_defaults"], "covered"),
    ("Keras 'accuracy' resolves to binary / categorical", ["accuracy-metric"], [], "covered (a score: no curve shows it)"),
    ("CPU round-off: thread count, oneDNN", ["threads", "onednn"], [], "covered"),
    ("RMSprop eps inside the square root; rho 0.9 vs alpha 0.99", ["rmsprop", "rmsprop-centered"], ["keras_rules", "default_rho_0.9", "default_rho_0.99"], "covered"),
    ("momentum / Nesterov formulation", ["momentum", "nesterov"], ["keras_rules", "nesterov", "dampening"], "covered"),
    ("Keras fit() logs the running mean over the epoch", ["fit-running-mean"], [], "covered (defaults; export --style idiomatic)"),
    ("probability clipping: Keras 1e-7, torch log clamp -100", ["bce-probabilities", "ce-probabilities"], ["keras_probs", "torch_probs"], "covered"),
    ("MSELoss (N, 1) vs (N,) broadcast", ["mse-shapes"], [], "covered"),
    ("optimizer defaults (lr; Adagrad accumulator; Adadelta lr)", ["default-lr"], ["torch_defaults", "keras_defaults", "default_lr_0.001", "default_eps_1e-07"], "partial (sgd, adam, rmsprop; each default alone too)"),
    ("weight layout (out, in) vs (in, out)", ["weight-layout"], [], "covered"),
    ("GPU nondeterminism", ["threads", "onednn"], [], "partial (CPU analogues)"),
    ("from_logits mismatch; Keras's silent logits switch", ["bce-probabilities", "ce-probabilities"], ["keras_probs"], "covered"),
    ("loss reduction: sum vs mean", [], ["sum_loss"], "covered (explain)"),
    ("gradient clipping: Keras clipnorm per tensor vs torch's global clip_grad_norm_ (and its 1e-6)", ["clipping"], ["keras_clipnorm", "clip_eps"], "covered"),
]  # fmt: skip


def coverage() -> pd.DataFrame:
    """One row per cause: its defaults rows (linked to their anchors), its explain switches, its status."""
    return pd.DataFrame(
        {
            "#": range(1, len(CAUSES) + 1),
            "commonly reported cause": [c[0] for c in CAUSES],
            "defaults row": [", ".join(f"[{k}](#{k})" for k in c[1]) or "–" for c in CAUSES],
            "explain switch": [", ".join(f"`{s}`" for s in c[2]) or "–" for c in CAUSES],
            "status": [c[3] for c in CAUSES],
        }
    )


def summary() -> str:
    """'covered 18, partial 4, missing 3 of 25'."""
    kinds = [c[3].split()[0] for c in CAUSES]
    return ", ".join(f"{k} {kinds.count(k)}" for k in ("covered", "partial", "missing")) + f" of {len(CAUSES)}"
