"""The Python API raises glassnet's own exceptions — ValueError / TypeError subclasses, as
scikit-learn code expects — for inputs no network can use."""

from __future__ import annotations

import numpy as np
import pytest

import glassnet as gn
from glassnet.errors import ConfigError, DataError, GlassnetError
from glassnet.limits import human_bytes, physical_memory

X = np.random.default_rng(0).random((20, 4)).astype(np.float32)
Y = np.arange(20) % 2


def small():
    return gn.Sequential([gn.Dense(3, activation="sigmoid"), gn.Dense(2, activation="softmax")])


def fitted():
    model = small()
    model.fit(X, Y, epochs=1, seed=0, verbose=0)
    return model


FIT_CASES = {
    "0 rows": (lambda: small().fit(X[:0], Y[:0], epochs=1, verbose=0), DataError, "has no rows"),
    "None among labels (list)": (lambda: small().fit(X, [None] + list(Y[1:]), epochs=1, verbose=0),
                                 DataError, r"y\[0\] is None"),
    "None among labels (object array)": (
        lambda: small().fit(X, np.array(["a", None] * 10, object), epochs=1, verbose=0),
        DataError, r"y\[1\] is None"),
    "None among labels, with a validation split": (
        lambda: small().fit(X, np.array(["a", None] * 10, object), epochs=1, verbose=0,
                            validation_split=0.2),
        DataError, r"y\[1\] is None"),
    "mixed labels, with a validation split": (
        lambda: small().fit(X, np.array([1, "b"] * 10, object), epochs=1, verbose=0,
                            validation_split=0.2),
        DataError, "mixes label types"),
    "NaN among object labels": (lambda: small().fit(X, np.array([1, float("nan")] * 10, object),
                                                    epochs=1, verbose=0), DataError, "is nan"),
    "mixed int and str labels": (lambda: small().fit(X, np.array([1, "b"] * 10, object),
                                                     epochs=1, verbose=0), DataError, "mixes label types"),
    "seed 1.5": (lambda: small().fit(X, Y, epochs=1, seed=1.5, verbose=0), ConfigError, "seed must be"),
    "seed 'a'": (lambda: small().fit(X, Y, epochs=1, seed="a", verbose=0), ConfigError, "seed must be"),
    "seed True": (lambda: small().fit(X, Y, epochs=1, seed=True, verbose=0), ConfigError, "seed must be"),
    "seed -1": (lambda: small().fit(X, Y, epochs=1, seed=-1, verbose=0), ConfigError, "seed must be"),
    "complex X": (lambda: small().fit(X + 1j, Y, epochs=1, verbose=0), DataError, "complex numbers"),
    "layer too big": (lambda: gn.Sequential([gn.Dense(10**10), gn.Dense(2, activation="softmax")])
                      .fit(X, Y, epochs=1, verbose=0), ConfigError, r"Dense\(4 → 10,000,000,000\)"),
    "predict 0 rows": (lambda: fitted().predict(X[:0]), DataError, "has no rows"),
    "predict complex": (lambda: fitted().predict_proba(X + 0j), DataError, "complex numbers"),
}


@pytest.mark.parametrize("case", sorted(FIT_CASES))
def test_api_raises_glassnet_errors(case):
    call, error, phrase = FIT_CASES[case]
    with pytest.raises(error, match=phrase) as info:
        call()
    assert isinstance(info.value, GlassnetError) and isinstance(info.value, ValueError)


def test_a_layer_too_big_says_both_sizes():
    total = physical_memory()
    if total is None:
        pytest.skip("this OS does not report its physical memory")
    with pytest.raises(ConfigError) as info:
        gn.Sequential([gn.Dense(10**10), gn.Dense(2, activation="softmax")]).build((4,), np.random.default_rng(0))
    assert "needs 320 GB" in str(info.value) and human_bytes(total) in str(info.value)


def test_sklearn_estimator_refuses_0_rows_with_a_value_error():
    from glassnet.sklearn import GlassNetClassifier

    with pytest.raises(ValueError, match="0 sample"):
        GlassNetClassifier(max_iter=1).fit(X[:0], Y[:0])
