"""``load(spec)``: one entry point for every kind of DATA the command line accepts.

=====================================  ==============================================
spec                                   read as
=====================================  ==============================================
``builtin:digits``, ``builtin:mnist-5k``  a bundled data set (``builtin.py``)
a folder holding ``*idx3-ubyte*`` files   MNIST IDX images + labels (``idx.py``)
a ``*idx3-ubyte`` / ``.gz`` file          that IDX images file + its labels file
any other folder                          class subfolders of images (``folders.py``)
``.npz``                                  arrays ``X`` and ``y`` (``arrays.py``)
``.npy``                                  ``X.npy`` + ``y.npy`` pair (``arrays.py``)
``.csv``, ``.tsv``                        features + a label column (``tables.py``)
=====================================  ==============================================
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from glassnet.data.arrays import load_npy_pair, load_npz
from glassnet.data.builtin import BUILTINS, load_builtin
from glassnet.data.dataset import Dataset
from glassnet.data.decode import decode_files
from glassnet.data.folders import load_folder
from glassnet.data.idx import folder_has_idx, is_idx_file, load_idx
from glassnet.data.images import IMAGE_SUFFIXES, check_size
from glassnet.data.tables import load_csv
from glassnet.errors import DataError

KINDS_TEXT = ("an image folder (one subfolder per class), a folder of IDX files, a .npz, "
              ".npy or .csv file, or " + " / ".join(f"builtin:{n}" for n in sorted(BUILTINS)))


def load(spec: str | Path, *, size=None, grayscale: bool = False, color: bool = False,
         skip_bad: bool = False, label_column: str | int | None = None,
         workers: int | None = None) -> Dataset:
    """Load DATA into a Dataset of raw float32 rows (see the table above).

    ``size=(h, w)`` resizes images (bilinear); ``grayscale`` converts them to one channel;
    image folders otherwise follow the channels most of their images have, unless ``color``;
    ``skip_bad`` skips unreadable images (listed in ``Dataset.skipped``); ``label_column``
    picks the CSV label column; ``workers`` caps decoding processes (1 = no pool).
    """
    size = check_size(size)
    if isinstance(spec, str) and spec.startswith("builtin:"):
        _refuse(spec, size=size, label_column=label_column)
        return load_builtin(spec.removeprefix("builtin:"))
    path = Path(spec)
    if not path.exists():
        raise DataError(f"DATA {str(spec)!r} does not exist. Expected {KINDS_TEXT}.")
    if path.is_dir():
        if folder_has_idx(path):
            _refuse(spec, size=size, label_column=label_column)
            return load_idx(path)
        _refuse(spec, label_column=label_column)
        return load_folder(path, size=size, grayscale=grayscale, color=color,
                           skip_bad=skip_bad, workers=workers)
    return _load_file(path, size, grayscale, label_column)


def _load_file(path: Path, size, grayscale: bool, label_column) -> Dataset:
    suffix = path.suffix.lower()
    _refuse(str(path), size=size)
    if suffix in (".csv", ".tsv"):
        return _gray_only(load_csv(path, label_column), grayscale)
    _refuse(str(path), label_column=label_column)
    if is_idx_file(path):
        return load_idx(path)
    if suffix == ".npz":
        return _gray_only(load_npz(path), grayscale)
    if suffix == ".npy":
        return _gray_only(load_npy_pair(path), grayscale)
    if suffix in IMAGE_SUFFIXES:
        raise DataError(f"DATA {path} is a single image; training needs many. Put images in "
                        f"one subfolder per class and pass the parent folder.")
    raise DataError(f"DATA {path}: unsupported file type {suffix or '(none)'!r}. "
                    f"Expected {KINDS_TEXT}.")


def _refuse(spec: str, **options) -> None:
    """Options that only make sense for other kinds of DATA are errors, not silently ignored."""
    flags = {"size": "--size", "label_column": "--label-column"}
    for name, value in options.items():
        if value is not None:
            what = "image folders" if name == "size" else "CSV files"
            raise DataError(f"{name}={value!r} ({flags[name]}) applies to {what} only, not "
                            f"to {spec}. Leave it out.")


def _gray_only(dataset: Dataset, grayscale: bool) -> Dataset:
    if grayscale and dataset.channels == "RGB":
        raise DataError("grayscale=True (--grayscale) converts image files; these arrays "
                        "are already RGB values. Convert them before saving, or leave it out.")
    return dataset


def load_images(paths, *, size=None, grayscale: bool | None = None,
                workers: int | None = None) -> np.ndarray:
    """Many image files → float32 (n, h, w) or (n, h, w, 3), decoded like folders are.

    Without ``size`` all images must share one size. Channels and bits widen to fit every
    image (one colour image makes the whole batch RGB) unless ``grayscale`` is True.
    """
    paths = [str(p) for p in paths]
    if not paths:
        raise DataError("load_images: no image paths given; pass one or more image files.")
    decoded = decode_files(paths, size=size, grayscale=bool(grayscale), workers=workers)
    return decoded.X.reshape(len(paths), *decoded.opts.pixel_shape).astype(np.float32)
