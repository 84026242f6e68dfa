"""``fit``: from the user's X and y to a running ``Trainer``.

Checks and converts the inputs (rows, labels, sample weights), holds out a validation split,
builds the model, warns about hidden layers whose units start identical, attaches the
progress reporters, and resumes from a checkpoint when asked. The loop lives in ``loop``.

It is also the one door to ``glassnet.distributed``: that package registers itself here when
it is imported (``register_distributed``), and ``distributed()`` hands it to whoever meets a
dask array (``Sequential``, the estimators, ``evaluate``) — so the training code never imports
the cluster code that builds on it.
"""

from __future__ import annotations

import warnings

import numpy as np

from glassnet.backend import to_numpy
from glassnet.data.split import split_rows
from glassnet.errors import ConfigError, DataError, GlassnetWarning
from glassnet.nn.batches import RowView
from glassnet.nn.inputs import check_seed, rows_and_converter
from glassnet.nn.layers import Dense
from glassnet.train.checkup import run_diagnosed
from glassnet.train.instruments import Instruments
from glassnet.train.loop import History, Trainer
from glassnet.train.progress import reporters_for


def fit(model, X, y, epochs=10, batch_size=32, optimizer="sgd", *, validation_data=None,
        validation_split=0.0, early_stopping=None, seed=None, verbose="auto", l2=0.0,
        sample_weight=None, classes=None, callbacks=(), resume=None, trainer_hook=None,
        device=None, diagnose=True, shuffle_block=None) -> History:
    """Train ``model`` on (X, y) by mini-batch gradient descent and return its ``History``.

    Parameters
    ----------
    X : (n_samples, n_features) or images (n_samples, h, w[, c]); raw if the model has a
        preprocessor, otherwise already scaled.
    y : (n_samples,) labels (ints or strings) — or values for a regression output.
    epochs, batch_size : passes over the data and rows per gradient step.
    optimizer : an Optimizer, or 'sgd' | 'momentum' | 'adam' with default settings.
    validation_data : (X_val, y_val) evaluated after every epoch.
    validation_split : fraction of (X, y) held out (stratified) instead, if no validation_data.
    early_stopping : patience in epochs or an ``EarlyStopping``; the best weights are restored.
    seed : makes the run repeat bit for bit (initial weights, shuffles, dropout masks).
    verbose : 0 silent, 1 progress bar, 2 a line per epoch, 'auto' a bar only in a terminal.
    l2 : λ in the penalty (λ / 2n) Σ‖W‖² on every weight matrix (biases are not penalized).
    sample_weight : (n_samples,) weights s_i in the loss (1/n) Σ s_i ℓ_i.
    resume : a checkpoint ``(arrays, scalars)`` from ``Trainer.state_dict()`` to continue.
    trainer_hook : called with the ``Trainer`` before it runs (the CLI uses it for Ctrl-C).
    device : "cpu" or "cuda" — moves the model there first (``Sequential.to``); None keeps it.
    shuffle_block : shuffle blocks of this many consecutive rows (in random order, the rows
        inside each shuffled) instead of all rows — for a memory-mapped X bigger than the page
        cache, so each batch reads one or two stretches of the file. None: every row shuffled.
    diagnose : take the doctor's readings each epoch (``train.instruments``) and, at the end,
        set ``history.diagnosis`` and warn (a ``TrainingProblemWarning``) about each problem.
    """
    check_seed(seed)
    if device is not None:
        model.to(device)
    # on the CPU rows stay as given (uint8 stays uint8) and are converted batch by batch;
    # elsewhere they are converted here and the Trainer copies them to the device once
    X, convert = rows_and_converter(model, X, on_host=True)
    y = to_numpy(y)
    if len(X) != len(y):
        raise DataError(f"X has {len(X)} rows but y has {len(y)}; they must have one row per sample.")
    if sample_weight is not None:
        sample_weight = check_sample_weight(sample_weight, len(X), model.dtype)
    target = model.encode_labels(y, classes)  # unusable labels (None, …) refused before any use
    validation = None
    if validation_data is None and validation_split:  # rows and targets already checked
        X, target, sample_weight, validation = _split_off(
            X, target, sample_weight, validation_split, seed,
            stratify=model.task != "regression", view=convert is not None)
    elif validation_data is not None:
        Xv, yv = validation_data
        Xv = rows_and_converter(model, Xv, "validation X", on_host=True)[0]
        validation = (Xv, model.encode_labels(to_numpy(yv)))
    trainer = Trainer(model, X, target, epochs=epochs, batch_size=batch_size, optimizer=optimizer,
                      l2=l2, seed=seed, sample_weight=sample_weight, validation=validation,
                      early_stopping=early_stopping, convert=convert,
                      shuffle_block=shuffle_block,
                      callbacks=[*reporters_for(verbose), *callbacks, *([Instruments()] if diagnose else [])])
    if resume is not None:
        if not model.built:
            model.build(X.shape[1:], np.random.default_rng(0))
        trainer.load_state_dict(*resume)
    elif not model.built:  # as the Trainer would, so the warning sees the starting weights
        model.build(X.shape[1:], np.random.default_rng([trainer.seed, 0]))
    warn_symmetric_hidden(model)
    if trainer_hook is not None:
        trainer_hook(trainer)
    if not diagnose:
        return trainer.run()
    return run_diagnosed(trainer)


def check_sample_weight(sample_weight, n, dtype):
    weights = np.asarray(to_numpy(sample_weight), dtype=dtype).reshape(-1)
    if len(weights) != n or not np.isfinite(weights).all() or (weights < 0).any():
        raise DataError(f"sample_weight must hold {n} finite numbers ≥ 0.")
    return weights


def _split_off(X, target, sample_weight, fraction, seed, stratify, view=False):
    """(train X, target, weights, validation (X, target)) of encoded targets; ``stratify``: by
    class (when every class allows it); ``view``: the X parts are RowViews (no copy)."""
    if not 0.0 < float(fraction) < 1.0:
        raise ConfigError(f"validation_split must be in (0, 1). Got {fraction!r} instead.")
    fraction = float(fraction)
    try:
        train, val = split_rows(target, fraction, seed, stratify=stratify)
    except ValueError:  # too few samples of some class to stratify
        train, val = split_rows(target, fraction, seed, stratify=False)
    train, val = np.sort(train), np.sort(val)  # file order: a block shuffle then reads in runs
    weights = sample_weight[train] if sample_weight is not None else None
    if view:
        return RowView(X, train), target[train], weights, (RowView(X, val), target[val])
    return X[train], target[train], weights, (X[val], target[val])


def warn_symmetric_hidden(model):
    """Warn once for each hidden Dense layer whose units start identical (same w_j and b_j).

    Identical units compute the same z, receive the same gradient and so stay identical for
    ever: the layer works as one unit. Zero initialization does this, and so does any
    ``set_weights`` with equal columns; the weights themselves are checked, after building.
    """
    dense = [layer for layer in model.layers if isinstance(layer, Dense)]
    for layer in dense[:-1]:
        if layer.built and layer.units > 1 and _units_identical(layer):
            W = to_numpy(layer.params["W"])
            kind = "all zero" if not W.any() else "all equal"
            warnings.warn(
                f"Hidden layer {layer.describe()} starts with {layer.units} identical units "
                f"(every weight vector w_j the same, {kind}): each computes the same z, gets the "
                "same gradient and stays identical. Use init='glorot_uniform' or give the units "
                "different weights.",
                GlassnetWarning,
                stacklevel=3,
            )


def _units_identical(layer) -> bool:
    W, b = to_numpy(layer.params["W"]), to_numpy(layer.params["b"])
    return bool(np.all(W == W[:, :1]) and np.all(b == b[0]))


# ---- dask arrays: the one door to glassnet.distributed -----------------------------------
_distributed = None


def register_distributed(backend):
    """Called by ``glassnet.distributed`` when it is imported: the module whose ``fit``,
    ``predict``, ``predict_proba``, ``evaluate``, ``fit_logistic`` and ``fit_estimator`` run
    on dask arrays."""
    global _distributed
    _distributed = backend


def distributed():
    """The registered distributed backend (``glassnet.distributed.api``)."""
    if _distributed is None:
        raise ConfigError("dask arrays need glassnet.distributed: import glassnet first "
                          "and install the extra with pip install 'glassnet[dask]'.")
    return _distributed
