"""The scikit-learn estimators: scikit-learn's own estimator checks, the meta-estimators,
and side-by-side comparisons with MLPClassifier."""

import os
import pickle
import subprocess
import sys
import warnings

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import load_digits, make_classification, make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, cross_val_score, train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

import glassnet as gn
from glassnet.sklearn import GlassNetClassifier, GlassNetRegressor
from optimum import assert_same_optimum

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

# Expected failures, each with its reason. Nothing else is skipped: scikit-learn itself skips
# only what the estimator tags declare not applicable (sparse input is not supported, so the
# sparse checks verify the error message instead). scikit-learn skips check_array_api_input
# without SCIPY_ARRAY_API=1, so test_array_api_check_that_needs_scipy_array_api runs it.
SPLIT = ("early_stopping holds out a random validation_fraction of the rows, so repeated rows "
         "and weighted rows are split differently (scikit-learn's MLP has the same limitation).")
MINI_BATCH = ("mini-batch SGD: repeated rows land in different batches than one weighted row, so "
              "the two runs only agree in expectation (scikit-learn xfails SGDClassifier alike).")
FLOAT32 = ("float32 arithmetic: 15 weighted rows and ~30 repeated rows are summed in different "
           "orders, and the check's rtol=1e-7 is below float32 resolution (~6e-8 per operation).")

CHECKED = [
    (GlassNetClassifier(), {}),  # the defaults: (100,) sigmoid, Adam
    (GlassNetRegressor(), {}),
    (GlassNetClassifier((16, 8), "tanh", optimizer="sgd", learning_rate=0.1, max_iter=50), {}),
    (GlassNetRegressor((16,), "tanh", optimizer="sgd", learning_rate=0.05, max_iter=100), {}),
    (GlassNetClassifier((16,), "relu", optimizer="momentum", learning_rate=0.05, max_iter=50,
                        early_stopping=True),
     {"check_sample_weight_equivalence_on_dense_data": SPLIT}),
    (GlassNetRegressor((32,), "relu", learning_rate=0.01, max_iter=100, early_stopping=True),
     {"check_sample_weight_equivalence_on_dense_data": SPLIT}),
    (GlassNetClassifier((16,), "leaky_relu", batch_size=8, dtype="float32", learning_rate=0.03,
                        max_iter=20),
     {"check_sample_weight_equivalence_on_dense_data": MINI_BATCH + " And " + FLOAT32}),
    (gn.LogisticRegression(), {}),
    (gn.LogisticRegression(solver="sgd", max_iter=20),
     {"check_sample_weight_equivalence_on_dense_data": MINI_BATCH}),
]
EXPECTED_FAILURES = {id(estimator): failures for estimator, failures in CHECKED}


# Checks whose verdict does not depend on how far training got: they compare two fits, a fit with
# its pickle or its pipeline, outputs across input types, shapes, dtypes, errors and attributes.
# For them the GlassNet estimators train for at most FEW_EPOCHS epochs; every check that asks for
# a trained model (classifiers_train, regressors_train, class_weight_*, classifiers_classes, …)
# and the sample-weight equivalence checks keep the settings listed in CHECKED.
FEW_EPOCHS = 5
ITERATION_FREE = {
    "check_classifier_data_not_an_array", "check_complex_data", "check_decision_proba_consistency",
    "check_dict_unchanged", "check_dont_overwrite_parameters", "check_dtype_object",
    "check_estimators_dtypes", "check_estimators_fit_returns_self", "check_estimators_nan_inf",
    "check_estimators_overwrite_params", "check_estimators_partial_fit_n_features",
    "check_estimators_pickle", "check_f_contiguous_array_estimator", "check_fit2d_1feature",
    "check_fit2d_1sample", "check_fit2d_predict1d", "check_fit_check_is_fitted",
    "check_fit_idempotent", "check_fit_score_takes_y", "check_methods_sample_order_invariance",
    "check_methods_subset_invariance", "check_n_features_in", "check_n_features_in_after_fitting",
    "check_non_transformer_estimators_n_iter", "check_pipeline_consistency",
    "check_positive_only_tag_during_fit", "check_readonly_memmap_input",
    "check_regressor_data_not_an_array", "check_regressors_int",
    "check_regressors_no_decision_function", "check_sample_weights_list",
    "check_sample_weights_not_an_array", "check_sample_weights_not_overwritten",
    "check_sample_weights_pandas_series", "check_sample_weights_shape", "check_supervised_y_2d",
}


@pytest.mark.slow
@parametrize_with_checks([estimator for estimator, _ in CHECKED],
                         expected_failed_checks=lambda estimator: EXPECTED_FAILURES.get(id(estimator), {}))
def test_sklearn_estimator_checks(estimator, check):
    name = getattr(check, "func", check).__name__
    if name in ITERATION_FREE and isinstance(estimator, (GlassNetClassifier, GlassNetRegressor)):
        estimator = clone(estimator).set_params(max_iter=min(estimator.max_iter, FEW_EPOCHS))
    check(estimator)


ARRAY_API_CHECK = """
from sklearn.utils.estimator_checks import check_array_api_input
from glassnet import LogisticRegression
from glassnet.sklearn import GlassNetClassifier, GlassNetRegressor
for estimator in (GlassNetClassifier(max_iter=20), GlassNetRegressor(max_iter=20), LogisticRegression()):
    check_array_api_input(type(estimator).__name__, estimator, array_namespace="numpy",
                          expect_only_array_outputs=False)
"""


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore")
def test_array_api_check_that_needs_scipy_array_api():
    """The one check scikit-learn skips above: it needs SCIPY_ARRAY_API=1 before SciPy loads."""
    env = {**os.environ, "SCIPY_ARRAY_API": "1", "PYTHONWARNINGS": "ignore"}
    result = subprocess.run([sys.executable, "-c", ARRAY_API_CHECK], capture_output=True,
                            text=True, env=env, timeout=300)
    assert result.returncode == 0, result.stderr


# ---- scikit-learn's meta-estimators ------------------------------------------------------
@pytest.fixture(scope="module")
def blobs():
    return make_classification(n_samples=300, n_features=8, n_informative=5, n_classes=3, random_state=0)


def test_pipeline_and_cross_val_score(blobs):
    X, y = blobs
    pipe = make_pipeline(StandardScaler(), GlassNetClassifier((16,), learning_rate=0.01, max_iter=60, random_state=0))
    scores = cross_val_score(pipe, X, y, cv=3)
    assert scores.shape == (3,) and scores.mean() > 0.75


@pytest.mark.slow
def test_grid_search_with_two_jobs(blobs):
    X, y = blobs
    search = GridSearchCV(GlassNetClassifier(max_iter=40, learning_rate=0.01, random_state=0),
                          {"hidden_layer_sizes": [(8,), (32,)], "alpha": [1e-4, 1e-1]}, cv=2, n_jobs=2)
    search.fit(X, y)
    assert set(search.best_params_) == {"hidden_layer_sizes", "alpha"}
    assert search.best_estimator_.score(X, y) > 0.75


def test_clone_and_pickle_keep_settings_and_predictions(blobs):
    X, y = blobs
    model = GlassNetClassifier((8,), "tanh", optimizer="momentum", max_iter=20, random_state=3).fit(X, y)
    twin = clone(model)
    assert twin.get_params() == model.get_params() and not hasattr(twin, "network_")
    np.testing.assert_array_equal(twin.fit(X, y).predict_proba(X), model.predict_proba(X))  # same seed
    restored = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(restored.predict_proba(X), model.predict_proba(X))


# ---- side by side with scikit-learn's MLP --------------------------------------------------
@pytest.mark.slow
@pytest.mark.parametrize("solver, learning_rate", [("sgd", 0.1), ("adam", 0.001)])
def test_accuracy_matches_mlpclassifier_on_digits(solver, learning_rate):
    """Same 64-64-10 logistic network, solver, learning rate, batch size and epochs; the mean
    test accuracy over three seeds is within one percentage point of MLPClassifier's."""
    X, y = load_digits(return_X_y=True)
    Xtr, Xte, ytr, yte = train_test_split(X / 16.0, y, test_size=0.2, stratify=y, random_state=0)
    epochs, ours, theirs = 40, [], []
    for seed in range(3):
        sk = MLPClassifier((64,), activation="logistic", solver=solver, learning_rate_init=learning_rate,
                           momentum=0.0, batch_size=32, max_iter=epochs, n_iter_no_change=epochs + 1,
                           alpha=1e-4, random_state=seed)
        gl = GlassNetClassifier((64,), "sigmoid", optimizer=solver, learning_rate=learning_rate,
                                batch_size=32, max_iter=epochs, n_iter_no_change=epochs + 1,
                                alpha=1e-4, random_state=seed)
        theirs.append(sk.fit(Xtr, ytr).score(Xte, yte))
        ours.append(gl.fit(Xtr, ytr).score(Xte, yte))
        assert gl.n_iter_ == sk.n_iter_ == epochs
    assert abs(np.mean(ours) - np.mean(theirs)) <= 0.01, (ours, theirs)
    assert min(ours) > 0.93


@pytest.mark.parametrize("weighted", [False, True])
def test_one_full_batch_sgd_step_equals_mlpclassifier(weighted):
    """From the same weights, one full-batch SGD step gives scikit-learn's update to rounding:
    the alpha → λ mapping and the sample-weight normalization match exactly."""
    X, y = load_digits(return_X_y=True)
    X, y = X[:300] / 16.0, y[:300]
    weights = np.random.default_rng(0).integers(0, 4, len(y)).astype(float) if weighted else None
    settings = {"alpha": 0.5, "batch_size": 300, "max_iter": 1, "random_state": 0}
    sk = MLPClassifier((20,), activation="logistic", solver="sgd", momentum=0.0, learning_rate_init=0.3,
                       shuffle=False, **settings).fit(X, y)
    ours = GlassNetClassifier((20,), optimizer="sgd", learning_rate=0.3, **settings).fit(X, y)
    dense = [layer for layer in ours.network_.layers if isinstance(layer, gn.Dense)]
    for layer, W, b in zip(dense, sk.coefs_, sk.intercepts_):
        layer.params["W"][...], layer.params["b"][...] = W, b
    sk.partial_fit(X, y, sample_weight=weights)
    ours.partial_fit(X, y, sample_weight=weights)
    for theirs, mine in zip(sk.coefs_ + sk.intercepts_, ours.coefs_ + ours.intercepts_):
        np.testing.assert_allclose(mine, theirs, rtol=1e-12, atol=1e-14)


def test_fitted_attributes_have_scikit_learns_layout(blobs):
    X, y = blobs
    model = GlassNetClassifier((16, 8), max_iter=5, random_state=0).fit(X, y)
    assert [W.shape for W in model.coefs_] == [(8, 16), (16, 8), (8, 3)]
    assert [b.shape for b in model.intercepts_] == [(16,), (8,), (3,)]
    assert model.n_layers_ == 4 and model.n_outputs_ == 3 and model.out_activation_ == "softmax"
    assert model.n_iter_ == 5 == len(model.loss_curve_) and model.n_features_in_ == 8
    np.testing.assert_array_equal(model.coefs_[0], model.network_.layers[1].params["W"])
    assert model.coefs_[0] is not model.network_.layers[1].params["W"]  # a copy


def test_binary_decision_function_is_the_logit(blobs):
    X, y = blobs
    y = np.where(y == 0, "cat", "dog")
    model = GlassNetClassifier((8,), max_iter=30, learning_rate=0.01, random_state=0).fit(X, y)
    z = model.decision_function(X)
    assert z.shape == (len(X),)
    np.testing.assert_allclose(model.predict_proba(X)[:, 1], 1 / (1 + np.exp(-z)), rtol=1e-12)
    np.testing.assert_array_equal(model.predict(X), np.where(z > 0, "dog", "cat"))


def test_partial_fit_continues_one_epoch_at_a_time(blobs):
    X, y = blobs
    model = GlassNetClassifier((16,), learning_rate=0.01, random_state=0)
    with pytest.raises(gn.DataError, match="classes must be given"):
        model.partial_fit(X, y)
    for chunk in np.array_split(np.arange(len(X)), 3):
        model.partial_fit(X[chunk], y[chunk], classes=[0, 1, 2])
    first = model.coefs_[0].copy()
    for _ in range(20):
        model.partial_fit(X, y)
    assert model.n_iter_ == 23 == len(model.loss_curve_)
    assert model.loss_curve_[-1] < model.loss_curve_[3]
    assert not np.array_equal(first, model.coefs_[0])
    with pytest.raises(gn.ConfigError, match="balanced"):
        GlassNetClassifier(class_weight="balanced").partial_fit(X, y, classes=[0, 1, 2])


def test_class_weight_is_sample_weight(blobs):
    X, y = blobs
    by_class = GlassNetClassifier((8,), max_iter=10, class_weight={0: 3.0, 1: 1.0, 2: 0.5}, random_state=0).fit(X, y)
    weights = np.array([3.0, 1.0, 0.5])[y]
    by_sample = GlassNetClassifier((8,), max_iter=10, random_state=0).fit(X, y, sample_weight=weights)
    np.testing.assert_array_equal(by_class.predict_proba(X), by_sample.predict_proba(X))


def test_early_stopping_keeps_the_best_validation_epoch(blobs):
    X, y = blobs
    model = GlassNetClassifier((64,), learning_rate=0.05, max_iter=300, early_stopping=True,
                               n_iter_no_change=5, random_state=0).fit(X, y)
    curve = model.validation_loss_curve_
    assert model.n_iter_ < 300 and len(curve) == model.n_iter_
    # as scikit-learn: stop after more than n_iter_no_change epochs without improvement
    assert np.argmin(curve) == model.n_iter_ - 1 - (5 + 1)


def test_dataframe_feature_names_and_dtype_follow_the_input(blobs):
    pd = pytest.importorskip("pandas")
    X, y = blobs
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(8)])
    model = GlassNetClassifier((8,), max_iter=3, random_state=0).fit(frame, y)
    assert list(model.feature_names_in_) == list(frame.columns)
    assert model.predict_proba(frame).dtype == np.float64
    assert GlassNetClassifier((8,), max_iter=3).fit(X.astype(np.float32), y).predict_proba(X).dtype == np.float32


def test_regressor_fits_several_targets():
    X, Y = make_regression(n_samples=400, n_features=6, n_targets=2, noise=1.0, random_state=0)
    Y = Y / Y.std(axis=0)
    model = GlassNetRegressor((32,), "tanh", learning_rate=0.01, max_iter=200, random_state=0).fit(X, Y)
    assert model.predict(X).shape == (400, 2) and model.out_activation_ == "identity"
    assert model.score(X, Y) > 0.95
    assert GlassNetRegressor((4,), max_iter=2).fit(X, Y[:, 0]).predict(X).shape == (400,)


def test_bad_settings_name_the_setting_and_the_choices(blobs):
    X, y = blobs
    with pytest.raises(gn.ConfigError, match=r"Unknown activation 'sigmod'\. Expected one of: .*sigmoid"):
        GlassNetClassifier(activation="sigmod").fit(X, y)
    with pytest.raises(gn.ConfigError, match=r"alpha must be a number ≥ 0\. Got -1 instead"):
        GlassNetClassifier(alpha=-1).fit(X, y)
    with pytest.raises(gn.ConfigError, match="hidden_layer_sizes"):
        GlassNetRegressor(hidden_layer_sizes=(10, 0)).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        with pytest.raises(ConvergenceWarning, match="max_iter=2"):
            GlassNetClassifier((4,), max_iter=2).fit(X, y)


def test_logistic_regression_partial_fit_only_for_sgd(blobs):
    X, y = blobs
    assert not hasattr(gn.LogisticRegression(), "partial_fit")
    model = gn.LogisticRegression(solver="sgd", random_state=0)
    for _ in range(30):
        model.partial_fit(X, y, classes=[0, 1, 2])
    exact = gn.LogisticRegression().fit(X, y)
    assert model.n_iter_ == 30 and model.score(X, y) >= exact.score(X, y) - 0.03


def test_logistic_regression_sample_weights_match_sklearn():
    from sklearn.datasets import load_breast_cancer
    from sklearn.linear_model import LogisticRegression as SkLogisticRegression
    from threadpoolctl import threadpool_limits

    X, y = load_breast_cancer(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    weights = np.random.default_rng(0).uniform(0, 3, len(y))
    ours = gn.LogisticRegression(C=0.5, max_iter=5000, tol=1e-8, dtype="float64").fit(X, y, sample_weight=weights)
    with threadpool_limits(limits=1, user_api="blas"):
        theirs = SkLogisticRegression(C=0.5, max_iter=5000, tol=1e-8).fit(X, y, sample_weight=weights)
    assert_same_optimum(X, y, 0.5, ours, theirs, tol=1e-8, sample_weight=weights)
    unweighted = gn.LogisticRegression(C=0.5, max_iter=5000, tol=1e-8, dtype="float64").fit(X, y)
    with pytest.raises(AssertionError, match="not stationary"):  # the weights do move the optimum
        assert_same_optimum(X, y, 0.5, unweighted, theirs, tol=1e-8, sample_weight=weights)
