"""The checks every input passes before the math sees it: X as rows of the model's dtype,
labels encoded as the loss's targets. Errors say what was expected, what was got, and the fix."""

from __future__ import annotations

import numpy as np

from glassnet.backend import CPU, device_of, to_device, to_numpy
from glassnet.errors import ConfigError, DataError


def check_X(model, X, name="X", *, on_host=False) -> np.ndarray:
    """X as a C-contiguous array of the model's dtype, shape (n, n_features), all finite,
    on the model's device (``on_host=True``: a NumPy array wherever the model is)."""
    if not on_host and (model.device is not CPU or type(X) is not np.ndarray and device_of(X) is not CPU):
        return check_X_across(model, X, name)
    check_rows(X, name)
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

def check_rows(X, name="X") -> None:
    """Refuse what no network can use: complex numbers, and no rows at all."""
    kind = getattr(getattr(X, "dtype", None), "kind", None)
    if kind is None and not hasattr(X, "__len__"):
        return  # a scalar: the shape check below names it
    if kind is None:
        kind = np.asarray(X).dtype.kind
    if kind == "c":
        raise DataError(f"{name} holds complex numbers; a network takes real values. Pass "
                        f"X.real or np.abs(X), whichever your data means.")
    if len(X) == 0:
        raise DataError(f"{name} has no rows (shape {getattr(X, 'shape', (0,))}); pass at least "
                        f"one sample.")


def check_seed(seed) -> None:
    """A seed is None or a non-negative whole number (an int, not 1.5, "a" or True)."""
    if seed is None or isinstance(seed, (int, np.integer)) and not isinstance(seed, bool) and seed >= 0:
        return
    raise ConfigError(f"seed must be None or a non-negative integer. Got {seed!r} instead.")


def encode_labels(model, y, classes=None):
    """Original labels → the loss's targets; sets ``classes_`` on first use."""
    y = np.asarray(y)
    if y.dtype.kind == "O":
        y = _object_labels(y)
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

def _object_labels(y: np.ndarray) -> np.ndarray:
    """Labels given as Python objects: all ints or all strings, never None or a mix."""
    flat = y.reshape(-1)
    missing = [i for i, v in enumerate(flat) if v is None or isinstance(v, float) and v != v]
    if missing:
        raise DataError(f"y[{missing[0]}] is {flat[missing[0]]!r}: every sample needs a label "
                        f"({len(missing):,} missing). Drop those rows or fill them in.")
    kinds = {"int" if isinstance(v, (int, np.integer)) and not isinstance(v, bool) else
             "str" if isinstance(v, str) else type(v).__name__ for v in flat}
    try:
        return np.asarray(flat.tolist()).reshape(y.shape) if len(kinds) == 1 else _mixed(kinds)
    except (TypeError, ValueError):
        return _mixed(kinds)


def _mixed(kinds) -> np.ndarray:
    raise DataError(f"y mixes label types ({', '.join(sorted(kinds))}); labels must be all "
                    f"integers or all strings.")


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
