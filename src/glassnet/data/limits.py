"""What a NumPy file may make the loader read: checked from its headers before NumPy reads it.

A ``.npy`` header declares a shape and dtype, and NumPy allocates that much before reading.
So before ``np.load`` glassnet checks that the file is a regular file of the right kind (a zip
for ``.npz``), and that each array's declared bytes fit both in the bytes actually stored and
in this machine's memory. A text file named ``.npz`` or a truncated archive is then one
``DataError`` naming the file, never a ``BadZipFile`` or a ``MemoryError``.
"""

from __future__ import annotations

import math
import zipfile
import zlib
from pathlib import Path

import numpy as np

from glassnet.errors import DataError
from glassnet.limits import FILE_FIX, check_allocation, open_regular

ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")  # a zip's first member, or an empty zip
NPY_MAGIC = b"\x93NUMPY"
MAX_NPY_HEADER = 10_000  # NumPy's own default limit
# what zipfile raises for a damaged archive: an encrypted-member flag is a RuntimeError, an
# unknown compression method a NotImplementedError (both found by the fuzz test)
ZIP_ERRORS = (KeyError, zipfile.BadZipFile, zlib.error, OSError, EOFError, RuntimeError,
              NotImplementedError)


def check_npz(path: Path) -> None:
    """``path`` is a regular file that starts like a zip archive."""
    file, _ = open_regular(path, DataError, ".npz archive")
    with file:
        start = file.read(8)
    if not start.startswith(ZIP_MAGIC):
        kind = "a .npy array (rename it to .npy)" if start.startswith(NPY_MAGIC) else \
            "empty" if not start else f"not a zip archive (it starts with {start[:4]!r})"
        raise DataError(f"{path}: not a .npz archive: it is {kind}. Save one with "
                        f"np.savez(path, X=X, y=y).")


def check_npy(path: Path) -> None:
    """The array a ``.npy`` file declares fits in the file and in memory."""
    file, size = open_regular(path, DataError, ".npy file")
    with file:
        shape, dtype, offset = _declared(file, path)
    if shape is not None:
        _check_bytes(path, shape, dtype, size - offset)


def check_member(archive, key: str, path: Path) -> None:
    """The array ``key`` of an open ``np.load`` archive fits in its stored bytes and in memory."""
    name = key if key in archive.zip.namelist() else f"{key}.npy"
    try:
        stored = archive.zip.getinfo(name).file_size
        with archive.zip.open(name) as member:
            shape, dtype, offset = _declared(member, f"{path} (array {key!r})")
    except ZIP_ERRORS as e:
        raise DataError(f"{path}: cannot read array {key!r} ({e}).") from None
    if shape is not None:
        _check_bytes(f"{path} (array {key!r})", shape, dtype, stored - offset)


def _declared(file, origin):
    """(shape, dtype, header length) from a .npy header; shape None for formats left to NumPy."""
    try:
        version = np.lib.format.read_magic(file)
        if version == (1, 0):
            shape, _, dtype = np.lib.format.read_array_header_1_0(file, max_header_size=MAX_NPY_HEADER)
        elif version == (2, 0):
            shape, _, dtype = np.lib.format.read_array_header_2_0(file, max_header_size=MAX_NPY_HEADER)
        else:
            return None, None, 0
    except Exception as e:  # NumPy's header parser raises ValueError, SyntaxError, TokenError…
        raise DataError(f"{origin}: not a valid .npy array header ({str(e)[:200]}).") from None
    return shape, dtype, file.tell()


def _check_bytes(origin, shape, dtype, stored: int) -> None:
    if dtype.hasobject:
        return  # np.load(allow_pickle=False) refuses it with its own message
    needed = math.prod(shape) * dtype.itemsize
    if needed > stored:
        raise DataError(f"{origin}: its header declares shape {tuple(shape)} of {dtype} "
                        f"({needed:,} bytes) but only {max(stored, 0):,} bytes follow. The file is "
                        f"truncated or corrupt: save it again.")
    check_allocation(needed, f"{origin}: shape {tuple(shape)} of {dtype}", DataError, FILE_FIX)


def check_input_file(path: Path) -> None:
    """Before ``predict`` reads rows from ``path``: a regular file, and a NumPy file's declared
    arrays fit in it."""
    suffix = path.suffix.lower()
    if suffix == ".npz":
        check_npz(path)
        try:
            with np.load(path, allow_pickle=False) as archive:
                for key in archive.files:
                    check_member(archive, key, path)
        except (*ZIP_ERRORS, ValueError) as e:
            raise DataError(f"INPUT {path}: not a readable .npz archive ({e}).") from None
    elif suffix == ".npy":
        check_npy(path)
    else:
        open_regular(path, DataError, "input file")[0].close()


def input_rows(X: np.ndarray, origin: str) -> np.ndarray:
    """Rows to predict from an array: one row for a vector, (n, -1) otherwise; never 0 rows."""
    if X.ndim == 0:
        raise DataError(f"{origin}: holds a single number (a scalar array); expected rows of "
                        f"features, shape (n, features).")
    X = X.reshape(1, -1) if X.ndim == 1 else X
    if len(X) == 0 or X[0].size == 0:
        raise DataError(f"{origin}: holds no values (shape {X.shape}); expected rows of features.")
    return X.reshape(len(X), -1).astype(np.float32)
