"""Command-line value types: each bad value is a one-line usage error (exit 2)."""

from __future__ import annotations

import math
import re

import click

INT_TOKEN = re.compile(r"^\d+$")
MULTI_VALUE_OPTIONS = ("--hidden",)


class SizeType(click.ParamType):
    """``28x28`` (height × width) → (28, 28)."""

    name = "HxW"

    def convert(self, value, param, ctx):
        if isinstance(value, tuple):
            return value
        match = re.fullmatch(r"\s*(\d+)\s*[x×X]\s*(\d+)\s*", str(value))
        if not match or min(int(match[1]), int(match[2])) < 1:
            self.fail(f"{value!r} is not HEIGHTxWIDTH with two positive integers, e.g. 28x28.", param, ctx)
        return int(match[1]), int(match[2])


class HiddenType(click.ParamType):
    """``128 64`` / ``128,64`` → (128, 64); ``none`` or ``0`` → no hidden layer."""

    name = "UNITS..."

    def convert(self, value, param, ctx):
        if isinstance(value, tuple):
            return value
        text = str(value).strip().lower()
        if text in ("none", "0", ""):
            return ()
        parts = [p for p in re.split(r"[,\s]+", text) if p]
        if not all(INT_TOKEN.match(p) and int(p) > 0 for p in parts):
            self.fail(f"{value!r} is not a list of positive layer sizes, e.g. --hidden 128 64.", param, ctx)
        return tuple(int(p) for p in parts)


class NumberType(click.ParamType):
    """A finite float, > 0 (``positive``) or ≥ 0; ``below`` an exclusive upper bound."""

    def __init__(self, positive=True, below=None):
        self.positive, self.below = positive, below
        self.name = "X>0" if positive else "X≥0"

    def convert(self, value, param, ctx):
        try:
            number = float(value)
        except (TypeError, ValueError):
            self.fail(f"{value!r} is not a number.", param, ctx)
        low_ok = number > 0 if self.positive else number >= 0
        if not math.isfinite(number) or not low_ok or (self.below is not None and number >= self.below):
            bound = "> 0" if self.positive else "≥ 0"
            upper = f" and < {self.below:g}" if self.below is not None else ""
            self.fail(f"{value!r} must be a finite number {bound}{upper}.", param, ctx)
        return number


class LearningRateType(NumberType):
    """A learning rate: a finite number > 0, or 'auto' (the range test, ``train.lr_find``)."""

    def __init__(self):
        super().__init__(positive=True)
        self.name = "X>0|auto"

    def convert(self, value, param, ctx):
        if isinstance(value, str) and value.strip().lower() == "auto":
            return "auto"
        return super().convert(value, param, ctx)


SIZE = SizeType()
HIDDEN = HiddenType()
POSITIVE = NumberType(positive=True)
LEARNING_RATE = LearningRateType()
NON_NEGATIVE = NumberType(positive=False)
FRACTION = NumberType(positive=False, below=1.0)


def join_multi_values(args: list[str]) -> list[str]:
    """``--hidden 128 64`` → ``--hidden 128,64``: click options take one value each."""
    out, i = [], 0
    while i < len(args):
        token = args[i]
        out.append(token)
        i += 1
        if token == "--":
            out.extend(args[i:])
            break
        if token in MULTI_VALUE_OPTIONS:
            values = []
            while i < len(args) and INT_TOKEN.match(args[i]):
                values.append(args[i])
                i += 1
            if values:
                out.append(",".join(values))
    return out
