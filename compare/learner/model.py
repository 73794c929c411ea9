"""What a learner's numbers are in terms of the reference's: their gradients = c × the data gradient + m W (+ m_b b),
their loss = c_loss × the data loss + k ΣW² (+ k_b Σb²). The factor c is a loss convention (½, a sum over the outputs
or the batch), m and k an L2 penalty in one of the conventions learners write it in; fitted on the output layer, so
that a slip further back does not hide the convention, and named with its torch and Keras mapping."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from compare.learner import conventions
from compare.learner.conventions import Convention
from compare.learner.numbers import close, rel
from compare.shared.weights import n_linear


@dataclass(frozen=True)
class L2Form:
    """An L2 penalty as the learner wrote it, in the units of the spec's mean loss: gradient lam W (and lam_b b)."""

    lam: float  # the gradient's coefficient on the weights, per unit of the mean loss
    lam_b: float = 0.0  # on the biases (0: biases not decayed)

    def words(self, given: float, N: int, source: str = "--l2", c: float = 1.0, n_data: int = 0) -> str:
        """The convention in words, against the strength the learner gave (--l2, or a name in their code), or alone."""
        decayed = "; the biases decayed too" if self.lam_b else ""
        if given > 0:
            for ratio, said in named(N, c, n_data):
                if abs(self.lam / given - ratio) <= 1e-6 * ratio:
                    return f"{said} with λ = {given:g} ({source}){decayed}"
            return f"{self.lam / 2:.6g}·ΣW² (gradient {self.lam:.6g}·W), with λ = {given:g} ({source}){decayed}"
        return f"{self.lam / 2:.6g}·ΣW² (gradient {self.lam:.6g}·W){decayed}"

    def frameworks(self) -> str:
        return (
            f"torch: SGD(weight_decay={self.lam:.6g}) (an L2 gradient, not AdamW's decay); "
            f"Keras: kernel_regularizer=l2({self.lam / 2:.6g}){', bias_regularizer too' if self.lam_b else ''}"
        )


FORMS = [  # (the gradient's coefficient / the strength λ the learner gave, the penalty in words)
    (lambda N: 1.0, "λ/2·ΣW² (gradient λW)"),
    (lambda N: 2.0, "λ·ΣW² (gradient 2λW), Keras's l2(λ)"),
    (lambda N: 1.0 / N, "(λ/2N)·ΣW² (gradient λW/N), scikit-learn's alpha"),
    (lambda N: 2.0 / N, "(λ/N)·ΣW² (gradient 2λW/N)"),
]


def named(N: int, c: float, n_data: int = 0) -> list[tuple[float, str]]:
    """Each named L2 form as (lam / λ, words), in the order they are named: added to the spec's mean loss, or to the
    learner's loss as they write it (c × the mean: a sum, ½, over the outputs), where their gradients carry it
    undivided by c; for a script whose batch came from a larger data set (n_data samples), λ/2n with n that set's size
    too (Nielsen's network2)."""

    def own(forms):
        return (
            [
                (
                    ratio(N) / c,
                    f"{w.split(' (')[0]} added to your loss as you write it (gradient {w.split('gradient ')[1].split(')')[0]} on your gradients)",
                )
                for ratio, w in forms
            ]
            if c != 1
            else []
        )

    out = (
        [(ratio(N), words) for ratio, words in FORMS[:2]]
        + own(FORMS[:2])
        + [(ratio(N), words) for ratio, words in FORMS[2:]]
        + own(FORMS[2:])
    )
    if n_data and n_data != N:
        out += [(1.0 / n_data, f"(λ/2n)·ΣW² with n = {n_data}, your training set's size (gradient λW/n)")]
        if c != 1:
            out += [
                (
                    1.0 / (n_data * c),
                    f"(λ/2n)·ΣW² with n = {n_data}, your training set's size, added to your loss as you write it (gradient λW/n)",
                )
            ]
    return out


@dataclass(frozen=True)
class Model:
    """The reference in the learner's units."""

    convention: Convention | None  # None: the spec's own mean
    c: float = 1.0  # their gradients = c × the data gradient ...
    c_loss: float = 1.0  # their loss = c_loss × the data loss ...
    l2: L2Form | None = None  # ... + c × (lam W, lam_b b); None: the spec's own penalty
    found_l2: bool = False  # the L2 form was found in their numbers, not the spec's
    note: str = ""
    n_data: int = 0  # a script's training set size, where its batch came from a larger set

    def grads(self, data_grads, params) -> list:
        """The gradients they should return."""
        lam, lam_b = (self.l2.lam, self.l2.lam_b) if self.l2 else (0.0, 0.0)
        n = n_linear(params)  # batch norm's gamma and beta after the layers: no penalty
        return [
            (self.c * (g + lam * W * (i < n)), None if gb is None else self.c * (gb + lam_b * b * (i < n)))
            for i, ((g, gb), (W, b)) in enumerate(zip(data_grads, params))
        ]

    def loss(self, data_loss: float, params) -> float:
        """The loss they should report."""
        lam, lam_b = (self.l2.lam, self.l2.lam_b) if self.l2 else (0.0, 0.0)
        layers = params[: n_linear(params)]
        penalty = sum(lam / 2 * float(np.sum(W * W)) + (lam_b / 2 * float(np.sum(b * b)) if b is not None else 0.0) for W, b in layers)
        return self.c_loss * data_loss + self.c * penalty


def spec_l2(spec) -> L2Form | None:
    return L2Form(spec.l2, spec.l2 if spec.decay_biases else 0.0) if spec.l2 > 0 else None


def _layer_fit(grads, data_grads, params, k: int, c: float, tol: float) -> tuple[float | None, float | None]:
    """The L2 coefficients that explain layer k's dW and db under factor c, each None where that tensor is not c ×
    the data gradient plus a multiple of its weights (a slip there, or another convention)."""
    (dW, db), (g, gb), (W, b) = grads[k], data_grads[k], params[k]

    def coefficient(d, r, w):
        if d is None or r is None or np.shape(d) != np.shape(r):
            return None
        lam = float(np.sum((d / c - r) * w) / np.sum(w * w)) if np.sum(w * w) > 0 else 0.0
        lam = lam if abs(lam) > tol else 0.0
        return lam if close(d, c * (r + lam * w), tol) else None

    return coefficient(dW, g, W), coefficient(db, gb, b)


def _penalties(
    grads, data_grads, params, c: float, loss, data_loss: float, own, strength: float, N: int, tol: float, n_data: int = 0
) -> list:
    """The L2 forms worth trying under factor c: the spec's own; the named forms of the strength in their code; the
    one each layer's gradients show (the output layer's first); the one their loss shows (its penalty k ΣW² read off
    the loss, gradient 2k W / c); the plausible ones, once each."""
    found = [own] + ([L2Form(ratio * strength) for ratio, _ in named(N, c, n_data)] if strength and own is None else [])
    for k in reversed(range(n_linear(params))):
        lam, lam_b = _layer_fit(grads, data_grads, params, k, c, tol)
        if lam is not None:
            found.append(L2Form(lam, lam_b or 0.0) if lam or lam_b else None)
    squares = sum(float(np.sum(W * W)) for W, _ in params[: n_linear(params)])
    if loss is not None and squares > 0:
        k = (loss - c * data_loss) / squares
        if abs(k) > tol * abs(loss):
            found.append(L2Form(2 * k / c))
    unique = []
    for l2 in found:
        if l2 not in unique and _plausible(l2, own, N, c, n_data):
            unique.append(l2)
    return unique


def fit(
    spec,
    loss,
    grads,
    data_loss: float,
    data_grads,
    params,
    N: int,
    outputs: int,
    tol: float,
    declared: Convention | None,
    strength: float = 0.0,
    n_data: int = 0,
    shown: tuple[float, ...] = (),
) -> Model:
    """The model of the learner's numbers: declared, or the known convention (and L2 form) under which their output
    layer is right, their loss agreeing; the spec's own where none is."""
    own = spec_l2(spec)
    base = Model(None, 1.0, 1.0, own)
    if declared is not None:
        c = declared.factor(N, outputs)
        mean_reported = conventions.reports_mean(declared, loss, base.loss(data_loss, params), N, outputs, tol)
        return Model(declared, c, c / N if mean_reported else c, own, note=_mean_note(N) if mean_reported else "")
    agreeing, explaining = [], []  # (tensors right, model): with their loss agreeing; without
    for conv in conventions.known(spec.loss, outputs):
        c = conv.factor(N, outputs)
        for l2 in _penalties(grads, data_grads, params, c, loss, data_loss, own, strength, N, tol, n_data):
            model = Model(conv if c != 1 else None, c, c, l2, found_l2=l2 != own, n_data=n_data)
            fits = [
                [g is not None and np.shape(g) == np.shape(r) and close(g, r, tol) for g, r in zip(gp, rp)]
                for gp, rp in zip(grads, model.grads(data_grads, params))
            ]
            if model.found_l2 and own is None and not any(pair[0] for pair in fits):
                continue  # a penalty read off the loss that no weight gradient carries (and no --l2) is no convention of theirs
            right = (sum(sum(pair) for pair in fits), _shows(c, shown, N))  # ties: the factor their output delta shows
            if c == 1 and l2 == own and all(all(g is None or ok for g, ok in zip(gp, pair)) for gp, pair in zip(grads, fits)):
                return model  # every gradient is right in the spec's own terms: a loss that differs is the loss's mistake
            if loss is not None and close(loss, model.loss(data_loss, params), tol):
                agreeing.append((right, model))  # their loss says the convention, even where every gradient is wrong
            elif right[0] and loss is None:
                explaining.append((right, model))
    for found in (agreeing, explaining):  # the convention under which most tensors are right, the fewest parts first
        if found:  # (and among L2 forms, the one the order above tried first: λ/2·ΣW² of the strength in their code)
            return max(found, key=lambda h: h[0])[1]
    return base


def _shows(c: float, shown: tuple[float, ...], N: int) -> bool:
    """Whether factor c is what the output delta their code computed shows (scale s of the reference's dZ: c = s, or
    c = s / N where their code divides by N later, at dW; either sign, as a step that adds y − ŷ carries it)."""
    return any(
        abs(abs(c) - abs(s)) <= 1e-6 * abs(c) or abs(abs(c) - abs(s) / N) <= 1e-6 * abs(c) for s in shown
    )  # W += lr·A.T @ (y − ŷ)σ': the sign in the step


def _plausible(l2: L2Form | None, own: L2Form | None, N: int, c: float = 1.0, n_data: int = 0) -> bool:
    """Whether an L2 form found in the numbers is a convention: the spec's own; with --l2 given, one of the named forms
    of that strength (its biases decayed or not); without, any penalty that decays (biases with the weights' λ or
    none). A missing, negative or mismatched term is a slip for the diagnosis, not a convention."""
    if l2 == own:
        return True
    if l2 is None or l2.lam <= 0 or l2.lam_b not in (0.0, l2.lam) and abs(l2.lam_b - l2.lam) > 1e-6 * l2.lam:
        return False
    if own is None:
        return True
    return any(abs(l2.lam / own.lam - ratio) <= 1e-6 * ratio for ratio, _ in named(N, c, n_data))


def _mean_note(N: int) -> str:
    return (
        f" Note: your reported loss is the mean, not the sum your gradients descend, and your learning rate is "
        f"effectively {N}× (N) torch's with reduction='mean'."
    )


__all__ = ["L2Form", "Model", "fit", "rel"]
