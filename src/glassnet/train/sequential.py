"""Sequential: the network of ``glassnet.nn.model`` plus ``fit``, the public model class.

``nn.Network`` holds the math (forward, backward, predict); this class adds training by
mini-batch gradient descent (``glassnet.train.fit``). A ``dask.array`` X makes ``fit``,
``predict`` and ``predict_proba`` run on a Dask cluster instead: ``fit.distributed()`` is the
one door to ``glassnet.distributed``.
"""

from __future__ import annotations

import numpy as np

from glassnet.backend import is_dask_array
from glassnet.errors import ConfigError, NotFittedError
from glassnet.nn.layers import Dense, Flatten
from glassnet.nn.model import Network
from glassnet.train import fit as fitting
from glassnet.train.loop import History


class Sequential(Network):
    """Layers applied one after the other: a = f_L(… f_2(f_1(x))), trainable with ``fit``.

    Parameters
    ----------
    layers : list of Layer — usually Flatten, then Dense (and Dropout) layers.
    dtype : "float32" (default) or "float64".
    """

    def fit(self, X, y, epochs=10, batch_size=32, optimizer="sgd", **options) -> History:
        """Train by mini-batch gradient descent; see ``glassnet.train.fit.fit`` for every option.

        A ``dask.array`` X trains on a Dask cluster by parameter averaging (``client=``,
        ``sync_every=``; see ``glassnet.distributed``)."""
        if is_dask_array(X):
            return fitting.distributed().fit(self, X, y, epochs=epochs, batch_size=batch_size,
                                             optimizer=optimizer, **options)
        return fitting.fit(self, X, y, epochs=epochs, batch_size=batch_size, optimizer=optimizer,
                           **options)

    def predict_proba(self, X) -> np.ndarray:
        """(n, n_classes) class probabilities; a dask X gives a dask array computed chunk by
        chunk on the cluster."""
        if is_dask_array(X):
            return fitting.distributed().predict_proba(self, X)
        return super().predict_proba(X)

    def predict(self, X) -> np.ndarray:
        """Class labels (or values for regression); a dask X gives a dask array."""
        if is_dask_array(X):
            return fitting.distributed().predict(self, X)
        return super().predict(X)


def build_classifier(input_shape, n_classes: int, hidden=(128, 64), activation="sigmoid",
                     init="glorot_uniform", dtype="float32") -> Sequential:
    """Flatten(input_shape) → Dense(h, activation) for h in hidden → the output layer.

    Two classes get ``Dense(1, "sigmoid")`` (binary cross-entropy), k > 2 get
    ``Dense(k, "softmax")`` (categorical cross-entropy).
    """
    if n_classes < 2:
        raise ConfigError(f"A classifier needs at least two classes. Got {n_classes} instead.")
    layers = [Flatten(input_shape=tuple(input_shape))]
    layers += [Dense(int(units), activation=activation, init=init) for units in hidden]
    layers.append(Dense(1, "sigmoid") if n_classes == 2 else Dense(n_classes, "softmax"))
    return Sequential(layers, dtype=dtype)


def network_of(model, purpose: str = "explain") -> Sequential:
    """The fitted ``Sequential`` inside ``model``: itself, or a scikit-learn estimator's
    ``network_`` (``model_`` for wrappers). ``purpose`` is the caller's verb, for the errors."""
    network = model
    for attribute in ("network_", "model_"):
        if getattr(model, attribute, None) is not None:
            network = getattr(model, attribute)
            break
    if not isinstance(network, Sequential):
        if hasattr(model, "get_params"):  # a scikit-learn style estimator before fit
            raise NotFittedError(f"{type(model).__name__} is not fitted yet: call fit() before "
                                 f"you {purpose} it.")
        raise ConfigError(f"Cannot {purpose} a {type(model).__name__}: expected a glassnet "
                          "Sequential or a fitted glassnet estimator.")
    if not network.built:
        raise NotFittedError(f"Cannot {purpose} this model: it has no weights yet; call fit() or "
                             "load a trained model.")
    return network
