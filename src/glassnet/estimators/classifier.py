"""``GlassNetClassifier``: a glassnet network as a scikit-learn classifier (see ``base``)."""

from __future__ import annotations

import numpy as np
from sklearn.base import ClassifierMixin
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, column_or_1d

from glassnet.backend import is_dask_array
from glassnet.errors import DataError
from glassnet.estimators.base import GlassNetEstimator, network_output
from glassnet.estimators.logistic import first_partial_fit_classes


class GlassNetClassifier(ClassifierMixin, GlassNetEstimator):
    """A glassnet network as a scikit-learn classifier (log-loss; sigmoid output for two
    classes, softmax for more).

    Parameters
    ----------
    hidden_layer_sizes : sizes of the hidden Dense layers, e.g. (100,) or (128, 64); () for none.
    activation : hidden activation: 'sigmoid' (or 'logistic'), 'tanh', 'relu', 'leaky_relu', 'identity'.
    init : weight initializer ('glorot_uniform', 'he_normal', 'normal', ...).
    optimizer : 'sgd', 'momentum' or 'adam' (or a glassnet Optimizer, copied at fit).
    learning_rate, momentum : settings of a named optimizer.
    alpha : L2 strength, scikit-learn's MLP convention (see the module docstring).
    batch_size : rows per step; 'auto' = min(200, n_samples).
    max_iter : epochs. tol, n_iter_no_change, early_stopping, validation_fraction : stopping.
    class_weight : None, 'balanced' or {label: weight}, multiplied into the sample weights.
    random_state : None, an int or a RandomState: the initial weights, shuffles and split.
    verbose : print one line per epoch to stderr.
    dtype : None (float32 stays float32, else float64), 'float32' or 'float64'.

    Attributes
    ----------
    network_ (the fitted ``Sequential``), classes_, coefs_ [(n_in, n_out) per layer],
    intercepts_, n_iter_, loss_, loss_curve_, validation_loss_curve_, l2_, n_features_in_,
    feature_names_in_, n_layers_, n_outputs_, out_activation_.
    """

    _y_options: dict = {}
    _stratify = True

    def __init__(self, hidden_layer_sizes=(100,), activation="sigmoid", *, init="glorot_uniform",
                 optimizer="adam", learning_rate=0.001, momentum=0.9, alpha=0.0001,
                 batch_size="auto", max_iter=200, tol=1e-4, early_stopping=False,
                 validation_fraction=0.1, n_iter_no_change=10, class_weight=None,
                 random_state=None, verbose=0, dtype=None):
        super().__init__(hidden_layer_sizes, activation, init=init, optimizer=optimizer,
                         learning_rate=learning_rate, momentum=momentum, alpha=alpha,
                         batch_size=batch_size, max_iter=max_iter, tol=tol,
                         early_stopping=early_stopping, validation_fraction=validation_fraction,
                         n_iter_no_change=n_iter_no_change, random_state=random_state,
                         verbose=verbose, dtype=dtype)
        self.class_weight = class_weight

    def _labels(self, y):
        y = column_or_1d(y, warn=True)
        check_classification_targets(y)
        return y

    def _new_network(self, X, y):
        n_classes = len(self.classes_)
        output = (1, "sigmoid") if n_classes == 2 else (n_classes, "softmax")
        return self._build(X.shape[1], *output, X)

    def fit(self, X, y, sample_weight=None):
        """Train a fresh network for up to ``max_iter`` epochs; returns self. A dask X trains
        on the default Dask client by parameter averaging (``glassnet.distributed.api``)."""
        if is_dask_array(X):
            from glassnet.train.fit import distributed

            return distributed().fit_estimator(self, X, y, sample_weight)
        X, y = self._validate(X, y, reset=True)
        y = self._labels(y)
        self.classes_ = np.unique(y)
        if len(self.classes_) < 2:
            raise DataError(f"y has only 1 class ({self.classes_.tolist()[0]!r}): a classifier needs at least two.")
        return self._train(X, y, sample_weight, incremental=False, classes=self.classes_)

    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """One epoch on (X, y), continuing from the current weights. The first call needs
        ``classes`` (every label that will ever appear)."""
        first = not hasattr(self, "network_")
        X, y = self._validate(X, y, reset=first)
        y = self._labels(y)
        if first:
            self.classes_ = first_partial_fit_classes(classes, self.class_weight)
            self._start(X, y)
        elif classes is not None and not np.array_equal(np.unique(np.asarray(classes)), self.classes_):
            raise DataError(f"classes={list(classes)} differs from the first call's {list(self.classes_)}.")
        return self._train(X, y, sample_weight, incremental=True, classes=self.classes_)

    def decision_function(self, X):
        """Logits z of the output layer: (n,) for two classes (z > 0 ⇔ class 1), else (n, k)."""
        X = self._checked(X)
        z = network_output(self.network_, X)
        return z[:, 0] if z.shape[1] == 1 else z

    def predict_proba(self, X):
        """(n, n_classes) probabilities (two classes: [1 − p, p])."""
        if is_dask_array(X):
            check_is_fitted(self, "network_")
            return self.network_.predict_proba(X)
        X = self._checked(X)
        return self.network_.predict_proba(X)

    def predict_log_proba(self, X):
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))

    def predict(self, X):
        """The most probable class label for each row."""
        if is_dask_array(X):
            check_is_fitted(self, "network_")
            return self.network_.predict(X)
        proba = self.predict_proba(X)
        return self.classes_[np.argmax(proba, axis=1)]
