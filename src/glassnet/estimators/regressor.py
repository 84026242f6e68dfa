"""``GlassNetRegressor``: a glassnet network as a scikit-learn regressor (see ``base``)."""

from __future__ import annotations

from sklearn.base import MultiOutputMixin, RegressorMixin

from glassnet.estimators.base import GlassNetEstimator


class GlassNetRegressor(MultiOutputMixin, RegressorMixin, GlassNetEstimator):
    """A glassnet network as a scikit-learn regressor: identity output, mean squared error
    (½ Σ (a − y)², averaged over rows). y may be (n,) or (n, n_outputs).

    Parameters and attributes: those of ``GlassNetClassifier`` without ``class_weight`` and
    ``classes_``.
    """

    _y_options = {"y_numeric": True, "multi_output": True}
    _stratify = False

    def _new_network(self, X, y):
        return self._build(X.shape[1], 1 if y.ndim == 1 else y.shape[1], "identity", X)

    def fit(self, X, y, sample_weight=None):
        """Train a fresh network for up to ``max_iter`` epochs; returns self."""
        X, y = self._validate(X, y, reset=True)
        return self._train(X, y, sample_weight, incremental=False)

    def partial_fit(self, X, y, sample_weight=None):
        """One epoch on (X, y), continuing from the current weights."""
        first = not hasattr(self, "network_")
        X, y = self._validate(X, y, reset=first)
        if first:
            self._start(X, y)
        return self._train(X, y, sample_weight, incremental=True)

    def predict(self, X):
        """(n,) predictions, or (n, n_outputs) when fitted on several targets."""
        X = self._checked(X)
        return self.network_.predict(X)
