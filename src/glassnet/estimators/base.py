"""scikit-learn estimators on glassnet's own network: ``GlassNetClassifier``, ``GlassNetRegressor``.

They follow scikit-learn's estimator contract (``get_params``/``set_params``, ``fit`` returns
self, learned attributes end in ``_``, inputs checked with scikit-learn's helpers) and pass
``sklearn.utils.estimator_checks``; so they work in ``Pipeline``, ``GridSearchCV``,
``cross_val_score`` and ``clone``. The math is glassnet's: each estimator builds a
``Sequential`` (Flatten → Dense hidden layers → output) and trains it with ``Sequential.fit``.

L2 (``alpha``), as in scikit-learn's MLP. scikit-learn adds ½·alpha·‖W‖² / (batch weight) to
every batch; glassnet's objective is (1/n) Σ s_i ℓ_i + (λ / 2n) Σ ‖W‖². With the sample weights
rescaled to mean 1 (so (1/n) Σ s_i ℓ_i = Σ s_i ℓ_i / Σ s_i) the two agree when

    λ = alpha · (n / B) · (n / Σ s_i)       n training rows, B the batch size

exactly for full batches, and batch by batch in expectation otherwise (scikit-learn divides
each batch by its own weight sum). ``l2_`` holds the λ used.

Stopping, as in scikit-learn: with ``early_stopping=False`` training stops when the training
loss has not improved by ``tol`` for more than ``n_iter_no_change`` epochs; with
``early_stopping=True`` a stratified ``validation_fraction`` is held out and its loss (not its
accuracy, as scikit-learn does) is watched, and the best epoch's weights are kept.

dtype: float32 inputs train a float32 network, anything else float64 (scikit-learn's rule);
``dtype="float32"`` or ``"float64"`` forces one.
"""

from __future__ import annotations

import copy
import numbers
import warnings

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state
from sklearn.utils.class_weight import compute_sample_weight
from sklearn.utils.validation import (
    _check_sample_weight,
    check_is_fitted,
    validate_data,
)

from glassnet.errors import ConfigError, DataError, unknown_name
from glassnet.nn.activations import ACTIVATIONS
from glassnet.nn.layers import Dense, Flatten
from glassnet.train.loop import EarlyStopping
from glassnet.train.optimizers import OPTIMIZERS, Optimizer, get_optimizer
from glassnet.train.sequential import Sequential

ALIASES = {"logistic": "sigmoid"}  # scikit-learn's name for the sigmoid
HIDDEN_ACTIVATIONS = sorted(set(ACTIVATIONS) - {"softmax"} | set(ALIASES))


def _check_choice(kind, value, valid):
    if not isinstance(value, str) or value not in valid:
        raise unknown_name(kind, value, valid)
    return value


def _check_number(name, value, low, high=None, integer=False, low_open=False):
    kinds = numbers.Integral if integer else numbers.Real
    ok = isinstance(value, kinds) and not isinstance(value, bool) and np.isfinite(value)
    ok = ok and (value > low if low_open else value >= low) and (high is None or value < high)
    if not ok:
        what = "an integer" if integer else "a number"
        bounds = f"{'>' if low_open else '≥'} {low}" + (f" and < {high}" if high is not None else "")
        raise ConfigError(f"{name} must be {what} {bounds}. Got {value!r} instead.")
    return value


class GlassNetEstimator(BaseEstimator):
    """What classifier and regressor share: settings, the network, the training call."""

    def __init__(self, hidden_layer_sizes=(100,), activation="sigmoid", *, init="glorot_uniform",
                 optimizer="adam", learning_rate=0.001, momentum=0.9, alpha=0.0001,
                 batch_size="auto", max_iter=200, tol=1e-4, early_stopping=False,
                 validation_fraction=0.1, n_iter_no_change=10, random_state=None, verbose=0,
                 dtype=None):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.init = init
        self.optimizer = optimizer
        self.learning_rate = learning_rate
        self.momentum = momentum
        self.alpha = alpha
        self.batch_size = batch_size
        self.max_iter = max_iter
        self.tol = tol
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.random_state = random_state
        self.verbose = verbose
        self.dtype = dtype

    # ---- settings ------------------------------------------------------------------------
    def _hidden_sizes(self) -> list[int]:
        sizes = self.hidden_layer_sizes
        sizes = [sizes] if isinstance(sizes, numbers.Integral) else list(sizes)
        for size in sizes:
            _check_number("hidden_layer_sizes entries", size, 1, integer=True)
        return [int(size) for size in sizes]

    def _check_params(self):
        _check_choice("activation", self.activation, HIDDEN_ACTIVATIONS)
        if not isinstance(self.optimizer, Optimizer):
            _check_choice("optimizer", self.optimizer, OPTIMIZERS)
        _check_number("alpha", self.alpha, 0)
        _check_number("max_iter", self.max_iter, 1, integer=True)
        _check_number("tol", self.tol, 0)
        _check_number("n_iter_no_change", self.n_iter_no_change, 1, integer=True)
        _check_number("validation_fraction", self.validation_fraction, 0, 1, low_open=True)
        if self.batch_size != "auto":
            _check_number("batch_size", self.batch_size, 1, integer=True)
        if self.dtype is not None:
            _check_choice("dtype", self.dtype, ("float32", "float64"))
        return self._hidden_sizes()

    def _new_optimizer(self) -> Optimizer:
        if isinstance(self.optimizer, Optimizer):
            return copy.deepcopy(self.optimizer)  # fit must not change a parameter
        settings = {"lr": self.learning_rate}
        if self.optimizer == "momentum":
            settings["momentum"] = self.momentum
        return get_optimizer(self.optimizer, **settings)

    def _seed(self, offset=0):
        """An int seed for glassnet from ``random_state`` (None stays None: a fresh run)."""
        state = self.random_state
        if state is None:
            return None
        base = int(state) if isinstance(state, numbers.Integral) else int(check_random_state(state).randint(2**31))
        return base if offset == 0 else int(np.random.SeedSequence([base, offset]).generate_state(1)[0])

    def _batch_size(self, n) -> int:
        if self.batch_size == "auto":
            return min(200, n)
        if self.batch_size > n:
            warnings.warn(f"batch_size={self.batch_size} is larger than the {n} training samples; "
                          f"using {n}.", UserWarning, stacklevel=4)
        return min(int(self.batch_size), n)

    # ---- data ----------------------------------------------------------------------------
    def _validate(self, X, y="no_validation", reset=True):
        X = flatten_images(X)
        options = self._y_options if not (isinstance(y, str) and y == "no_validation") else {}
        return validate_data(self, X, y, reset=reset, dtype=[np.float64, np.float32], **options)

    def _weights(self, sample_weight, X, y):
        """Sample weights times class weights, or None when every sample counts the same."""
        if sample_weight is None and getattr(self, "class_weight", None) is None:
            return None
        weights = _check_sample_weight(sample_weight, X, dtype=np.float64, ensure_non_negative=True)
        if getattr(self, "class_weight", None) is not None:
            weights = weights * compute_sample_weight(self.class_weight, y)
        return weights

    # ---- training ------------------------------------------------------------------------
    def _build(self, n_features, n_outputs, output_activation, X):
        layers = [Flatten(input_shape=(n_features,))]
        activation = ALIASES.get(self.activation, self.activation)
        layers += [Dense(units, activation, init=self.init) for units in self._hidden_sizes()]
        layers.append(Dense(n_outputs, output_activation, init=self.init))
        dtype = self.dtype or ("float32" if X.dtype == np.float32 else "float64")
        return Sequential(layers, dtype=dtype)

    def _start(self, X, y):
        """A fresh network and optimizer: what fit does, and the first partial_fit."""
        self._check_params()
        self.network_ = self._new_network(X, y)
        self._optimizer = self._new_optimizer()
        self.n_iter_, self.loss_curve_, self.validation_loss_curve_ = 0, [], None

    def _train(self, X, y, sample_weight, incremental, classes=None):
        """Fit (incremental=False: fresh weights, up to max_iter epochs) or one more epoch."""
        weights = self._weights(sample_weight, X, y)
        stopper = None
        if not incremental:
            self._start(X, y)
            validation = None
            if self.early_stopping:
                X, y, weights, validation = self._split(X, y, weights)
            stopper = _Stopping(self.n_iter_no_change + 1, self.tol, validation)
        n, batch = len(X), self._batch_size(len(X))
        mean_weight = 1.0 if weights is None else float(np.mean(weights))
        if not mean_weight > 0:
            raise DataError("sample_weight sums to 0: at least one sample needs a positive weight.")
        self.l2_ = float(self.alpha) * (n / batch) / mean_weight
        history = self.network_.fit(
            X, y, epochs=1 if incremental else self.max_iter, batch_size=batch,
            optimizer=self._optimizer, l2=self.l2_, classes=classes,
            sample_weight=None if weights is None else weights / mean_weight,
            early_stopping=stopper, seed=self._seed(self.n_iter_), verbose=2 if self.verbose else 0,
            diagnose=False)  # estimators speak scikit-learn (ConvergenceWarning); gn.diagnose(est, X, y) asks
        self._record(history, stopper)
        if not incremental and "stopped_epoch" not in history.info and self.max_iter > 1:
            warnings.warn(f"{type(self).__name__}: max_iter={self.max_iter} epochs reached and the "
                          "loss is still improving; increase max_iter.", ConvergenceWarning, stacklevel=3)
        return self

    def _split(self, X, y, weights):
        """Hold out ``validation_fraction`` of the rows (stratified for a classifier)."""
        parts = (X, y) if weights is None else (X, y, weights)
        options = {"test_size": self.validation_fraction, "random_state": self._seed()}
        try:
            split = train_test_split(*parts, stratify=y if self._stratify else None, **options)
        except ValueError:  # a class too small to stratify
            split = train_test_split(*parts, **options)
        X, Xv, y, yv = split[:4]
        weights, wv = split[4:] or (None, None)
        return X, y, weights, (Xv, yv, wv)

    def _record(self, history, stopper):
        network = self.network_
        self.n_iter_ += history.epochs
        self.loss_curve_ += [float(v) for v in history.loss]
        self.loss_ = self.loss_curve_[-1]
        if stopper is not None and stopper.validation is not None:
            self.validation_loss_curve_ = stopper.curve
        dense = [layer for layer in network.layers if isinstance(layer, Dense)]
        self.coefs_ = [layer.params["W"].copy() for layer in dense]
        self.intercepts_ = [layer.params["b"].copy() for layer in dense]
        self.n_layers_ = len(dense) + 1
        self.n_outputs_ = network.output_layer.units
        self.out_activation_ = network.output_layer.activation.name

    # ---- prediction ----------------------------------------------------------------------
    def _checked(self, X):
        check_is_fitted(self, "network_")
        return self._validate(X, reset=False)

class _Stopping(EarlyStopping):
    """scikit-learn's stopping rule on glassnet's ``EarlyStopping``: stop when the training
    loss (or, given ``validation`` = (X, y, weights), the sample-weighted loss of those held-out
    rows) has not improved by ``min_delta`` for ``patience`` epochs; keep the best validation
    epoch's weights."""

    def __init__(self, patience, min_delta, validation=None):
        super().__init__(patience=patience, monitor="loss" if validation is None else "val_loss",
                         min_delta=min_delta, restore_best_weights=validation is not None)
        self.validation = validation
        self.curve: list[float] = []

    def update(self, epoch, logs, model) -> bool:
        if self.validation is not None:
            X, y, weights = self.validation
            weights = None if weights is None else weights / max(float(np.mean(weights)), 1e-300)
            output = network_output(model, X, logits=model.loss.from_logits)
            logs["val_loss"] = model.loss.value(output, model.encode_labels(y), weights)
            self.curve.append(float(logs["val_loss"]))
        return super().update(epoch, logs, model)


def network_output(network, X, logits=True):
    """The output layer's z = Wᵀa + b (logits=True), or its activation a, for a batch X."""
    a = network.check_X(X)
    for layer in network.layers[: network.output_index]:
        a = layer.forward(a)
    output = network.output_layer
    return output.weighted_sum(a) if logits else output.forward(a)


def flatten_images(X):
    """Images (n, h, w[, c]) become rows (n, h·w·c); everything else passes unchanged."""
    if isinstance(X, np.ndarray) and X.ndim > 2:
        return X.reshape(len(X), -1)
    return X
