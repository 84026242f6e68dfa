"""MNIST IDX files written by the tests (plus one read of the real training set)."""

import gzip
import struct
from pathlib import Path

import numpy as np
import pytest

from glassnet.data import load
from glassnet.errors import DataError

MNIST = Path("/work/shared/data/mnist")


def idx_bytes(array: np.ndarray) -> bytes:
    """The IDX encoding of a uint8 array: 0, 0, type 0x08, ndim, dims (>u4), values."""
    header = bytes([0, 0, 0x08, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.astype(np.uint8).tobytes()


def write_pair(folder, prefix="train", n=6, gz=False, rng=None):
    rng = rng or np.random.default_rng(0)
    images = rng.integers(0, 256, (n, 3, 2), dtype=np.uint8)
    labels = np.arange(n, dtype=np.uint8) % 3
    folder.mkdir(parents=True, exist_ok=True)
    for name, array in ((f"{prefix}-images-idx3-ubyte", images),
                        (f"{prefix}-labels-idx1-ubyte", labels)):
        data = idx_bytes(array)
        if gz:
            (folder / f"{name}.gz").write_bytes(gzip.compress(data))
        else:
            (folder / name).write_bytes(data)
    return images, labels


@pytest.mark.parametrize("gz", [False, True])
def test_folder_with_one_pair(tmp_path, gz):
    images, labels = write_pair(tmp_path, gz=gz)
    data = load(tmp_path)
    np.testing.assert_array_equal(data.X, images.reshape(6, 6))
    np.testing.assert_array_equal(data.y, labels)
    assert data.X.dtype == np.uint8 and data.y.dtype == np.int64  # pixels as stored
    assert isinstance(data.X, np.memmap) != gz  # a plain file is memory-mapped, not read
    assert data.classes == ["0", "1", "2"] and data.image_shape == (3, 2)
    assert data.channels == "L" and data.value_range == 255.0
    assert data.sources[4] == f"train-images-idx3-ubyte{'.gz' if gz else ''}[4]"


def test_train_is_chosen_among_pairs_with_a_notice(tmp_path):
    train, _ = write_pair(tmp_path, "train", n=6)
    test, _ = write_pair(tmp_path, "t10k", n=3, rng=np.random.default_rng(1))
    data = load(tmp_path)
    np.testing.assert_array_equal(data.X, train.reshape(6, 6))
    assert data.notices and "loaded train-images-idx3-ubyte" in data.notices[0]
    direct = load(tmp_path / "t10k-images-idx3-ubyte")
    np.testing.assert_array_equal(direct.X, test.reshape(3, 6))


def test_header_claiming_more_items_than_the_file_holds(tmp_path):
    write_pair(tmp_path)
    path = tmp_path / "train-images-idx3-ubyte"
    path.write_bytes(path.read_bytes()[:-10])
    with pytest.raises(DataError, match=r"train-images-idx3-ubyte: header claims 6 items "
                                        r"\(6 × 3 × 2, 36 bytes of data\) but the file holds "
                                        r"only 26 bytes.*truncated"):
        load(tmp_path)


def test_bad_magic_extra_bytes_and_count_mismatch(tmp_path):
    write_pair(tmp_path)
    images = tmp_path / "train-images-idx3-ubyte"
    labels = tmp_path / "train-labels-idx1-ubyte"
    good = images.read_bytes()
    images.write_bytes(good + b"\0\0")
    with pytest.raises(DataError, match=r"2 bytes follow the 6 × 3 × 2 values"):
        load(tmp_path)
    images.write_bytes(b"\x12\x34" + good[2:])
    with pytest.raises(DataError, match=r"not an IDX file — bad magic number 0x12340803"):
        load(tmp_path)
    images.write_bytes(good)
    labels.write_bytes(idx_bytes(np.zeros(5, dtype=np.uint8) + [0, 1, 0, 1, 0]))
    with pytest.raises(DataError, match=r"holds 6 images but .* holds 5 labels"):
        load(tmp_path)


def test_truncated_gzip_and_missing_labels(tmp_path):
    write_pair(tmp_path, gz=True)
    path = tmp_path / "train-images-idx3-ubyte.gz"
    path.write_bytes(path.read_bytes()[:-12])
    with pytest.raises(DataError, match=r"truncated"):
        load(tmp_path)
    (tmp_path / "train-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(DataError, match=r"No labels file for .*train-labels-idx1-ubyte"):
        load(tmp_path)


def test_labels_file_passed_directly(tmp_path):
    write_pair(tmp_path)
    with pytest.raises(DataError, match=r"is an IDX labels file; pass the images file"):
        load(tmp_path / "train-labels-idx1-ubyte")


@pytest.mark.slow
@pytest.mark.skipif(not (MNIST / "train-images-idx3-ubyte.gz").exists(), reason="no MNIST")
def test_real_mnist_training_set():
    data = load(MNIST)
    assert data.X.shape == (60000, 784) and len(data.classes) == 10
    assert data.X.max() == 255.0 and data.y[:5].tolist() == [5, 0, 4, 1, 9]
