"""The learning-rate range test: try rates from tiny to huge on a few hundred steps and pick one.

Starting from the model's weights, take ``steps`` mini-batch steps while the learning rate
grows geometrically from ``min_lr`` to ``max_lr`` (η_t = η_min·(η_max/η_min)^(t/T)), and record
the loss J_t of every batch. While η is too small J barely moves; then it falls fast; past the
point of stability each step overshoots and J shoots up — the test stops once the smoothed J
exceeds four times its best. The pick is the rate at the smoothed J's minimum divided by ten:
the minimum is already at the edge of divergence, and a tenth of it is still in the fast-falling
part (L. Smith, "Cyclical learning rates", 2017; the fast.ai convention).

The pick needs a curve that fell. A sigmoid network under plain SGD often sits on its initial
plateau (J ≈ ln K for K classes) for longer than the whole test: the smoothed J then wanders
by noise and its minimum says nothing about a good rate. So the finding says whether J fell
by at least a fifth from where it started (``conclusive``); when it did not, ``find_lr``
warns (a ``TrainingProblemWarning``) and ``glassnet train --lr auto`` keeps the measured
default rate instead, saying so.

The model's weights are put back afterwards: the test only looks.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np

from glassnet.errors import ConfigError, TrainingProblemWarning
from glassnet.nn.inputs import rows_and_converter
from glassnet.train.optimizers import get_optimizer
from glassnet.train.step import gradient_step, unfold

SMOOTHING = 0.9     # exponential moving average of J (bias-corrected)
STOP_FACTOR = 4.0   # stop when the smoothed J is 4× its best
SAFETY = 10.0       # pick η_min_loss / 10
MIN_FALL = 0.2      # conclusive only if the smoothed J fell by ≥ 20 % below where it started
START = 10          # "where it started": the median smoothed J of the first 10 steps


@dataclass
class LRFinding:
    """The rates tried, the smoothed losses seen, and the pick (``lr``)."""

    lrs: list
    losses: list
    lr: float
    optimizer: str

    @property
    def start_loss(self) -> float:
        return float(np.median(self.losses[:START])) if self.losses else math.nan

    @property
    def fall(self) -> float:
        """How far the smoothed J fell below its start, as a fraction (0.35: by 35 %)."""
        return 1 - min(self.losses) / self.start_loss if self.losses else 0.0

    @property
    def conclusive(self) -> bool:
        """Did J fall enough (``MIN_FALL``) for its minimum to say where learning happens?"""
        return self.fall >= MIN_FALL

    def to_dict(self) -> dict:
        return {"lrs": self.lrs, "losses": self.losses, "lr": self.lr, "optimizer": self.optimizer,
                "conclusive": self.conclusive}


def find_lr(model, X, y, *, optimizer="sgd", min_lr=1e-5, max_lr=100.0, steps=300, batch_size=32,
            seed=0) -> LRFinding:
    """Run the range test on (X, y) (raw rows if the model has a preprocessor) and return the
    ``LRFinding``; ``finding.lr`` is the suggested learning rate for ``optimizer``."""
    if not 0 < min_lr < max_lr or steps < 10:
        raise ConfigError(f"find_lr: need 0 < min_lr < max_lr and steps ≥ 10. Got min_lr={min_lr!r}, "
                          f"max_lr={max_lr!r}, steps={steps!r} instead.")
    X, convert = rows_and_converter(model, X)  # raw rows on the CPU, each batch converted
    target = model.encode_labels(np.asarray(y))
    rng = np.random.default_rng([int(seed), 4])
    if not model.built:
        model.build(X.shape[1:], np.random.default_rng([int(seed), 0]))
    saved = {k: v.copy() for k, v in model.get_weights().items()}
    opt = get_optimizer(optimizer if isinstance(optimizer, str) else optimizer.name)
    try:
        lrs, losses = _sweep(model, opt, X, target, rng, min_lr, max_lr, steps, batch_size,
                             convert)
    finally:
        model.set_weights(saved)
    finding = LRFinding(lrs, losses, _pick(lrs, losses, min_lr), opt.name)
    if not finding.conclusive:
        warnings.warn(
            f"find_lr: the smoothed loss fell only {finding.fall:.0%} over the {len(lrs)} steps "
            f"(from {finding.start_loss:.3g} to {min(losses, default=math.nan):.3g}), so its "
            f"minimum does not show where learning happens and the pick {finding.lr:g} is a "
            f"guess. Train with a known rate, or run more steps.",
            TrainingProblemWarning, stacklevel=2)
    return finding


def _sweep(model, opt, X, target, rng, min_lr, max_lr, steps, batch_size, convert):
    params = list(model.parameters())
    lrs, losses, average, best = [], [], 0.0, math.inf
    for t in range(steps):
        lr = min_lr * (max_lr / min_lr) ** (t / (steps - 1))
        opt.lr = lr
        rows = rng.integers(0, len(X), size=min(batch_size, len(X)))
        x = convert.gather(X, rows) if convert is not None else X[rows]
        with np.errstate(all="ignore"):
            loss, scale = gradient_step(model, opt, params, x, target[rows], None, 0.0, len(X))
        unfold(model, scale)
        if not math.isfinite(loss):
            break
        average = SMOOTHING * average + (1 - SMOOTHING) * loss
        smoothed = average / (1 - SMOOTHING ** (t + 1))
        lrs.append(lr)
        losses.append(smoothed)
        best = min(best, smoothed)
        if smoothed > STOP_FACTOR * best:
            break
    return lrs, losses


def _pick(lrs, losses, min_lr) -> float:
    if not losses:
        return min_lr
    at = int(np.argmin(losses))
    return float(f"{max(lrs[at] / SAFETY, min_lr):.2g}")
