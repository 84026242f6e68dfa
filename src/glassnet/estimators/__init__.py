"""scikit-learn estimators on glassnet's own network: GlassNetClassifier, GlassNetRegressor and
LogisticRegression (the one-neuron network). ``glassnet.sklearn`` re-exports them."""

from glassnet.estimators.classifier import GlassNetClassifier
from glassnet.estimators.logistic import LogisticRegression
from glassnet.estimators.regressor import GlassNetRegressor

__all__ = ["GlassNetClassifier", "GlassNetRegressor", "LogisticRegression"]
