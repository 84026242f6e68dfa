"""The one-neuron network reaches scikit-learn's LogisticRegression optimum."""

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer, load_digits
from sklearn.linear_model import LogisticRegression as SkLogisticRegression
from sklearn.metrics import log_loss
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

import glassnet as gn
from optimum import assert_same_optimum

TOL = 1e-8  # both solvers: stop once ‖∇J‖∞ ≤ TOL (L-BFGS-B's gtol)


def compare(X, y, C, C_ours=None):
    """Both fitted in float64 to the same tol; ``assert_same_optimum`` says what must then agree."""
    ours = gn.LogisticRegression(C=C_ours or C, max_iter=5000, tol=TOL, dtype="float64").fit(X, y)
    with threadpool_limits(limits=1, user_api="blas"):  # two OpenBLAS pools contend otherwise
        theirs = SkLogisticRegression(C=C, max_iter=5000, tol=TOL).fit(X, y)
    return ours, theirs


def breast_cancer():
    X, y = load_breast_cancer(return_X_y=True)
    return StandardScaler().fit_transform(X), y


def test_binary_matches_sklearn_on_breast_cancer():
    X, y = breast_cancer()
    ours, theirs = compare(X, y, C=1.0)
    assert ours.coef_.shape == (1, 30)
    assert_same_optimum(X, y, 1.0, ours, theirs, TOL)
    assert abs(log_loss(y, ours.predict_proba(X)) - log_loss(y, theirs.predict_proba(X))) < 1e-5
    assert np.array_equal(ours.predict(X), theirs.predict(X))


@pytest.mark.slow
def test_multinomial_matches_sklearn_on_digits():
    X, y = load_digits(return_X_y=True)
    X = X / 16.0
    ours, theirs = compare(X, y, C=0.5)
    assert ours.coef_.shape == (10, 64)
    assert_same_optimum(X, y, 0.5, ours, theirs, TOL)
    assert abs(log_loss(y, ours.predict_proba(X)) - log_loss(y, theirs.predict_proba(X))) < 1e-5


def test_the_optimum_check_fails_a_solution_of_another_objective():
    """What a 10 % error in the L2 gradient converges to (the optimum for C' = 1.1 C) fails."""
    X, y = breast_cancer()
    ours, theirs = compare(X, y, C=1.0, C_ours=1.1)
    with pytest.raises(AssertionError, match="not stationary"):
        assert_same_optimum(X, y, 1.0, ours, theirs, TOL)


def test_decision_function_sign_is_the_prediction():
    X, y = load_breast_cancer(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    model = gn.LogisticRegression().fit(X, y)
    z = model.decision_function(X)
    p = model.predict_proba(X)[:, 1]
    assert np.array_equal(z > 0, p > 0.5)  # z > 0 ⇔ p > 0.5
    assert np.array_equal(model.predict(X), np.where(z > 0, model.classes_[1], model.classes_[0]))


def test_sgd_solver_gets_close_to_the_optimum():
    X, y = load_breast_cancer(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    exact = gn.LogisticRegression(C=1.0, max_iter=1000, tol=1e-8).fit(X, y)
    sgd = gn.LogisticRegression(C=1.0, solver="sgd", max_iter=100, learning_rate=gn.ExponentialDecay(0.5, rate=0.95),
                                 random_state=0).fit(X, y)
    assert abs(log_loss(y, sgd.predict_proba(X)) - log_loss(y, exact.predict_proba(X))) < 1e-2
    assert sgd.score(X, y) >= exact.score(X, y) - 0.01


def test_unknown_solver_and_bad_C():
    X, y = np.eye(4), np.array([0, 1, 0, 1])
    with pytest.raises(gn.ConfigError, match=r"Unknown solver 'newton'\. Expected one of: lbfgs, sgd\."):
        gn.LogisticRegression(solver="newton").fit(X, y)
    with pytest.raises(gn.ConfigError, match="C must be a positive number"):
        gn.LogisticRegression(C=0).fit(X, y)
