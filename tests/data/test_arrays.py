"""Arrays on disk: .npz, .npy pairs and CSV files."""

import numpy as np
import pytest

from glassnet.data import load
from glassnet.errors import DataError


def test_npz_vectors_and_images(tmp_path):
    X = np.arange(24, dtype=np.uint8).reshape(4, 6)
    np.savez(tmp_path / "d.npz", X=X, y=np.array([0, 1, 0, 1]))
    data = load(tmp_path / "d.npz")
    np.testing.assert_array_equal(data.X, X)
    assert data.X.dtype == np.uint8 and data.image_shape is None  # kept as stored
    assert data.value_range == 255.0 and data.classes == ["0", "1"]
    np.savez(tmp_path / "i.npz", X=np.zeros((4, 2, 3, 3)), y=["a", "b", "a", "b"])
    images = load(tmp_path / "i.npz")
    assert images.image_shape == (2, 3, 3) and images.channels == "RGB"
    assert images.X.shape == (4, 18) and images.classes == ["a", "b"]


def test_npz_with_object_arrays_is_refused_without_unpickling(tmp_path):
    y = np.array([{"evil": 1}, 2], dtype=object)
    np.savez(tmp_path / "bad.npz", X=np.zeros((2, 3)), y=y)
    with pytest.raises(DataError, match=r"bad\.npz: array 'y' holds Python objects "
                                        r"\(dtype=object\), refused\. glassnet never unpickles"):
        load(tmp_path / "bad.npz")


def test_npz_missing_keys(tmp_path):
    np.savez(tmp_path / "d.npz", data=np.zeros((2, 3)))
    with pytest.raises(DataError, match=r"expected arrays named 'X' and 'y'; found 'data'"):
        load(tmp_path / "d.npz")


def test_float_labels_with_fractions_are_refused(tmp_path):
    np.savez(tmp_path / "d.npz", X=np.zeros((3, 2)), y=np.array([0.0, 1.0, 2.5]))
    with pytest.raises(DataError, match=r"labels must be whole numbers .*y\[2\] = .*2\.5"):
        load(tmp_path / "d.npz")
    np.savez(tmp_path / "w.npz", X=np.zeros((3, 2)), y=np.array([0.0, 1.0, 2.0]))
    assert load(tmp_path / "w.npz").y.dtype == np.int64


def test_nan_features_and_one_class(tmp_path):
    np.savez(tmp_path / "n.npz", X=np.array([[0.0, np.nan], [1, 2]]), y=[0, 1])
    with pytest.raises(DataError, match=r"row 0 holds NaN or infinite values"):
        load(tmp_path / "n.npz")
    np.savez(tmp_path / "o.npz", X=np.zeros((2, 2)), y=[3, 3])
    with pytest.raises(DataError, match=r"found only class '3'; a classifier needs at least"):
        load(tmp_path / "o.npz")


@pytest.mark.parametrize("x_name, y_name", [("X.npy", "y.npy"), ("digits_X.npy", "digits_y.npy")])
def test_npy_pairs(tmp_path, x_name, y_name):
    np.save(tmp_path / x_name, np.ones((3, 8, 8), dtype=np.float64))
    np.save(tmp_path / y_name, np.array([1, 2, 1]))
    data = load(tmp_path / x_name)
    assert data.X.shape == (3, 64) and data.image_shape == (8, 8) and data.channels == "L"


def test_npy_without_its_labels_file(tmp_path):
    np.save(tmp_path / "X.npy", np.ones((3, 2)))
    with pytest.raises(DataError, match=r"X\.npy: no labels file y\.npy beside it"):
        load(tmp_path / "X.npy")


def test_npy_object_array_is_refused(tmp_path):
    np.save(tmp_path / "X.npy", np.array([None, 1], dtype=object), allow_pickle=True)
    np.save(tmp_path / "y.npy", np.array([0, 1]))
    with pytest.raises(DataError, match=r"X\.npy: holds Python objects"):
        load(tmp_path / "X.npy")


def test_csv_with_header_and_label_by_name(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("label,f1,f2\ncat,1,2\ndog,3,4.5\ncat,5,6\n")
    data = load(path)  # "label" is found by name
    np.testing.assert_array_equal(data.X, [[1, 2], [3, 4.5], [5, 6]])
    assert list(data.y) == ["cat", "dog", "cat"] and data.notices == []
    assert data.image_shape is None and data.channels is None
    path.write_text("f1,species,f2\n1,cat,2\n3,dog,4\n")
    by_name = load(path, label_column="species")
    assert list(by_name.y) == ["cat", "dog"]
    np.testing.assert_array_equal(by_name.X, [[1, 2], [3, 4]])
    with pytest.raises(DataError, match=r"line 2, column 1 \('species'\): 'cat' is not a num"):
        load(path, label_column="f2")


def test_csv_without_header_and_label_by_index(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("1,2,0\n3,4,1\n5,6,0\n")
    data = load(path)
    assert data.y.tolist() == [0, 1, 0] and data.y.dtype == np.int64
    assert "using the last column ('2') as the label" in data.notices[0]
    first = load(path, label_column=0)
    assert first.y.tolist() == [1, 3, 5]
    np.testing.assert_array_equal(first.X, [[2, 0], [4, 1], [6, 0]])
    assert load(path, label_column="-3").y.tolist() == [1, 3, 5]


def test_csv_non_numeric_feature_names_row_and_column(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("a,b,label\n1,2,x\n3,oops,y\n")
    with pytest.raises(DataError, match=r"d\.csv: line 3, column 1 \('b'\): 'oops' is not a "
                                        r"number"):
        load(path)


def test_csv_ragged_rows_fractional_labels_and_bad_columns(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("1,2,0\n3,1\n")
    with pytest.raises(DataError, match=r"line 2 has 2 cells, expected 3"):
        load(path)
    path.write_text("1,2,0\n3,4,1.5\n")
    with pytest.raises(DataError, match=r"labels must be whole numbers"):
        load(path)
    path.write_text("a,b\n1,0\n2,1\n")
    with pytest.raises(DataError, match=r"no column named 'c'.*Columns: 'a', 'b'"):
        load(path, label_column="c")
    with pytest.raises(DataError, match=r"label_column=5 is out of range for 2 columns"):
        load(path, label_column=5)


def test_semicolon_csv(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("x;y;target\n1;2;a\n3;4;b\n")
    data = load(path)
    assert data.classes == ["a", "b"] and data.X.shape == (2, 2)


def test_numeric_column_names_with_a_label_header(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("0,1,label\n5,6,cat\n7,8,dog\n")
    data = load(path)
    assert data.classes == ["cat", "dog"] and data.X.tolist() == [[5, 6], [7, 8]]


def test_array_rows_name_their_row_index(tmp_path):
    np.savez(tmp_path / "rows.npz", X=np.arange(12.0).reshape(4, 3), y=[0, 1, 0, 1])
    (tmp_path / "rows.csv").write_text("a,b,label\n1,2,0\n3,4,1\n5,6,1\n")
    assert load(tmp_path / "rows.npz").sources == [f"rows.npz[{i}]" for i in range(4)]
    csv_set = load(tmp_path / "rows.csv")
    assert csv_set.sources == ["rows.csv[0]", "rows.csv[1]", "rows.csv[2]"]
    assert csv_set.subset([2]).sources == ["rows.csv[2]"]
