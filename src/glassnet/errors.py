"""Every error glassnet raises on purpose.

All of them are ``ValueError`` subclasses so that ordinary ``except ValueError`` code
keeps working. Messages say where, what was expected, what was got, and the fix, e.g.

    Dense(784 → 10): expected input of shape (batch, 784), got (32, 28, 28). Put Flatten() first.

The command line turns any ``GlassnetError`` into one line ``error: …`` and exit code 2.
"""

from __future__ import annotations


class GlassnetError(ValueError):
    """Base class: a problem with the user's input, settings or files (never a bug)."""


class ConfigError(GlassnetError):
    """An unknown name or an invalid setting (activation, initializer, optimizer, lr, …)."""


class DataError(GlassnetError):
    """Input data that cannot be used: wrong shape, NaN, one class only, bad file, …"""


class ModelFileError(GlassnetError):
    """A model file that is missing, corrupt, or disagrees with itself."""


class NotFittedError(GlassnetError, AttributeError):
    """The model has no weights yet: call fit() (or load a trained model) first."""


class DivergedError(GlassnetError, ArithmeticError):
    """The training loss became NaN or infinite; the last good weights were kept."""

    def __init__(self, message: str, epoch: int):
        super().__init__(message)
        self.epoch = epoch


class TrainingInterrupted(GlassnetError):
    """Training stopped early on request (Ctrl-C / SIGTERM) after finishing a batch."""

    def __init__(self, message: str, epoch: int):
        super().__init__(message)
        self.epoch = epoch


def unknown_name(kind: str, name: object, valid) -> ConfigError:
    """``Unknown activation 'sigmod'. Expected one of: identity, relu, sigmoid.``"""
    return ConfigError(f"Unknown {kind} {name!r}. Expected one of: {', '.join(sorted(valid))}.")


class GlassnetWarning(UserWarning):
    """Something that works but is probably not what you want (e.g. zero-initialized hidden layers)."""


class TrainingProblemWarning(GlassnetWarning):
    """A problem the training doctor found (``glassnet.train.doctor``); ``problem`` is its id."""

    problem = ""


class DivergedWarning(TrainingProblemWarning):
    problem = "diverged"


class ExplodingGradientWarning(TrainingProblemWarning):
    problem = "exploding_gradient"


class VanishingGradientWarning(TrainingProblemWarning):
    problem = "vanishing_gradient"


class SaturatedUnitsWarning(TrainingProblemWarning):
    problem = "saturated_units"


class DeadUnitsWarning(TrainingProblemWarning):
    problem = "dead_units"


class OscillatingLossWarning(TrainingProblemWarning):
    problem = "oscillating_loss"


class SlowConvergenceWarning(TrainingProblemWarning):
    problem = "slow_convergence"


class ChanceLevelWarning(TrainingProblemWarning):
    problem = "chance_level"


class OverfittingWarning(TrainingProblemWarning):
    problem = "overfitting"


PROBLEM_WARNINGS = {cls.problem: cls for cls in TrainingProblemWarning.__subclasses__()}
