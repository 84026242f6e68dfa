"""Raw rows become float rows one batch at a time, in buffers reused from batch to batch.

Pixels stay in the dtype they were stored in (uint8 is a quarter of float32), and so does a
memory-mapped file: only the rows of the current batch are gathered and converted. A
``RowView`` names a subset of rows (the training or validation split) by index, so splitting
copies nothing; ``BatchConverter`` gathers rows into a preallocated raw buffer
(``np.take(..., out=)``) and converts them into a preallocated float buffer, so a training
step allocates nothing data-sized.

The conversion divides (x / 255 in float32, exactly as before) rather than multiplying by
1/255, which would change the last bit of some inputs and so every model's predictions;
measured on 32–256 MNIST rows the two cost the same within noise, and a 256-entry lookup table
(exact too) was 2–4× slower.
"""

from __future__ import annotations

import numpy as np

CHUNK_ROWS = 512
RAW_KINDS = "biuf"


class RowView:
    """Rows ``index`` of the 2-D array ``base``, gathered only when asked.

    Behaves enough like an array for the training code (``len``, ``shape``, ``dtype``,
    ``view[rows]``); ``np.asarray(view)`` gathers every row (a copy, for callers that need one).
    ``is_row_view`` lets code outside ``nn`` (the Preprocessor) recognise one without importing it.
    """

    is_row_view = True

    def __init__(self, base: np.ndarray, index):
        index = np.asarray(index, dtype=np.intp)
        if isinstance(base, RowView):  # rows of rows: index the underlying array directly
            base, index = base.base, base.index[index]
        self.base, self.index = base, index

    def __len__(self) -> int:
        return len(self.index)

    @property
    def shape(self) -> tuple[int, ...]:
        return (len(self.index), *self.base.shape[1:])

    @property
    def dtype(self) -> np.dtype:
        return self.base.dtype

    @property
    def ndim(self) -> int:
        return self.base.ndim

    def __getitem__(self, rows):
        return np.take(self.base, self.index[rows], axis=0)

    def __array__(self, dtype=None, copy=None):
        rows = np.take(self.base, self.index, axis=0)
        return rows if dtype is None else rows.astype(dtype, copy=False)

    def take(self, rows, out=None) -> np.ndarray:
        return self.base.take(self.index[rows], axis=0, out=out, mode="clip")


def take_rows(X, rows, out=None) -> np.ndarray:
    """X[rows] — into ``out`` when given (indices are known to be in range)."""
    if isinstance(X, RowView):
        return X.take(rows, out)
    return X.take(rows, axis=0, out=out, mode="clip")  # the method: 1 µs less per call


def block_permutation(n: int, block: int, rng: np.random.Generator) -> np.ndarray:
    """A shuffle of 0..n−1 that reads a file in runs: the blocks of ``block`` consecutive rows
    come in random order and the rows inside each block are shuffled, so a batch draws from one
    or two stretches of the file instead of from everywhere. Every row still comes once."""
    starts = rng.permutation(np.arange(0, n, block))
    return np.concatenate([start + rng.permutation(min(block, n - start)) for start in starts])


def chunks(n: int, size: int = CHUNK_ROWS):
    """(start, stop) of consecutive row chunks covering 0..n."""
    for start in range(0, n, size):
        yield start, min(start + size, n)


def chunk_of(X, start: int, stop: int) -> np.ndarray:
    """Rows start..stop of X (a view for arrays and memmaps, a gather for a RowView)."""
    if isinstance(X, RowView):
        return X.take(np.arange(start, stop))
    return X[start:stop]


def as_rows(X) -> np.ndarray:
    """X as (n, d) without copying when it can be a view (a memmap stays a memmap)."""
    if isinstance(X, RowView) or X.ndim == 2:
        return X
    return X.reshape(len(X), -1)


class BatchConverter:
    """Gather rows and convert them to the model's float dtype, reusing two buffers.

    ``transform(raw, out)`` writes the converted rows into ``out`` (a preprocessor's
    ``transform_into``, or a plain cast when there is none).
    """

    def __init__(self, transform=None, dtype=np.float32):
        self.transform = transform or cast_into
        self.dtype = np.dtype(dtype)
        self.raw = self.out = None

    def _buffers(self, k: int, d: int, raw_dtype):
        if self.raw is None or len(self.raw) < k or self.raw.shape[1] != d \
                or self.raw.dtype != raw_dtype:
            self.raw = np.empty((k, d), dtype=raw_dtype)
            self.out = np.empty((k, d), dtype=self.dtype)
        return self.raw[:k], self.out[:k]

    def gather(self, X, rows) -> np.ndarray:
        """X[rows] converted, in the reused float buffer (valid until the next call)."""
        raw, out = self._buffers(len(rows), X.shape[1], X.dtype)
        if self.transform is cast_into and X.dtype == self.dtype:
            return take_rows(X, rows, out=out)  # rows already in the model's dtype: one copy
        take_rows(X, rows, out=raw)
        self.transform(raw, out)
        return out

    def convert(self, raw: np.ndarray) -> np.ndarray:
        """A block of raw rows converted, in the reused float buffer."""
        out = self._buffers(len(raw), raw.shape[1], raw.dtype)[1]
        self.transform(raw, out)
        return out

    def chunk(self, X, start: int, stop: int) -> np.ndarray:
        """Rows start..stop of X converted, in the reused float buffer."""
        if isinstance(X, RowView):
            return self.gather(X, np.arange(start, stop))
        return self.convert(X[start:stop])

    def convert_all(self, X) -> np.ndarray:
        """Every row converted into one new array (for callers that need all rows at once)."""
        result = np.empty((len(X), X.shape[1]), dtype=self.dtype)
        for start, stop in chunks(len(X)):
            self.transform(chunk_of(X, start, stop), result[start:stop])
        return result


def cast_into(raw: np.ndarray, out: np.ndarray) -> np.ndarray:
    """out[...] = raw, converted to out's dtype."""
    np.copyto(out, raw, casting="unsafe")
    return out
