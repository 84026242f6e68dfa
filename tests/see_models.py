"""Small trained models for the explain / plots / report tests (each trained once per process)."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from sklearn.datasets import load_digits

import glassnet as gn
from glassnet.data import Preprocessor, load


@lru_cache(maxsize=None)
def digits():
    """(X /16 float32, y) of scikit-learn's 8×8 digits: the first 1,200 rows train, the rest test."""
    X, y = load_digits(return_X_y=True)
    return (X / 16.0).astype(np.float32), y


def split():
    X, y = digits()
    return X[:1200], y[:1200], X[1200:], y[1200:]


@lru_cache(maxsize=None)
def logistic_binary():
    """Logistic regression, 0 vs 1: the one-neuron network (vectors, no image shape)."""
    X, y, _, _ = split()
    keep = y < 2
    return gn.LogisticRegression(C=1.0, max_iter=200).fit(X[keep], y[keep])


@lru_cache(maxsize=None)
def logistic_multiclass():
    X, y, _, _ = split()
    return gn.LogisticRegression(C=1.0, max_iter=200).fit(X, y)


@lru_cache(maxsize=None)
def deep_multiclass():
    """8×8 → 24 sigmoid → 12 tanh → 10 softmax, a few epochs, with validation history."""
    X, y, Xv, yv = split()
    model = gn.Sequential([gn.Flatten(input_shape=(8, 8)), gn.Dense(24, "sigmoid"),
                           gn.Dense(12, "tanh"), gn.Dense(10, "softmax")])
    model.fit(X, y, epochs=6, batch_size=32, optimizer=gn.SGD(lr=1.0), seed=0, verbose=0,
              validation_data=(Xv, yv))
    return model


@lru_cache(maxsize=None)
def deep_binary():
    """8×8 → 16 relu → 8 relu → 1 sigmoid: is it a 3 or an 8? String labels."""
    X, y, _, _ = split()
    keep = (y == 3) | (y == 8)
    labels = np.where(y[keep] == 3, "three", "eight")
    model = gn.Sequential([gn.Flatten(input_shape=(8, 8)), gn.Dense(16, "relu", init="he_normal"),
                           gn.Dense(8, "relu", init="he_normal"), gn.Dense(1, "sigmoid")])
    model.fit(X[keep], labels, epochs=8, batch_size=16, optimizer=gn.SGD(lr=0.3), seed=0, verbose=0)
    return model


@lru_cache(maxsize=None)
def raw_digits():
    """builtin:digits as the CLI loads it: raw 0..16 rows, (train, test) Datasets."""
    return load("builtin:digits").split(0.2, seed=0)


@lru_cache(maxsize=None)
def preprocessed_model():
    """A model that scales its own raw input (x / 16), as ``glassnet train`` makes them."""
    train, _ = raw_digits()
    model = gn.Sequential([gn.Flatten(input_shape=(8, 8)), gn.Dense(32, "sigmoid"), gn.Dense(10, "softmax")])
    model.preprocessor = Preprocessor.for_dataset(train, "scale").fit(train.X)
    model.fit(train.X, train.y, epochs=8, batch_size=32, optimizer=gn.SGD(lr=1.0), seed=0, verbose=0)
    return model


def sample(model_name: str):
    """(model, one raw sample, its true label) for each kind of model."""
    X, y, Xt, yt = split()
    if model_name == "logistic_binary":
        row = np.flatnonzero(yt < 2)[0]
        return logistic_binary(), Xt[row], yt[row]
    if model_name == "deep_binary":
        row = np.flatnonzero(yt == 8)[0]
        return deep_binary(), Xt[row].reshape(8, 8), "eight"
    if model_name == "preprocessed":
        _, test = raw_digits()
        return preprocessed_model(), test.X[0].reshape(8, 8), test.y[0]
    model = {"logistic_multiclass": logistic_multiclass, "deep_multiclass": deep_multiclass}[model_name]()
    return model, Xt[0], yt[0]


MODELS = ("logistic_binary", "logistic_multiclass", "deep_multiclass", "deep_binary", "preprocessed")
