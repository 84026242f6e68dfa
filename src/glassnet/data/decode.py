"""Decode many image files into one uint8 (or uint16) matrix, one flattened image per row.

Decoding is the cost of loading images, so it is done in chunks of ``CHUNK`` files:

* each chunk is decoded into one small uint8/uint16 block (k, h, w[, 3]) and copied
  straight into its rows of the single preallocated result, in the pixels' own dtype
  (refused up front when it cannot fit) — no list of per-image arrays is ever kept and no
  float copy is made, so the peak stays near the size of the pixels;
* with more than ``POOL_MIN_FILES`` files and more than one worker, chunks are decoded by a
  process pool (``fork`` on Linux). For small images most of the time is Python code in
  Pillow (opening, parsing chunks) that holds the GIL: 2 threads measured 1.04× one thread,
  2 processes 1.5× (docs/benchmarks.md). Rows keep the order of ``paths`` whatever finishes first.

The format (channels, bits, size) comes from the first readable image. When a later image
needs more (colour in a gray set, 16 bits in an 8-bit set) the set is decoded again in the
wider format, so the result never depends on which file happens to come first.
"""

from __future__ import annotations

import multiprocessing
import os
from collections import Counter
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass, replace

import numpy as np

from glassnet.data.images import (
    BadImage,
    DecodeOptions,
    NeedsWiderFormat,
    PixelFormat,
    SizeMismatch,
    check_size,
    image_size,
    probe,
    read_image,
)
from glassnet.data.memory import check_fits
from glassnet.errors import ConfigError, DataError

CHUNK = 256
POOL_MIN_FILES = 2000


@dataclass
class Decoded:
    """The result of decoding a list of files.

    ``X`` (n_good, h·w·c) raw values, uint8 (or uint16 for 16-bit images); ``opts`` the decode options used;
    ``bad`` (index into the input list, reason) for each skipped file.
    """

    X: np.ndarray
    opts: DecodeOptions
    bad: list[tuple[int, str]]


def decode_files(paths: list[str], names: list[str] | None = None, *, size=None,
                 grayscale: bool = False, skip_bad: bool = False,
                 workers: int | None = None) -> Decoded:
    """Decode ``paths`` into a uint8/uint16 (n, d) matrix; ``names`` are used in error messages."""
    names = list(paths) if names is None else names
    opts = _first_options(paths, check_size(size), grayscale, skip_bad)
    n_workers = _pool_size(len(paths), workers)
    while True:
        X = None  # drop a previous attempt before allocating the next one
        X = _allocate(len(paths), opts)
        try:
            bad = _decode_into(X, paths, opts, skip_bad, n_workers)
            break
        except NeedsWiderFormat as e:
            opts = replace(opts, fmt=PixelFormat(*e.args))
        except SizeMismatch:
            raise size_mismatch_error(paths, names) from None
    return Decoded(drop_rows(X, [i for i, _ in bad]), opts, bad)


def _allocate(n: int, opts: DecodeOptions) -> np.ndarray:
    d = int(np.prod(opts.pixel_shape))
    dtype = np.dtype(opts.fmt.dtype)
    check_fits(n * d * dtype.itemsize, f"{n:,} images of {' × '.join(map(str, opts.pixel_shape))} "
               f"{dtype.name} pixels", "Pass a smaller --size, or save the pixels once as "
               "X.npy + y.npy (np.save) and train on X.npy: it is memory-mapped.")
    return np.empty((n, d), dtype=dtype)


def _first_options(paths, size, grayscale, skip_bad) -> DecodeOptions:
    """Options from the first image that decodes (an unreadable one counts later)."""
    for path in paths:
        try:
            return probe(path, size, grayscale)
        except BadImage:
            if not skip_bad:
                raise
    raise DataError(f"None of the {len(paths)} image files could be read "
                    f"(first: {paths[0] if paths else '-'}). Check that they are images.")


def decode_chunk(paths: list[str], opts: DecodeOptions,
                 skip_bad: bool) -> tuple[np.ndarray, list[tuple[int, str]]]:
    """Decode a few files into one (k, *pixel_shape) block; bad rows stay zero."""
    block = np.zeros((len(paths), *opts.pixel_shape), dtype=opts.fmt.dtype)
    bad = []
    for i, path in enumerate(paths):
        try:
            block[i] = read_image(path, opts)
        except BadImage as e:
            if not skip_bad:
                raise
            bad.append((i, e.reason))
    return block, bad


def _decode_into(X, paths, opts, skip_bad, n_workers) -> list[tuple[int, str]]:
    if n_workers > 1:
        return _decode_pool(X, paths, opts, skip_bad, n_workers)
    bad = []
    for start in range(0, len(paths), CHUNK):
        block, chunk_bad = decode_chunk(paths[start:start + CHUNK], opts, skip_bad)
        X[start:start + len(block)] = block.reshape(len(block), -1)
        bad += [(start + i, reason) for i, reason in chunk_bad]
    return bad


def _decode_pool(X, paths, opts, skip_bad, n_workers) -> list[tuple[int, str]]:
    """Chunks decoded by worker processes, at most 2 per worker in flight (bounded memory)."""
    starts = iter(range(0, len(paths), CHUNK))
    bad = []
    pool = ProcessPoolExecutor(n_workers, mp_context=_context())
    try:
        pending = {}

        def submit_next():
            start = next(starts, None)
            if start is not None:
                chunk = paths[start:start + CHUNK]
                pending[pool.submit(decode_chunk, chunk, opts, skip_bad)] = start

        for _ in range(2 * n_workers):
            submit_next()
        while pending:
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                start = pending.pop(future)
                block, chunk_bad = future.result()  # re-raises a worker's error here
                X[start:start + len(block)] = block.reshape(len(block), -1)
                bad += [(start + i, reason) for i, reason in chunk_bad]
                submit_next()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    return sorted(bad)


def _context():
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if "fork" in methods else None)


def available_cores() -> int:
    """Cores this process may run on (respects CPU affinity / container limits)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def _pool_size(n_files: int, workers: int | None) -> int:
    """Processes to use: 1 (no pool) unless there are many files and workers allows it."""
    if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int)
                                or workers < 1):
        raise ConfigError(f"workers must be a positive integer or None (all cores); "
                          f"got {workers!r}.")
    n_workers = available_cores() if workers is None else workers
    if n_files <= POOL_MIN_FILES or multiprocessing.current_process().daemon:
        return 1  # few files: a pool costs more than it saves; daemons may not have children
    return max(1, min(n_workers, -(-n_files // CHUNK)))


def drop_rows(X: np.ndarray, rows: list[int]) -> np.ndarray:
    """Remove ``rows`` (sorted) from X in place — shifting the rest up — without a 2nd copy."""
    if not rows:
        return X
    write = rows[0]
    for read_start, read_end in zip([r + 1 for r in rows], rows[1:] + [len(X)]):
        X[write:write + read_end - read_start] = X[read_start:read_end]
        write += read_end - read_start
    X.resize((write, X.shape[1]), refcheck=False)
    return X


def size_mismatch_error(paths: list[str], names: list[str]) -> DataError:
    """Name the first file whose size differs from the most common one (reads headers only)."""
    sizes = [image_size(p) for p in paths]
    counts = Counter(s for s in sizes if s is not None)
    (common, n_common), = counts.most_common(1)
    odd = next((i for i, s in enumerate(sizes) if s is not None and s != common), 0)
    h, w = sizes[odd] or ("?", "?")
    ch, cw = common
    return DataError(
        f"Images differ in size: {names[odd]} is {h}×{w} (h×w) but {n_common:,} of "
        f"{len(paths):,} images are {ch}×{cw}. Resize them all on loading with "
        f"size=({ch}, {cw}) (--size {ch}x{cw}).")
