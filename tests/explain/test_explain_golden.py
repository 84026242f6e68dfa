"""The hand-worked 3-2-1 network (tests/nn/test_gradcheck.py) as the golden output of explain:
every number below was worked out by hand, then checked against the printed text to the digit.

    x = [1, 0.5, −1]
    W1 = [[0.1, 0.2], [0.3, −0.1], [−0.2, 0.4]], b1 = [0, 0.1]
    z1_0 = 0.1·1 + 0.3·0.5 + (−0.2)·(−1) + 0   = 0.45    a1_0 = σ(0.45)  = 0.6106
    z1_1 = 0.2·1 + (−0.1)·0.5 + 0.4·(−1) + 0.1 = −0.15   a1_1 = σ(−0.15) = 0.4626
    W2 = [[0.5], [−0.3]], b2 = [0.2]
    z2 = 0.5·0.6106 − 0.3·0.4626 + 0.2 = 0.3665          p = σ(0.3665) = 0.5906
    gradient × input, c_i = x_i ∂z2/∂x_i with ∂z2/∂x = W1 (σ'(z1) ⊙ W2),
    σ'(z1) = a1(1 − a1) = [0.23775, 0.24860], σ'(z1) ⊙ W2 = [0.11888, −0.07458]:
    c_0 = 1·(0.1·0.11888 + 0.2·(−0.07458))    = −0.0030
    c_1 = 0.5·(0.3·0.11888 − 0.1·(−0.07458))  =  0.0216
    c_2 = −1·(−0.2·0.11888 + 0.4·(−0.07458))  =  0.0536     Σ c_i = 0.0721
"""

from __future__ import annotations

import numpy as np

import glassnet as gn
from glassnet.nn.layers import Dense, Flatten

GOLDEN = """\
glassnet explains one prediction — network 3 → 2 sigmoid → 1 sigmoid
Prediction: 1 (p = 0.591); true label 1: correct.

Input layer: x = vec(image)
  The input is a vector x of 3 numbers; preprocessing: none (x used as given).
  x = [1.000, 0.500, −1.000]  (3 values)

Layer 1 (hidden): Dense 3 → 2, sigmoid    W (3, 2), b (2,)
  z = Wᵀx + b; unit by unit z_j = w_jᵀx + b_j,
  written out for all 2 units, largest terms w_ij·x_i first:
  z_0 = w_0ᵀx + b_0
      = (−0.200)·(−1.000) + 0.300·0.500 + 0.100·1.000 + 0
      = 0.450    a_0 = σ(0.450) = 0.6106
  z_1 = w_1ᵀx + b_1
      = 0.400·(−1.000) + 0.200·1.000 + (−0.100)·0.500 + 0.100
      = −0.150    a_1 = σ(−0.150) = 0.4626
  activation: σ(z) = 1 / (1 + e^(−z))
  z = [0.450, −0.150]
  a = [0.611, 0.463]  (2 units)

Layer 2 (output): Dense 2 → 1, sigmoid    W (2, 1), b (1,)
  z = Wᵀx + b, here x = a⁽¹⁾ (the output of layer 1); unit by unit z_j = w_jᵀa⁽¹⁾ + b_j,
  written out for its one unit, largest terms w_ij·a⁽¹⁾_i first:
  z_0 = w_0ᵀa⁽¹⁾ + b_0
      = 0.500·0.611 + (−0.300)·0.463 + 0.200
      = 0.367    a_0 = σ(0.367) = 0.5906
  activation: σ(z) = 1 / (1 + e^(−z))
"""

TAIL = """\
  Decision: predict 1 when p > 0.5, i.e. z > 0 ⇔ p > 0.5 → 1 (p = 0.591)

Which inputs mattered toward 1 (negative: toward 0): gradient × input, c_i = x_i·∂z_0/∂x_i
  largest |c_i|: c_2 = 0.054, c_1 = 0.022, c_0 = −0.003
  Σ_i c_i = 0.0721 (first order: it need not add up to z_0 = 0.3665)
"""


def hand_worked_model():
    model = gn.Sequential([Flatten(input_shape=(3,)), Dense(2, "sigmoid"), Dense(1, "sigmoid")],
                          dtype="float64")
    model.build((3,), np.random.default_rng(0))
    model.set_weights({
        "layers.1.W": [[0.1, 0.2], [0.3, -0.1], [-0.2, 0.4]], "layers.1.b": [0.0, 0.1],
        "layers.2.W": [[0.5], [-0.3]], "layers.2.b": [0.2],
    })
    model.encode_labels(np.array([0, 1]))
    return model


def test_explain_prints_the_hand_worked_numbers():
    text = str(gn.explain(hand_worked_model(), np.array([1.0, 0.5, -1.0]), label=1))
    assert text.startswith(GOLDEN)
    assert text.endswith(TAIL)
    # the output table between them: class 0 gets 1 − p, class 1 gets z and p
    table = text[len(GOLDEN):-len(TAIL)]
    assert "0.4094" in table and "0.367   0.5906" in table


def test_the_trace_holds_the_exact_values():
    trace = gn.explain(hand_worked_model(), np.array([1.0, 0.5, -1.0]), label=1)
    hidden, output = trace.layers
    np.testing.assert_allclose(hidden.z, [0.45, -0.15], rtol=1e-14)
    np.testing.assert_allclose(hidden.a, [0.610639233949222, 0.46257015465625045], rtol=1e-14)
    np.testing.assert_allclose(output.z, [0.36654857057773593], rtol=1e-14)
    np.testing.assert_allclose(trace.output.probabilities, [1 - 0.59062472888874, 0.59062472888874],
                               rtol=1e-13)
