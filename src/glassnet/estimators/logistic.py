"""Logistic regression: the one-neuron network of the article.

    p = σ(wᵀx + b)        predict class 1 when p > 0.5, i.e. exactly when z = wᵀx + b > 0

It is ``Sequential([Flatten(), Dense(1, "sigmoid")])`` trained on binary cross-entropy with an
L2 penalty, in scikit-learn's convention: minimize  C Σ_i ℓ_i + ½‖w‖²  (the bias is free).
For k > 2 classes it is the multinomial (softmax) form, Dense(k, "softmax"), with ½‖W‖².

``solver="lbfgs"`` minimizes that convex objective with ``scipy.optimize.minimize`` (L-BFGS-B)
using glassnet's own backpropagated gradient, in float64, and reaches scikit-learn's optimum.
``solver="sgd"`` trains the same network with mini-batch SGD, like any other glassnet model.
"""

from __future__ import annotations

import numbers
import warnings

import numpy as np
from scipy import optimize
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state
from sklearn.utils.class_weight import compute_sample_weight
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import (
    _check_sample_weight,
    check_is_fitted,
    column_or_1d,
    validate_data,
)
from threadpoolctl import threadpool_limits

from glassnet.backend import is_dask_array
from glassnet.errors import ConfigError, DataError, unknown_name
from glassnet.nn.layers import Dense, Flatten
from glassnet.train.optimizers import SGD
from glassnet.train.sequential import Sequential

SOLVERS = ("lbfgs", "sgd")


def first_partial_fit_classes(classes, class_weight) -> np.ndarray:
    """The sorted classes a first ``partial_fit`` call declares, checked."""
    if classes is None:
        raise DataError("classes must be given on the first call to partial_fit "
                        "(every label that will ever appear).")
    if isinstance(class_weight, str):
        raise ConfigError("class_weight='balanced' needs all the data at once; "
                          "use fit(), or pass class_weight as a dict.")
    classes = np.unique(np.asarray(classes))
    if len(classes) < 2:
        raise DataError("classes must hold at least two labels.")
    return classes


class LogisticRegression(ClassifierMixin, BaseEstimator):
    """The one-neuron network, fitted to the same optimum as scikit-learn's LogisticRegression.

    Parameters
    ----------
    C : inverse regularization strength (λ = 1/C in glassnet's L2 convention).
    solver : 'lbfgs' (exact, full batch) or 'sgd' (mini-batches; also ``partial_fit``).
    max_iter : L-BFGS iterations, or SGD epochs.
    tol : L-BFGS stops when the largest gradient entry falls below tol.
    learning_rate, batch_size : SGD settings.
    random_state : seed for the SGD shuffles (an int, a RandomState or None).
    dtype : dtype of the fitted network ('float32' default, 'float64', or None to follow X:
        float32 stays float32, anything else float64); L-BFGS always computes in float64.
    class_weight : None, 'balanced' or {label: weight}, multiplied into the sample weights.

    Sample weights s enter as scikit-learn's do, C Σ s_i ℓ_i + ½‖W‖²: weights 2 and 0 are the
    same as a repeated and a removed row.

    Attributes
    ----------
    network_ : the fitted ``Sequential``; coef_ (n_outputs, n_features); intercept_ (n_outputs,);
    classes_; n_iter_; n_features_in_; feature_names_in_ (for a DataFrame X).
    """

    def __init__(self, C=1.0, solver="lbfgs", max_iter=100, tol=1e-4, learning_rate=0.1,
                 batch_size=32, random_state=None, dtype="float32", class_weight=None):
        self.C = C
        self.solver = solver
        self.max_iter = max_iter
        self.tol = tol
        self.learning_rate = learning_rate
        self.batch_size = batch_size
        self.random_state = random_state
        self.dtype = dtype
        self.class_weight = class_weight

    def _network(self, n_features, n_classes, dtype):
        output = Dense(1, "sigmoid", init="zeros") if n_classes == 2 else Dense(n_classes, "softmax", init="zeros")
        network = Sequential([Flatten(input_shape=(n_features,)), output], dtype=dtype)
        return network.build((n_features,), np.random.default_rng(0))

    def _check_params(self):
        if self.solver not in SOLVERS:
            raise unknown_name("solver", self.solver, SOLVERS)
        if not (isinstance(self.C, numbers.Real) and self.C > 0):
            raise ConfigError(f"C must be a positive number. Got {self.C!r} instead.")
        if self.dtype not in (None, "float32", "float64"):
            raise ConfigError(f"dtype must be 'float32', 'float64' or None. Got {self.dtype!r} instead.")

    def _validate(self, X, y="no_validation", reset=True):
        """scikit-learn's checks; images (n, h, w[, c]) are flattened to rows first."""
        if isinstance(X, np.ndarray) and X.ndim > 2:
            X = X.reshape(len(X), -1)
        out = validate_data(self, X, y, reset=reset, dtype=[np.float64, np.float32])
        if isinstance(y, str) and y == "no_validation":
            return out
        X, y = out
        y = column_or_1d(y, warn=True)
        check_classification_targets(y)
        return X, y

    def _weights(self, sample_weight, X, y):
        """(weights rescaled to mean 1 or None, their raw mean s̄)."""
        if sample_weight is None and self.class_weight is None:
            return None, 1.0
        weights = _check_sample_weight(sample_weight, X, dtype=np.float64, ensure_non_negative=True)
        if self.class_weight is not None:
            weights = weights * compute_sample_weight(self.class_weight, y)
        mean = float(np.mean(weights))
        if not mean > 0:
            raise DataError("sample_weight sums to 0: at least one sample needs a positive weight.")
        return weights / mean, mean

    def fit(self, X, y, sample_weight=None):
        """Minimize C Σ s_i ℓ_i + ½‖W‖² (the bias is free); returns self.

        Internally J = (1/n) Σ s'_i ℓ_i + (λ / 2n)‖W‖² with s' = s / s̄ (mean 1) and
        λ = 1 / (C s̄): the same objective divided by C Σ s_i, so the same optimum.
        A dask X is fitted on the default Dask client (``glassnet.distributed.lbfgs``).
        """
        if is_dask_array(X):
            from glassnet.train.fit import distributed

            return distributed().fit_logistic(self, X, y, sample_weight)
        self._check_params()
        X, y = self._validate(X, y, reset=True)
        classes = np.unique(y)
        if len(classes) < 2:
            raise DataError(f"y has only 1 class ({classes.tolist()[0]!r}): a classifier needs at least two.")
        weights, mean_weight = self._weights(sample_weight, X, y)
        dtype = self.dtype or ("float32" if X.dtype == np.float32 else "float64")
        network = self._network(X.shape[1], len(classes), dtype)
        l2 = 1.0 / (self.C * mean_weight)
        if self.solver == "lbfgs":
            self.n_iter_ = self._fit_lbfgs(network, X, y, weights, l2)
        else:
            network.fit(X, y, epochs=self.max_iter, classes=classes, **self._sgd_options(weights, l2))
            self.n_iter_ = network.history.epochs
        self._set_fitted(network, X)
        return self

    def _sgd_options(self, weights, l2, offset=0):
        seed = self.random_state
        if seed is not None and not isinstance(seed, numbers.Integral):
            seed = int(check_random_state(seed).randint(2**31))
        if seed is not None and offset:
            seed = int(np.random.SeedSequence([int(seed), offset]).generate_state(1)[0])
        return {"batch_size": self.batch_size, "optimizer": SGD(lr=self.learning_rate), "l2": l2,
                "seed": seed, "sample_weight": weights, "verbose": 0, "diagnose": False}

    @available_if(lambda self: self.solver == "sgd")
    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """One SGD epoch on (X, y) from the current weights (solver='sgd' only). The first call
        needs ``classes``; each call regularizes as if (X, y) were the whole training set."""
        self._check_params()
        first = not hasattr(self, "network_")
        X, y = self._validate(X, y, reset=first)
        if first:
            classes = first_partial_fit_classes(classes, self.class_weight)
            dtype = self.dtype or ("float32" if X.dtype == np.float32 else "float64")
            self.network_, self.n_iter_ = self._network(X.shape[1], len(classes), dtype), 0
            self.network_.classes_ = classes
        weights, mean_weight = self._weights(sample_weight, X, y)
        network = self.network_
        network.fit(X, y, epochs=1, classes=network.classes_,
                    **self._sgd_options(weights, 1.0 / (self.C * mean_weight), self.n_iter_))
        self.n_iter_ += 1
        self._set_fitted(network, X)
        return self

    def _set_fitted(self, network, X):
        self.network_ = network
        self.classes_ = network.classes_
        self.coef_ = network.output_layer.params["W"].T.astype(np.float64)
        self.intercept_ = network.output_layer.params["b"].astype(np.float64)

    def _fit_lbfgs(self, network, X, y, weights, l2):
        """L-BFGS on J(θ) = (1/n) Σ s_i ℓ_i + (λ/2n)‖W‖² (= sklearn's objective / C Σ s_i)."""
        twin = self._network(X.shape[1], network.output_layer.units if network.task != "binary" else 2, "float64")
        X64 = twin.check_X(X)
        target = twin.encode_labels(np.asarray(y))
        network.classes_ = twin.classes_
        params = [theta for _, theta, _ in twin.parameters()]
        sizes = np.cumsum([p.size for p in params])[:-1]

        def unpack(theta):
            for p, part in zip(params, np.split(theta, sizes)):
                p[...] = part.reshape(p.shape)

        def objective(theta):
            unpack(theta)
            value = twin.loss_and_gradients(X64, target, weights, l2=l2, n_total=len(X64))
            return value, np.concatenate([g.ravel() for _, _, g in twin.parameters()])

        start = np.zeros(sum(p.size for p in params))
        # NumPy and SciPy each bring an OpenBLAS; with both at 2 threads in this one loop they
        # contend, and L-BFGS runs ~10× slower (measured on digits). One thread each is fastest.
        with threadpool_limits(limits=1, user_api="blas"):
            result = self._minimize(objective, start)
        if result.status == 1:
            warnings.warn(f"L-BFGS did not converge in max_iter={self.max_iter} iterations; "
                          "increase max_iter or scale the data.", ConvergenceWarning, stacklevel=3)
        unpack(result.x)
        network.set_weights(twin.get_weights())
        return int(result.nit)

    def _minimize(self, objective, start):
        options = {"maxiter": self.max_iter, "maxls": 50, "gtol": self.tol, "ftol": 64 * np.finfo(float).eps}
        return optimize.minimize(objective, start, jac=True, method="L-BFGS-B", options=options)

    def decision_function(self, X):
        """z = Xw + b: positive exactly where the predicted probability of class 1 exceeds 0.5."""
        check_is_fitted(self, "network_")
        X = self._validate(X, reset=False)
        network = self.network_
        z = network.output_layer.weighted_sum(network.check_X(X))
        return z[:, 0] if network.task == "binary" else z

    def predict_proba(self, X):
        """(n, n_classes) probabilities (two classes: [1 − p, p])."""
        check_is_fitted(self, "network_")
        if is_dask_array(X):
            return self.network_.predict_proba(X)
        return self.network_.predict_proba(self._validate(X, reset=False))

    def predict(self, X):
        check_is_fitted(self, "network_")
        if is_dask_array(X):
            return self.network_.predict(X)
        return self.network_.predict(self._validate(X, reset=False))
