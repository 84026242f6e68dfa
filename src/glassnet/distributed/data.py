"""Rows on a Dask cluster: the client, the slots of rows each worker trains on, chunk checks.

A *slot* is a contiguous range of rows [a, b) held, checked and converted, in the memory of
one worker — ``shard = (x, target, weights)`` as NumPy arrays. The rows are split into as many
slots as there are workers when training starts, evenly (a_s = ⌊s·n/S⌋), whatever the
dask chunks are, so a run's result depends only on (data, seed, number of slots) — never on
which worker happens to hold what. Each slot is computed *on* its worker (decoding images
there, for a lazily loaded folder), and stays there between rounds.

Shards are computed from the dask graph, not scattered: if a worker dies, the scheduler
recomputes its shards from their lineage on another worker, and the run goes on.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import numpy as np

from glassnet.errors import ConfigError, DataError


def get_client(client=None):
    """``client``, or the default ``dask.distributed`` client (the last one created)."""
    if client is not None:
        return client
    try:
        from distributed import default_client
    except ImportError:
        raise ConfigError("Training on a dask array needs dask.distributed: "
                          "pip install 'glassnet[dask]'.") from None
    try:
        return default_client()
    except ValueError:
        raise ConfigError(
            "Training on a dask array needs a dask.distributed Client: pass client=Client(address) "
            "(or create one first; Client() starts a local cluster)."
        ) from None


def worker_addresses(client) -> list[str]:
    """The addresses of the cluster's workers, sorted (waits for at least one)."""
    client.wait_for_workers(1)
    return sorted(client.scheduler_info()["workers"])


def as_rows(X):
    """A dask array (n, d): images (n, h, w[, c]) flattened, every row whole in one chunk."""
    if X.ndim < 2:
        raise DataError(f"X must be 2-D (n_samples, n_features) or images; got shape {X.shape}.")
    if any(np.isnan(c) for c in X.chunks[0]):
        X = X.compute_chunk_sizes()
    if any(len(c) > 1 for c in X.chunks[1:]):
        X = X.rechunk({axis: -1 for axis in range(1, X.ndim)})
    if X.ndim > 2:
        X = X.reshape(X.shape[0], int(np.prod(X.shape[1:])), merge_chunks=False)
    return X


def host_labels(y, n: int, name: str = "y") -> np.ndarray:
    """Labels (or sample weights) as one NumPy array on the client: n values, small."""
    if y is None:
        return None
    from glassnet.backend import is_dask_array

    y = np.asarray(y.compute() if is_dask_array(y) else y)
    if len(y) != n:
        raise DataError(f"X has {n} rows but {name} has {len(y)}; they must have one row per sample.")
    return y


def input_checker(model):
    """A tiny twin of ``model`` that checks and converts rows exactly as ``model.check_X``."""
    from glassnet.nn.layers import Dense, Flatten
    from glassnet.train.sequential import Sequential

    twin = Sequential([Flatten(input_shape=tuple(model.input_shape)), Dense(1)], dtype=model.dtype)
    twin.build(tuple(model.input_shape), np.random.default_rng(0))
    twin.preprocessor = model.preprocessor
    return twin


def make_shard(checker, x, target, weights, start):
    """On a worker: rows [start, start + len(x)) checked and converted (float, contiguous)."""
    x = checker.check_X(x, name=f"X (rows {start:,}–{start + len(x) - 1:,})")
    return x, target, weights


@dataclass
class Shards:
    """One future per slot, holding that slot's (x, target, weights) on a worker."""

    futures: list
    bounds: list[tuple[int, int]]  # rows [a, b) of each slot
    workers: list[str]  # the worker each slot was placed on (a preference: it may move)
    n: int

    def __len__(self) -> int:
        return len(self.futures)

    def release(self):
        for future in self.futures:
            future.release()


def make_shards(client, model, X, target, weights=None, n_slots=None) -> Shards:
    """Split (X, target, weights) into slots and compute each on its own worker."""
    import dask

    X = as_rows(X)
    n = int(X.shape[0])
    workers = worker_addresses(client)
    n_slots = len(workers) if n_slots is None else int(n_slots)
    if n_slots < 1:
        raise ConfigError(f"slots must be a positive integer. Got {n_slots!r} instead.")
    n_slots = min(n_slots, n)
    edges = [s * n // n_slots for s in range(n_slots + 1)]
    checker = dask.delayed(input_checker(model), name=f"glassnet-checker-{uuid.uuid4().hex}")
    futures, bounds, placed = [], [], []
    for s in range(n_slots):
        a, b = edges[s], edges[s + 1]
        w = None if weights is None else weights[a:b]
        task = dask.delayed(make_shard, pure=False)(checker, X[a:b], target[a:b], w, a)
        worker = workers[s % len(workers)]
        futures.append(client.compute(task, workers=[worker], allow_other_workers=True))
        bounds.append((a, b))
        placed.append(worker)
    return Shards(futures, bounds, placed, n)
