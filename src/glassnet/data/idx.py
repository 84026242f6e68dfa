"""MNIST's IDX files (``*-idx3-ubyte`` images, ``*-idx1-ubyte`` labels), gzipped or not.

An IDX file is a header — two zero bytes, a type code, the number of dimensions, then each
dimension as a big-endian uint32 — followed by the values, big-endian. Everything the header
claims is checked against the bytes actually there before a single value is used; the
values are then read in one ``np.frombuffer`` (no loop per image).
"""

from __future__ import annotations

import gzip
import math
import re
import zlib
from pathlib import Path

import numpy as np

from glassnet.data.dataset import Dataset, check_finite, classes_of, clean_labels
from glassnet.data.memory import check_fits, in_memory_notice
from glassnet.errors import DataError
from glassnet.limits import open_regular

IDX_TYPES = {0x08: np.dtype("u1"), 0x09: np.dtype("i1"), 0x0B: np.dtype(">i2"),
             0x0C: np.dtype(">i4"), 0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8")}
IMAGES = re.compile(r"idx3-ubyte", re.IGNORECASE)
LABELS = re.compile(r"idx1-ubyte", re.IGNORECASE)
GZIP_MAGIC = b"\x1f\x8b"
GZ_FIX = ("decompress it (gunzip -k FILE) and pass the plain file: it is then memory-mapped, "
          "read a batch at a time.")


def is_idx_file(path: Path) -> bool:
    return bool(IMAGES.search(path.name) or LABELS.search(path.name))


def folder_has_idx(folder: Path) -> bool:
    return any(p.is_file() and IMAGES.search(p.name) for p in folder.iterdir())


def read_idx(path: Path, ndim: int) -> np.ndarray:
    """The array stored in one IDX file, after checking magic, dimensions and length.

    An uncompressed file is memory-mapped read-only (its rows are read when a batch needs
    them); a gzipped one is decompressed straight into one array of the stored dtype. Only the
    header is trusted first: a raw file must have exactly the declared size, and a gzipped one
    fills an array of the declared size with at most 64 KiB read past it (a gzip bomb cannot
    grow beyond what its header declares, and that is refused if it cannot fit)."""
    head, n_bytes, stream = _open(path, 4 + 4 * ndim)
    with stream:
        if len(head) < 4 or head[0] != 0 or head[1] != 0 or head[2] not in IDX_TYPES:
            raise DataError(f"{path}: not an IDX file — bad magic number 0x{head[:4].hex()} "
                            f"(expected 0x00000803 for images, 0x00000801 for labels).")
        if head[3] != ndim:
            raise DataError(f"{path}: header says {head[3]} dimensions, expected {ndim} "
                            f"({'n, rows, cols' if ndim == 3 else 'n'}). Is it the right file?")
        dtype, header = IDX_TYPES[head[2]], 4 + 4 * ndim
        if len(head) < header:
            raise DataError(f"{path}: file ends inside its header ({len(head)} bytes). "
                            f"The file is truncated: download it again.")
        dims = tuple(int(d) for d in np.frombuffer(head, ">u4", ndim, 4))
        if stream is _NO_STREAM:
            _check_length(path, dims, dtype, n_bytes - header)
            if not math.prod(dims):
                return np.zeros(dims, dtype)
            return np.memmap(path, dtype, mode="r", offset=header, shape=dims)
        return _decompress_into(path, stream, dims, dtype)


def _decompress_into(path: Path, stream, dims, dtype) -> np.ndarray:
    """The gzipped values read into one preallocated array (refused up front if too big)."""
    expected = math.prod(dims) * dtype.itemsize  # Python ints: no overflow
    check_fits(expected, f"{path} (gzipped, {_shape(dims)})", GZ_FIX)
    values = np.empty(dims, dtype)
    try:
        got = stream.readinto(memoryview(values.reshape(-1).view(np.uint8)))
        extra = len(stream.read(1 << 16))
    except (OSError, EOFError, zlib.error) as e:
        raise DataError(f"{path}: cannot read or decompress ({e}). The file is damaged or "
                        f"truncated: download it again.") from None
    if got != expected or extra:
        _check_length(path, dims, dtype, got + extra)
    return values


class _NoStream:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


_NO_STREAM = _NoStream()


def _open(path: Path, header: int):
    """(the first ``header`` bytes, the file's size, a stream of the rest): the stream is a
    gzip reader for a .gz file, ``_NO_STREAM`` for a plain file (memory-mapped instead)."""
    file, n_bytes = open_regular(path, DataError, "IDX file")  # a FIFO or device is refused
    try:
        with file:
            head = file.read(header)
        if head[:2] != GZIP_MAGIC:
            return head, n_bytes, _NO_STREAM
        stream = gzip.open(path, "rb")
        return stream.read(header), None, stream
    except (OSError, EOFError, zlib.error) as e:
        raise DataError(f"{path}: cannot read or decompress ({e}). The file is damaged or "
                        f"truncated: download it again.") from None


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
    X = images.reshape(n, rows * cols)  # uint8 stays uint8 (a memmap stays a memmap)
    if X.dtype != np.uint8:
        X = X.astype(np.float32)
        check_finite(X, str(images_path))
    if not isinstance(images, np.memmap):
        notices += in_memory_notice(images_path, images.nbytes, GZ_FIX)
    return Dataset(
        X=X, y=labels,
        classes=classes_of(labels, str(labels_path)), image_shape=(rows, cols),
        channels="L", sources=[f"{images_path.name}[{i}]" for i in range(n)],
        value_range=255.0 if images.dtype == np.uint8 else None, notices=notices)


def _shape(dims: tuple[int, ...]) -> str:
    return " × ".join(f"{d:,}" for d in dims)
