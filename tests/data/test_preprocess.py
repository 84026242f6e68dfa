"""Preprocessing that travels with the model, and prepare_image for prediction."""

import json

import numpy as np
import pytest
from PIL import Image

from glassnet.data import Preprocessor, load, prepare_image
from glassnet.errors import ConfigError, DataError, NotFittedError


def test_scale_uses_the_value_range_of_each_kind_of_data():
    X = np.array([[0, 8, 16]], dtype=np.float32)
    assert Preprocessor("scale").fit(X).describe() == "x / 16"          # digits' 0..16
    assert Preprocessor("scale").fit(X, value_range=255).describe() == "x / 255"
    assert Preprocessor("scale").fit(X * 4000).describe() == "x / 65535"   # 16-bit
    np.testing.assert_allclose(Preprocessor("scale").fit(X).transform(X), [[0, 0.5, 1]])


def test_scale_digits_end_to_end():
    digits = load("builtin:digits")
    pre = Preprocessor.for_dataset(digits).fit(digits.X)
    Z = pre.transform(digits.X)
    assert Z.dtype == np.float32 and Z.min() == 0 and Z.max() == 1
    assert pre.image_shape == (8, 8) and pre.channels == "L" and pre.size is None


def test_standardize_is_fitted_on_the_training_split_only():
    digits = load("builtin:digits")
    train, test = digits.split(test_size=0.25, seed=0)
    pre = Preprocessor.for_dataset(train, "standardize").fit(train.X)
    assert pre.describe() == f"(x − mean) / std, fitted on {len(train):,} rows"
    np.testing.assert_allclose(pre.mean_, train.X.mean(axis=0), atol=1e-5)
    assert not np.allclose(pre.mean_, test.X.mean(axis=0), atol=1e-3)
    Z = pre.transform(train.X)
    np.testing.assert_allclose(Z.mean(axis=0), 0, atol=1e-5)
    constant = train.X.std(axis=0) == 0      # e.g. the always-blank corner pixels
    assert constant.any() and np.all(pre.std_[constant] == 1) and np.all(Z[:, constant] == 0)


def test_round_trip_through_json_and_arrays():
    X = np.random.default_rng(0).normal(3, 2, (50, 6)).astype(np.float32)
    pre = Preprocessor("standardize", image_shape=(2, 3), channels="L").fit(X)
    settings = json.loads(json.dumps(pre.to_dict(include_arrays=False)))
    again = Preprocessor.from_dict(settings, pre.arrays())
    np.testing.assert_array_equal(again.transform(X), pre.transform(X))
    from_lists = Preprocessor.from_dict(json.loads(json.dumps(pre.to_dict())))
    np.testing.assert_array_equal(from_lists.transform(X), pre.transform(X))
    scale = Preprocessor("scale", value_range=255).fit(X)
    assert Preprocessor.from_dict(scale.to_dict()).describe() == "x / 255"


def test_from_dict_validates_every_field():
    pre = Preprocessor("standardize").fit(np.ones((3, 4)))
    with pytest.raises(DataError, match=r"'mean' must be 4 finite numbers"):
        Preprocessor.from_dict(pre.to_dict(include_arrays=False), {"mean": np.zeros(3),
                                                                   "std": np.ones(4)})
    with pytest.raises(DataError, match=r"'size' must be null or 2 positive integers"):
        Preprocessor.from_dict({"kind": "scale", "size": [28, -1]})
    with pytest.raises(ConfigError, match=r"Unknown preprocessing 'normalize'"):
        Preprocessor.from_dict({"kind": "normalize"})


def test_transform_checks_fitting_and_width():
    with pytest.raises(NotFittedError, match=r"call fit"):
        Preprocessor().transform(np.ones((1, 3)))
    pre = Preprocessor().fit(np.ones((2, 3)))
    with pytest.raises(DataError, match=r"expected rows of 3 features \(as fitted\), got 4"):
        pre.transform(np.ones((2, 4)))


def folder(root, mode="L", size=(4, 4), value=100):
    for name in ("a", "b"):
        (root / name).mkdir(parents=True)
        Image.new(mode, size[::-1], value).save(root / name / "1.png")
    return root


def test_prepare_image_repeats_the_training_steps(tmp_path):
    data = load(folder(tmp_path / "d", size=(8, 8)), size=(4, 4))
    pre = Preprocessor.for_dataset(data).fit(data.X)
    assert pre.size == (4, 4)
    Image.new("RGB", (20, 10), (100, 100, 100)).save(tmp_path / "new.png")  # colour, other size
    x = prepare_image(tmp_path / "new.png", pre)
    assert x.shape == (1, 16) and x.dtype == np.float32
    np.testing.assert_allclose(x, 100 / 255)
    np.testing.assert_array_equal(prepare_image(tmp_path / "d" / "a" / "1.png", pre),
                                  pre.transform(data.X[:1]))


def test_prepare_image_size_mismatch_without_recorded_size(tmp_path):
    data = load(folder(tmp_path / "d"))
    pre = Preprocessor.for_dataset(data).fit(data.X)
    Image.new("L", (5, 6)).save(tmp_path / "odd.png")
    with pytest.raises(DataError, match=r"odd\.png is 6×5 \(h×w\) but the model expects 4×4 "
                                        r"images.*retrain with --size"):
        prepare_image(tmp_path / "odd.png", pre)


def test_prepare_image_for_a_vector_model(tmp_path):
    pre = Preprocessor().fit(np.ones((2, 3)))
    Image.new("L", (2, 2)).save(tmp_path / "a.png")
    with pytest.raises(DataError, match=r"trained on plain vectors, not images"):
        prepare_image(tmp_path / "a.png", pre)


def test_an_8_bit_image_into_a_digits_model_is_rescaled_to_the_trained_range(tmp_path):
    from PIL import Image

    from glassnet.data import Preprocessor, load, prepare_image

    digits = load("builtin:digits")
    pre = Preprocessor.for_dataset(digits, "scale").fit(digits.X)
    image = (digits.X[0].reshape(8, 8) * 255 / 16).round().astype(np.uint8)
    Image.fromarray(image).save(tmp_path / "digit.png")
    row = prepare_image(tmp_path / "digit.png", pre)
    np.testing.assert_allclose(row[0], digits.X[0] / 16, atol=1 / 255)
    assert row.max() <= 1.0
