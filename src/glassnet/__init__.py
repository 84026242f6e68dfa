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

from .activations import get_activation
from .errors import (
    ConfigError,
    DataError,
    DivergedError,
    GlassnetError,
    GlassnetWarning,
    ModelFileError,
    NotFittedError,
    TrainingInterrupted,
)
from .explain import explain
from .gradcheck import gradcheck, gradient_errors
from .io import load, save
from .layers import Dense, Dropout, Flatten
from .model import Sequential
from .optimizers import SGD, Adam, ExponentialDecay, Momentum, StepDecay
from .trace import Trace
from .training import EarlyStopping, History

__version__ = "0.1.0"

__all__ = [
    "Adam", "ConfigError", "DataError", "Dense", "DivergedError", "Dropout", "EarlyStopping",
    "ExponentialDecay", "Flatten", "GlassnetError", "GlassnetWarning", "History",
    "LogisticRegression", "ModelFileError", "Momentum", "NotFittedError", "SGD", "Sequential",
    "StepDecay", "Trace", "TrainingInterrupted", "explain", "get_activation", "gradcheck",
    "gradient_errors", "load", "save", "__version__",
]


def __getattr__(name):
    # LogisticRegression is a scikit-learn estimator: import scikit-learn only when it is used,
    # so that `import glassnet` (and every `glassnet` command) starts fast.
    if name == "LogisticRegression":
        from .logistic import LogisticRegression

        return LogisticRegression
    raise AttributeError(f"module 'glassnet' has no attribute {name!r}")
