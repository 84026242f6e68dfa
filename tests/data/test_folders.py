"""Image folders (one subfolder per class): layout, order, bad input, skip_bad, the pool."""

import numpy as np
import pytest
from PIL import Image

import glassnet.data.decode as decode
from glassnet.data import load
from glassnet.errors import ConfigError, DataError


def write_png(path, value=0, size=(4, 3), mode="L"):
    """A tiny image whose pixels all hold ``value``; size is (h, w)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new(mode, size[::-1], value).save(path)


def make_folder(root, counts, size=(4, 3)):
    """root/<class>/<i>.png with pixel value 10·class_index + i."""
    for c, (name, n) in enumerate(counts.items()):
        for i in range(n):
            write_png(root / name / f"{i:03d}.png", 10 * c + i, size)
    return root


def test_rows_follow_sorted_classes_and_files(tmp_path):
    root = make_folder(tmp_path / "data", {"dogs": 2, "cats": 3})
    data = load(root)
    assert data.classes == ["cats", "dogs"]
    assert data.sources == ["cats/000.png", "cats/001.png", "cats/002.png",
                            "dogs/000.png", "dogs/001.png"]
    assert list(data.y) == ["cats"] * 3 + ["dogs"] * 2
    assert data.X.dtype == np.uint8 and data.X.shape == (5, 12)  # pixels as decoded
    assert data.image_shape == (4, 3) and data.channels == "L" and data.value_range == 255.0
    np.testing.assert_array_equal(data.X[:, 0], [10, 11, 12, 0, 1])  # "dogs" was written 1st
    assert data.notices == [] and data.skipped == []


def test_rgb_rows_are_flattened_channel_last(tmp_path):
    write_png(tmp_path / "a" / "1.png", (1, 2, 3), (2, 2), "RGB")
    write_png(tmp_path / "b" / "1.png", (4, 5, 6), (2, 2), "RGB")
    data = load(tmp_path)
    assert data.image_shape == (2, 2, 3) and data.channels == "RGB"
    np.testing.assert_array_equal(data.X[0], [1, 2, 3] * 4)


def test_one_colour_image_makes_the_set_rgb(tmp_path):
    write_png(tmp_path / "a" / "1.png", 50)
    write_png(tmp_path / "b" / "1.png", (200, 0, 0), mode="RGB")
    data = load(tmp_path)
    assert data.channels == "RGB"
    np.testing.assert_array_equal(data.X[0, :3], [50, 50, 50])
    gray = load(tmp_path, grayscale=True)
    assert gray.channels == "L" and gray.X.shape == (2, 12)


def test_mixed_folders_follow_the_majority_with_a_notice(tmp_path):
    make_folder(tmp_path, {"a": 3, "b": 3})
    write_png(tmp_path / "b" / "009.png", (200, 10, 10), mode="RGB")
    write_png(tmp_path / "b" / "010.png", (40, 40, 40), mode="RGB")  # colour file, gray picture
    data = load(tmp_path)
    assert data.channels == "L" and data.X.shape == (8, 12) and data.value_range == 255.0
    assert data.notices == ["Converted 1 colour image to grayscale to match the other 7; pass "
                            "color=True (--color) to keep colour."]
    gray_of_red = Image.new("RGB", (1, 1), (200, 10, 10)).convert("L").getpixel((0, 0))
    assert data.X[data.sources.index("b/009.png"), 0] == gray_of_red  # Pillow's luma, as predict
    np.testing.assert_array_equal(data.X, load(tmp_path, grayscale=True).X)
    resized = load(tmp_path, size=(2, 2))  # resized sets are decoded again as gray
    np.testing.assert_array_equal(resized.X, load(tmp_path, size=(2, 2), grayscale=True).X)
    kept = load(tmp_path, color=True)
    assert kept.channels == "RGB" and kept.notices == []


def test_luma_is_pillows_to_the_last_bit(rng):
    from glassnet.data.folders import luma

    pixels = rng.integers(0, 256, (500, 3), dtype=np.uint8)
    pillow = np.asarray(Image.fromarray(pixels.reshape(20, 25, 3), "RGB").convert("L")).reshape(-1)
    np.testing.assert_array_equal(luma(pixels.astype(np.float32)[None])[0], pillow)


def test_mostly_colour_folders_stay_colour_and_say_which_were_gray(tmp_path):
    for name in ("a", "b"):
        for i in range(3):
            write_png(tmp_path / name / f"{i}.png", (10 * i, 0, 99), mode="RGB")
    write_png(tmp_path / "a" / "gray.png", 7)
    data = load(tmp_path)
    assert data.channels == "RGB"
    assert data.notices == ["Converted 1 grayscale image to colour to match the other 6; pass "
                            "grayscale=True (--grayscale) to make every image gray."]
    assert load(tmp_path, grayscale=True).channels == "L"


def test_non_image_files_are_ignored_and_counted(tmp_path):
    root = make_folder(tmp_path, {"a": 1, "b": 1})
    (root / "a" / ".DS_Store").write_bytes(b"\0\0\0\1Bud1")
    (root / "b" / "Thumbs.db").write_bytes(b"\xd0\xcf\x11\xe0")
    (root / "README.txt").write_text("my data")
    data = load(root)
    assert len(data) == 2
    assert data.notices == ["Ignored 3 non-image entries: README.txt, a/.DS_Store, b/Thumbs.db."]


def test_empty_class_folder_is_left_out_with_a_notice(tmp_path):
    root = make_folder(tmp_path, {"a": 1, "b": 1})
    (root / "c").mkdir()
    data = load(root)
    assert data.classes == ["a", "b"]
    assert "Class folder 'c' holds no images; the class is left out." in data.notices


def test_one_class_is_an_error(tmp_path):
    root = make_folder(tmp_path, {"only": 3})
    with pytest.raises(DataError, match=r"only one class \('only'\); a classifier needs at "
                                        r"least two classes"):
        load(root)


def test_images_without_class_folders(tmp_path):
    write_png(tmp_path / "1.png")
    with pytest.raises(DataError, match=r"has 1 images but no class subfolders.*DATA/<class"):
        load(tmp_path)


def test_nested_folders_explain_the_layout(tmp_path):
    make_folder(tmp_path / "train", {"a": 1, "b": 1})
    with pytest.raises(DataError, match=r"'train/a' is a folder inside the class folder "
                                        r"'train'.*Expected DATA/<class name>/<image file>.*"
                                        r"pass .*train instead"):
        load(tmp_path)
    write_png(tmp_path / "other" / "x" / "1.png")
    write_png(tmp_path / "other" / "x" / "deeper" / "2.png")
    with pytest.raises(DataError, match=r"'x/deeper' is a folder inside.*Move the images"):
        load(tmp_path / "other")


def test_mixed_sizes_name_the_odd_file_and_suggest_size(tmp_path):
    root = make_folder(tmp_path, {"a": 3, "b": 3}, size=(4, 3))
    write_png(root / "b" / "001.png", 0, size=(5, 6))
    with pytest.raises(DataError, match=r"b/001\.png is 5×6 \(h×w\) but 5 of 6 images are "
                                        r"4×3.*size=\(4, 3\) \(--size 4x3\)"):
        load(root)
    data = load(root, size=(4, 3))
    assert data.X.shape == (6, 12) and data.size == (4, 3)


def test_first_file_being_the_odd_one_is_still_named(tmp_path):
    root = make_folder(tmp_path, {"a": 3, "b": 3})
    write_png(root / "a" / "000.png", 0, size=(2, 2))
    with pytest.raises(DataError, match=r"a/000\.png is 2×2"):
        load(root)


def corrupt(path):
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def test_corrupt_image_names_the_file(tmp_path):
    root = make_folder(tmp_path, {"a": 2, "b": 2}, size=(30, 30))
    corrupt(root / "b" / "001.png")
    with pytest.raises(DataError, match=r"Cannot read image .*b/001\.png.*--skip-bad"):
        load(root)


def test_skip_bad_reports_how_many_and_which(tmp_path):
    root = make_folder(tmp_path, {"a": 3, "b": 3}, size=(30, 30))
    corrupt(root / "a" / "000.png")
    (root / "b" / "002.png").write_text("not a png")
    data = load(root, skip_bad=True)
    assert len(data) == 4
    assert data.sources == ["a/001.png", "a/002.png", "b/000.png", "b/001.png"]
    np.testing.assert_array_equal(data.X[:, 0], [1, 2, 10, 11])
    assert [p for p, _ in data.skipped] == [str(root / "a" / "000.png"),
                                            str(root / "b" / "002.png")]
    assert any(n.startswith("Skipped 2 unreadable images: a/000.png (") for n in data.notices)


@pytest.mark.slow
def test_process_pool_gives_the_same_rows(tmp_path, monkeypatch):
    root = make_folder(tmp_path, {"a": 40, "b": 30})
    corrupt(root / "b" / "005.png")
    serial = load(root, workers=1, skip_bad=True)
    monkeypatch.setattr(decode, "POOL_MIN_FILES", 10)
    monkeypatch.setattr(decode, "CHUNK", 8)
    pooled = load(root, workers=2, skip_bad=True)
    np.testing.assert_array_equal(pooled.X, serial.X)
    assert pooled.sources == serial.sources and pooled.skipped == serial.skipped
    with pytest.raises(DataError, match=r"Cannot read image .*b/005\.png"):
        load(root, workers=2)
    write_png(root / "b" / "005.png", (9, 9, 9), mode="RGB")   # colour → the set widens
    assert load(root, workers=2, color=True).channels == "RGB"
    assert load(root, workers=2).channels == "L"   # … unless most images are gray
    write_png(root / "b" / "005.png", 0, size=(2, 2))
    with pytest.raises(DataError, match=r"b/005\.png is 2×2 \(h×w\) but 69 of 70 images"):
        load(root, workers=2)


def test_workers_must_be_positive(tmp_path):
    root = make_folder(tmp_path, {"a": 1, "b": 1})
    with pytest.raises(ConfigError, match=r"workers must be a positive integer"):
        load(root, workers=0)


def test_16_bit_folder_keeps_its_range_for_scaling(tmp_path):
    from glassnet.data import Preprocessor, prepare_image

    for name, value in (("a", 1000), ("b", 65535)):
        (tmp_path / name).mkdir()
        Image.fromarray(np.full((2, 2), value, dtype=np.uint16)).save(tmp_path / name / "1.png")
    data = load(tmp_path)
    assert data.value_range == 65535.0 and data.X.max() == 65535.0
    pre = Preprocessor.for_dataset(data).fit(data.X)
    assert pre.describe() == "x / 65535"
    np.testing.assert_allclose(prepare_image(tmp_path / "a" / "1.png", pre), 1000 / 65535)
