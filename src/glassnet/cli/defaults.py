"""The settings ``glassnet train`` uses when none are given, and ``--lr auto``.

The defaults were measured on every documented activation × optimizer × input scaling, three
seeds each (benchmarks/calibrate_defaults.py; the table is in docs/doctor.md, "Defaults").
"""

from __future__ import annotations

import warnings

from glassnet.cli.show import note
from glassnet.errors import ConfigError, TrainingProblemWarning

# Defaults measured on every activation × optimizer × input scaling (docs/doctor.md, "Defaults"):
# σ'(z) ≤ 1/4 shrinks every gradient that passes a sigmoid layer, so sigmoid gets its own,
# larger rates; one rate per optimizer cannot serve both (sgd 0.5 kills standardized ReLUs).
DEFAULT_LR = {"sgd": 0.2, "momentum": 0.02, "adam": 0.001}
SIGMOID_LR = {"sgd": 3.0, "momentum": 0.4, "adam": 0.005}
LR_DEFAULTS_TEXT = (", ".join(f"{v:g} {k}" for k, v in DEFAULT_LR.items()) + "; with sigmoid "
                    + ", ".join(f"{v:g} {k}" for k, v in SIGMOID_LR.items()))
# He init keeps Var(z) from halving at each ReLU layer; Glorot suits sigmoid and tanh.
DEFAULT_INIT = {"relu": "he_normal", "leaky_relu": "he_normal"}


def default_lr(optimizer: str, activation: str) -> float:
    """The measured default learning rate of ``optimizer`` for hidden layers of ``activation``."""
    return (SIGMOID_LR if activation == "sigmoid" else DEFAULT_LR)[optimizer]


def auto_lr(model, train_set, settings, out, client=None) -> float:
    """``--lr auto``: the learning-rate range test (``train.lr_find``) on the training rows; the
    curve goes to MODEL.lr.png (written atomically) and the pick to stderr."""
    from glassnet.explain.health import lr_range_figure
    from glassnet.explain.plots import png_bytes
    from glassnet.files.atomic import atomic_write_bytes
    from glassnet.train.lr_find import find_lr

    if client is not None:
        raise ConfigError("--lr auto runs the range test on one machine; give a number with --dask-*.")
    with warnings.catch_warnings():  # an inconclusive test is said below, in its own words
        warnings.simplefilter("ignore", TrainingProblemWarning)
        finding = find_lr(model, train_set.X, train_set.y, optimizer=settings["optimizer"],
                          batch_size=settings["batch_size"], seed=settings["seed"])
    picture = out.with_name(out.stem + ".lr.png")
    atomic_write_bytes(picture, png_bytes(lr_range_figure(finding)))
    if not finding.conclusive:
        lr = default_lr(finding.optimizer, settings["activation"])
        note(f"lr auto: over the range test's {len(finding.lrs)} steps the smoothed loss fell only "
             f"{finding.fall:.0%} (from {finding.start_loss:.3g} to {min(finding.losses):.3g}), "
             f"too little to pick a rate from, so training uses the measured default --lr {lr:g} "
             f"for {settings['activation']} + {finding.optimizer}; curve: {picture}")
        return lr
    note(f"lr auto: a range test over {len(finding.lrs)} steps picked --lr {finding.lr:g} for "
         f"{finding.optimizer} (a tenth of the rate where the smoothed loss was lowest); curve: {picture}")
    return finding.lr
