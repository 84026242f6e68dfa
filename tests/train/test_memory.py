"""Rows stay as they came: uint8 pixels and memory-mapped files are converted a batch at a
time, into reused buffers — never as one float copy of all of X."""

from __future__ import annotations

import gzip
import struct
import tracemalloc

import numpy as np
import pytest

import glassnet as gn
from cli_run import assert_error, glassnet
from glassnet.data import Preprocessor, load, memory
from glassnet.errors import DataError
from glassnet.nn.batches import BatchConverter, RowView
from glassnet.nn.inputs import batch_converter, check_rows

N, D = 20_000, 784
FLOAT_COPY = N * D * 4  # bytes of X as float32


@pytest.fixture(scope="module")
def pixels():
    rng = np.random.default_rng(0)
    X = rng.integers(0, 256, (N, D), dtype=np.uint8)
    y = (X[:, :10].sum(axis=1) % 3).astype(np.int64)
    return X, y


def small_net(preprocessor=None):
    model = gn.Sequential([gn.Dense(8, "sigmoid"), gn.Dense(3, "softmax")])
    model.preprocessor = preprocessor
    return model


def peak_bytes(work) -> int:
    tracemalloc.start()
    try:
        work()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_fit_and_predict_on_uint8_make_no_float_copy(pixels):
    X, y = pixels
    model = small_net(Preprocessor("scale").fit(X, value_range=255.0))
    fit_peak = peak_bytes(lambda: model.fit(X, y, epochs=1, batch_size=256, seed=0,
                                            validation_split=0.1, verbose=0))
    predict_peak = peak_bytes(lambda: model.predict(X))
    # a float32 copy of X would be 62.7 MB; the chunk buffers (512 rows) stay far below
    assert fit_peak < FLOAT_COPY / 10, fit_peak
    assert predict_peak < FLOAT_COPY / 10, predict_peak


def test_the_doctor_and_the_range_test_make_no_float_copy(pixels):
    X, y = pixels
    model = small_net(Preprocessor("scale").fit(X, value_range=255.0))
    model.fit(X[:500], y[:500], epochs=1, seed=0, verbose=0, diagnose=False)
    with pytest.warns(gn.TrainingProblemWarning):  # chance-level data: a finding, not the point
        diagnose_peak = peak_bytes(lambda: gn.diagnose(model, X, y, warn=True))
    lr_peak = peak_bytes(lambda: gn.find_lr(model, X, y, steps=50))
    assert diagnose_peak < FLOAT_COPY / 10, diagnose_peak
    assert lr_peak < FLOAT_COPY / 10, lr_peak


def test_uint8_with_scale_trains_bit_identical_to_float_rows_scaled_first(pixels):
    X, y = pixels[0][:3000], pixels[1][:3000]
    raw = small_net(Preprocessor("scale").fit(X, value_range=255.0))
    raw.fit(X, y, epochs=2, batch_size=64, seed=3, validation_split=0.2, verbose=0)
    scaled = small_net()
    scaled.fit(np.divide(X, np.float32(255), dtype=np.float32), y, epochs=2, batch_size=64,
               seed=3, validation_split=0.2, verbose=0)
    for key, W in raw.get_weights().items():
        np.testing.assert_array_equal(W, scaled.get_weights()[key])
    assert raw.history.val_loss == pytest.approx(scaled.history.val_loss, rel=1e-6)


def test_memmap_input_trains_like_the_array_and_stays_a_memmap(pixels, tmp_path):
    X, y = pixels[0][:2000], pixels[1][:2000]
    np.save(tmp_path / "X.npy", X)
    np.save(tmp_path / "y.npy", y)
    data = load(tmp_path / "X.npy")
    assert isinstance(data.X, np.memmap) and data.X.dtype == np.uint8
    assert check_rows(small_net(), data.X) is data.X  # checked without a copy
    a, b = small_net(), small_net()
    a.fit(data.X, data.y, epochs=1, batch_size=32, seed=1, verbose=0)
    b.fit(X, y, epochs=1, batch_size=32, seed=1, verbose=0)
    np.testing.assert_array_equal(a.predict_proba(data.X), b.predict_proba(X))


def test_batches_are_gathered_into_reused_buffers(pixels):
    X = pixels[0]
    pre = Preprocessor("scale").fit(X, value_range=255.0)
    convert = BatchConverter(pre.transform_into)
    first = convert.gather(X, np.array([5, 1, 9]))
    np.testing.assert_array_equal(first, X[[5, 1, 9]] / np.float32(255))
    second = convert.gather(X, np.array([7, 2, 3]))
    assert first.dtype == np.float32 and np.shares_memory(first, second)
    assert convert.raw.dtype == np.uint8  # rows gathered in their own dtype
    view = RowView(X, np.arange(100, 200))
    np.testing.assert_array_equal(convert.gather(view, np.array([0, 99])),
                                  X[[100, 199]] / np.float32(255))
    assert RowView(view, [1]).base is X  # rows of rows index X itself


@pytest.mark.parametrize("kind", ["scale", "standardize", "none"])
def test_transform_of_uint8_equals_the_float_path(pixels, kind):
    X = pixels[0][:5000]
    pre = Preprocessor(kind).fit(X)
    np.testing.assert_array_equal(pre.transform(X), pre.transform(X.astype(np.float64)))
    model = small_net(pre)
    assert batch_converter(model).convert_all(X).dtype == np.float32


def test_streaming_statistics_equal_two_passes(pixels):
    X = pixels[0][:20_000:3]
    pre = Preprocessor("standardize").fit(X)
    Xf = X.astype(np.float64)
    np.testing.assert_allclose(pre.mean_, Xf.mean(axis=0), rtol=1e-6)
    np.testing.assert_allclose(pre.std_, Xf.std(axis=0), rtol=1e-6)


def test_float_rows_with_nan_are_refused_by_chunk(pixels):
    X = pixels[0][:5000].astype(np.float32)
    X[4500, 7] = np.nan
    with pytest.raises(DataError, match="row 4500, column 7"):
        small_net().fit(X, pixels[1][:5000], epochs=1, verbose=0)


def test_check_fits_names_both_numbers(monkeypatch):
    monkeypatch.setattr(memory, "available_bytes", lambda: 3 * 10**9)
    with pytest.raises(DataError, match=r"needs 6\.3 GB in memory; this machine has 3\.0 GB "
                                        r"available.*Pass a \.npy"):
        memory.check_fits(6_300_000_000, "X as float32", "pass a .npy to memory-map it.")
    memory.check_fits(2 * 10**9, "X", "-")  # fits: nothing raised


@pytest.mark.cli
def test_cli_refuses_a_gzipped_idx_too_big_for_memory_up_front(tmp_path):
    header = struct.pack(">BBBBIII", 0, 0, 8, 3, 100_000, 1000, 1000)  # claims 100 GB
    (tmp_path / "train-images-idx3-ubyte.gz").write_bytes(gzip.compress(header + bytes(64)))
    labels = struct.pack(">BBBBI", 0, 0, 8, 1, 100_000) + bytes(100_000)
    (tmp_path / "train-labels-idx1-ubyte").write_bytes(labels)
    result = glassnet("train", tmp_path, "--out", tmp_path / "m", "--quiet")
    assert_error(result, "needs 100 GB in memory", "this machine has", "gunzip")


def test_big_gzipped_idx_says_it_is_read_into_memory(tmp_path, monkeypatch):
    images = struct.pack(">BBBBIII", 0, 0, 8, 3, 4, 2, 2) + bytes(range(16))
    (tmp_path / "train-images-idx3-ubyte.gz").write_bytes(gzip.compress(images))
    (tmp_path / "train-labels-idx1-ubyte").write_bytes(struct.pack(">BBBBI", 0, 0, 8, 1, 4)
                                                       + bytes([0, 1, 0, 1]))
    monkeypatch.setattr(memory, "NOTICE_BYTES", 16)
    data = load(tmp_path)
    assert data.X.dtype == np.uint8 and not isinstance(data.X, np.memmap)
    np.testing.assert_array_equal(data.X.reshape(-1), np.arange(16))
    assert len(data.notices) == 1 and "read into memory" in data.notices[0]
    assert "gunzip" in data.notices[0]
