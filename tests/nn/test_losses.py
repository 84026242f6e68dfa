"""The three losses: values against a float64 reference written from their definitions,
gradients against central differences, and no floating-point error at extreme logits."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import log_expit, log_softmax

import glassnet as gn
from glassnet.nn.losses import LOSS_FOR_OUTPUT, LOSSES, get_loss


def reference(name, z, y, weights=None):
    """(1/n) Σ s_i ℓ_i straight from each loss's textbook definition, in float64."""
    z = z.astype(np.float64)
    if name == "binary_crossentropy":
        t = y.reshape(-1, 1)
        per = -(t * log_expit(z) + (1 - t) * log_expit(-z)).sum(axis=1)
    elif name == "categorical_crossentropy":
        per = -log_softmax(z, axis=1)[np.arange(len(z)), y]
    else:
        per = 0.5 * ((z - y) ** 2).sum(axis=1)
    s = np.ones(len(z)) if weights is None else weights
    return float(np.sum(s * per) / len(z))


def batch(name, rng, n=6, k=4, scale=3.0):
    if name == "binary_crossentropy":
        return rng.normal(0, scale, (n, 1)), rng.integers(0, 2, n).astype(np.float64)
    if name == "categorical_crossentropy":
        return rng.normal(0, scale, (n, k)), rng.integers(0, k, n)
    return rng.normal(0, scale, (n, k)), rng.normal(0, 1, (n, k))


@pytest.mark.parametrize("name", sorted(LOSSES))
@pytest.mark.parametrize("weighted", [False, True])
def test_value_matches_the_definition(name, weighted, rng):
    z, y = batch(name, rng)
    weights = rng.uniform(0.2, 2.0, len(z)) if weighted else None
    value, _ = get_loss(name).value_and_gradient(z.copy(), y, weights)
    assert value == pytest.approx(reference(name, z, y, weights), rel=1e-12)


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_gradient_matches_central_differences(name, rng):
    z, y = batch(name, rng)
    weights = rng.uniform(0.2, 2.0, len(z))
    _, g = get_loss(name).value_and_gradient(z.copy(), y, weights)
    numeric = np.zeros_like(z)
    h = 1e-6
    for index in np.ndindex(z.shape):
        up, down = z.copy(), z.copy()
        up[index] += h
        down[index] -= h
        numeric[index] = (reference(name, up, y, weights) - reference(name, down, y, weights)) / (2 * h)
    np.testing.assert_allclose(g, numeric, rtol=1e-6, atol=1e-9)


def test_fused_gradients_are_p_minus_y_over_n(rng):
    """The pairing the whole backward pass relies on, stated once: ∂L/∂z = (p − y) / n."""
    z = rng.normal(size=(5, 3))
    y = np.array([0, 2, 1, 1, 0])
    _, g = get_loss("categorical_crossentropy").value_and_gradient(z.copy(), y)
    p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(g, (p - np.eye(3)[y]) / 5, rtol=1e-12)
    zb = rng.normal(size=(5, 1))
    yb = np.array([0.0, 1.0, 1.0, 0.0, 1.0])
    _, gb = get_loss("binary_crossentropy").value_and_gradient(zb.copy(), yb)
    np.testing.assert_allclose(gb[:, 0], (1 / (1 + np.exp(-zb[:, 0])) - yb) / 5, rtol=1e-12)
    assert LOSS_FOR_OUTPUT == {"sigmoid": "binary_crossentropy", "softmax": "categorical_crossentropy"}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", ["binary_crossentropy", "categorical_crossentropy"])
def test_extreme_logits_raise_no_floating_point_error(name, dtype):
    """|z| = 1e4: a confident right answer costs ≈ 0, a confident wrong one ≈ 1e4 (not inf)."""
    if name == "binary_crossentropy":
        z = np.array([[1e4], [-1e4], [1e4], [-1e4]], dtype=dtype)
        y = np.array([1.0, 0.0, 0.0, 1.0], dtype=dtype)
    else:
        z = np.array([[1e4, -1e4], [-1e4, 1e4], [1e4, -1e4], [-1e4, 1e4]], dtype=dtype)
        y = np.array([0, 1, 1, 0])
    with np.errstate(all="raise"):
        value, g = get_loss(name).value_and_gradient(z.copy(), y)
    assert np.isfinite(g).all() and np.isfinite(value)
    # two samples right (ℓ = 0), two wrong by margin 1e4 (binary) or 2e4 (softmax)
    expected = (1e4 if name == "binary_crossentropy" else 2e4) * 2 / 4
    assert value == pytest.approx(expected, rel=1e-6)
    assert np.abs(g).max() <= 1 / 4 + 1e-7


def test_unknown_loss_lists_the_valid_ones():
    with pytest.raises(gn.ConfigError, match="Unknown loss 'hinge'. Expected one of: "
                                             "binary_crossentropy, categorical_crossentropy, mse"):
        get_loss("hinge")
