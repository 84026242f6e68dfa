import inspect

import numpy as np
import pytest

import glassnet as gn
from glassnet.nn.layers import Dense, Dropout, Flatten, layer_from_config


def test_flatten_accepts_images_and_vectors(rng):
    layer = Flatten(input_shape=(4, 3, 2))
    assert layer.build((4, 3, 2), np.float32, rng) == (24,)
    images = rng.random((5, 4, 3, 2))
    out = layer.forward(images)
    assert out.shape == (5, 24)
    assert np.array_equal(out[1], images[1].ravel())  # row-major, channels last
    assert layer.forward(out) is out  # already flat: passed through
    with pytest.raises(gn.DataError, match=r"expected input of shape \(batch, 4, 3, 2\), got \(5, 3, 4, 2\)"):
        layer.forward(rng.random((5, 3, 4, 2)))


def test_dense_computes_the_weighted_sum_per_unit(rng):
    layer = Dense(3, activation="identity")
    layer.build((4,), np.float64, rng)
    layer.params["b"][:] = [0.1, -0.2, 0.3]
    x = rng.normal(size=(2, 4))
    z = layer.forward(x)
    W, b = layer.params["W"], layer.params["b"]
    for j in range(3):  # z_j = w_jᵀx + b_j, with w_j the j-th column of W
        np.testing.assert_allclose(z[:, j], x @ W[:, j] + b[j])
    assert W.shape == (4, 3)


def test_dense_rejects_unflattened_input_with_a_fix(rng):
    layer = Dense(10)
    layer.build((784,), np.float32, rng)
    expected = (r"Dense\(784 → 10\): expected input of shape \(batch, 784\), "
                r"got \(32, 28, 28\)\. Put Flatten\(\) first\.")
    with pytest.raises(gn.DataError, match=expected):
        layer.forward(np.zeros((32, 28, 28), np.float32))


def test_dense_backward_gradients_by_formula(rng):
    layer = Dense(3, activation="identity")
    layer.build((4,), np.float64, rng)
    x, g = rng.normal(size=(5, 4)), rng.normal(size=(5, 3))
    layer.forward(x)
    dx = layer.backward(g)
    np.testing.assert_allclose(layer.grads["W"], x.T @ g)
    np.testing.assert_allclose(layer.grads["b"], g.sum(axis=0))
    np.testing.assert_allclose(dx, g @ layer.params["W"].T)


@pytest.mark.parametrize("bad", [0, -3, 2.5, "10", True])
def test_dense_units_must_be_positive_int(bad):
    with pytest.raises(gn.ConfigError, match="units must be a positive integer"):
        Dense(bad)


def test_unknown_initializer_lists_valid_names():
    expected = (r"Unknown initializer 'xavier'\. Expected one of: "
                r"glorot_normal, glorot_uniform, he_normal, normal, zeros\.")
    with pytest.raises(gn.ConfigError, match=expected):
        Dense(3, init="xavier")


@pytest.mark.parametrize("layer", [Flatten(input_shape=(8, 8)), Dense(7, "tanh", init="he_normal"),
                                   Dropout(0.3), Dense(2, {"name": "leaky_relu", "negative_slope": 0.1})])
def test_config_round_trip_rebuilds_the_same_layer(layer, rng):
    """get_config() holds exactly the constructor's arguments, and cls(**config) computes the same."""
    config = layer.get_config()
    parameters = set(inspect.signature(type(layer).__init__).parameters) - {"self"}
    assert set(config) == parameters
    again = layer_from_config(type(layer).__name__, config)
    shape = (8, 8) if isinstance(layer, Flatten) else (5,)
    layer.build(shape, np.float64, rng)
    again.build(shape, np.float64, np.random.default_rng(99))  # other random weights …
    for key, value in layer.params.items():
        again.params[key][...] = value  # … replaced by the original's
    x = rng.normal(size=(3, *shape))
    np.testing.assert_array_equal(again.forward(x), layer.forward(x))


@pytest.mark.parametrize("init", ["glorot_uniform", "glorot_normal", "he_normal", "normal"])
def test_initializer_scales(init, rng):
    layer = Dense(300, init=init)
    layer.build((500,), np.float32, rng)
    W = layer.params["W"]
    expected = {"glorot_uniform": np.sqrt(2 / 800), "glorot_normal": np.sqrt(2 / 800),
                "he_normal": np.sqrt(2 / 500), "normal": 0.01}[init]
    assert W.dtype == np.float32
    assert abs(W.std() - expected) / expected < 0.02
    assert np.all(layer.params["b"] == 0)


def test_zero_init_hidden_units_stay_identical_and_fit_warns(digits_split):
    Xtr, _, ytr, _ = digits_split
    # every weight starts at zero: all hidden units compute the same z and receive the same gradient
    model = gn.Sequential([Flatten(input_shape=(64,)), Dense(8, "sigmoid", init="zeros"),
                           Dense(10, "softmax", init="zeros")])
    with pytest.warns(gn.GlassnetWarning, match=r"Dense 64 → 8, sigmoid starts with 8 identical "
                                                 r"units \(every weight vector w_j the same, all zero\)"):
        model.fit(Xtr, ytr, epochs=3, batch_size=32, optimizer=gn.SGD(lr=0.5), seed=0, verbose=0)
    W = model.layers[1].params["W"]
    assert np.abs(W).max() > 0  # it learned something…
    assert np.allclose(W, W[:, :1])  # …but every hidden unit learned the same thing
    W2 = model.layers[2].params["W"]
    assert np.allclose(W2, W2[:1, :])  # and the output layer weighs them all the same
    random_start = gn.Sequential([Flatten(input_shape=(64,)), Dense(8, "sigmoid"), Dense(10, "softmax")])
    random_start.fit(Xtr, ytr, epochs=3, batch_size=32, optimizer=gn.SGD(lr=0.5), seed=0, verbose=0)
    assert not np.allclose(random_start.layers[1].params["W"], random_start.layers[1].params["W"][:, :1])


def test_equal_nonzero_weights_warn_too_and_random_ones_do_not(digits_split, recwarn):
    Xtr, _, ytr, _ = digits_split
    model = gn.Sequential([Flatten(input_shape=(64,)), Dense(16, "tanh"), Dense(10, "softmax")])
    model.fit(Xtr[:64], ytr[:64], epochs=1, seed=0, verbose=0, diagnose=False)
    assert not [w for w in recwarn if issubclass(w.category, gn.GlassnetWarning)]
    weights = {k: v.copy() for k, v in model.get_weights().items()}
    W_key = next(k for k in weights if k.endswith("W") and weights[k].shape == (64, 16))
    weights[W_key] = np.full((64, 16), 0.05, np.float32)  # equal, not zero
    weights[W_key[:-1] + "b"] = np.zeros(16, np.float32)
    model.set_weights(weights)
    with pytest.warns(gn.GlassnetWarning, match=r"Dense 64 → 16, tanh starts with 16 identical "
                                                 r"units .*all equal"):
        model.fit(Xtr[:64], ytr[:64], epochs=1, seed=0, verbose=0)


def test_dropout_is_inverted_and_only_active_in_training(rng):
    layer = Dropout(0.25)
    layer.rng = np.random.default_rng(0)
    x = np.ones((2000, 50), np.float32)
    assert layer.forward(x, training=False) is x
    out = layer.forward(x, training=True)
    kept = out != 0
    assert abs(kept.mean() - 0.75) < 0.01
    np.testing.assert_allclose(out[kept], 1 / 0.75)
    g = layer.backward(np.ones_like(x))
    assert np.array_equal(g, out)  # same mask, same scale


def test_dropout_rate_must_be_in_range():
    with pytest.raises(gn.ConfigError, match=r"rate must be in \[0, 1\)"):
        Dropout(1.0)
