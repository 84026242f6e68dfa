"""Logistic regression on a Dask cluster with exact full-batch gradients (L-BFGS).

The objective of ``LogisticRegression`` is a sum over rows, so it splits over the slots of
rows the workers hold (``cluster_data``):

    J(θ) = (1/n) Σ_s L_s(θ) + (λ/2n)‖W‖²        L_s = Σ_{i in slot s} s_i ℓ_i(θ)
    ∇J(θ) = (1/n) Σ_s ∇L_s(θ) + (λ/n) [W, 0]

Each time L-BFGS asks for J and ∇J at θ, θ is sent to every worker; worker s runs glassnet's
own forward and backward pass over its rows (float64) and returns L_s and ∇L_s — one number
and one vector of |θ| entries. The client adds them, adds the L2 term, and hands the result
to ``scipy.optimize.minimize`` (L-BFGS-B), exactly as the in-memory solver does. Nothing is
approximated: the only difference from the in-memory fit is the order of floating-point
additions, so both reach the same optimum (to the solver's tolerance).

``solver="sgd"`` trains the same one-neuron network by parameter averaging (``cluster_sgd``).
"""

from __future__ import annotations

import threading
import uuid
import warnings

import numpy as np

from glassnet.distributed.data import as_rows, get_client, host_labels, make_shards
from glassnet.errors import DataError


def fit_logistic(estimator, X, y, sample_weight=None, client=None):
    """``LogisticRegression.fit`` for a dask X (see the module docstring); returns the estimator."""
    from sklearn.utils.multiclass import check_classification_targets
    from sklearn.utils.validation import column_or_1d

    estimator._check_params()
    client = get_client(client)
    X = as_rows(X)
    n, d = (int(v) for v in X.shape)
    y = column_or_1d(host_labels(y, n), warn=True)
    check_classification_targets(y)
    classes = np.unique(y)
    if len(classes) < 2:
        raise DataError(f"y has only 1 class ({classes.tolist()[0]!r}): a classifier needs at least two.")
    weights, mean_weight = estimator._weights(host_labels(sample_weight, n, "sample_weight"), X, y)
    dtype = estimator.dtype or ("float32" if X.dtype == np.float32 else "float64")
    network = estimator._network(d, len(classes), dtype)
    l2 = 1.0 / (estimator.C * mean_weight)
    if estimator.solver == "lbfgs":
        estimator.n_iter_ = _fit_lbfgs(estimator, client, network, X, y, weights, l2)
    else:
        network.fit(X, y, epochs=estimator.max_iter, classes=classes, client=client,
                    **estimator._sgd_options(weights, l2))
        estimator.n_iter_ = network.history.epochs
    estimator._set_fitted(network, X)
    estimator.n_features_in_ = d
    return estimator


def _fit_lbfgs(estimator, client, network, X, y, weights, l2) -> int:
    from sklearn.exceptions import ConvergenceWarning

    units = network.output_layer.units if network.task != "binary" else 2
    twin = estimator._network(int(X.shape[1]), units, "float64")
    target = twin.encode_labels(np.asarray(y))
    network.classes_ = twin.classes_
    shards = make_shards(client, twin, X, target, weights)
    objective = ShardedObjective(client, twin, shards, l2)
    try:
        result = estimator._minimize(objective, np.zeros(objective.size))
    finally:
        shards.release()
    if result.status == 1:
        warnings.warn(f"L-BFGS did not converge in max_iter={estimator.max_iter} iterations; "
                      "increase max_iter or scale the data.", ConvergenceWarning, stacklevel=4)
    objective.unpack(result.x)
    network.set_weights(twin.get_weights())
    estimator.evaluations_ = objective.calls
    return int(result.nit)


class ShardedObjective:
    """θ ↦ (J(θ), ∇J(θ)), the data terms summed over the workers' slots."""

    def __init__(self, client, network, shards, l2):
        self.client, self.network, self.shards, self.l2 = client, network, shards, float(l2)
        self.params = [theta for _, theta, _ in network.parameters()]
        self.sizes = [p.size for p in self.params]
        self.size = sum(self.sizes)
        keys = [key for key, _, _ in network.parameters()]
        self.penalized = np.concatenate([np.full(s, k.endswith(".W")) for k, s in zip(keys, self.sizes)])
        self.spec = (network.get_config(), tuple(network.input_shape), uuid.uuid4().hex)
        self.calls = 0

    def unpack(self, theta):
        for p, part in zip(self.params, np.split(theta, np.cumsum(self.sizes)[:-1])):
            p[...] = part.reshape(p.shape)

    def __call__(self, theta):
        self.calls += 1
        futures = [self.client.submit(slot_loss_and_gradient, self.spec, theta, future, pure=False,
                                      workers=[worker], allow_other_workers=True)
                   for future, worker in zip(self.shards.futures, self.shards.workers)]
        parts = self.client.gather(futures)
        n = self.shards.n
        value = sum(p[0] for p in parts) / n
        gradient = sum(p[1] for p in parts) / n
        W = theta * self.penalized
        value += 0.5 * self.l2 / n * float(W @ W)
        gradient += (self.l2 / n) * W
        return value, gradient


_local = threading.local()  # one network per worker thread (threads may run slots at once)


def slot_loss_and_gradient(spec, theta, shard):
    """On a worker: (L_s, ∇L_s) — the sums (not means) over this slot's rows, float64."""
    config, input_shape, token = spec
    if getattr(_local, "token", None) != token:
        from glassnet.train.sequential import Sequential

        _local.net = Sequential.from_config(config).build(input_shape, np.random.default_rng(0))
        _local.token = token
    net = _local.net
    sizes = [theta_.size for _, theta_, _ in net.parameters()]
    for (_, p, _), part in zip(net.parameters(), np.split(theta, np.cumsum(sizes)[:-1])):
        p[...] = part.reshape(p.shape)
    x, target, weights = shard
    mean = net.loss_and_gradients(x, target, weights)  # (1/n_s) Σ s_i ℓ_i and its gradient
    gradient = np.concatenate([g.ravel() for _, _, g in net.parameters()])
    return mean * len(x), gradient * len(x)
