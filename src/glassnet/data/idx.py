"""MNIST's IDX files (``*-idx3-ubyte`` images, ``*-idx1-ubyte`` labels), gzipped or not.

An IDX file is a header — two zero bytes, a type code, the number of dimensions, then each
dimension as a big-endian uint32 — followed by the values, big-endian. Everything the header
claims is checked against the bytes actually there before a single value is used; the
values are then read in one ``np.frombuffer`` (no loop per image).
"""

from __future__ import annotations

import math
import re
import zlib
from pathlib import Path

import numpy as np

from glassnet.data.dataset import Dataset, check_finite, classes_of, clean_labels
from glassnet.errors import DataError
from glassnet.limits import FILE_FIX, check_allocation, read_regular

IDX_TYPES = {0x08: np.dtype("u1"), 0x09: np.dtype("i1"), 0x0B: np.dtype(">i2"),
             0x0C: np.dtype(">i4"), 0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8")}
IMAGES = re.compile(r"idx3-ubyte", re.IGNORECASE)
LABELS = re.compile(r"idx1-ubyte", re.IGNORECASE)
GZIP_MAGIC = b"\x1f\x8b"


def is_idx_file(path: Path) -> bool:
    return bool(IMAGES.search(path.name) or LABELS.search(path.name))


def folder_has_idx(folder: Path) -> bool:
    return any(p.is_file() and IMAGES.search(p.name) for p in folder.iterdir())


def read_idx(path: Path, ndim: int) -> np.ndarray:
    """The array stored in one IDX file, after checking magic, dimensions and length.

    Only the header is trusted first: it declares the exact number of value bytes, so a raw
    file must have exactly that size and a gzipped one is decompressed to at most that many
    bytes + 1 (a small gzip bomb cannot become gigabytes).
    """
    raw = read_regular(path, DataError, "IDX file")
    gzipped = raw[:2] == GZIP_MAGIC
    stream = zlib.decompressobj(16 + zlib.MAX_WBITS) if gzipped else None
    head = _inflate(path, stream, raw, 4 + 4 * 3) if gzipped else raw
    dtype, dims = _header(path, head, ndim)
    header = 4 + 4 * ndim
    expected = math.prod(dims) * dtype.itemsize
    if gzipped:
        check_allocation(expected, f"{path}: its header declares {_shape(dims)} values, which",
                         DataError, FILE_FIX)
        remaining = header + expected + 1 - len(head)  # one byte more: a longer file is refused
        data = head + (_inflate(path, stream, b"", remaining) if remaining > 0 else b"")
        if len(data) == header + expected:
            _check_end(path, stream)
    else:
        data = raw
    _check_length(path, dims, dtype, len(data) - header)
    return np.frombuffer(data, dtype, math.prod(dims), header).reshape(dims)


def _header(path: Path, raw: bytes, ndim: int) -> tuple[np.dtype, tuple[int, ...]]:
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in IDX_TYPES:
        raise DataError(f"{path}: not an IDX file — bad magic number 0x{raw[:4].hex()} "
                        f"(expected 0x00000803 for images, 0x00000801 for labels).")
    if raw[3] != ndim:
        raise DataError(f"{path}: header says {raw[3]} dimensions, expected {ndim} "
                        f"({'n, rows, cols' if ndim == 3 else 'n'}). Is it the right file?")
    if len(raw) < 4 + 4 * ndim:
        raise DataError(f"{path}: file ends inside its header ({len(raw)} bytes). "
                        f"The file is truncated: download it again.")
    return IDX_TYPES[raw[2]], tuple(int(d) for d in np.frombuffer(raw, ">u4", ndim, 4))


def _inflate(path: Path, stream, raw: bytes, limit: int) -> bytes:
    """Up to ``limit`` decompressed bytes (Python ints: no overflow, no unbounded output)."""
    try:
        out = stream.decompress(raw, limit) if raw else stream.decompress(stream.unconsumed_tail, limit)
    except zlib.error as e:
        raise DataError(f"{path}: cannot read or decompress ({e}). The file is damaged or truncated: "
                        f"download it again.") from None
    return out


def _check_end(path: Path, stream) -> None:
    """The gzip stream ends right after the data (its CRC checked), not cut short."""
    rest = _inflate(path, stream, b"", 1)
    if rest or not stream.eof:
        raise DataError(f"{path}: cannot read or decompress (the gzip stream is cut short or "
                        f"has data after the values). The file is damaged or truncated: "
                        f"download it again.")


def _shape(dims: tuple[int, ...]) -> str:
    return " × ".join(f"{d:,}" for d in dims)


def _check_length(path: Path, dims: tuple[int, ...], dtype: np.dtype, n_bytes: int) -> None:
    expected = math.prod(dims) * dtype.itemsize
    if n_bytes == expected:
        return
    shape = _shape(dims)
    if n_bytes < expected:
        held = n_bytes // max(1, expected // max(1, dims[0]))
        raise DataError(f"{path}: header claims {dims[0]:,} items ({shape}, {expected:,} "
                        f"bytes of data) but the file holds only {n_bytes:,} bytes "
                        f"(~{held:,} items). The file is truncated: download it again.")
    raise DataError(f"{path}: {n_bytes - expected:,} bytes follow the {shape} values the "
                    f"header describes. The file is corrupt or not IDX: download it again.")


def find_pair(spec: Path) -> tuple[Path, Path, list[str]]:
    """(images file, labels file, notices) for a folder or a direct path to an idx3 file."""
    if not spec.is_dir():  # a file (or a FIFO, refused when read)
        if LABELS.search(spec.name):
            raise DataError(f"{spec} is an IDX labels file; pass the images file "
                            f"(*-idx3-ubyte) or the folder that holds both.")
        return spec, _labels_for(spec, list(spec.parent.iterdir())), []
    files = sorted(p for p in spec.iterdir() if p.is_file())
    images = [p for p in files if IMAGES.search(p.name)]
    chosen = _choose(images, spec)
    notices = []
    if len(images) > 1:
        others = ", ".join(p.name for p in images if p != chosen)
        notices.append(f"Found {len(images)} IDX image files in {spec}; loaded {chosen.name}. "
                       f"Pass another file's path to load it instead ({others}).")
    return chosen, _labels_for(chosen, files), notices


def _choose(images: list[Path], folder: Path) -> Path:
    if len(images) == 1:
        return images[0]
    train = [p for p in images if "train" in _prefix(p.name)]
    if len(train) == 1:
        return train[0]
    names = ", ".join(p.name for p in images)
    raise DataError(f"{folder} holds several IDX image files ({names}) and none is clearly "
                    f"the training set. Pass the path of the one to load.")


def _prefix(name: str) -> str:
    """``train-images-idx3-ubyte.gz`` → ``train``; ``t10k-labels.idx1-ubyte`` → ``t10k``."""
    name = re.split(r"idx[13]-ubyte", name.lower())[0]
    name = re.sub(r"(images|labels)[-_.]*$", "", name)
    return name.strip("-_.")


def _labels_for(images: Path, files: list[Path]) -> Path:
    matches = [p for p in files if p.is_file() and LABELS.search(p.name)
               and _prefix(p.name) == _prefix(images.name)]
    if not matches:
        raise DataError(f"No labels file for {images}: expected a matching "
                        f"'{_prefix(images.name) or '…'}-labels-idx1-ubyte' (or .gz) beside it.")
    return sorted(matches, key=lambda p: p.suffix == ".gz")[0]


def load_idx(spec: Path) -> Dataset:
    """A Dataset from an IDX images file and its labels file."""
    images_path, labels_path, notices = find_pair(spec)
    images = read_idx(images_path, ndim=3)
    labels = clean_labels(read_idx(labels_path, ndim=1), str(labels_path))
    if len(labels) != len(images):
        raise DataError(f"{images_path} holds {len(images):,} images but {labels_path} holds "
                        f"{len(labels):,} labels; they must be a matching pair.")
    n, rows, cols = images.shape
    X = images.reshape(n, rows * cols).astype(np.float32)
    if images.dtype.kind == "f":
        check_finite(X, str(images_path))
    return Dataset(
        X=X, y=labels,
        classes=classes_of(labels, str(labels_path)), image_shape=(rows, cols),
        channels="L", sources=[f"{images_path.name}[{i}]" for i in range(n)],
        value_range=255.0 if images.dtype == np.uint8 else None, notices=notices)
