"""The checks every input passes before the math sees it: X as rows of the model's dtype,
labels encoded as the loss's targets. Errors say what was expected, what was got, and the fix."""

from __future__ import annotations

import numpy as np

from glassnet.backend import CPU, device_of, to_device, to_numpy
from glassnet.errors import ConfigError, DataError
from glassnet.nn.batches import RAW_KINDS, BatchConverter, as_rows, chunks


def check_X(model, X, name="X", *, on_host=False) -> np.ndarray:
    """X as a C-contiguous array of the model's dtype, shape (n, n_features), all finite,
    on the model's device (``on_host=True``: a NumPy array wherever the model is).

    Every row is converted at once, in chunks into one new array (no float64 copy on the
    way); training and prediction instead convert batch by batch (``check_rows``)."""
    if not on_host and (model.device is not CPU or type(X) is not np.ndarray and device_of(X) is not CPU):
        return check_X_across(model, X, name)
    rows = check_rows(model, X, name, finite=False)
    if model.preprocessor is None and isinstance(rows, np.ndarray) and rows.dtype == model.dtype:
        X = np.ascontiguousarray(rows)  # used as given
    else:
        X = batch_converter(model).convert_all(rows)
    check_finite_block(X, name)
    return X


def check_rows(model, X, name="X", *, finite=True):
    """X's rows, (n, n_features), kept in the dtype they came in (uint8 stays uint8, a
    memmap stays on disk) and checked: the model converts them batch by batch
    (``batch_converter``). Float rows are checked for NaN/inf in chunks; integers need none."""
    refuse_unusable(X, name)
    if not isinstance(X, np.ndarray) and not getattr(X, "is_row_view", False):
        X = np.asarray(X)
    if X.dtype.kind not in RAW_KINDS:
        try:
            X = np.asarray(X, dtype=model.dtype)
        except (TypeError, ValueError) as exc:
            raise DataError(f"{name} must be a numeric array. Got {exc}.") from None
    if X.ndim < 2:
        raise DataError(
            f"{name} must be 2-D (n_samples, n_features) or images (n, h, w[, c]). "
            f"Got shape {X.shape} instead; use X.reshape(1, -1) for one sample."
        )
    if model.preprocessor is not None:
        X = model.preprocessor.checked_rows(X)
    if model.built and X.shape[1:] not in (tuple(model.input_shape), (model.n_features,)):
        raise DataError(
            f"{name} has samples of shape {X.shape[1:]} but the model expects "
            f"{tuple(model.input_shape)} ({model.n_features} features)."
        )
    X = as_rows(X)
    if finite and X.dtype.kind == "f":
        convert = batch_converter(model)
        for start, stop in chunks(len(X)):
            check_finite_block(convert.chunk(X, start, stop), name, start)
    return X


def rows_and_converter(model, X, name="X", *, on_host=False):
    """(rows, converter). On the CPU: X's raw rows, checked (``check_rows``), and the
    ``BatchConverter`` that turns a batch of them into the model's input — no float copy of
    all of X. Elsewhere: every row converted at once (``check_X``) and None."""
    if model.device is CPU:
        return check_rows(model, X, name), batch_converter(model)
    return model.check_X(X, name, on_host=on_host), None


def forward_rows(model, X, name="X"):
    """The network's output for raw X, converted and run CHUNK_ROWS rows at a time on the
    CPU, so no float copy of all of X is made (elsewhere: ``forward(check_X(X))``)."""
    if model.device is not CPU or (type(X) is not np.ndarray and not getattr(X, "is_row_view", False)
                                   and device_of(X) is not CPU):
        return model.forward(model.check_X(X, name))
    rows = check_rows(model, X, name, finite=False)
    convert, result = batch_converter(model), None
    for start, stop in chunks(len(rows)):
        x = convert.chunk(rows, start, stop)
        if rows.dtype.kind == "f":
            check_finite_block(x, name, start)
        a = model.forward(x)
        if result is None:
            result = np.empty((len(rows), *a.shape[1:]), dtype=a.dtype)
        result[start:stop] = a
    return result if result is not None else model.forward(model.check_X(X, name))


def batch_converter(model) -> BatchConverter:
    """Raw rows → the model's input: its preprocessor (if any), in the model's dtype."""
    pre = model.preprocessor
    return BatchConverter(pre.transform_into if pre is not None else None, model.dtype)


def check_finite_block(X, name, first_row=0):
    """Refuse NaN/inf in converted rows, naming the first (row, column) that holds one."""
    # a NaN or ±inf anywhere makes x·x non-finite (one BLAS pass); only then look closer
    # (a huge finite X may overflow x·x too: the exact check below then decides)
    flat = X.reshape(-1)
    if not np.isfinite(np.dot(flat, flat)) and not np.isfinite(X).all():
        bad = np.argwhere(~np.isfinite(X))[0]
        raise DataError(
            f"{name} contains NaN or infinity (first at row {bad[0] + first_row}, column "
            f"{bad[1]}). Remove or impute those values first."
        )

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

def refuse_unusable(X, name="X") -> None:
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
