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


@dataclass(frozen=True)
class L2Form:
    """An L2 penalty as the learner wrote it, in the units of the spec's mean loss: gradient lam W (and lam_b b)."""

    lam: float  # the gradient's coefficient on the weights, per unit of the mean loss
    lam_b: float = 0.0  # on the biases (0: biases not decayed)

    def words(self, given: float, N: int) -> str:
        """The convention in words, against the strength the learner was given (--l2), or found alone."""
        decayed = "; the biases decayed too" if self.lam_b else ""
        if given > 0:
            for ratio, said in NAMED:
                if abs(self.lam / given - ratio(N)) <= 1e-6 * ratio(N):
                    return said + decayed
            return f"an L2 penalty of {self.lam / 2:.6g}·ΣW² (gradient {self.lam:.6g}·W) with --l2 {given:g}{decayed}"
        return f"an L2 penalty {self.lam / 2:.6g}·ΣW² (gradient {self.lam:.6g}·W){decayed}"

    def frameworks(self) -> str:
        return (
            f"torch: SGD(weight_decay={self.lam:.6g}) (an L2 gradient, not AdamW's decay); "
            f"Keras: kernel_regularizer=l2({self.lam / 2:.6g}){', bias_regularizer too' if self.lam_b else ''}"
        )


NAMED = [  # (lam / the strength the learner was given, the convention in words)
    (lambda N: 1.0, "λ/2·ΣW² (gradient λW)"),
    (lambda N: 2.0, "λ·ΣW² (gradient 2λW), Keras's l2(λ)"),
    (lambda N: 1.0 / N, "(λ/2N)·ΣW² (gradient λW/N), scikit-learn's alpha"),
    (lambda N: 2.0 / N, "(λ/N)·ΣW² (gradient 2λW/N)"),
]


@dataclass(frozen=True)
class Model:
    """The reference in the learner's units."""

    convention: Convention | None  # None: the spec's own mean
    c: float = 1.0  # their gradients = c × the data gradient ...
    c_loss: float = 1.0  # their loss = c_loss × the data loss ...
    l2: L2Form | None = None  # ... + c × (lam W, lam_b b); None: the spec's own penalty
    found_l2: bool = False  # the L2 form was found in their numbers, not the spec's
    note: str = ""

    def grads(self, data_grads, params) -> list:
        """The gradients they should return."""
        lam, lam_b = (self.l2.lam, self.l2.lam_b) if self.l2 else (0.0, 0.0)
        return [(self.c * (g + lam * W), None if gb is None else self.c * (gb + lam_b * b)) for (g, gb), (W, b) in zip(data_grads, params)]

    def loss(self, data_loss: float, params) -> float:
        """The loss they should report."""
        lam, lam_b = (self.l2.lam, self.l2.lam_b) if self.l2 else (0.0, 0.0)
        penalty = sum(lam / 2 * float(np.sum(W * W)) + (lam_b / 2 * float(np.sum(b * b)) if b is not None else 0.0) for W, b in params)
        return self.c_loss * data_loss + self.c * penalty


def spec_l2(spec) -> L2Form | None:
    return L2Form(spec.l2, spec.l2 if spec.decay_biases else 0.0) if spec.l2 > 0 else None


def _last_layer_fit(grads, data_grads, params, c: float, tol: float) -> tuple[float, float, bool]:
    """(lam, lam_b, closes): the L2 coefficients that best explain the output layer under factor c, and whether the
    output layer then matches to the tolerance."""
    (dW, db), (g, gb), (W, b) = grads[-1], data_grads[-1], params[-1]
    if dW.shape != g.shape or (db is not None and gb is not None and db.shape != gb.shape):
        return 0.0, 0.0, False
    lam = float(np.sum((dW / c - g) * W) / np.sum(W * W)) if np.sum(W * W) > 0 else 0.0
    lam_b = float(np.sum((db / c - gb) * b) / np.sum(b * b)) if db is not None and np.sum(b * b) > 0 else 0.0
    lam, lam_b = (lam if abs(lam) > tol else 0.0), (lam_b if abs(lam_b) > tol else 0.0)
    closes = close(dW, c * (g + lam * W), tol) and (db is None or close(db, c * (gb + lam_b * b), tol))
    return lam, lam_b, closes


def fit(spec, loss, grads, data_loss: float, data_grads, params, N: int, outputs: int, tol: float, declared: Convention | None) -> Model:
    """The model of the learner's numbers: declared, or the known convention (and L2 form) under which their output
    layer is right, their loss agreeing; the spec's own where none is."""
    own = spec_l2(spec)
    base = Model(None, 1.0, 1.0, own)
    if declared is not None:
        c = declared.factor(N, outputs)
        mean_reported = conventions.reports_mean(declared, loss, base.loss(data_loss, params), N, outputs, tol)
        return Model(declared, c, c / N if mean_reported else c, own, note=_mean_note(N) if mean_reported else "")
    hypotheses = []
    for conv in conventions.known(spec.loss, outputs):
        c = conv.factor(N, outputs)
        lam, lam_b, closes = _last_layer_fit(grads, data_grads, params, c, tol)
        if not closes:
            continue
        l2 = L2Form(lam, lam_b) if lam or lam_b else None
        if not _plausible(l2, own, N):
            continue
        model = Model(conv if c != 1 else None, c, c, l2, found_l2=l2 != own)
        if loss is not None and not close(loss, model.loss(data_loss, params), tol):
            continue  # their loss says another convention: a scale mistake in the gradients, not this
        hypotheses.append(model)
    if hypotheses:
        return hypotheses[0]
    if loss is not None and data_loss:
        found = conventions.find(loss / base.loss(data_loss, params), spec.loss, N, outputs, tol)
        every_right = all(
            close(g, r, tol)
            for gp, rp in zip(grads, base.grads(data_grads, params))
            for g, r in zip(gp, rp)
            if g is not None and g.shape == r.shape
        )
        if found and not every_right:
            c = found.factor(N, outputs)
            return Model(found, c, c, own)
    return base


def _plausible(l2: L2Form | None, own: L2Form | None, N: int) -> bool:
    """Whether an L2 form found in the numbers is a convention: the spec's own; with --l2 given, one of the named forms
    of that strength (its biases decayed or not); without, any penalty that decays (biases with the weights' λ or
    none). A missing, negative or mismatched term is a slip for the diagnosis, not a convention."""
    if l2 == own:
        return True
    if l2 is None or l2.lam <= 0 or l2.lam_b not in (0.0, l2.lam) and abs(l2.lam_b - l2.lam) > 1e-6 * l2.lam:
        return False
    if own is None:
        return True
    return any(abs(l2.lam / own.lam - ratio(N)) <= 1e-6 * ratio(N) for ratio, _ in NAMED)


def _mean_note(N: int) -> str:
    return (
        f" Note: your reported loss is the mean, not the sum your gradients descend, and your learning rate is "
        f"effectively {N}× (N) torch's with reduction='mean'."
    )


__all__ = ["L2Form", "Model", "fit", "rel"]
