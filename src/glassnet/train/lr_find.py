"""The learning-rate range test: try rates from tiny to huge on a few hundred steps and pick one.

Starting from the model's weights, take ``steps`` mini-batch steps while the learning rate
grows geometrically from ``min_lr`` to ``max_lr`` (η_t = η_min·(η_max/η_min)^(t/T)), and record
the loss J_t of every batch. While η is too small J barely moves; then it falls fast; past the
point of stability each step overshoots and J shoots up — the test stops once the smoothed J
exceeds four times its best. The pick is the rate at the smoothed J's minimum divided by ten:
the minimum is already at the edge of divergence, and a tenth of it is still in the fast-falling
part (L. Smith, "Cyclical learning rates", 2017; the fast.ai convention).

The model's weights are put back afterwards: the test only looks.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from glassnet.errors import ConfigError
from glassnet.train.optimizers import get_optimizer
from glassnet.train.step import gradient_step, unfold

SMOOTHING = 0.9     # exponential moving average of J (bias-corrected)
STOP_FACTOR = 4.0   # stop when the smoothed J is 4× its best
SAFETY = 10.0       # pick η_min_loss / 10


@dataclass
class LRFinding:
    """The rates tried, the smoothed losses seen, and the pick (``lr``)."""

    lrs: list
    losses: list
    lr: float
    optimizer: str

    def to_dict(self) -> dict:
        return {"lrs": self.lrs, "losses": self.losses, "lr": self.lr, "optimizer": self.optimizer}


def find_lr(model, X, y, *, optimizer="sgd", min_lr=1e-5, max_lr=100.0, steps=300, batch_size=32,
            seed=0) -> LRFinding:
    """Run the range test on (X, y) (raw rows if the model has a preprocessor) and return the
    ``LRFinding``; ``finding.lr`` is the suggested learning rate for ``optimizer``."""
    if not 0 < min_lr < max_lr or steps < 10:
        raise ConfigError(f"find_lr: need 0 < min_lr < max_lr and steps ≥ 10. Got min_lr={min_lr!r}, "
                          f"max_lr={max_lr!r}, steps={steps!r} instead.")
    X = model.check_X(X)
    target = model.encode_labels(np.asarray(y))
    rng = np.random.default_rng([int(seed), 4])
    if not model.built:
        model.build(X.shape[1:], np.random.default_rng([int(seed), 0]))
    saved = {k: v.copy() for k, v in model.get_weights().items()}
    opt = get_optimizer(optimizer if isinstance(optimizer, str) else optimizer.name)
    try:
        lrs, losses = _sweep(model, opt, X, target, rng, min_lr, max_lr, steps, batch_size)
    finally:
        model.set_weights(saved)
    return LRFinding(lrs, losses, _pick(lrs, losses, min_lr), opt.name)


def _sweep(model, opt, X, target, rng, min_lr, max_lr, steps, batch_size):
    params = list(model.parameters())
    lrs, losses, average, best = [], [], 0.0, math.inf
    for t in range(steps):
        lr = min_lr * (max_lr / min_lr) ** (t / (steps - 1))
        opt.lr = lr
        rows = rng.integers(0, len(X), size=min(batch_size, len(X)))
        with np.errstate(all="ignore"):
            loss, scale = gradient_step(model, opt, params, X[rows], target[rows], None, 0.0, len(X))
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
