"""Learning-rate schedules: η as a function of the epoch (a plain number means a constant η)."""

from __future__ import annotations

import numpy as np

from glassnet.errors import ConfigError, unknown_name


class StepDecay:
    """η(epoch) = η₀ · factor^⌊epoch / every⌋ — drop by ``factor`` every ``every`` epochs."""

    def __init__(self, lr: float, factor: float = 0.5, every: int = 10):
        self.lr, self.factor, self.every = positive_number("lr", lr), float(factor), int(every)
        if not 0 < self.factor <= 1 or self.every < 1:
            raise ConfigError(
                f"StepDecay: need 0 < factor ≤ 1 and every ≥ 1. Got {factor!r}, {every!r} instead."
            )

    def __call__(self, epoch: int) -> float:
        return self.lr * self.factor ** (epoch // self.every)

    def get_config(self):
        return {"name": "step", "lr": self.lr, "factor": self.factor, "every": self.every}


class ExponentialDecay:
    """η(epoch) = η₀ · rate^epoch."""

    def __init__(self, lr: float, rate: float = 0.95):
        self.lr, self.rate = positive_number("lr", lr), float(rate)
        if not 0 < self.rate <= 1:
            raise ConfigError(f"ExponentialDecay: rate must be in (0, 1]. Got {rate!r} instead.")

    def __call__(self, epoch: int) -> float:
        return self.lr * self.rate**epoch

    def get_config(self):
        return {"name": "exponential", "lr": self.lr, "rate": self.rate}


SCHEDULES = {"step": StepDecay, "exponential": ExponentialDecay}


def positive_number(name, value) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{name} must be a positive number. Got {value!r} instead.") from None
    if not np.isfinite(number) or number <= 0:
        raise ConfigError(f"{name} must be a positive number. Got {value!r} instead.")
    return number


def as_schedule(lr):
    if callable(lr):
        return lr
    if isinstance(lr, dict):
        settings = dict(lr)
        name = settings.pop("name", None)
        if name not in SCHEDULES:
            raise unknown_name("learning-rate schedule", name, SCHEDULES)
        return SCHEDULES[name](**settings)
    return positive_number("lr", lr)
