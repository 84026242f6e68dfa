"""Preprocessing that travels with the model: the same steps at training and prediction.

``scale``        x / v, with v the raw maximum: 255 for 8-bit images, 65535 for 16-bit,
                 16 for the digits (or the data's max rounded up to 1, 16, 255 or 65535).
``standardize``  (x − mean) / std, per feature, fitted on the training rows only
                 (a feature with std 0 keeps std 1, so it maps to 0).
``none``         x unchanged.

A fitted ``Preprocessor`` also records how images become rows — ``image_shape``,
``channels`` and the ``size`` they were resized to — so ``prepare_image`` turns a raw image
file into exactly the vector the model was trained on. It is stored in the model file:
``to_dict(include_arrays=False)`` gives the small JSON settings, ``arrays()`` the mean/std
vectors (safetensors tensors), and ``from_dict(settings, arrays)`` rebuilds it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from glassnet.data.images import DecodeOptions, PixelFormat, open_image, pixels
from glassnet.errors import DataError, NotFittedError, unknown_name

KINDS = ("scale", "standardize", "none")
KNOWN_RANGES = (1.0, 16.0, 255.0, 65535.0)
STATS_CHUNK = 8192


class Preprocessor:
    """Scale or standardize raw rows; remember the image format they came from.

    Learned attributes (after ``fit``): ``n_features_``, ``n_fit_rows_``, and ``divisor_``
    (scale) or ``mean_``/``std_`` float32 (n_features,) (standardize).
    """

    def __init__(self, kind: str = "scale", *, image_shape=None, channels=None, size=None,
                 value_range=None):
        if kind not in KINDS:
            raise unknown_name("preprocessing", kind, KINDS)
        self.kind = kind
        self.image_shape = None if image_shape is None else tuple(int(v) for v in image_shape)
        self.channels = channels
        self.size = None if size is None else tuple(int(v) for v in size)
        self.value_range = None if value_range is None else float(value_range)
        self.n_features_ = self.n_fit_rows_ = self.divisor_ = None
        self.mean_ = self.std_ = None

    @classmethod
    def for_dataset(cls, dataset, kind: str = "scale") -> Preprocessor:
        """An unfitted Preprocessor carrying ``dataset``'s image format and value range."""
        return cls(kind, image_shape=dataset.image_shape, channels=dataset.channels,
                   size=dataset.size, value_range=dataset.value_range)

    def get_config(self) -> dict:
        """The constructor arguments: ``Preprocessor(**p.get_config())`` is an unfitted copy."""
        return {"kind": self.kind, "image_shape": _as_list(self.image_shape),
                "channels": self.channels, "size": _as_list(self.size),
                "value_range": self.value_range}

    def fit(self, X, value_range: float | None = None) -> Preprocessor:
        """Learn the divisor (scale) or per-feature mean/std (standardize) from X's rows."""
        X = _rows(X)
        if value_range is not None:
            self.value_range = float(value_range)
        self.n_features_, self.n_fit_rows_ = X.shape[1], len(X)
        if self.kind == "scale":
            self.divisor_ = self.value_range or _known_range(X)
        elif self.kind == "standardize":
            self.mean_, self.std_ = _column_stats(X)
        return self

    def transform(self, X) -> np.ndarray:
        """A new float32 (n, n_features) array; X may be (n, d) or (n, *image_shape)."""
        X = self.checked_rows(X)
        return self.transform_into(X, np.empty(X.shape, dtype=np.float32))

    def transform_into(self, X, out: np.ndarray) -> np.ndarray:
        """Write the transformed rows of X (n, n_features), any numeric dtype, into ``out``
        (float, same shape) without another temporary: how batches are converted."""
        if self.kind == "scale":
            return np.divide(X, np.float32(self.divisor_), out=out, dtype=np.float32,
                             casting="unsafe")
        if self.kind == "standardize":
            np.subtract(X, self.mean_, out=out, dtype=np.float32, casting="unsafe")
            return np.divide(out, self.std_, out=out, casting="unsafe")
        np.copyto(out, X, casting="unsafe")
        return out

    def checked_rows(self, X) -> np.ndarray:
        """X as (n, n_features) rows (a view where possible), or an error naming the mismatch."""
        if self.n_features_ is None:
            raise NotFittedError("Preprocessor is not fitted: call fit(X_train) first.")
        X = _rows(X)
        if X.shape[1] != self.n_features_:
            raise DataError(f"Preprocessor: expected rows of {self.n_features_:,} features "
                            f"(as fitted), got {X.shape[1]:,}. Load the data with the same "
                            f"size and channels as in training.")
        return X

    def fit_transform(self, X, value_range: float | None = None) -> np.ndarray:
        return self.fit(X, value_range).transform(X)

    def describe(self) -> str:
        """``x / 255`` or ``(x − mean) / std, fitted on 1,437 rows``."""
        if self.kind == "none":
            return "x (raw values, unchanged)"
        if self.n_features_ is None:
            return f"{self.kind} (not fitted)"
        if self.kind == "scale":
            return f"x / {self.divisor_:g}"
        return f"(x − mean) / std, fitted on {self.n_fit_rows_:,} rows"

    def arrays(self) -> dict[str, np.ndarray]:
        """The learned vectors (standardize: mean, std float32); empty for other kinds."""
        if self.mean_ is None:
            return {}
        return {"mean": self.mean_, "std": self.std_}

    def to_dict(self, include_arrays: bool = True) -> dict:
        """JSON-able settings and fitted scalars (+ mean/std as lists when include_arrays)."""
        d = self.get_config() | {"n_features": self.n_features_,
                                 "n_fit_rows": self.n_fit_rows_, "divisor": self.divisor_}
        if include_arrays:
            d |= {k: v.astype(float).tolist() for k, v in self.arrays().items()}
        return d

    @classmethod
    def from_dict(cls, d: dict, arrays: dict | None = None) -> Preprocessor:
        """Rebuild from ``to_dict`` (vectors from ``arrays`` when given, else from ``d``).

        Every field is checked; a bad one raises DataError naming it.
        """
        if not isinstance(d, dict):
            raise DataError(f"preprocessing: expected a dict of settings, got {type(d).__name__}.")
        p = cls(d.get("kind", "scale"), image_shape=_shape_field(d, "image_shape", (2, 3)),
                channels=_choice_field(d, "channels", (None, "L", "RGB")),
                size=_shape_field(d, "size", (2,)),
                value_range=_number_field(d, "value_range"))
        p.n_features_ = _number_field(d, "n_features", integer=True)
        if p.n_features_ is not None:
            p.n_fit_rows_ = _number_field(d, "n_fit_rows", integer=True)
            _restore_fitted(p, d, arrays if arrays is not None else d)
        return p

    def __repr__(self) -> str:
        return f"Preprocessor({self.kind!r}: {self.describe()})"


def _restore_fitted(p: Preprocessor, d: dict, arrays) -> None:
    if p.kind == "scale":
        p.divisor_ = _number_field(d, "divisor")
        if p.divisor_ is None:
            raise DataError("preprocessing: a fitted 'scale' needs a positive 'divisor'.")
    elif p.kind == "standardize":
        p.mean_ = _vector_field(arrays, "mean", p.n_features_)
        p.std_ = _vector_field(arrays, "std", p.n_features_)
        if (p.std_ <= 0).any():
            raise DataError("preprocessing: 'std' must be positive in every feature.")


def _shape_field(d: dict, key: str, lengths: tuple[int, ...]):
    value = d.get(key)
    ok = value is None or (isinstance(value, (list, tuple)) and len(value) in lengths and all(
        isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in value))
    if not ok:
        raise DataError(f"preprocessing: '{key}' must be null or {' or '.join(map(str, lengths))} "
                        f"positive integers; got {value!r}.")
    return value


def _choice_field(d: dict, key: str, choices: tuple):
    value = d.get(key)
    if value not in choices:
        raise DataError(f"preprocessing: '{key}' must be one of {choices}; got {value!r}.")
    return value


def _number_field(d: dict, key: str, integer: bool = False):
    value = d.get(key)
    kinds = (int,) if integer else (int, float)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, kinds) or not value > 0 \
            or not np.isfinite(value):
        what = "a positive integer" if integer else "a positive number"
        raise DataError(f"preprocessing: '{key}' must be null or {what}; got {value!r}.")
    return value if integer else float(value)


def _vector_field(arrays, key: str, n: int) -> np.ndarray:
    if key not in arrays:
        raise DataError(f"preprocessing: a fitted 'standardize' needs the vector '{key}'.")
    try:
        value = np.asarray(arrays[key], dtype=np.float32)
    except (TypeError, ValueError):
        raise DataError(f"preprocessing: '{key}' must be a vector of numbers.") from None
    if value.shape != (n,) or not np.isfinite(value).all():
        raise DataError(f"preprocessing: '{key}' must be {n} finite numbers (one per "
                        f"feature); got shape {value.shape}.")
    return value


def _as_list(shape):
    return None if shape is None else list(shape)


def _rows(X) -> np.ndarray:
    if getattr(X, "is_row_view", False):
        return X  # rows of a bigger array, read in chunks (nn.batches.RowView)
    X = np.asarray(X)
    if X.ndim == 1:
        return X.reshape(1, -1)
    return X.reshape(len(X), -1)


def _chunks(n: int):
    """(start, stop) of consecutive chunks of STATS_CHUNK rows covering 0..n."""
    for start in range(0, n, STATS_CHUNK):
        yield start, min(start + STATS_CHUNK, n)


def _known_range(X: np.ndarray) -> float:
    """The data's largest |x| rounded up to a known raw range (1, 16, 255, 65535)."""
    if not len(X) or not X.shape[1]:
        return 1.0
    top = max(max(float(X[start:stop].max()), -float(X[start:stop].min()))
              for start, stop in _chunks(len(X)))
    return next((r for r in KNOWN_RANGES if top <= r), top)


def _column_stats(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-feature mean and std in one streaming pass over row chunks (a memory-mapped file
    is read once), float64 accumulators merged chunk by chunk (Chan et al.'s update:
    M2 = M2_a + M2_b + δ² n_a n_b / n), as accurate as two passes."""
    n = len(X)
    if n == 0:
        raise DataError("Preprocessor: cannot fit on 0 rows.")
    seen, mean, m2 = 0, np.zeros(X.shape[1]), np.zeros(X.shape[1])
    for start, stop in _chunks(n):
        chunk = X[start:stop]
        k = stop - start
        chunk_mean = chunk.sum(axis=0, dtype=np.float64) / k
        chunk_m2 = ((chunk - chunk_mean) ** 2).sum(axis=0)
        delta = chunk_mean - mean
        total = seen + k
        mean += delta * (k / total)
        m2 += chunk_m2 + delta**2 * (seen * k / total)
        seen = total
    std = np.sqrt(m2 / n).astype(np.float32)
    std[std == 0] = 1.0
    return mean.astype(np.float32), std


def prepare_image(path: str | Path, preprocessor: Preprocessor) -> np.ndarray:
    """A raw image file → the (1, d) float32 row the model was trained on.

    Decode → convert to the trained channels (colour into a grayscale model is converted) →
    resize to the trained ``size`` if one was recorded → rescale to the training data's raw
    range when it differs from the file's (an 8-bit PNG into a digits model: × 16/255) →
    preprocess.
    """
    shape, channels = preprocessor.image_shape, preprocessor.channels
    if shape is None or channels not in ("L", "RGB"):
        raise DataError(f"{path}: this model was trained on plain vectors, not images; "
                        f"pass rows of {preprocessor.n_features_} numbers instead.")
    depth = 16 if channels == "L" and preprocessor.value_range == 65535.0 else 8
    h_w = tuple(preprocessor.size or shape[:2])
    im = open_image(path)
    if preprocessor.size is None and (im.height, im.width) != h_w:
        raise DataError(f"{path} is {im.height}×{im.width} (h×w) but the model expects "
                        f"{h_w[0]}×{h_w[1]} images. Resize the image to {h_w[0]}×{h_w[1]}, "
                        f"or retrain with --size to let glassnet resize.")
    opts = DecodeOptions(PixelFormat(channels, depth), h_w, resize=True, widen=False)
    row = pixels(im, opts, path).reshape(1, -1)
    file_range = 65535.0 if depth == 16 else 255.0
    if preprocessor.value_range and preprocessor.value_range != file_range:
        # a file's full intensity scale is the training data's (e.g. builtin:digits' 0..16)
        row = row * np.float32(preprocessor.value_range / file_range)
    return preprocessor.transform(row)
