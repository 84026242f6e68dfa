"""``Dataset``: what every loader returns — vectors, labels, and where they came from.

Rows of ``X`` are images unrolled in C order from (h, w) or (h, w, c), channel last — the
article's input layer. ``X`` holds RAW values (0..255 for 8-bit images, 0..16 for the
digits); scaling them is preprocessing (``Preprocessor``), fitted and stored with the model.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from glassnet.errors import DataError

RAW_DTYPES = (np.dtype(np.uint8), np.dtype(np.uint16), np.dtype(np.float32))
CHECK_ROWS = 4096


@dataclass
class Dataset:
    """Labelled vectors plus the facts needed to turn a raw image into one of its rows.

    Attributes
    ----------
    X : (n_samples, n_features) raw values, one flattened image per row, in the dtype they
        were stored in — uint8 or uint16 pixels, float32 otherwise — and possibly a
        read-only memmap of the file: the model converts them batch by batch.
    y : (n_samples,) labels — ints (IDX, digits, arrays) or class-name strings (folders).
    classes : sorted class names, as str.
    image_shape : (h, w) or (h, w, c) of one image, or None for plain vectors (CSV).
    channels : "L", "RGB", or None for plain vectors.
    sources : the file each row came from ("cats/001.png", "train-images-idx3-ubyte.gz[17]").
    value_range : the raw maximum (255.0, 65535.0, 16.0), or None when unknown.
    notices : counted warnings for the caller to show (ignored files, empty classes, …).
    skipped : (path, reason) for every file left out with ``skip_bad``.
    size : the (h, w) images were resized to on loading, or None.
    """

    X: np.ndarray
    y: np.ndarray
    classes: list[str]
    image_shape: tuple[int, ...] | None = None
    channels: str | None = None
    sources: Sequence[str] | None = None  # a list, or RowSources for array files
    value_range: float | None = None
    notices: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    size: tuple[int, int] | None = None

    def __post_init__(self):
        if self.X.dtype not in RAW_DTYPES or self.X.ndim != 2:
            raise DataError(f"Dataset.X must be a uint8, uint16 or float32 (n, d) array; got "
                            f"{self.X.dtype} {self.X.shape}.")
        if len(self.y) != len(self.X):
            raise DataError(f"Dataset has {len(self.X)} rows in X but {len(self.y)} labels.")

    def __len__(self) -> int:
        return len(self.X)

    @property
    def n_features(self) -> int:
        return self.X.shape[1]

    def subset(self, rows) -> Dataset:
        """The rows ``rows`` (indices or a boolean mask) as a new Dataset (X copied)."""
        rows = np.flatnonzero(rows) if np.asarray(rows).dtype == bool else np.asarray(rows)
        sources = take_sources(self.sources, rows)
        return replace(self, X=self.X[rows], y=self.y[rows], sources=sources,
                       notices=list(self.notices), skipped=list(self.skipped))

    def split(self, test_size: float | int = 0.2, seed=0,
              stratify: bool = True) -> tuple[Dataset, Dataset]:
        """(train, test), stratified by class; rows keep their original order within each."""
        train_rows, test_rows = self.split_rows(test_size, seed, stratify)
        return self.subset(train_rows), self.subset(test_rows)

    def split_rows(self, test_size: float | int = 0.2, seed=0,
                   stratify: bool = True) -> tuple[np.ndarray, np.ndarray]:
        """The row indices ``split`` would take (sorted): split by index, copy nothing."""
        from glassnet.data.split import train_test_split

        rows = np.arange(len(self))
        train_rows, test_rows = train_test_split(rows, self.y, test_size=test_size,
                                                 seed=seed, stratify=stratify)[:2]
        return np.sort(train_rows), np.sort(test_rows)

    def describe(self) -> str:
        """One line: ``1,797 rows × 64 features, 10 classes, images 8×8 L, raw 0..16``."""
        text = f"{len(self):,} rows × {self.n_features:,} features, {len(self.classes)} classes"
        if self.image_shape is not None:
            text += f", images {'×'.join(map(str, self.image_shape))} {self.channels}"
        if self.value_range is not None:
            text += f", raw 0..{self.value_range:g}"
        return text


class RowSources(Sequence):
    """Where each row of an array file came from: ``name[i]``, its row index in the file.

    Lazy: the names are made when asked for, so two million rows cost one index array, not two
    million strings (the memory promise of docs/benchmarks.md)."""

    def __init__(self, name: str, rows):
        self.name = name
        self.rows = np.arange(rows) if isinstance(rows, int) else np.asarray(rows)

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return RowSources(self.name, self.rows[i])
        return f"{self.name}[{self.rows[i]}]"

    def __eq__(self, other):
        if isinstance(other, RowSources):
            return self.name == other.name and np.array_equal(self.rows, other.rows)
        return isinstance(other, (list, tuple)) and list(self) == list(other)

    __hash__ = None

    def take(self, rows) -> RowSources:
        return RowSources(self.name, self.rows[np.asarray(rows)])


def row_sources(name: str, n: int) -> RowSources:
    """The sources of an array file's n rows (``RowSources``)."""
    return RowSources(name, n)


def take_sources(sources, rows):
    """``sources`` of the rows ``rows`` (indices), keeping lazy sources lazy."""
    if sources is None:
        return None
    if isinstance(sources, RowSources):
        return sources.take(rows)
    return [sources[i] for i in rows]


def clean_labels(y, origin: str) -> np.ndarray:
    """Labels as a 1-D int64 or str array; floats must be whole numbers."""
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1:
        raise DataError(f"{origin}: labels must be one value per row, shape (n,); got shape "
                        f"{y.shape}. For one-hot labels pass y.argmax(axis=1).")
    if y.dtype.kind in "biu":
        return y.astype(np.int64)
    if y.dtype.kind == "f":
        return _whole_numbers(y, origin)
    if y.dtype.kind == "S":
        return y.astype(str)
    if y.dtype.kind == "U":
        return y
    raise DataError(f"{origin}: labels must be integers or strings; got dtype {y.dtype}.")


def _whole_numbers(y: np.ndarray, origin: str) -> np.ndarray:
    bad = np.flatnonzero(~np.isfinite(y) | (y != np.round(y)))
    if len(bad):
        i = bad[0]
        raise DataError(f"{origin}: labels must be whole numbers (class ids) or names; "
                        f"y[{i}] = {y[i]!r} has a fraction ({len(bad):,} such labels). "
                        f"Round them or map them to class ids first.")
    return y.astype(np.int64)


def classes_of(y: np.ndarray, origin: str) -> list[str]:
    """Sorted class names (ints sorted as numbers); a classifier needs two or more."""
    values = np.unique(y)
    if len(values) < 2:
        found = f"only class {str(values[0])!r}" if len(values) else "no labels"
        raise DataError(f"{origin}: found {found}; a classifier needs at least two classes. "
                        f"Add examples of another class.")
    return [str(v) for v in values]


def check_finite(X: np.ndarray, origin: str) -> None:
    """Refuse NaN/inf values, naming the first row that holds one. Integers are always
    finite; floats are checked CHECK_ROWS rows at a time (no data-sized bool temporary)."""
    if X.dtype.kind != "f":
        return
    for start in range(0, len(X), CHECK_ROWS):
        chunk = X[start:start + CHECK_ROWS]
        if chunk.size and not np.isfinite(chunk).all():
            row = start + int(np.flatnonzero(~np.isfinite(chunk).all(axis=1))[0])
            raise DataError(f"{origin}: row {row} holds NaN or infinite values; every feature "
                            f"must be a finite number. Fill or drop those rows first.")
