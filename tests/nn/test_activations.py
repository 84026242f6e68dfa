import numpy as np
import pytest
from scipy import special

import glassnet as gn
from glassnet.nn.activations import ACTIVATIONS, get_activation

EXTREMES = [-1e4, -1000.0, -88.8, -20.0, -1e-3, 0.0, 1e-3, 20.0, 88.8, 1000.0, 1e4]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sigmoid_is_stable_and_exact_at_the_limits(dtype):
    z = np.array(EXTREMES, dtype=dtype)
    with np.errstate(all="raise"):
        a = get_activation("sigmoid").forward(z.copy())
    assert a.dtype == dtype
    assert a[0] == 0.0 and a[-1] == 1.0  # exact limits, no overflow warning
    assert a[5] == 0.5
    np.testing.assert_allclose(a, special.expit(np.array(EXTREMES)), rtol=1e-6, atol=1e-37)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_softmax_is_stable_and_rows_sum_to_one(dtype):
    z = np.array([EXTREMES, [0.0] * len(EXTREMES)], dtype=dtype)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        a = get_activation("softmax").forward(z.copy())
    np.testing.assert_allclose(a.sum(axis=1), 1.0, rtol=1e-6)
    assert a[0].argmax() == len(EXTREMES) - 1
    np.testing.assert_allclose(a[1], 1 / len(EXTREMES), rtol=1e-6)


def test_tanh_relu_leaky_identity_values():
    z = np.array([-2.0, 0.0, 3.0])
    assert np.allclose(get_activation("tanh").forward(z.copy()), np.tanh(z))
    assert np.array_equal(get_activation("relu").forward(z.copy()), [0.0, 0.0, 3.0])
    assert np.allclose(get_activation("leaky_relu").forward(z.copy()), [-0.02, 0.0, 3.0])
    assert np.array_equal(get_activation("identity").forward(z.copy()), z)


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_backward_matches_numerical_derivative(name, rng):
    act = get_activation(name)
    z = rng.normal(size=(4, 5))
    z[np.abs(z) < 1e-3] = 0.5  # keep away from the ReLU kink
    g = rng.normal(size=z.shape)
    analytic = act.backward(act.forward(z.copy()), g)
    eps = 1e-6
    numeric = np.zeros_like(z)
    for idx in np.ndindex(z.shape):
        plus, minus = z.copy(), z.copy()
        plus[idx] += eps
        minus[idx] -= eps
        numeric[idx] = np.sum((act.forward(plus) - act.forward(minus)) * g) / (2 * eps)
    np.testing.assert_allclose(analytic, numeric, rtol=1e-5, atol=1e-8)


def test_unknown_activation_lists_the_valid_ones():
    expected = (r"Unknown activation 'sigmod'\. Expected one of: "
                r"identity, leaky_relu, relu, sigmoid, softmax, tanh\.")
    with pytest.raises(gn.ConfigError, match=expected):
        gn.Dense(3, activation="sigmod")


def test_config_round_trip():
    act = get_activation({"name": "leaky_relu", "negative_slope": 0.2})
    again = get_activation(act.get_config())
    assert again.negative_slope == 0.2 and again.formula == act.formula
