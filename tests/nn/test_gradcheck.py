"""Backpropagation is checked against the definition of the derivative (central differences)."""

import numpy as np
import pytest

import glassnet as gn
from glassnet.nn.layers import Dense, Flatten

HIDDEN = ["sigmoid", "tanh", "relu", "leaky_relu", "identity"]
# (output activation, labels): each output uses the loss it is paired with
OUTPUTS = {
    "sigmoid": lambda rng, n: rng.integers(0, 2, n),                  # binary cross-entropy
    "softmax": lambda rng, n: rng.integers(0, 3, n),                  # categorical cross-entropy
    "identity": lambda rng, n: rng.normal(size=(n, 2)),               # mean squared error
    "tanh": lambda rng, n: rng.uniform(-0.9, 0.9, size=(n, 2)),       # MSE through an activation
}
UNITS = {"sigmoid": 1, "softmax": 3, "identity": 2, "tanh": 2}


def build(hidden, output, depth, rng, input_shape=(5,)):
    layers = [Flatten(input_shape=input_shape)]
    layers += [Dense(4, hidden, init="glorot_normal") for _ in range(depth - 1)]
    layers.append(Dense(UNITS[output], output, init="glorot_normal"))
    model = gn.Sequential(layers, dtype="float64")
    model.build(input_shape, rng)
    for key, theta, _ in model.parameters():  # non-zero biases, so their gradients are tested
        if key.endswith("b"):
            theta[:] = rng.normal(scale=0.5, size=theta.shape)
    return model


# one Dense layer has no hidden activation, so depth 1 appears once per output
CASES = [(h, o, d) for o in sorted(OUTPUTS) for d in (1, 2, 3) for h in (HIDDEN if d > 1 else ["none"])]


@pytest.mark.parametrize("l2", [0.0, 0.7])
@pytest.mark.parametrize("hidden, output, depth", CASES)
def test_gradients_match_central_differences(hidden, output, depth, l2, rng):
    model = build(hidden, output, depth, rng)
    X = rng.normal(size=(12, 5))
    y = OUTPUTS[output](rng, 12)
    error = gn.gradcheck(model, X, y, l2=l2)
    assert error < 1e-6, gn.gradient_errors(model, X, y, l2=l2)


def test_gradcheck_with_sample_weights_and_images(rng):
    model = build("tanh", "softmax", 2, rng, input_shape=(2, 3))
    X = rng.normal(size=(10, 2, 3))
    y = rng.integers(0, 3, 10)
    assert gn.gradcheck(model, X, y, sample_weight=rng.uniform(0.1, 2.0, 10), l2=0.3) < 1e-6


def test_gradcheck_catches_a_wrong_gradient(rng, monkeypatch):
    model = build("sigmoid", "softmax", 2, rng)
    X, y = rng.normal(size=(8, 5)), rng.integers(0, 3, 8)
    original = Dense.backward_logits

    def off_by_a_factor(self, g, need_input_grad=True):
        dx = original(self, g, need_input_grad)
        self.grads["W"] *= 1.01  # a 1 % bug
        return dx

    monkeypatch.setattr(Dense, "backward_logits", off_by_a_factor)
    assert gn.gradcheck(model, X, y) > 1e-3


def test_hand_worked_3_2_1_network():
    """Every number below was worked out by hand (and a calculator), not by glassnet.

    x = [1, 0.5, −1], y = 1
    W1 = [[0.1, 0.2], [0.3, −0.1], [−0.2, 0.4]], b1 = [0, 0.1]
    z1 = W1ᵀx + b1 = [0.1 + 0.15 + 0.2, 0.2 − 0.05 − 0.4 + 0.1] = [0.45, −0.15]
    a1 = σ(z1) = [0.610639233949222, 0.46257015465625045]
    W2 = [[0.5], [−0.3]], b2 = [0.2]
    z2 = 0.5·0.610639… − 0.3·0.462570… + 0.2 = 0.36654857057773593
    p  = σ(z2) = 0.59062472888874
    L  = −log p = 0.5265744397585909
    Backward: ∂L/∂z2 = p − y = −0.40937527111126004
    ∂L/∂W2 = a1·(p − y) = [−0.2499806019491349, −0.18936478247038002], ∂L/∂b2 = −0.40937527111126004
    ∂L/∂a1 = W2·(p − y) = [−0.20468763555563002, 0.12281258133337801]
    ∂L/∂z1 = ∂L/∂a1 ⊙ a1(1 − a1) = [−0.048666319336374886, 0.030531085726982734]
    ∂L/∂W1 = x ⊗ ∂L/∂z1 = [[−0.04866…, 0.03053…], [−0.02433…, 0.01526…], [0.04866…, −0.03053…]]
    ∂L/∂b1 = ∂L/∂z1
    """
    model = gn.Sequential([Flatten(input_shape=(3,)), Dense(2, "sigmoid"), Dense(1, "sigmoid")], dtype="float64")
    model.build((3,), np.random.default_rng(0))
    model.set_weights({
        "layers.1.W": [[0.1, 0.2], [0.3, -0.1], [-0.2, 0.4]], "layers.1.b": [0.0, 0.1],
        "layers.2.W": [[0.5], [-0.3]], "layers.2.b": [0.2],
    })
    x = np.array([[1.0, 0.5, -1.0]])
    hidden = model.layers[1]
    np.testing.assert_allclose(hidden.weighted_sum(x), [[0.45, -0.15]], rtol=1e-15, atol=1e-16)
    model.encode_labels(np.array([0, 1]))
    p = model.predict_proba(x)[0, 1]
    np.testing.assert_allclose(hidden.a, [[0.610639233949222, 0.46257015465625045]], rtol=1e-14)
    np.testing.assert_allclose(p, 0.59062472888874, rtol=1e-14)
    loss = model.loss_and_gradients(x, np.array([1.0]))
    np.testing.assert_allclose(loss, 0.5265744397585909, rtol=1e-14)
    np.testing.assert_allclose(model.last_output, [[0.36654857057773593]], rtol=1e-14)
    grads = {key: g for key, _, g in model.parameters()}
    np.testing.assert_allclose(grads["layers.2.W"], [[-0.2499806019491349], [-0.18936478247038002]], rtol=1e-13)
    np.testing.assert_allclose(grads["layers.2.b"], [-0.40937527111126004], rtol=1e-13)
    np.testing.assert_allclose(grads["layers.1.b"], [-0.048666319336374886, 0.030531085726982734], rtol=1e-13)
    np.testing.assert_allclose(grads["layers.1.W"], [
        [-0.048666319336374886, 0.030531085726982734],
        [-0.024333159668187443, 0.015265542863491367],
        [0.048666319336374886, -0.030531085726982734]], rtol=1e-13)
