"""The round-off bounds pinned by hand: each operation's rule (Higham's gamma_n), and a one-neuron network's bound
derived step by step on paper for ReLU, sigmoid, GELU, batch norm with its scale and shift, dropout, L2 and the loss
on probabilities; a pair uses twice its bound, a relative bound is against the tensor's largest entry."""

from types import SimpleNamespace

import numpy as np
import pytest

from compare.agree import bounds, exact_rows
from compare.agree.roundoff import UNIT, Err, add, exact, function, gamma, matmul, mul, scale, total
from compare.shared.spec import Spec

u = UNIT["float64"]
assert u == 2.0**-53 and UNIT["float32"] == 2.0**-24


def g(n):
    return n * u / (1 - n * u)


def test_each_operation_adds_its_own_rounding_to_what_it_carries():
    assert gamma(3, u) == 3 * u / (1 - 3 * u) and gamma(0, u) == 0
    x, y = Err(np.array([2.0, -3.0]), np.array([1e-3, 2e-3])), Err(np.array([0.5, 4.0]), np.array([1e-4, 0.0]))
    np.testing.assert_array_equal(add(x, y, u).e, [1e-3 + 1e-4 + u * 2.5, 2e-3 + u * 1.0])
    np.testing.assert_array_equal(mul(x, y, u).e, [2 * 1e-4 + 0.5 * 1e-3 + 1e-7 + u * 1.0, 3 * 0 + 4 * 2e-3 + 0 + u * 12])
    np.testing.assert_array_equal(scale(x, -0.5, u, ops=2).e, [0.5e-3 + g(2) * 1.0, 1e-3 + g(2) * 1.5])
    np.testing.assert_array_equal(total(x, 0, u).e, [3e-3 + g(1) * 5.0])
    A, W, b = Err(np.array([[1.0, -2.0]]), np.array([[1e-3, 0.0]])), exact([[3.0], [0.5]]), exact([0.25])
    assert matmul(A, W, u).e[0, 0] == 3e-3 + g(2) * 4.0 and matmul(A, W, u, b).e[0, 0] == 3e-3 + g(3) * 4.25
    Wr = Err(np.array([[3.0], [0.5]]), np.array([[0.5], [0.25]]))  # both factors inexact: |A| eW + eA (|W| + eW)
    assert matmul(A, Wr, u).e[0, 0] == pytest.approx(1e-3 * 3.5 + (0.5 + 2 * 0.25) + g(2) * 4.0, rel=1e-15, abs=0)
    f = function(Err(np.array([1.0]), np.array([1e-3])), np.tanh, np.array([0.5]), 8, u)
    assert f.e[0] == 0.5e-3 + 8 * u * np.tanh(1.0)


def one_neuron(**changes) -> tuple[Spec, list, np.ndarray, np.ndarray]:
    """1-1-1: x = 2, W1 = 0.75, b1 = 0.25 (z1 = 1.75), W2 = 1.5, b2 = -0.5; target 0.5."""
    spec = Spec(**{"layers": (1, 1, 1), "activation": "relu", "loss": "mse", "output": "identity", "batch_size": 1, **changes})
    params = [(np.array([[0.75]]), np.array([0.25])), (np.array([[1.5]]), np.array([-0.5]))]
    return spec, params, np.array([[2.0]]), np.array([[0.5]])


def finish(e_dZ2, dZ2, e_H, H, fp_e=0.0, fp=1.0, W2=1.5, x=2.0, stored=2):
    """The backward pass of the one-neuron network from dL/dz2 (value and bound), on paper: dW2 = H dZ2, db2 = dZ2,
    dA = dZ2 W2, dZ1 = dA f'(z1), dW1 = x dZ1, db1 = dZ1; each then + 2u |g|."""
    dW2 = e_H * (abs(dZ2) + e_dZ2) + abs(H) * e_dZ2 + g(1) * abs(H * dZ2)
    dA, e_dA = dZ2 * W2, e_dZ2 * abs(W2) + g(1) * abs(dZ2 * W2)
    dZ1, e_dZ1 = dA * fp, abs(dA) * fp_e + abs(fp) * e_dA + e_dA * fp_e + u * abs(dA * fp)
    dW1 = abs(x) * e_dZ1 + g(1) * abs(x * dZ1)
    return [dW1 + stored * u * abs(x * dZ1), e_dZ1 + stored * u * abs(dZ1), dW2 + stored * u * abs(H * dZ2), e_dZ2 + stored * u * abs(dZ2)]


def computed(spec, params, X, y, **options) -> list[float]:
    return [float(np.max(e.e)) for pair in bounds.gradient_bounds(spec, params, X, y, **options) for e in pair if e is not None]


def test_relu_and_a_linear_output_under_mse_by_hand():
    spec, params, X, y = one_neuron()
    e_H = g(2) * (1.5 + 0.25)  # z1 = x W1 + b1: a dot product of 1 and a bias, gamma_2 (|x W1| + |b1|); ReLU exact
    e_z2 = e_H * 1.5 + g(2) * (1.75 * 1.5 + 0.5)
    dZ2 = 2 * (2.125 - 0.5)  # 2 (a - y) / (N O), N = O = 1
    e_dZ2 = 2 * (e_z2 + u * 1.625) + g(3) * dZ2  # a - y, then the mean's divisions: three roundings
    assert computed(spec, params, X, y) == pytest.approx(finish(e_dZ2, dZ2, e_H, 1.75), rel=1e-12, abs=0)


def test_a_sigmoid_its_derivative_and_a_sigmoid_output_by_hand():
    spec, params, X, y = one_neuron(activation="sigmoid", output="sigmoid")
    s = lambda z: 1 / (1 + np.exp(-z))  # noqa: E731
    z1, e_z1 = 1.75, g(2) * 1.75
    H, d1 = s(z1), s(z1) * (1 - s(z1))
    e_H = (d1 + 0.0963 * e_z1) * e_z1 + 8 * u * H  # slope over z's error, and the sigmoid's own 8 ulps
    fp_e = 0.0963 * e_z1 + 8 * u * (d1 + H)
    z2, e_z2 = H * 1.5 - 0.5, e_H * 1.5 + g(2) * (H * 1.5 + 0.5)
    a, d2 = s(z2), s(z2) * (1 - s(z2))
    e_a = (d2 + 0.0963 * e_z2) * e_z2 + 8 * u * a
    grad, e_grad = 2 * (a - 0.5), 2 * (e_a + u * abs(a - 0.5)) + g(3) * abs(2 * (a - 0.5))
    e_fp2 = 0.0963 * e_z2 + 8 * u * (d2 + a)
    dZ2, e_dZ2 = grad * d2, abs(grad) * e_fp2 + d2 * e_grad + e_grad * e_fp2 + u * abs(grad * d2)
    assert computed(spec, params, X, y) == pytest.approx(finish(e_dZ2, dZ2, e_H, H, fp_e, d1), rel=1e-9, abs=0)


def test_a_tanh_layer_under_a_linear_output_takes_its_own_derivative_by_hand():
    spec, params, X, y = one_neuron(activation="tanh")
    z1, e_z1 = 1.75, g(2) * 1.75
    H, d1 = np.tanh(z1), 1 - np.tanh(z1) ** 2
    c = d1 * (1 + 1e-14) * np.expm1(2 * e_z1)  # f' within f'(z) e^(2|dz|) (|tanh''| <= 2 tanh'), under sup|tanh''| dz = 0.770 dz
    assert c < 0.770 * e_z1 and c == pytest.approx(2 * d1 * e_z1, rel=1e-12)
    e_H = (d1 + c) * e_z1 + 8 * u * H  # the slope over z's error, and tanh's own 8 ulps
    fp_e = c + 8 * u * (d1 + H)
    z2, e_z2 = H * 1.5 - 0.5, e_H * 1.5 + g(2) * (H * 1.5 + 0.5)
    dZ2, e_dZ2 = 2 * (z2 - 0.5), 2 * (e_z2 + u * abs(z2 - 0.5)) + g(3) * abs(2 * (z2 - 0.5))
    assert computed(spec, params, X, y) == pytest.approx(finish(e_dZ2, dZ2, e_H, H, fp_e, d1), rel=1e-9, abs=0)


def test_a_dead_relu_layer_passes_no_gradient_and_no_error_to_the_layers_below():
    spec = Spec(layers=(1, 1, 1, 1), activation=("tanh", "relu"), loss="mse", output="identity", batch_size=1)
    params = [(np.array([[0.75]]), np.array([0.25])), (np.array([[-1.0]]), np.array([0.0])), (np.array([[1.5]]), np.array([-0.5]))]
    B = computed(spec, params, np.array([[2.0]]), np.array([[0.5]]))  # z2 = -tanh(1.75) < 0, far from the kink: f' = 0 exactly
    assert B[:4] == [0.0, 0.0, 0.0, 0.0] and B[4] == 0.0 and B[5] > 0  # dW3 = A2 dZ3 with A2 = 0 exactly; db3 carries dZ3's error


def test_l2_adds_lam_w_with_two_roundings_and_a_dropout_mask_one():
    spec, params, X, y = one_neuron(l2=0.5, decay_biases=True)
    plain = computed(one_neuron()[0], params, X, y)
    with_l2 = computed(spec, params, X, y)
    H, dZ2, lam = 1.75, 3.25, 0.5
    for i, (w, g_) in enumerate([(0.75, 2 * 4.875), (0.25, 4.875), (1.5, H * dZ2), (-0.5, dZ2)]):
        extra = u * abs(lam * w) + u * abs(g_ + lam * w) + 2 * u * (abs(g_ + lam * w) - abs(g_))  # lam w, the sum; its stored ulps
        assert with_l2[i] == pytest.approx(plain[i] + extra, rel=1e-12, abs=0), i
    masked = computed(Spec(**{**one_neuron()[0].__dict__, "dropout": 0.5}), params, X, y, masks=[np.array([[2.0]])])
    assert masked[3] > plain[3] and masked[0] > 2 * plain[0]  # the mask doubles what passes and adds its rounding


def test_a_relu_kink_within_the_input_error_bounds_the_derivative_by_one():
    spec, params, X, y = one_neuron()
    at_kink = [(np.array([[0.75]]), np.array([-1.5])), params[1]]  # z1 = 0 exactly: either side is round-off's choice
    b = bounds.gradient_bounds(spec, at_kink, X, y)
    assert b[0][0].v[0, 0] == 0 and b[0][0].e[0, 0] > 0  # relu'(0) = 0, yet the bound holds the other branch's 2 dA
    assert b[0][0].e[0, 0] == pytest.approx(2 * abs(b[0][0].v[0, 0] + 2 * (-0.5 - 0.5) * 1.5), rel=1e-9, abs=0)


def test_batch_norm_and_its_scale_and_shift_by_hand_on_two_samples():
    spec = Spec(
        layers=(1, 1, 1), activation="relu", loss="mse", output="identity", batch_size=2, batch_norm=True, bn_affine=True, bn_eps=0.25
    )
    params = [(np.array([[1.0]]), np.array([0.0])), (np.array([[1.0]]), np.array([0.0])), (np.array([2.0]), np.array([0.5]))]
    X, y = np.array([[1.0], [3.0]]), np.array([[0.0], [0.0]])
    y_hat, inv = bounds.norm(exact(X), 0.25, u)[1]  # H = [1, 3]: mean 2, var 1, inv 1 / sqrt(1.25)
    e_mean = g(1) * 4 / 2 + u * 2  # the sum (gamma_1 of 4), then / 2
    e_var = (2 * (1 * (e_mean + u) + 1 * (e_mean + u)) + 2 * u + g(1) * 2) / 2 + u * 1  # xc = H - mean, xc^2, sum, / 2
    e_s = e_var + u * 0.25 + u * 1.25
    assert inv.e[0] == pytest.approx(e_s / 2 / (1.25 - e_s) ** 1.5 + 4 * u / np.sqrt(1.25), rel=1e-9, abs=0)
    np.testing.assert_allclose(y_hat.v[:, 0], [-1 / np.sqrt(1.25), 1 / np.sqrt(1.25)])
    dgamma, dbeta = bounds.gradient_bounds(spec, params, X, y)[2]
    B = 2 * y_hat.v[:, 0] + 0.5  # the logits: gamma Y + beta, then W2 = 1
    np.testing.assert_allclose([dgamma.v[0], dbeta.v[0]], [np.sum(B * y_hat.v[:, 0]), np.sum(B)], rtol=1e-14)  # 2 (B - 0) / 2 each
    compact = bounds.norm_back(exact(np.array([[1.0], [-1.0]])), (y_hat, inv), u)
    exact_inputs = bounds.norm_back(exact(np.array([[1.0], [-1.0]])), (exact(y_hat.v), exact(inv.v)), u)
    assert exact_inputs.e[0, 0] < compact.e[0, 0] and bounds.FORMULAS == 4  # the roundings widened, the inputs' errors not


def test_softmax_cross_entropy_and_probabilities_bound_by_hand():
    spec = Spec(layers=(1, 1, 2), activation="relu", loss="ce", batch_size=1)
    z = Err(np.array([[0.0, np.log(3.0)]]), np.array([[1e-10, 0.0]]))
    p = np.array([0.25, 0.75])
    m = 1e-10  # the row's largest error: p moves within p e^(+-2m), the log-sum-exp's curvature at most m^2
    e_p = p * (z.e[0] + 0.25e-10) + p * (np.expm1(2 * m) - 2 * m + m * m / 2) + (4 + g(2) / u) * u * p
    grad = bounds.loss_gradient(spec, z, np.array([1]), u)
    np.testing.assert_allclose(grad.v[0], p - [0, 1], rtol=1e-15)
    np.testing.assert_allclose(grad.e[0], e_p + u * np.abs(p - [0, 1]) + g(3) * np.abs(p - [0, 1]), rtol=1e-12)
    near = bounds.loss_gradient(spec, z, np.array([1]), u, probabilities=True)
    np.testing.assert_allclose(near.e[0] - grad.e[0], 8 * u * np.abs(grad.v[0]) / 0.25, rtol=1e-12)  # u / min(p, 1 - p)


def test_a_pair_uses_twice_its_bound_and_a_run_its_own_against_the_exact_value():
    B = np.array([1e-16, 2.0**-52])
    result = SimpleNamespace(bounds=[(Err(np.zeros(2), B), None)])
    assert exact_rows.bounds(result)[0] is B and exact_rows.bounds(SimpleNamespace(bounds=None)) is None
    d = exact_rows.pair_bound(result, 0, np.array([4.0, 1.0]), np.array([4.0, 1.0 + 2.0**-52]))  # one ulp apart, both within B
    assert d == {"bound": 2.0**-51 / 4.0, "bound_ratio": 0.5}
    assert np.isnan(exact_rows.relative(B, np.zeros(2))) and exact_rows.relative(B, [-0.5, 0.25]) == 2.0**-51


@pytest.mark.parametrize("name", ["sigmoid", "tanh", "gelu", "gelu_tanh"])
def test_each_curvature_constant_bounds_the_activations_second_derivative_and_barely_more(name):
    from scratch.activations import activation

    z = np.linspace(-6, 6, 120001)
    d = activation(name).in_z(z)
    curvature = np.max(np.abs(np.gradient(d, z)))  # sup |f''| on a fine grid (it peaks inside [-6, 6])
    assert curvature <= bounds.CURVATURE[name] <= 1.01 * curvature


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_each_activations_own_error_covers_torch_and_tensorflow_and_barely_more(dtype):
    import tensorflow as tf
    import torch

    from compare.exact import extended

    z = np.linspace(-12, 12, 20001).astype(dtype)
    wide = z.astype(np.longdouble)
    exact = {"sigmoid": extended.sigmoid().f(wide), "tanh": np.tanh(wide)}
    worst = {}
    for name, t, k in (("sigmoid", torch.sigmoid, tf.sigmoid), ("tanh", torch.tanh, tf.tanh)):
        for got in (t(torch.from_numpy(z)).numpy(), k(tf.constant(z)).numpy()):
            err = np.abs(got.astype(np.longdouble) - exact[name]) / (UNIT[dtype] * np.abs(exact[name]))
            worst[name] = max(worst.get(name, 0.0), float(err.max()))
    for name, units in worst.items():  # in units of u (half an ulp): TensorFlow's float32 sigmoid reaches 7.2, its float64 tanh 7.0
        assert units <= bounds.OWN[name] <= 2 * max(worst.values()), (name, units)


def test_an_inverse_square_root_takes_its_inputs_error_at_the_steepest_end_and_a_share_of_one_passes():
    from compare.agree import ulps

    half = bounds.inverse_root(Err(np.array([1.0, 1.0]), np.array([0.5, 1.0])), u)  # s in [0.5, 1.5]; s in [0, 2]
    assert half.e[0] == 0.5 / 2 / 0.5**1.5 + 4 * u and half.e[0] >= 0.5**-0.5 - 1 and half.e[1] == np.inf
    assert ulps.within(1.0) and not ulps.within(1.0 + 2**-52) and not ulps.within(np.nan) and ulps.within(0.0)


@pytest.mark.parametrize("reduction,over,ops", [("sum_weights", 4.0, 3 + 2), ("batch", 2.0, 3)])
def test_a_weighted_binary_cross_entropys_gradient_divides_by_its_weights_or_n_by_hand(reduction, over, ops):
    spec = Spec(layers=(1, 1, 1), loss="bce", class_weights=(1.0, 3.0), weight_reduction=reduction, batch_size=2)
    z, y = exact(np.array([[0.5], [-1.0]])), np.array([[0.0], [1.0]])
    p, w = 1 / (1 + np.exp(-z.v[:, 0])), np.array([1.0, 3.0])
    e = w * (8 * u * p + u * np.abs(p - y[:, 0])) + u * np.abs(w * (p - y[:, 0]))  # the sigmoid's 8 ulps, p - y, times w
    grad = bounds.loss_gradient(spec, z, y, u)
    np.testing.assert_allclose(grad.v[:, 0], w * (p - y[:, 0]) / over, rtol=1e-15)  # over the sum of weights 1 + 3, or N = 2
    np.testing.assert_allclose(grad.e[:, 0], e / over + g(ops) * np.abs(w * (p - y[:, 0])) / over, rtol=1e-12)  # + N roundings of Σw


def test_gelus_own_error_holds_the_cancellation_of_one_plus_erf_by_hand():
    from scratch.activations import gelu, gelu_in_z

    z, e = np.array([-3.0, 0.5]), np.array([1e-12, 2e-12])
    h, fp = bounds.act(Err(z, e), "gelu", 0.01, u)
    d = gelu_in_z(z)
    # f'' = phi(t) (2 - t^2) near z: phi(|z| - e) (|z| + e)^2 - 2 at -3 (7 > 2), phi(0.5 - e) 2 at 0.5 (under 0.798)
    c = e * np.exp(-((np.abs(z) - e) ** 2) / 2) / np.sqrt(2 * np.pi) * np.maximum(2, (np.abs(z) + e) ** 2 - 2) * (1 + 1e-14)
    assert c[0] < 0.798 * e[0] / 10 and c[1] < 0.798 * e[1]
    np.testing.assert_allclose(h.e, (np.abs(d) + c) * e + 8 * u * np.abs(gelu(z)) + 8 * u * np.abs(z), rtol=1e-13, atol=0)
    np.testing.assert_allclose(fp.e, c + 8 * u * (np.abs(d) + np.abs(gelu(z)) + 1 + np.abs(z)), rtol=1e-13, atol=0)


def test_mses_gradient_divides_by_the_batch_and_the_outputs_by_hand():
    spec = Spec(layers=(1, 1, 2), loss="mse", output="identity", batch_size=2)
    z = Err(np.array([[1.0, 2.0], [3.0, -1.0]]), np.zeros((2, 2)))
    got = bounds.loss_gradient(spec, z, np.zeros((2, 2)), u)
    np.testing.assert_array_equal(got.v, z.v / 2)  # 2 (a - y) / (N O), N = O = 2
    np.testing.assert_allclose(got.e, 0.5 * u * np.abs(z.v) + g(3) * np.abs(z.v) / 2, rtol=1e-15, atol=0)  # a - y, then three roundings


def test_batch_norms_backward_value_is_scratchs_on_three_samples_of_two_features():
    from scratch import batch_norm

    H = np.array([[1.0, -2.0], [0.5, 3.0], [2.5, 0.25]])
    dY = np.array([[0.3, -1.0], [-0.7, 0.5], [0.2, 2.0]])
    Y, cache = batch_norm.forward(H, 1e-5)
    y_hat, inv = bounds.norm(exact(H), 1e-5, u)[1]
    np.testing.assert_allclose(y_hat.v, Y, rtol=1e-14)
    back = bounds.norm_back(exact(dY), (y_hat, inv), u)
    assert back.v.shape == back.e.shape == (3, 2) and np.all(back.e > 0)
    np.testing.assert_allclose(back.v, batch_norm.backward_full(dY, cache), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("name,k", [("sigmoid", 1.0), ("tanh", 2.0)])
def test_a_saturated_units_slope_moves_by_a_share_of_itself_and_never_past_its_true_change(name, k):
    from compare.exact import extended

    slope = getattr(extended, name)().in_z  # sigma(z) sigma(-z), 1 / cosh(z)^2: to a few ulps of themselves
    z = np.array([-30.0, -4.0, 0.0, 0.5, 30.0, 0.5])
    e = np.array([2.0**-10] * 5 + [2.0])  # z + e exact in float64: the interval is the one the bound takes
    c = bounds.slope_change(name, z, e)
    assert c[-1] == bounds.CURVATURE[name] * 2.0  # the global sup|f''| where the error is wide
    for sign in (-1, 1):  # the true change of f' at either end of the error interval stays within the bound
        change = np.abs(slope((z + sign * e).astype(np.longdouble)) - slope(z.astype(np.longdouble)))
        assert np.all(change <= c)
    wide = slope((z + e).astype(np.longdouble)) - slope(z.astype(np.longdouble))
    assert 0 < c[0] <= 1.01 * abs(wide[0]) and 0 < c[4] <= 1.01 * abs(wide[4])  # saturated either way: f' (e^(k e) - 1), tight


def test_a_gelus_slope_change_takes_its_second_derivative_near_z_alone():
    from compare.exact import extended

    slope = extended.gelu().in_z  # Phi(z) + z phi(z) in quad
    z = np.array([-12.0, -6.0, -1.0, 0.0, 3.0, 8.0])
    e = np.full(6, 2.0**-10)
    c = bounds.slope_change("gelu", z, e)
    for sign in (-1, 1):
        change = np.abs(slope(extended.to_quad(z + sign * e)) - slope(extended.to_quad(z))).astype(np.float64)
        assert np.all(change <= c)
    assert c[0] < 1e-28 and 0.7978 * e[3] < c[3] <= bounds.CURVATURE["gelu"] * e[3]  # far out: tiny; at 0: 2 phi(0) = 0.7979


@pytest.mark.parametrize("slope", [0.01, 3.0])
def test_a_leaky_relu_by_hand_off_and_on_its_kink(slope):
    z = Err(np.array([-2.0, 1e-12, 0.5]), np.array([1e-12, 1e-12, 1e-12]))  # the middle one just within its error of the kink
    h, fp = bounds.act(z, "leaky_relu", slope, u)
    np.testing.assert_array_equal(fp.v, [slope, 1.0, 1.0])
    np.testing.assert_array_equal(fp.e, [0.0, abs(1 - slope), 0.0])  # the other side's slope, only at the kink
    steep = max(1.0, slope)  # the largest slope either side of the kink
    np.testing.assert_allclose(h.e, [slope * 1e-12 + u * 2 * slope, steep * 1e-12 + u * 1e-12, 1e-12 + u * 0.5], rtol=1e-15)


def test_gelu_tanhs_own_error_by_hand():
    from scratch.activations import gelu_tanh, gelu_tanh_in_z

    z, e = np.array([0.5]), np.array([1e-12])
    h, fp = bounds.act(Err(z, e), "gelu_tanh", 0.01, u)
    d, c = gelu_tanh_in_z(z), 0.80 * e  # sup |f''| of the tanh form: 0.80
    np.testing.assert_allclose(h.e, (np.abs(d) + c) * e + 8 * u * np.abs(gelu_tanh(z)) + 8 * u * np.abs(z), rtol=1e-13)
    np.testing.assert_allclose(fp.e, c + 8 * u * (np.abs(d) + np.abs(gelu_tanh(z)) + 1 + np.abs(z)), rtol=1e-13)


def test_a_binary_cross_entropys_probability_takes_its_logits_error_through_its_slope_by_hand():
    spec = Spec(layers=(1, 1, 1), loss="bce", batch_size=2)
    z, y = Err(np.array([[0.5], [-30.0]]), np.array([[1e-9], [1e-9]])), np.array([[0.0], [0.0]])
    p = 1 / (1 + np.exp(-z.v[:, 0]))
    slope = p * (1 - p)  # sigma' at z; over z's error it moves by at most 0.0963 e (at 0.5), sigma' (e^e - 1) (tiny at -30)
    moves = np.minimum(0.0963 * 1e-9, slope * (1 + 1e-14) * np.expm1(1e-9))
    assert moves[0] == 0.0963 * 1e-9 and moves[1] < 1e-20
    e_p = (slope + moves) * 1e-9 + 8 * u * p
    grad = bounds.loss_gradient(spec, z, y, u)
    np.testing.assert_allclose(grad.e[:, 0], (e_p + u * p) / 2 + g(3) * p / 2, rtol=1e-12)  # p - 0, then / N = 2


@pytest.mark.parametrize("changes", [{"batch_norm": True, "bn_affine": True}, {"dropout": 0.3, "l2": 0.05, "loss": "ce"}])
def test_the_bounds_values_are_scratchs_own_gradients_on_three_layers(changes):
    import scratch
    from compare.shared import harness
    from compare.shared.weights import tensors

    spec = Spec(layers=(2, 5, 4, 3 if changes.get("loss") == "ce" else 1), activation=("tanh", "gelu"), batch_size=7, **changes)
    spec = spec.replace(dataset="blobs") if spec.loss == "ce" else spec
    rng = np.random.default_rng(5)
    init = [(rng.normal(size=(i, o)), rng.normal(size=o)) for i, o in zip(spec.layers[:-1], spec.layers[1:])]
    init += [(rng.uniform(0.5, 2, w), rng.uniform(-1, 1, w)) for w in spec.layers[1:-1]] if spec.bn_affine else []
    X = rng.normal(size=(7, 2))
    y = rng.integers(0, 3, 7) if spec.loss == "ce" else rng.uniform(size=(7, 1))
    masks = harness.Dropout(spec).draw(7) if spec.dropout > 0 else None
    mine = tensors((scratch.make(spec, init).gradients(X, y) if masks is None else scratch.make(spec, init).gradients(X, y, masks))[1])
    bound = [e for pair in bounds.gradient_bounds(spec, init, X, y, masks) for e in pair if e is not None]
    assert len(bound) == len(mine)
    for b, g in zip(bound, mine):
        np.testing.assert_allclose(b.v, g, rtol=1e-10, atol=1e-14)
        assert np.all(b.e > 0)
