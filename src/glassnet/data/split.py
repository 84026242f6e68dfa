"""A seeded, stratified train/test split, on row indices.

Written here rather than borrowed from scikit-learn's ``train_test_split`` because importing
scikit-learn costs about 2 s (it pulls in SciPy's statistics and pandas), which every
``glassnet train`` would pay for a few lines of index arithmetic. The sizes follow
scikit-learn's rule (the test part gets ⌈test_size·n⌉ rows for a fraction) and so do the
per-class shares (each class's test count is its exact share, rounded so the counts add up);
tests/data/test_split_shapes.py checks both against scikit-learn.
"""

from __future__ import annotations

import math

import numpy as np

from glassnet.errors import DataError


def train_test_split(X, y, test_size: float | int = 0.2, seed=0, stratify: bool = True):
    """Split (X, y) into ``X_train, X_test, y_train, y_test`` — scikit-learn's order.

    ``test_size``: a fraction in (0, 1) or a number of rows. ``seed``: an int or an
    ``np.random.Generator`` (the same seed gives the same split). ``stratify=True`` keeps each
    class's share equal in both parts, which needs at least 2 rows of every class.
    """
    y = np.asarray(y)
    if len(X) != len(y):
        raise DataError(f"X has {len(X):,} rows but y has {len(y):,}; they must match.")
    try:
        train, test = split_rows(y, test_size, seed, stratify)
    except ValueError as e:
        raise DataError(f"Cannot split {len(y):,} rows with test_size={test_size!r}"
                        f"{' stratified' if stratify else ''}: {e} Use more data, a larger "
                        f"test_size, or stratify=False.") from None
    return X[train], X[test], y[train], y[test]


def split_rows(labels, test_size: float | int, seed=0, stratify: bool = True):
    """(train rows, test rows), each in random order. ``labels`` are only read when
    ``stratify``; a class with a single row, or fewer test (or train) rows than classes,
    raises ValueError (the caller decides whether to fall back to a plain split)."""
    n = len(labels)
    _check_test_size(test_size, n)
    fraction = isinstance(test_size, (float, np.floating))
    n_test = math.ceil(test_size * n) if fraction else int(test_size)
    if not 0 < n_test < n:
        raise DataError(f"A test part of {n_test} of {n} rows leaves no row on one side: "
                        f"use more data or another test_size.")
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    order = rng.permutation(n)
    if not stratify:
        return order[n_test:], order[:n_test]
    classes, inverse, counts = np.unique(np.asarray(labels), return_inverse=True,
                                         return_counts=True)
    if counts.min() < 2:
        single = classes[np.argmin(counts)].tolist()
        raise ValueError(f"class {single!r} has only 1 row, and stratifying needs at least 2 "
                         f"of every class.")
    if n_test < len(classes) or n - n_test < len(classes):
        raise ValueError(f"both parts need at least one row per class ({len(classes)} classes), "
                         f"but they get {n - n_test} and {n_test} rows.")
    share = counts * (n_test / n)
    in_test = np.floor(share).astype(np.int64)
    short = n_test - int(in_test.sum())  # the rows rounding down left over, by largest remainder
    if short:
        by_remainder = np.lexsort((rng.random(len(classes)), -(share - in_test)))
        in_test[by_remainder[:short]] += 1
    grouped = order[np.argsort(inverse[order], kind="stable")]  # each class's rows, shuffled
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    position = np.arange(n) - np.repeat(starts, counts)  # rank of each row within its class
    to_test = position < np.repeat(in_test, counts)
    return rng.permutation(grouped[~to_test]), rng.permutation(grouped[to_test])


def _check_test_size(test_size, n: int) -> None:
    is_number = isinstance(test_size, (int, float, np.integer, np.floating))
    if isinstance(test_size, bool) or not is_number:
        raise DataError(f"test_size must be a fraction in (0, 1) or a row count; "
                        f"got {test_size!r}.")
    if isinstance(test_size, (float, np.floating)) and not 0 < test_size < 1:
        raise DataError(f"test_size as a fraction must lie in (0, 1); got {test_size!r}.")
    if isinstance(test_size, (int, np.integer)) and not 0 < test_size < n:
        raise DataError(f"test_size as a row count must lie in 1..{n - 1} for {n} rows; "
                        f"got {test_size!r}.")
