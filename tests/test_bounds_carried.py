"""The bounds with errors carried with their signs (affine forms): each operation's bound holds for errors drawn
anywhere in what it claims, corners included (rounding off, errors of a percent, so that the second-order remainders
it adds are what holds it); on networks with batch norm it is many times tighter than the entry-by-entry bound and
still above every framework's error; a one-line slip stays outside."""

import numpy as np
import pytest

from compare.agree import bounds
from compare.agree.roundoff import Err, Shared, add, matmul, mul, scale, total, transpose

RNG = np.random.default_rng(7)


def carried(v: np.ndarray, k: int = 5, size: float = 1e-2) -> Err:
    """v with errors of up to `size` of its scale: k shared ones (signed shares) and one of its own per entry."""
    c = RNG.normal(size=(k, *v.shape)) * size * np.abs(v).mean() / k
    return Err(v, RNG.uniform(0, size / 4, v.shape) * np.abs(v).mean(), c)


def symbols(n: int = 400, k: int = 5):
    """n draws of the shared t, corners half the time."""
    for i in range(n):
        yield RNG.choice([-1.0, 1.0], k) if i % 2 else RNG.uniform(-1, 1, k)


def drawn(x: Err, t: np.ndarray) -> np.ndarray:
    """A value x may take at the shared t: its own part anywhere in +- r, corners two times in three."""
    own = x.r * (RNG.choice([-1.0, 1.0], x.r.shape) if RNG.random() < 2 / 3 else RNG.uniform(-1, 1, x.r.shape))
    return x.v + np.tensordot(t, x.c, 1) + own


def draws(x: Err, n: int = 400):
    for t in symbols(n):
        yield t, drawn(x, t)


def holds(out: Err, t: np.ndarray, got: np.ndarray) -> None:
    """got - v, less the shared part out.c carries at t, within out's own bound r (float64's round-off allowed)."""
    rest = got - out.v - (0 if out.c is None else np.tensordot(t, out.c, 1))
    assert np.all(np.abs(rest) <= out.r * (1 + 1e-9) + 1e-13 * np.abs(got).max()), np.max(np.abs(rest) - out.r)


def test_each_operations_carried_part_and_remainder_hold_corners_included():
    x, y = carried(RNG.normal(size=(4, 3))), carried(RNG.normal(size=(4, 3)))
    W = carried(RNG.normal(size=(3, 2)))
    ops = [
        (lambda a, b, w: add(a, b, 0.0), lambda a, b, w: a + b),
        (lambda a, b, w: mul(a, b, 0.0), lambda a, b, w: a * b),
        (lambda a, b, w: scale(a, -0.5, 0.0), lambda a, b, w: -0.5 * a),
        (lambda a, b, w: total(a, 0, 0.0), lambda a, b, w: a.sum(0)),
        (lambda a, b, w: matmul(a, w, 0.0), lambda a, b, w: a @ w),
        (lambda a, b, w: matmul(transpose(a), b, 0.0), lambda a, b, w: a.T @ b),
    ]
    for op, plain in ops:
        out = op(x, y, W)
        for t in symbols(200):  # one t for all three: their shared errors are the same five, in different shares
            holds(out, t, plain(drawn(x, t), drawn(y, t), drawn(W, t)))


@pytest.mark.parametrize("name", ["sigmoid", "tanh", "gelu", "gelu_tanh", "relu", "leaky_relu"])
def test_an_activation_carries_its_slope_and_its_change_takes_the_rest(name):
    from scratch.activations import activation

    z = carried(np.array([[-30.0, -3.0, -0.4, 0.0, 1e-3, 0.7, 2.5, 9.0]]), size=0.2)  # kinks and saturations inside
    h, _ = bounds.act(z, name, 0.2, 0.0)
    f = activation(name, 0.2).f
    for t, zs in draws(z):
        holds(h, t, f(zs))


def test_an_inverse_square_root_and_softmax_hold_with_errors_of_a_percent():
    s = carried(np.array([[0.4, 1.0, 3.0]]), size=0.05)
    out = bounds.inverse_root(s, 0.0)
    for t, ss in draws(s):
        holds(out, t, 1 / np.sqrt(ss))
    z = carried(np.array([[2.0, -1.0, 0.5, 8.0], [0.0, 0.0, 0.1, -3.0]]), size=0.5)
    p = bounds.probabilities_of(z, 0.0)
    for t, zs in draws(z):
        e = np.exp(zs - zs.max(axis=1, keepdims=True))
        holds(p, t, e / e.sum(axis=1, keepdims=True))


def test_batch_norm_forward_and_backward_hold_with_their_inputs_errors_carried():
    from scratch import batch_norm

    H, dY = carried(RNG.normal(size=(6, 3)) + 1.0, size=0.02), carried(RNG.normal(size=(6, 3)), size=0.02)
    y, cache = bounds.norm(H, 1e-5, 0.0)
    back = bounds.norm_back(dY, cache, 0.0)
    for t in symbols(200):
        Y, c = batch_norm.forward(drawn(H, t), 1e-5)
        holds(y, t, Y)
        holds(back, t, batch_norm.backward_full(drawn(dY, t), c))


def test_keep_turns_each_entrys_own_error_into_a_new_shared_one_after_those_already_made():
    shared = Shared()
    x = shared.keep(Err(np.ones((2, 2)), np.array([[1e-3, 0.0], [2e-3, 3e-3]])))
    assert shared.k == 3 and x.c.shape == (3, 2, 2) and np.all(x.r == 0)
    np.testing.assert_array_equal(x.e, [[1e-3, 0.0], [2e-3, 3e-3]])
    y = shared.keep(Err(np.ones(2), np.array([5e-3, 0.0]), None))
    assert shared.k == 4 and y.c.shape == (4, 2) and np.all(y.c[:3] == 0) and y.c[3, 0] == 5e-3
    assert Shared(on=False).keep(Err(np.ones((2, 2)), np.ones((2, 2)))).c is None


@pytest.mark.parametrize("case", [69, 261])
def test_on_small_batches_with_batch_norm_the_carried_bound_catches_the_transpose_the_entrywise_one_lets_through(case):
    from tests import bound_study

    spec = bound_study.random_spec(case, "float32")  # 3 hidden layers with batch norm, batches of 52 and 6
    entrywise, signed = bound_study.measure(spec, carried=False), bound_study.measure(spec)
    assert entrywise["transpose"] < 1 < 10 < signed["transpose"], (entrywise, signed)
    assert max(signed[k] for k in (*bound_study.FRAMEWORKS, "ulp")) <= 1 and signed["factor"] > 100


def test_where_a_slips_tensors_are_below_round_off_it_stays_inside_and_the_tool_does_not_judge_them():
    from compare.agree import exact_rows
    from tests import bound_study

    shares = bound_study.measure(bound_study.random_spec(14, "float32"))  # a saturated sigmoid output: dZ below float32's reach
    assert shares["transpose moves"] and shares["transpose"] < 1 and shares["transpose unjudged"], shares
    assert exact_rows.judged(0.5, 2.7, "float32")["pass"] is None and exact_rows.judged(0.5, 0.9, "float32")["pass"] is True
    assert exact_rows.judged(1.5, 2.7, "float32")["pass"] is False  # beyond even a bound that large: a disagreement
    assert "below round-off in float32" in exact_rows.judged(0.5, 1.0, "float32")["status"]


def test_carrying_is_sized_by_hand_and_left_out_past_its_budget():
    from compare.shared.spec import Spec

    small = Spec(layers=(2, 16, 16, 16, 4), batch_size=64, batch_norm=True)  # 64 x 48 symbols, each in a 64 x 16 layer
    assert bounds.carried_size(small, 64) == 64 * 48 * (64 * 16) <= bounds.CARRIED
    wide = Spec(layers=(784, 128, 64, 10), loss="ce", output="softmax", batch_size=16)  # 16 x 192 symbols, W1 784 x 128
    assert bounds.carried_size(wide, 16) == 16 * 192 * (784 * 128) > bounds.CARRIED
    X, y = RNG.normal(size=(16, 784)), RNG.integers(0, 10, 16)
    params = [(RNG.normal(size=(a, b)) / np.sqrt(a), np.zeros(b)) for a, b in zip(wide.layers, wide.layers[1:])]
    got, plain = bounds.gradient_bounds(wide, params, X, y), bounds.gradient_bounds(wide, params, X, y, carried=False)
    assert all(np.array_equal(a.e, b.e) for p, q in zip(got, plain) for a, b in zip(p, q))


def test_the_second_order_parts_are_barely_more_than_what_a_corner_reaches():
    def worst(out: Err, plain, x: Err) -> np.ndarray:
        """The largest share of out's own bound the remainder takes at the corners of one shared error."""
        return np.max([np.abs(plain(x.v + t * x.c[0]) - out.v - t * out.c[0]) / out.r for t in (-1.0, 1.0)], axis=0)

    s = Err(np.array([1.0, 0.3]), np.zeros(2), np.array([[1e-2, 1e-2]]))  # 1/sqrt(s): 3 e^2 / (8 (s - e)^2.5)
    assert np.all(worst(bounds.inverse_root(s, 0.0), lambda v: 1 / np.sqrt(v), s) > 0.9)
    x, y = Err(np.array([2.0]), np.zeros(1), np.array([[0.1]])), Err(np.array([-3.0]), np.zeros(1), np.array([[0.2]]))
    both = mul(x, y, 0.0)  # (x + a t)(y + b t): the product of the errors, a b, is all that is left
    np.testing.assert_allclose([abs((x.v + t * 0.1) * (y.v + t * 0.2) - both.v - t * both.c[0]) for t in (-1, 1)], [both.r] * 2)
    z = Err(np.array([[2.0, -1.0, 0.5]]), np.zeros((1, 3)), np.array([[[0.05, -0.05, 0.0]]]))

    def softmax(v):
        e = np.exp(v - v.max())
        return e / e.sum()

    assert worst(bounds.probabilities_of(z, 0.0), softmax, z).max() > 0.5  # p (e^(2m) - 1 - 2m + m^2 / 2) at its tightest


def test_an_inverse_square_roots_carried_share_own_part_and_rounding_by_hand():
    u = 2.0**-53
    out = bounds.inverse_root(Err(np.array([1.0]), np.array([1e-3]), np.array([[2e-3]])), u)  # s = 1, e = 3e-3, s - e = 0.997
    np.testing.assert_allclose(out.c[0], [-0.5 * 2e-3], rtol=1e-15)  # the slope at s, -s^-1.5 / 2, carries the shared part
    np.testing.assert_allclose(out.r, [0.5 * 1e-3 + 3 * 9e-6 / (8 * 0.997**2.5) + bounds.ROOT * u], rtol=1e-13)


def test_the_verdict_names_the_largest_share_and_the_tensors_not_judged():
    from types import SimpleNamespace

    import pandas as pd

    from compare.io import markdown

    def line(passes):
        rows = [{"pair": "numpy vs torch", "tensor": t, "max_rel": 1e-7, "bound": b, "bound_ratio": r, "pass": p}
                for t, b, r, p in zip(["dW2", "db1", "dW1"], [0.1, 2.5, 3.0], [0.2, 0.4, 0.3], passes)]  # fmt: skip
        exact = {"pair": "numpy vs exact", "tensor": "dW1", "max_rel": 1.0, "bound": 3.0, "bound_ratio": 9.0, "pass": False}
        result = SimpleNamespace(tables={"gradients": pd.DataFrame([*rows, exact])}, spec=SimpleNamespace(dtype="float32"))
        return markdown._gradient_line(result)

    assert line([True, None, None]) == [
        "- First gradients: every pair within what round-off can explain here; the largest share is numpy vs torch's `dW2`, "
        "1.0e-07 = 0.2 of its bound (1.0e-01). Also not judged: `db1`, `dW1`, whose bound is as large as the gradient itself "
        "(round-off in float32 alone could move them by their own size)."
    ]
    assert line([None, None, None])[0].startswith("- First gradients: not judged: `dW2`, `db1`, `dW1`, whose bound")
    assert line([True, False, None]) == [] and "Also" not in line([True, True, True])[0]
    assert line([True, None, True])[0].endswith("(round-off in float32 alone could move it by its own size).")
