"""glassnet — a fast, NumPy-first, glass-box neural network for image classification.

Notation, shared by the code, the docs and ``explain``:

    x   one input vector (an image unrolled), shape (n_in,); a batch X is (batch, n_in)
    W   a layer's weights, shape (n_in, n_out); column j is unit j's weight vector w_j
    b   a layer's biases, shape (n_out,)
    z   the weighted sum  z = Wᵀx + b   (a batch: Z = X·W + b)
    a   the activation    a = f(z), e.g. the sigmoid σ(z) = 1 / (1 + e^(−z))
    g   a gradient flowing backwards, ∂L/∂(something)
    L   the loss of a batch;  J = L + the L2 penalty (λ / 2n) Σ‖W‖²
"""

from glassnet import distributed  # noqa: F401  registers the dask-array backend with train.fit
from glassnet.errors import (
    ConfigError,
    DataError,
    DivergedError,
    GlassnetError,
    GlassnetWarning,
    ModelFileError,
    NotFittedError,
    TrainingInterrupted,
    TrainingProblemWarning,
)
from glassnet.explain import explain
from glassnet.explain.trace import Trace
from glassnet.files.io import load, save
from glassnet.nn.activations import get_activation
from glassnet.nn.gradcheck import gradcheck, gradient_errors
from glassnet.nn.layers import Dense, Dropout, Flatten
from glassnet.train.diagnosis import diagnose
from glassnet.train.doctor import Diagnosis
from glassnet.train.keep import KeepBest
from glassnet.train.loop import EarlyStopping, History
from glassnet.train.lr_find import find_lr
from glassnet.train.optimizers import SGD, Adam, Momentum
from glassnet.train.progress import Callback
from glassnet.train.schedules import ExponentialDecay, StepDecay
from glassnet.train.sequential import Sequential
from glassnet.version import __version__

__all__ = [
    "Adam", "Callback", "ConfigError", "DataError", "Dense", "DivergedError", "Dropout", "EarlyStopping",
    "Diagnosis", "ExponentialDecay", "Flatten", "GlassnetError", "GlassnetWarning", "History", "KeepBest",
    "LogisticRegression", "ModelFileError", "Momentum", "NotFittedError", "SGD", "Sequential",
    "StepDecay", "Trace", "TrainingInterrupted", "TrainingProblemWarning", "diagnose", "explain",
    "find_lr", "get_activation", "gradcheck", "gradient_errors", "load", "save", "__version__",
]


def __getattr__(name):
    # LogisticRegression is a scikit-learn estimator: import scikit-learn only when it is used,
    # so that `import glassnet` (and every `glassnet` command) starts fast.
    if name == "LogisticRegression":
        from glassnet.estimators.logistic import LogisticRegression

        return LogisticRegression
    raise AttributeError(f"module 'glassnet' has no attribute {name!r}")
