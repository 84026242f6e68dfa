"""Losses: one number that says how wrong a batch of predictions is.

The two classification losses take the *logits* z of the output layer, not its
probabilities, because log(σ(z)) and log(softmax(z)) can be computed from z without ever
rounding a probability to 0 (which would give log 0 = −∞). They also give the famous fused
gradient — the reason the output activation and the loss are paired:

    sigmoid + binary cross-entropy:   ∂L/∂z = (σ(z) − y) / n
    softmax + categorical cross-entropy: ∂L/∂z = (softmax(z) − onehot(y)) / n

The 1/n is the batch average, applied here once and nowhere else. Optional per-sample
weights s scale each row: L = Σ_i s_i ℓ_i / n.

Every function comes from the namespace of z (``backend.namespace_of``): NumPy or CuPy.
"""

from __future__ import annotations

import numpy as np

from glassnet.backend import namespace_of
from glassnet.errors import unknown_name
from glassnet.nn.activations import Sigmoid

SIGMOID = Sigmoid()


class Loss:
    name = "loss"
    formula = ""
    from_logits = True  # takes z of the output layer; False: takes a = f(z)

    def value_and_gradient(self, z, y, weights=None):
        """(mean loss over the batch, ∂L/∂z or ∂L/∂a of the same shape as z)."""
        raise NotImplementedError

    def value(self, z, y, weights=None) -> float:
        return self.value_and_gradient(z, y, weights)[0]


def _weighted_mean(per_sample, weights):
    xp = namespace_of(per_sample)
    if weights is None:
        return float(xp.mean(per_sample, dtype=np.float64))
    return float(xp.dot(per_sample.astype(np.float64), weights) / len(per_sample))


class BinaryCrossEntropy(Loss):
    """ℓ = −[y log σ(z) + (1 − y) log(1 − σ(z))], written stably as
    max(z, 0) − z·y + log(1 + e^(−|z|)).  y ∈ {0, 1}, z (n, 1) → ∂L/∂z = (σ(z) − y) / n."""

    name = "binary_crossentropy"
    formula = "L = −(1/n) Σ [y log p + (1 − y) log(1 − p)],  p = σ(z)"

    def value_and_gradient(self, z, y, weights=None):
        z = z.reshape(len(z), -1)
        y = y.reshape(len(z), -1).astype(z.dtype, copy=False)
        xp = namespace_of(z)
        with np.errstate(under="ignore"):  # e^(−|z|) → 0 for large |z| is the exact answer
            per_sample = (xp.maximum(z, 0) - z * y + xp.log1p(xp.exp(-xp.abs(z)))).sum(axis=1)
            g = SIGMOID.forward(z)  # σ(z) on a new array, the activation's own formula
        g -= y
        if weights is not None:
            g *= weights.astype(z.dtype, copy=False)[:, None]
        g /= z.dtype.type(len(z))
        return _weighted_mean(per_sample, weights), g


class CategoricalCrossEntropy(Loss):
    """ℓ = −log softmax(z)_y = logsumexp(z) − z_y, for integer class indices y.
    z (n, k) → ∂L/∂z = (softmax(z) − onehot(y)) / n, computed without building the one-hot."""

    name = "categorical_crossentropy"
    formula = "L = −(1/n) Σ log p_y,  p = softmax(z)"

    def value_and_gradient(self, z, y, weights=None):
        n = len(z)
        xp = namespace_of(z)
        rows = xp.arange(n)
        shifted = z - z.max(axis=1, keepdims=True)  # softmax(z) = softmax(z − max z): no overflow
        with np.errstate(under="ignore"):  # e^(z_k − max) → 0: that class's p is 0, exactly
            e = xp.exp(shifted)
        total = e.sum(axis=1, keepdims=True)
        # −log p_y = log Σ_k e^(z_k − max) − (z_y − max), exact even where p_y underflows
        per_sample = xp.log(total[:, 0]) - shifted[rows, y]
        p = xp.divide(e, total, out=e)
        p[rows, y] -= 1.0
        if weights is not None:
            p *= weights.astype(z.dtype, copy=False)[:, None]
        p /= z.dtype.type(n)
        return _weighted_mean(per_sample, weights), p


class MeanSquaredError(Loss):
    """ℓ = ½ Σ_j (a_j − y_j)², averaged over the batch; ∂L/∂a = (a − y) / n.
    (The ½ makes the gradient exactly the residual, as scikit-learn's squared loss does.)"""

    name = "mse"
    formula = "L = (1/2n) Σ ‖a − y‖²"
    from_logits = False

    def value_and_gradient(self, a, y, weights=None):
        residual = a - y.reshape(a.shape).astype(a.dtype, copy=False)
        per_sample = 0.5 * namespace_of(a).einsum("ij,ij->i", residual, residual)
        if weights is not None:
            residual *= weights.astype(a.dtype, copy=False)[:, None]
        residual /= a.dtype.type(len(a))
        return _weighted_mean(per_sample, weights), residual


LOSSES = {cls.name: cls for cls in (BinaryCrossEntropy, CategoricalCrossEntropy, MeanSquaredError)}
# The output activation decides the loss: the pairs whose gradient fuses to (a − y).
LOSS_FOR_OUTPUT = {"sigmoid": "binary_crossentropy", "softmax": "categorical_crossentropy"}


def get_loss(name) -> Loss:
    if isinstance(name, Loss):
        return name
    if name not in LOSSES:
        raise unknown_name("loss", name, LOSSES)
    return LOSSES[name]()
