"""A seeded, stratified train/test split: scikit-learn's ``train_test_split``, with our errors."""

from __future__ import annotations

import numpy as np

from glassnet.errors import DataError


def train_test_split(X, y, test_size: float | int = 0.2, seed=0, stratify: bool = True):
    """Split (X, y) into ``X_train, X_test, y_train, y_test`` — scikit-learn's order.

    ``test_size``: a fraction in (0, 1) or a number of rows. ``seed``: an int or an
    ``np.random.Generator`` (the same seed gives the same split). ``stratify=True`` keeps each
    class's share equal in both parts, which needs at least 2 rows of every class.
    """
    from sklearn.model_selection import train_test_split as sklearn_split  # slow import

    y = np.asarray(y)
    _check_test_size(test_size, len(y))
    try:
        return sklearn_split(X, y, test_size=test_size, random_state=_seed_int(seed),
                              stratify=y if stratify else None)
    except ValueError as e:
        raise DataError(f"Cannot split {len(y):,} rows with test_size={test_size!r}"
                        f"{' stratified' if stratify else ''}: {e} Use more data, a larger "
                        f"test_size, or stratify=False.") from None


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


def _seed_int(seed) -> int:
    if isinstance(seed, np.random.Generator):
        return int(seed.integers(2**32))
    return int(seed)
