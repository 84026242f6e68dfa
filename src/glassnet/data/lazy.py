"""An image folder as a *lazy* dask array: decoded on the Dask workers, never on the client.

``load_lazy("photos/", size=(32, 32))`` returns a ``Dataset`` like ``load`` does, except that
``X`` is a ``dask.array`` of float32 rows (n, h·w·c) in chunks of ``chunk_rows`` images. Nothing
is decoded when it returns; each chunk is decoded by ``decode.decode_chunk`` — the very
function the in-memory loader uses, so the numbers are identical — wherever Dask runs it:
on the workers of a ``dask.distributed.Client``, or in local threads without one. A folder
larger than the client's memory trains without ever being loaded there.

Two passes, both on the workers:

1. **headers** (cheap, no pixels decoded): each chunk of files reports its pixel format and
   image sizes. The formats are widened together exactly as the in-memory loader widens them
   (one colour image makes the set RGB; 16-bit gray stays 16-bit), and without ``size`` every
   image must have the same (h, w). Channels follow the majority as in ``load``: a mostly
   gray folder with a few colour files (counted from the headers) is decoded gray, with a
   notice; ``color=True`` keeps colour.
   With ``skip_bad`` files whose header cannot be read are left out here (and listed in
   ``Dataset.skipped``).
2. **pixels** (lazy, at compute time): each chunk decoded with those options. A file whose
   header reads but whose pixels do not (a truncated file) stops that computation with the
   usual "Cannot read image" error: its row is already counted, so it cannot be skipped then.

The client only lists the folder (paths and labels) and keeps the labels.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from pathlib import Path

import numpy as np

from glassnet.data.dataset import Dataset, classes_of
from glassnet.data.decode import decode_chunk, size_mismatch_error
from glassnet.data.folders import folder_notices, scan
from glassnet.data.images import (
    ORIENTATION_TAG,
    BadImage,
    DecodeOptions,
    check_size,
    natural_format,
    opened,
    widen,
)
from glassnet.data.preprocess import KNOWN_RANGES
from glassnet.errors import ConfigError, DataError

CHUNK_ROWS = 1024


def load_lazy(root, *, size=None, grayscale: bool = False, color: bool = False,
              skip_bad: bool = False, chunk_rows: int = CHUNK_ROWS) -> Dataset:
    """An image folder (one subfolder per class) as a Dataset whose X is a lazy dask array.
    Channels follow the majority of the files' headers, as ``load`` does (``folders``)."""
    import dask

    root = Path(root)
    if not root.is_dir():
        raise DataError(f"load_lazy reads image folders (one subfolder per class); {root} is not "
                        "a folder. Load other DATA with load() and wrap it with to_dask().")
    chunk_rows = _chunk_rows(chunk_rows)
    size = check_size(size)
    layout = scan(root)
    paths = layout.paths
    starts = range(0, len(paths), chunk_rows)
    probes = dask.compute(*[dask.delayed(probe_headers)(paths[s:s + chunk_rows], grayscale, skip_bad)
                            for s in starts])
    bad = [(s + i, reason) for s, (_, _, chunk_bad, _) in zip(starts, probes) for i, reason in chunk_bad]
    n_gray = sum(p[3] for p in probes)
    n_colour = len(paths) - len(bad) - n_gray
    notices = []
    if not (grayscale or color) and 0 < n_colour < n_gray:  # mostly gray: the few become gray
        grayscale = True
        notices.append(f"Converted {n_colour:,} colour {'image' if n_colour == 1 else 'images'} to "
                       f"grayscale to match the other {n_gray:,}; pass color=True (--color) to "
                       "keep colour.")
    opts = _options([p for p in probes if p[0] is not None], paths, layout.sources, size, grayscale)
    keep = np.ones(len(paths), dtype=bool)
    keep[[i for i, _ in bad]] = False
    good = [p for p, k in zip(paths, keep) if k]
    y = np.asarray(layout.labels)[keep]
    return Dataset(
        X=_lazy_pixels(good, opts, chunk_rows), y=y, classes=classes_of(y, f"Image folder {root}"),
        image_shape=opts.pixel_shape, channels=opts.fmt.channels,
        sources=[s for s, k in zip(layout.sources, keep) if k], value_range=opts.fmt.value_range,
        notices=folder_notices(layout, bad) + notices, skipped=[(paths[i], reason) for i, reason in bad],
        size=opts.shape if opts.resize else None)


def to_dask(dataset: Dataset, chunk_rows: int = CHUNK_ROWS) -> Dataset:
    """The same Dataset with X as a dask array of ``chunk_rows``-row chunks (for in-memory DATA)."""
    import dask.array as da

    return replace(dataset, X=da.from_array(dataset.X, chunks=(_chunk_rows(chunk_rows), -1)))


def _chunk_rows(chunk_rows) -> int:
    if isinstance(chunk_rows, bool) or not isinstance(chunk_rows, int) or chunk_rows < 1:
        raise ConfigError(f"chunk_rows must be a positive integer. Got {chunk_rows!r} instead.")
    return chunk_rows


def probe_headers(paths: list[str], grayscale: bool, skip_bad: bool):
    """On a worker: (widened format or None, Counter of upright (h, w), [(index, reason)],
    the number of files stored gray)."""
    fmt, sizes, bad, n_gray = None, Counter(), [], 0
    for i, path in enumerate(paths):
        try:
            natural, h_w = header(path)
        except BadImage as e:
            if not skip_bad:
                raise
            bad.append((i, e.reason))
            continue
        fmt = widen(natural if fmt is None else fmt, natural, grayscale)
        sizes[h_w] += 1
        n_gray += natural.channels == "L"
    return fmt, sizes, bad, n_gray


def header(path: str):
    """(natural pixel format, upright (h, w)) from the file's header; pixels are not decoded."""
    with opened(path) as im:
        natural = natural_format(im, path)
        turned = im.getexif().get(ORIENTATION_TAG, 1) in (5, 6, 7, 8)
        h_w = (im.width, im.height) if turned else (im.height, im.width)
    return natural, h_w


def _options(probes, paths, names, size, grayscale) -> DecodeOptions:
    """One set of decode options for every chunk: formats widened together, one (h, w)."""
    if not probes:
        raise DataError(f"None of the {len(paths)} image files could be read "
                        f"(first: {paths[0] if paths else '-'}). Check that they are images.")
    fmt = probes[0][0]
    for other, *_ in probes[1:]:
        fmt = widen(fmt, other, grayscale)
    sizes = sum((p[1] for p in probes), Counter())
    if size is None and len(sizes) > 1:
        raise size_mismatch_error(paths, names)
    shape = size if size is not None else next(iter(sizes))
    return DecodeOptions(fmt, tuple(shape), resize=size is not None, grayscale=grayscale)


def decode_rows(paths: list[str], opts: DecodeOptions) -> np.ndarray:
    """On a worker: one chunk of files → float32 rows, by the in-memory loader's decoder."""
    block, _ = decode_chunk(paths, opts, skip_bad=False)
    return block.reshape(len(paths), -1).astype(np.float32)


def _lazy_pixels(paths, opts, chunk_rows):
    import dask
    import dask.array as da

    width = int(np.prod(opts.pixel_shape))
    blocks = [da.from_delayed(dask.delayed(decode_rows, pure=True)(paths[s:s + chunk_rows], opts),
                              shape=(len(paths[s:s + chunk_rows]), width), dtype=np.float32)
              for s in range(0, len(paths), chunk_rows)]
    return da.concatenate(blocks, axis=0)


def fit_preprocessor(preprocessor, X):
    """``Preprocessor.fit`` on a dask X: the divisor or per-feature mean/std computed on the
    workers (one pass over the rows); the rows never come to the client."""
    import dask
    import dask.array as da

    if X.ndim > 2:
        X = X.rechunk({axis: -1 for axis in range(1, X.ndim)})
        X = X.reshape(X.shape[0], int(np.prod(X.shape[1:])), merge_chunks=False)
    preprocessor.n_features_, preprocessor.n_fit_rows_ = int(X.shape[1]), int(X.shape[0])
    if preprocessor.kind == "scale":
        if preprocessor.value_range:
            preprocessor.divisor_ = preprocessor.value_range
        else:
            top = float(da.absolute(X).max().compute()) if X.size else 1.0
            preprocessor.divisor_ = next((r for r in KNOWN_RANGES if top <= r), top)
    elif preprocessor.kind == "standardize":
        mean = X.mean(axis=0, dtype=np.float64)
        mean, var = dask.compute(mean, ((X - mean) ** 2).mean(axis=0, dtype=np.float64))
        std = np.sqrt(var).astype(np.float32)
        std[std == 0] = 1.0
        preprocessor.mean_, preprocessor.std_ = mean.astype(np.float32), std
    return preprocessor
