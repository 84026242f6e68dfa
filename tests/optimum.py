"""What two logistic-regression solvers that both stopped at ‖∇J‖∞ ≤ tol must agree on.

They need not agree on the coefficients: digits has near-flat directions (pixels that are
almost always 0; the softmax intercepts may all shift together), along which solvers stop
1e-4 apart, and where newer SciPy / scikit-learn releases stop moves. What the optimum does
guarantee follows from the convexity of the objective (scikit-learn's, divided by C Σ s_i)

    J(θ) = Σ_i s_i ℓ_i(θ) / Σ_i s_i + ‖W‖² / (2 C Σ_i s_i)

for two solutions a, b:

    J(a) − J(b) ≤ ∇J(a)·(a − b) ≤ ‖∇J(a)‖∞ ‖a − b‖₁ ≤ tol ‖a − b‖₁                  (1)

and, since J's Bregman divergence is the weighted mean KL divergence of the predicted
class probabilities plus ‖W_a − W_b‖² / (2 C Σ s_i) (log-sum-exp's Bregman divergence is KL),

    mean_i KL(p_a,i ‖ p_b,i) ≤ J(b) − J(a) − ∇J(a)·(b − a) ≤ 2 tol ‖a − b‖₁           (2)

J and ∇J are computed here from the formulas (SciPy), never by glassnet: a wrong gradient in
glassnet leaves its solution non-stationary, and ``assert_same_optimum`` fails.
"""

import numpy as np
from scipy import special

ROUNDING = 64 * np.finfo(np.float64).eps  # relative error of evaluating J itself in float64


def logits(X, coef, intercept):
    """(n, k) logits; a binary model's one logit z becomes [0, z] (softmax([0, z]) = [1 − σ(z), σ(z)])."""
    Z = X @ np.asarray(coef, np.float64).T + np.asarray(intercept, np.float64)
    return np.hstack([np.zeros_like(Z), Z]) if Z.shape[1] == 1 else Z


def objective_and_gradient(X, y, coef, intercept, C, sample_weight=None):
    """(J, ∇J flattened as [W rows..., b], per-row log-probabilities) at (coef, intercept)."""
    X = np.asarray(X, np.float64)
    s = np.ones(len(X)) if sample_weight is None else np.asarray(sample_weight, np.float64)
    log_p = special.log_softmax(logits(X, coef, intercept), axis=1)
    rows = np.arange(len(X))
    W = np.asarray(coef, np.float64)
    J = -(s @ log_p[rows, y]) / s.sum() + (W * W).sum() / (2 * C * s.sum())
    R = np.exp(log_p)
    R[rows, y] -= 1
    R = R[:, 1:] if W.shape[0] == 1 else R  # d ℓ / d z of the model's own logits
    gradient = np.concatenate([((s[:, None] * R).T @ X / s.sum() + W / (C * s.sum())).ravel(),
                               s @ R / s.sum()])
    return J, gradient, log_p


def assert_same_optimum(X, y, C, a, b, tol, sample_weight=None):
    """Fitted estimators a and b (coef_, intercept_, classes_) both solve min J to tol: each is
    stationary, their objectives agree by (1) and their probabilities by (2)."""
    y = np.searchsorted(a.classes_, y)
    s = np.ones(len(X)) if sample_weight is None else np.asarray(sample_weight, np.float64)
    J_a, g_a, log_p_a = objective_and_gradient(X, y, a.coef_, a.intercept_, C, s)
    J_b, g_b, log_p_b = objective_and_gradient(X, y, b.coef_, b.intercept_, C, s)
    for name, g in (("first", g_a), ("second", g_b)):
        worst = np.abs(g).max()
        assert worst <= tol + ROUNDING, f"the {name} solution is not stationary: ‖∇J‖∞ = {worst:.3g}"
    distance = np.abs(np.concatenate([np.ravel(a.coef_) - np.ravel(b.coef_),
                                      np.ravel(a.intercept_) - np.ravel(b.intercept_)])).sum()
    slack = ROUNDING * (abs(J_a) + abs(J_b))
    assert abs(J_a - J_b) <= tol * distance + slack, (J_a, J_b, distance)
    kl = (s @ (np.exp(log_p_a) * (log_p_a - log_p_b)).sum(axis=1)) / s.sum()
    assert kl <= 2 * tol * distance + slack, (kl, distance)
    return J_a - J_b, distance
