"""Gradient checking: is backpropagation right? Compare it with the definition of a derivative.

For every parameter entry θ_k, the central difference

    ∂J/∂θ_k ≈ (J(θ + ε e_k) − J(θ − ε e_k)) / 2ε

has error O(ε²). It is computed in float64 on a copy of the model, and compared with the
analytic gradient g from ``backward`` by the relative error of each parameter tensor

    ‖g − g_numerical‖ / (‖g‖ + ‖g_numerical‖)

(0 when both are 0). Below 1e-7 is a correct gradient; 1e-2 is a bug.
"""

from __future__ import annotations

import numpy as np

from glassnet.nn.model import Network


def _float64_copy(model: Network) -> Network:
    config = model.get_config()
    config["dtype"] = "float64"
    twin = type(model).from_config(config)
    twin.build(model.input_shape, np.random.default_rng(0))
    twin.set_weights({k: v.astype(np.float64) for k, v in model.get_weights().items()})
    twin.classes_ = model.classes_
    return twin


def gradient_errors(model, X, y, *, l2=0.0, sample_weight=None, epsilon=1e-6,
                    max_entries=None, seed=0) -> dict[str, float]:
    """The relative error of each parameter tensor, keyed like ``model.get_weights()``.

    ``max_entries`` checks a random sample of that many entries per tensor (all by default).
    ``y`` are labels as given to ``fit`` (or values, for a regression network).
    """
    twin = _float64_copy(model)
    X = twin.check_X(X) if model.preprocessor is None else twin.check_X(model.preprocessor.transform(X))
    target = twin.encode_labels(np.asarray(y), classes=model.classes_)
    weights = None if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
    n = len(X)
    twin.loss_and_gradients(X, target, weights, l2=l2, n_total=n)
    rng = np.random.default_rng(seed)
    errors = {}
    for key, theta, grad in twin.parameters():
        analytic = grad.copy().ravel()
        flat = theta.reshape(-1)  # a view: editing it edits the model
        entries = np.arange(flat.size)
        if max_entries is not None and flat.size > max_entries:
            entries = rng.choice(flat.size, size=max_entries, replace=False)
        numeric = np.empty(len(entries))
        for j, k in enumerate(entries):
            saved = flat[k]
            flat[k] = saved + epsilon
            plus = twin.objective(X, target, weights, l2, n)
            flat[k] = saved - epsilon
            minus = twin.objective(X, target, weights, l2, n)
            flat[k] = saved
            numeric[j] = (plus - minus) / (2 * epsilon)
        diff = np.linalg.norm(analytic[entries] - numeric)
        scale = np.linalg.norm(analytic[entries]) + np.linalg.norm(numeric)
        errors[key] = float(diff / scale) if scale > 0 else 0.0
    return errors


def gradcheck(model, X, y, **options) -> float:
    """The largest relative error between analytic and numerical gradients over all parameters.

    The model must be built (fit it for an epoch, or ``model.build(shape, rng)``).
    """
    return max(gradient_errors(model, X, y, **options).values())
