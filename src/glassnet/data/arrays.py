"""NumPy arrays on disk: a ``.npz`` holding ``X`` and ``y``, or a pair of ``.npy`` files.

Files are always read with ``allow_pickle=False``: an array of Python objects is refused,
never unpickled (unpickling runs code from the file).

Accepted ``.npy`` pairs — pass the X file, the y file is found beside it:
``X.npy`` + ``y.npy``, ``x.npy`` + ``y.npy``, and ``<name>_X.npy`` + ``<name>_y.npy``
(also with ``-`` or ``.`` before X, and lowercase ``x``).

``X`` may be (n, d) vectors, (n, h, w) grayscale images, or (n, h, w, 1 | 3) images,
channel last; images are flattened in C order and their shape is kept.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from glassnet.data.dataset import (
    RAW_DTYPES,
    Dataset,
    check_finite,
    classes_of,
    clean_labels,
    row_sources,
)
from glassnet.data.limits import ZIP_ERRORS, check_member, check_npy, check_npz
from glassnet.data.memory import check_fits, in_memory_notice
from glassnet.errors import DataError

RAW_RANGES = {np.dtype(np.uint8): 255.0, np.dtype(np.uint16): 65535.0}
X_NAME = re.compile(r"^(?P<stem>(?:.*[-_.])?)[Xx]$")
NPZ_FIX = ("save X and y as a pair of .npy files (np.save('X.npy', X); np.save('y.npy', y)) "
           "and pass X.npy: it is memory-mapped, read a batch at a time.")
PICKLE_FIX = ("glassnet never unpickles data. Save numeric arrays instead, e.g. "
              "np.savez(path, X=X.astype('float32'), y=np.asarray(y, dtype=str))")


def load_npz(path: Path) -> Dataset:
    """A Dataset from a ``.npz`` archive with arrays named ``X`` and ``y``."""
    check_npz(path)
    try:
        with np.load(path, allow_pickle=False) as archive:
            missing = [k for k in ("X", "y") if k not in archive.files]
            if missing:
                raise DataError(f"{path}: expected arrays named 'X' and 'y'; found "
                                f"{', '.join(map(repr, archive.files)) or 'none'}. Save with "
                                f"np.savez(path, X=X, y=y).")
            n_bytes = archive.zip.getinfo("X.npy").file_size
            check_fits(n_bytes, f"{path} (X, read into memory)", NPZ_FIX)
            X, y = _read_member(archive, "X", path), _read_member(archive, "y", path)
    except ZIP_ERRORS as e:
        raise DataError(f"{path}: not a readable .npz archive ({e}).") from None
    dataset = dataset_from_arrays(X, y, str(path))
    dataset.notices += in_memory_notice(path, n_bytes, NPZ_FIX)
    return dataset


def _read_member(archive, key: str, path: Path) -> np.ndarray:
    check_member(archive, key, path)
    try:
        return archive[key]
    except ValueError as e:
        if "pickle" in str(e).lower():
            raise DataError(f"{path}: array '{key}' holds Python objects (dtype=object), "
                            f"refused. {PICKLE_FIX}.") from None
        raise DataError(f"{path}: cannot read array '{key}' ({e}).") from None


def load_npy_pair(x_path: Path) -> Dataset:
    """A Dataset from an X ``.npy`` file and the y file beside it (see the module doc)."""
    y_path = y_path_for(x_path)
    X, y = _read_npy(x_path, mmap=True), _read_npy(y_path)
    return dataset_from_arrays(X, y, str(x_path))


def y_path_for(x_path: Path) -> Path:
    """``X.npy`` → ``y.npy``; ``digits_X.npy`` → ``digits_y.npy``."""
    match = X_NAME.match(x_path.stem)
    if not match:
        raise DataError(f"{x_path}: a .npy file must be the X half of a pair named X.npy "
                        f"or <name>_X.npy, with y.npy / <name>_y.npy beside it.")
    y_path = x_path.with_name(f"{match['stem']}y.npy")
    if not y_path.exists() and x_path.with_name(f"{match['stem']}Y.npy").exists():
        y_path = x_path.with_name(f"{match['stem']}Y.npy")
    if not y_path.exists():
        raise DataError(f"{x_path}: no labels file {y_path.name} beside it. Save the labels "
                        f"with np.save({str(y_path)!r}, y).")
    return y_path


def _read_npy(path: Path, mmap: bool = False) -> np.ndarray:
    """The array in ``path``; ``mmap``: memory-mapped read-only (rows are read from disk
    when a batch needs them, so X may be bigger than RAM)."""
    check_npy(path)
    try:
        return np.load(path, allow_pickle=False, mmap_mode="r" if mmap else None)
    except ValueError as e:
        if "pickle" in str(e).lower() or "python objects" in str(e).lower():
            raise DataError(f"{path}: holds Python objects (dtype=object), refused. "
                            f"{PICKLE_FIX}.") from None
        raise DataError(f"{path}: not a readable .npy file ({e}).") from None
    except (OSError, EOFError) as e:
        raise DataError(f"{path}: not a readable .npy file ({e}).") from None


def dataset_from_arrays(X, y, origin: str) -> Dataset:
    """Check X (numeric, finite, 2-4 dims) and y (whole-number or string labels).

    uint8, uint16 and float32 rows are kept as they are (a memmap stays a memmap); other
    dtypes become float32."""
    if not isinstance(X, np.ndarray):
        X = np.asarray(X)
    if X.dtype.kind not in "biuf":
        raise DataError(f"{origin}: X must hold numbers; got dtype {X.dtype}. Convert the "
                        f"features to numbers first.")
    image_shape, channels = _image_shape(X, origin)
    if len(X) == 0:
        raise DataError(f"{origin}: X holds no rows (shape {X.shape}); training and predicting "
                        f"need at least one example.")
    y = clean_labels(y, origin)
    if len(y) != len(X):
        raise DataError(f"{origin}: X has {len(X):,} rows but y has {len(y):,} labels; "
                        f"they must match.")
    rows = X.reshape(len(X), -1)
    if rows.dtype not in RAW_DTYPES:
        rows = rows.astype(np.float32)
    check_finite(rows, origin)
    return Dataset(X=rows, y=y, classes=classes_of(y, origin), image_shape=image_shape,
                   channels=channels, sources=row_sources(Path(origin).name, len(rows)),
                   value_range=RAW_RANGES.get(X.dtype))


def _image_shape(X: np.ndarray, origin: str) -> tuple[tuple[int, ...] | None, str | None]:
    if X.ndim == 2:
        return None, None
    if X.ndim == 3:
        return X.shape[1:], "L"
    if X.ndim == 4 and X.shape[3] == 1:
        return X.shape[1:3], "L"
    if X.ndim == 4 and X.shape[3] == 3:
        return X.shape[1:], "RGB"
    raise DataError(f"{origin}: X must be (n, features), (n, h, w) or (n, h, w, 1 | 3) with "
                    f"channels last; got shape {X.shape}.")
