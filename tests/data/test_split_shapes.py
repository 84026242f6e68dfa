"""The stratified split, and vectors back to images (to_image, weights_as_images)."""

import numpy as np
import pytest
from PIL import Image

from glassnet.data import load, load_image, to_image, train_test_split, weights_as_images
from glassnet.errors import DataError


def test_split_is_stratified_and_seeded():
    y = np.array([0] * 80 + [1] * 20)
    X = np.arange(100, dtype=np.float32).reshape(100, 1)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, seed=3)
    assert len(y_test) == 25 and (y_test == 1).sum() == 5      # 20 % of each part is class 1
    again = train_test_split(X, y, test_size=0.25, seed=3)
    np.testing.assert_array_equal(again[1], X_test)
    other = train_test_split(X, y, test_size=0.25, seed=np.random.default_rng(4))
    assert not np.array_equal(other[1], X_test)


def test_split_errors():
    y = np.array([0, 0, 0, 1])
    with pytest.raises(DataError, match=r"Cannot split 4 rows .*stratified.*stratify=False"):
        train_test_split(np.zeros((4, 1)), y, test_size=0.5)
    with pytest.raises(DataError, match=r"test_size as a fraction must lie in \(0, 1\)"):
        train_test_split(np.zeros((4, 1)), y, test_size=1.5)


def test_dataset_split_keeps_everything_aligned():
    digits = load("builtin:digits")
    train, test = digits.split(test_size=0.2, seed=0)
    assert len(train) + len(test) == len(digits)
    assert set(train.sources).isdisjoint(test.sources)
    row = int(test.sources[0].split("[")[1].rstrip("]"))
    np.testing.assert_array_equal(test.X[0], digits.X[row])
    assert test.y[0] == digits.y[row] and test.classes == digits.classes


def test_to_image_round_trip(tmp_path):
    rgb = np.random.default_rng(0).integers(0, 256, (3, 5, 3), dtype=np.uint8)
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        Image.fromarray(rgb).save(tmp_path / name / "1.png")
    data = load(tmp_path)
    np.testing.assert_array_equal(to_image(data.X[0], data.image_shape), rgb)
    np.testing.assert_array_equal(to_image(data.X[:1], data.image_shape),
                                  load_image(tmp_path / "a" / "1.png"))
    with pytest.raises(DataError, match=r"expected a vector of 45 values .* got shape \(44,\)"):
        to_image(np.zeros(44), (3, 5, 3))


def test_weights_as_images_takes_columns():
    W = np.arange(12.0).reshape(6, 2)          # (n_in = 2·3, n_units = 2)
    images = weights_as_images(W, (2, 3))
    assert images.shape == (2, 2, 3)
    np.testing.assert_array_equal(images[1], W[:, 1].reshape(2, 3))
    with pytest.raises(DataError, match=r"expected W of shape \(6, n_units\).*got \(2, 6\)"):
        weights_as_images(W.T, (2, 3))
