"""scikit-learn estimators, at the import path the docs use: ``from glassnet.sklearn import …``.

They live in ``glassnet.estimators``; this module only re-exports them.
"""

from glassnet.estimators import GlassNetClassifier, GlassNetRegressor, LogisticRegression

__all__ = ["GlassNetClassifier", "GlassNetRegressor", "LogisticRegression"]
