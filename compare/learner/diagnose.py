"""Name a learner's backprop mistake from the numbers, as a chain of small rules: each looks at the Evidence (their
loss and gradients, the reference's in their convention, the reference with each known slip put in; evidence.py) and
returns a finished Diagnosis, or None to pass it on. The first rule that answers is the diagnosis."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from compare.learner import conventions, slips
from compare.learner.conventions import Convention
from compare.learner.evidence import Diagnosis, Evidence
from compare.learner.mistakes import RELU_NOTE, words
from compare.learner.model import L2Form
from compare.learner.numbers import close, cosine, scale_of
from compare.shared import weights

BOTH_READINGS = (
    "; or, if you train on the summed loss on purpose (several tutorials do: the learning rate absorbs N), say so with --convention sum"
)


def _ratio(c: float, N: int, outputs: int, tol: float) -> tuple[tuple[str, ...], str]:
    """The known mistake a scalar ratio (learner / reference) points to, and the ratio in words."""
    known = [(N, "batch", f"{N} = N"), (1 / N, "twice", f"1/{N} = 1/N"), (2.0, "factor2", "2"), (0.5, "factor2", "½")]
    if outputs > 1:
        known += [
            (N * outputs, "batch", f"{N * outputs} = N × outputs"),
            (1 / (N * outputs), "twice", f"1/{N * outputs} = 1/(N × outputs)"),
        ]
    for value, mistake, said in known:
        if abs(abs(c) - value) <= 10 * tol * value:
            return (("sign", mistake), f"-{said}") if c < 0 else ((mistake,), said)
    return (("sign",), "-1") if abs(c + 1) <= 10 * tol else ((), f"{c:.4g}")


def all_right(ev: Evidence) -> Diagnosis | None:
    if ev.wrong or not ev.loss_ok:
        return None
    m, case = ev.model, ev.case
    if m.convention is not None or m.found_l2:
        how = (
            "declared"
            if case.declared
            else "found from your loss and gradients"
            if ev.loss is not None
            else "found from your gradients alone"
        )
        parts = []
        if m.convention is not None:
            parts.append(f"{m.convention.name} ({how}): {m.convention.message(case.spec.loss, case.N, case.outputs)}")
        your = "Your" if parts else "your"  # a new sentence after the convention's
        if m.found_l2 and m.l2 is not None:
            parts.append(f"{your} L2 penalty is {m.l2.words(ev.strength, case.N, ev.source, m.c, m.n_data)}: {m.l2.frameworks()}.")
        elif m.found_l2:
            parts.append(f"{your} gradients carry no L2 term")
        subject = "The loss and every gradient match" if ev.loss is not None else "Every gradient matches"
        return Diagnosis(True, None, (), f"{subject} the reference under your convention, {' '.join(parts)}{m.note}", m)
    if ev.loss is None:
        return Diagnosis(True, None, (), "Every gradient matches the reference (your function returns no loss).", m)
    return Diagnosis(True, None, (), "The loss and every gradient match the reference.", m)


def loss_only(ev: Evidence) -> Diagnosis | None:
    if ev.wrong:
        return None
    mistakes, said = _ratio(ev.loss / ev.expected_loss if ev.expected_loss else np.inf, ev.case.N, ev.case.outputs, ev.case.tol)
    mistakes = tuple("loss_mean" if k == "batch" else k for k in mistakes)
    what, fix = (
        words(mistakes, ev.case.form.columns) if mistakes else ("no known mistake fits", "compare your loss line with the spec's loss")
    )
    message = f"{ev.under}Every gradient is right, but your loss is {ev.loss:.6g} against {ev.expected_loss:.6g} (ratio {said}): {what}. Fix: {fix}."
    return Diagnosis(False, "loss", mistakes, message, ev.model)


def declared_other(ev: Evidence) -> Diagnosis | None:
    """--convention said one thing, their gradients follow another known convention (or the spec's mean)."""
    case, m = ev.case, ev.model
    if case.declared is None:
        return None
    own = [(g, r / m.c) for gp, rp in zip(ev.grads, ev.expected) for g, r in zip(gp, rp) if r is not None and np.shape(g) == np.shape(r)]
    theirs = conventions.find(scale_of(own), case.spec.loss, case.N, case.outputs, case.tol)
    if theirs is None and not all(close(g, r, case.tol) for g, r in own):
        return None
    actual = (theirs or Convention()).name
    message = (
        f"Your gradients follow the convention {actual}, not the declared {case.declared.name} "
        f"({case.declared.factor_words(case.N, case.outputs)} × the spec's loss): drop --convention, or declare --convention {actual}."
    )
    return Diagnosis(False, ev.name(*ev.wrong[0]), ("convention",), message, m)


def no_biases(ev: Evidence) -> Diagnosis | None:
    """Every bias gradient zero while the reference's are not: a network written without biases."""
    biases = [(g[1], r[1]) for g, r in zip(ev.grads, ev.expected) if r[1] is not None]
    if not biases or not all(np.shape(g) == np.shape(r) and not np.any(g) and np.any(r) for g, r in biases):
        return None
    message = f"{ev.under}Every bias gradient is zero while the reference's are not: does your network have no biases? If so, say --no-bias (bias = false in a config); if it has, db = dZ summed over the batch."
    return Diagnosis(
        False,
        ev.name(*[w for w in ev.wrong if w[1] == 1][0]) if any(w[1] == 1 for w in ev.wrong) else ev.name(*ev.wrong[0]),
        ("no_biases",),
        message,
        ev.model,
    )


def shapes(ev: Evidence) -> Diagnosis | None:
    """Swapped, transposed, unsummed or otherwise misshapen at the first wrong tensor."""
    i, j = ev.wrong[0]
    g, r, tol = ev.grads[i][j], ev.expected[i][j], ev.case.tol
    mine = lambda a: tuple(reversed(a)) if ev.case.form.columns else a  # noqa: E731  a weight shape as the learner sees it
    dW, db = ev.grads[i]
    W, b = ev.case.params[i]
    if b is not None and W.ndim == 2 and np.shape(dW) == b.shape and np.shape(db) == W.shape:
        return ev.found(
            ("swapped",), f"dW{i + 1} has the shape of b{i + 1}, {np.shape(dW)}, and db{i + 1} that of W{i + 1}, {mine(np.shape(db))}"
        )
    if j == 0 and np.shape(g) == r.T.shape and close(g.T, r, tol):
        return ev.found(
            ("transposed",), f"{ev.name(i, j)} has shape {mine(g.shape)} and its transpose matches the reference, of shape {mine(r.shape)}"
        )
    N = ev.case.N
    if j == 1 and np.shape(g) == (N, r.shape[0]) and close(g.sum(axis=0), r, tol):
        per = f"({r.shape[0]}, {N}), one column per sample" if ev.case.form.columns else f"{g.shape}, one row per sample"
        return ev.found(("bias_sum",), f"{ev.name(i, j)} has shape {per}; its sum over the batch matches")
    if np.shape(g) != r.shape:
        message = f"{ev.under}{ev.name(i, j)} has shape {mine(np.shape(g))}, expected {mine(r.shape)}, and no known mistake fits."
        return Diagnosis(False, ev.name(i, j), (), message, ev.model)
    return None


def scale(ev: Evidence) -> Diagnosis | None:
    """The first wrong tensor is a known factor times the reference: N, 1/N, 2, ½, -1."""
    i, j = ev.wrong[0]
    g, r, case = ev.grads[i][j], ev.expected[i][j], ev.case
    c = scale_of([(g, r)])
    if not close(g, c * r, case.tol):
        return None
    mistakes, said = _ratio(c, case.N, case.outputs, case.tol)
    if not mistakes:
        return None
    if mistakes == ("twice",) and all(a >= weights.n_linear(case.params) for a, _ in ev.wrong):  # batch norm's scale and shift alone
        mistakes = ("bn_scale_shift_mean",)
    same = [ev.name(a, b) for a, b in ev.wrong if ev.shaped(a, b) and close(ev.grads[a][b], c * ev.expected[a][b], case.tol)]
    detail = f"{', '.join(same)} {'is' if len(same) == 1 else 'are'} exactly {said} × the reference"
    loss_ratio = ev.loss / ev.expected_loss if ev.loss is not None and ev.expected_loss else np.inf
    if ev.loss is not None and abs(loss_ratio - c) <= 1e-6 * abs(c) and c != 1:
        detail += f"; your loss is {said} × too, so it agrees with your gradients but not with the spec's loss"
    other = [ev.name(a, b) for a, b in ev.wrong if ev.name(a, b) not in same]
    if other:
        detail += f"; {', '.join(other)} {'is' if len(other) == 1 else 'are'} wrong in another way as well: check again after this fix"
    result = ev.found(mistakes, detail, **({"plan": {"scale_shift": "mean"}} if mistakes == ("bn_scale_shift_mean",) else {"factor": c}))
    if mistakes == ("batch",) and ev.model.convention is None and ev.loss is not None and close(ev.loss, ev.expected_loss, case.tol):
        result = replace(result, message=result.message.rstrip(".") + BOTH_READINGS + ".")
    return result


def penalty(ev: Evidence) -> Diagnosis | None:
    """An L2 slip at the first wrong tensor: the penalty's gradient missing, doubled, halved, or on the biases."""
    i, j = ev.wrong[0]
    case, m = ev.case, ev.model
    l2 = m.l2 or L2Form(0.0)
    lam = l2.lam or case.spec.l2
    if not lam:
        return None
    (g, gb), (W, b), c = ev.data_grads[i], case.params[i], m.c
    tries = {
        "l2_missing": (c * g, None if gb is None else c * (gb + l2.lam_b * b), "dW has no λW term"),
        "l2_double": (c * (g + 2 * lam * W), None if gb is None else c * (gb + l2.lam_b * b), "dW has 2λW instead of λW"),
        "l2_half": (
            c * (g + lam / 2 * W),
            None if gb is None else c * (gb + l2.lam_b * b),
            "dW has λW/2 where the loss's penalty gives λW",
        ),
        "l2_biases": (c * (g + lam * W), None if gb is None else c * (gb + lam * b), "db has λb added too"),
    }
    for key, (eW, eb, said) in tries.items():
        if (
            close(ev.grads[i][0], eW, case.tol)
            and (eb is None or close(ev.grads[i][1], eb, case.tol))
            and not close(ev.grads[i][j], ev.expected[i][j], case.tol)
        ):
            return ev.found((key,), f"{said} (λ = {lam:g})", plan={"l2": key.removeprefix("l2_")})
    return None


def catalogue(ev: Evidence) -> Diagnosis | None:
    """A known slip whose reference reproduces their gradients (in their convention)."""
    case, m = ev.case, ev.model
    spec = case.spec.replace(l2=0.0, decay_biases=False)
    for mistake, how, plan in slips.catalogue(spec, case.params):
        P = slips.gradients(spec, case.params, case.X, case.y, plan, case.masks)
        if P is None:
            continue
        P = m.grads(P, case.params)
        if all(close(P[a][b], ev.expected[a][b], case.tol) for a, b in ev.order):
            continue
        if all(close(ev.grads[a][b], P[a][b], case.tol) for a, b in ev.order if ev.shaped(a, b)):
            if mistake == "relu_zero":
                extra = "" if ev.loss_ok else f"; but your loss is {ev.loss:.6g} against {ev.expected_loss:.6g}"
                names = ", ".join(ev.name(a, b) for a, b in ev.wrong)
                return Diagnosis(
                    ev.loss_ok, None if ev.loss_ok else "loss", ("relu_zero",), f"{RELU_NOTE}: {names} differ only there{extra}.", m, plan
                )
            return ev.found((mistake,), how, plan=plan)
    return None


def other_loss(ev: Evidence) -> Diagnosis | None:
    """Their gradients are right for their own loss (finite differences agree), and that loss is another one."""
    if ev.loss is None or not ev.fd_agrees or ev.model.convention is not None:
        return None
    base = unknown(ev)
    like = slips.resembles(ev.case.spec, ev.case.params, ev.case.X, ev.case.y, ev.loss)
    message = base.message + (
        f" Your gradients are right for your own loss (finite differences agree), so the loss itself differs from the spec's "
        f"{ev.case.spec.loss}: yours is {ev.loss:.6g} against {ev.expected_loss:.6g}"
        + (f", and it is {like}." if like else ", and no loss it knows.")
    )
    return replace(base, mistakes=("loss_differs",), message=message)


def _where(i: int, j: int, right: list[tuple[int, int]], L: int) -> str:
    """Where to look, from which tensors are right; (i, j) is the first wrong one, j = 0 for dW, 1 for db."""
    k = i + 1
    if (i, 1 - j) in right:
        return f"{'db' if j == 0 else 'dW'}{k} is right, so dZ{k} is right: the mistake is in {'dW' if j == 0 else 'db'}{k} itself"
    if i == L - 1:
        return "the output layer is already wrong: check the output delta dZ = dL/dlogits first"
    above = f"dW{k + 1} and db{k + 1} are right" if (k, 1) in right else f"dW{k + 1} is right"
    return f"{above}, so dZ{k + 1} is: the error goes wrong on its way back into layer {k}, at @ W{k + 1}.T or at the derivative"


def unknown(ev: Evidence) -> Diagnosis:
    i, j = ev.wrong[0]
    g, r = ev.grads[i][j], ev.expected[i][j]
    c = scale_of([(g, r)])
    where = _where(i, j, [w for w in ev.order if w not in ev.wrong], len(ev.grads))
    message = (
        f"{ev.under}{ev.name(i, j)} is the first wrong tensor walking back from the output, and no known mistake fits "
        f"(best scalar fit {c:.4g} × the reference, cosine {cosine(g, r):.3f}); {where}."
    )
    return Diagnosis(False, ev.name(i, j), (), message, ev.model)


RULES = (all_right, loss_only, declared_other, no_biases, shapes, scale, penalty, catalogue, other_loss)


def diagnose(ev: Evidence) -> Diagnosis:
    """The first rule's answer; "no known mistake fits" when none answers."""
    for rule in RULES:
        found = rule(ev)
        if found is not None:
            return found
    return unknown(ev)
