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

import warnings

import numpy as np
from scipy import optimize
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.exceptions import ConvergenceWarning
from threadpoolctl import threadpool_limits

from .errors import ConfigError, unknown_name
from .layers import Dense, Flatten
from .model import Sequential
from .optimizers import SGD

SOLVERS = ("lbfgs", "sgd")


class LogisticRegression(ClassifierMixin, BaseEstimator):
    """The one-neuron network, fitted to the same optimum as scikit-learn's LogisticRegression.

    Parameters
    ----------
    C : inverse regularization strength (λ = 1/C in glassnet's L2 convention).
    solver : 'lbfgs' (exact, full batch) or 'sgd' (mini-batches).
    max_iter : L-BFGS iterations, or SGD epochs.
    tol : L-BFGS stops when the largest gradient entry falls below tol.
    learning_rate, batch_size : SGD settings.
    random_state : seed for the SGD shuffles.
    dtype : dtype of the fitted network ('float32' default); L-BFGS always computes in float64.

    Attributes
    ----------
    network_ : the fitted ``Sequential``; coef_ (n_outputs, n_features); intercept_ (n_outputs,);
    classes_; n_iter_; n_features_in_.
    """

    def __init__(self, C=1.0, solver="lbfgs", max_iter=100, tol=1e-4, learning_rate=0.1,
                 batch_size=32, random_state=None, dtype="float32"):
        self.C = C
        self.solver = solver
        self.max_iter = max_iter
        self.tol = tol
        self.learning_rate = learning_rate
        self.batch_size = batch_size
        self.random_state = random_state
        self.dtype = dtype

    def _network(self, n_features, n_classes, dtype):
        output = Dense(1, "sigmoid", init="zeros") if n_classes == 2 else Dense(n_classes, "softmax", init="zeros")
        network = Sequential([Flatten(input_shape=(n_features,)), output], dtype=dtype)
        return network.build((n_features,), np.random.default_rng(0))

    def fit(self, X, y, sample_weight=None):
        if self.solver not in SOLVERS:
            raise unknown_name("solver", self.solver, SOLVERS)
        if not (isinstance(self.C, (int, float)) and self.C > 0):
            raise ConfigError(f"C must be a positive number. Got {self.C!r} instead.")
        X = np.asarray(X)
        X = X.reshape(len(X), -1) if X.ndim > 2 else X
        n_classes = len(np.unique(np.asarray(y)))
        network = self._network(X.shape[1], max(n_classes, 2), self.dtype)
        if self.solver == "lbfgs":
            self.n_iter_ = self._fit_lbfgs(network, X, y, sample_weight)
        else:
            network.fit(X, y, epochs=self.max_iter, batch_size=self.batch_size,
                        optimizer=SGD(lr=self.learning_rate), l2=1.0 / self.C,
                        seed=self.random_state, sample_weight=sample_weight, verbose=0)
            self.n_iter_ = network.history.epochs
        self.network_ = network
        self.classes_ = network.classes_
        self.n_features_in_ = X.shape[1]
        self.coef_ = network.output_layer.params["W"].T.astype(np.float64)
        self.intercept_ = network.output_layer.params["b"].astype(np.float64)
        return self

    def _fit_lbfgs(self, network, X, y, sample_weight):
        """L-BFGS on J(θ) = (1/n) Σ s_i ℓ_i + (1/2Cn)‖W‖² (= sklearn's objective / Cn)."""
        twin = self._network(X.shape[1], network.output_layer.units if network.task != "binary" else 2, "float64")
        X64 = twin.check_X(X)
        target = twin.encode_labels(np.asarray(y))
        network.classes_ = twin.classes_
        weights = None if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
        params = [theta for _, theta, _ in twin.parameters()]
        sizes = np.cumsum([p.size for p in params])[:-1]

        def unpack(theta):
            for p, part in zip(params, np.split(theta, sizes)):
                p[...] = part.reshape(p.shape)

        def objective(theta):
            unpack(theta)
            value = twin.loss_and_gradients(X64, target, weights, l2=1.0 / self.C, n_total=len(X64))
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
        network = self.network_
        z = network.output_layer.weighted_sum(network.check_X(X))
        return z[:, 0] if network.task == "binary" else z

    def predict_proba(self, X):
        return self.network_.predict_proba(X)

    def predict(self, X):
        return self.network_.predict(X)
