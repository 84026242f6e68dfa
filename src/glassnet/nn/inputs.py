"""The checks every input passes before the math sees it: X as rows of the model's dtype,
labels encoded as the loss's targets. Errors say what was expected, what was got, and the fix."""

from __future__ import annotations

import numpy as np

from glassnet.backend import CPU, device_of, to_device, to_numpy
from glassnet.errors import DataError


def check_X(model, X, name="X", *, on_host=False) -> np.ndarray:
    """X as a C-contiguous array of the model's dtype, shape (n, n_features), all finite,
    on the model's device (``on_host=True``: a NumPy array wherever the model is)."""
    if not on_host and (model.device is not CPU or type(X) is not np.ndarray and device_of(X) is not CPU):
        return check_X_across(model, X, name)
    if model.preprocessor is not None:
        X = model.preprocessor.transform(np.asarray(X, dtype=np.float64).reshape(len(X), -1))
    try:
        X = np.asarray(X, dtype=model.dtype)
    except (TypeError, ValueError) as exc:
        raise DataError(f"{name} must be a numeric array. Got {exc}.") from None
    if X.ndim < 2:
        raise DataError(
            f"{name} must be 2-D (n_samples, n_features) or images (n, h, w[, c]). "
            f"Got shape {X.shape} instead; use X.reshape(1, -1) for one sample."
        )
    if model.built and X.shape[1:] not in (tuple(model.input_shape), (model.n_features,)):
        raise DataError(
            f"{name} has samples of shape {X.shape[1:]} but the model expects "
            f"{tuple(model.input_shape)} ({model.n_features} features)."
        )
    X = np.ascontiguousarray(X.reshape(len(X), -1))
    # a NaN or ±inf anywhere makes x·x non-finite (one BLAS pass); only then look closer
    # (a huge finite X may overflow x·x too: the exact check below then decides)
    flat = X.reshape(-1)
    if not np.isfinite(np.dot(flat, flat)) and not np.isfinite(X).all():
        bad = np.argwhere(~np.isfinite(X))[0]
        raise DataError(
            f"{name} contains NaN or infinity (first at row {bad[0]}, column {bad[1]}). "
            "Remove or impute those values first."
        )
    return X

def check_X_across(model, X, name):
    """check_X when X or the model is not on the CPU: host arrays are checked on the host
    and copied to the device once; arrays already on the model's device stay there."""
    if device_of(X) is not model.device or model.preprocessor is not None:
        return to_device(check_X(model, to_numpy(X), name, on_host=True), model.device)
    X = X.astype(model.dtype, copy=False)
    if X.ndim < 2 or (model.built and X.shape[1:] not in (tuple(model.input_shape), (model.n_features,))):
        expected = f"(n, {model.n_features})" if model.built else "(n_samples, n_features)"
        raise DataError(f"{name} has shape {X.shape}; the model expects {expected}.")
    X = model.xp.ascontiguousarray(X.reshape(len(X), -1))
    if not bool(model.xp.isfinite(X).all()):
        raise DataError(f"{name} contains NaN or infinity. Remove or impute those values first.")
    return X

def encode_labels(model, y, classes=None):
    """Original labels → the loss's targets; sets ``classes_`` on first use."""
    y = np.asarray(y)
    if model.task == "regression":
        return y.astype(model.dtype).reshape(len(y), -1)
    if y.ndim != 1:
        raise DataError(f"y must be 1-D (n_samples,) of class labels. Got shape {y.shape}.")
    if y.dtype.kind == "f" and np.any(y != np.round(y)):
        raise DataError(
            "y holds floats with fractions (e.g. "
            f"{y[y != np.round(y)][0]!r}); class labels must be integers or strings."
        )
    if classes is not None or model.classes_ is None:
        model.classes_ = check_classes(model, np.unique(y) if classes is None else np.asarray(classes))
    index = np.searchsorted(model.classes_, y)
    index = np.clip(index, 0, len(model.classes_) - 1)
    unknown = model.classes_[index] != y
    if unknown.any():
        raise DataError(
            f"y holds label {y[unknown][0]!r}, which is not one of the model's classes "
            f"{list(model.classes_)}."
        )
    if model.task == "binary":
        return index.astype(model.dtype)
    return index.astype(np.intp)

def check_classes(model, classes):
    if len(classes) < 2:
        raise DataError(
            f"y has only one class ({classes[0]!r} if any): a classifier needs at least two."
            if len(classes)
            else "y is empty: a classifier needs examples of at least two classes."
        )
    expected = 2 if model.task == "binary" else model.output_layer.units
    if len(classes) != expected:
        layer = model.output_layer
        hint = (
            " Use Dense(1, 'sigmoid') for two classes."
            if len(classes) == 2
            else f" Use Dense({len(classes)}, 'softmax')."
        )
        raise DataError(
            f"The output layer Dense({layer.units}, '{layer.activation.name}') predicts "
            f"{expected} classes, but y has {len(classes)}.{hint}"
        )
    return classes
