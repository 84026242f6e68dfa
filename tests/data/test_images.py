"""Decoding one image: modes, EXIF orientation, GIF frames, 16-bit, resizing, bombs."""

import numpy as np
import pytest
from PIL import Image

from glassnet.data import load_image, load_images
from glassnet.errors import DataError


@pytest.fixture
def rng():
    return np.random.default_rng(0)


def test_l_mode_keeps_raw_values(tmp_path, rng):
    values = rng.integers(0, 256, (5, 7), dtype=np.uint8)
    Image.fromarray(values).save(tmp_path / "a.png")
    x = load_image(tmp_path / "a.png")
    assert x.dtype == np.float32 and x.shape == (5, 7)
    np.testing.assert_array_equal(x, values)


def test_rgb_is_channel_last_and_grayscale_converts(tmp_path, rng):
    values = rng.integers(0, 256, (4, 6, 3), dtype=np.uint8)
    Image.fromarray(values).save(tmp_path / "a.png")
    np.testing.assert_array_equal(load_image(tmp_path / "a.png"), values)
    gray = load_image(tmp_path / "a.png", grayscale=True)
    expected = np.asarray(Image.fromarray(values).convert("L"))
    np.testing.assert_array_equal(gray, expected)


def test_rgba_is_composited_on_white(tmp_path):
    rgba = np.zeros((2, 2, 4), dtype=np.uint8)
    rgba[0, 0] = (255, 0, 0, 255)   # opaque red stays red
    rgba[0, 1] = (0, 0, 0, 0)       # fully transparent → white
    rgba[1, 0] = (0, 0, 0, 128)     # half-transparent black → mid gray
    Image.fromarray(rgba).save(tmp_path / "a.png")
    x = load_image(tmp_path / "a.png")
    assert x.shape == (2, 2, 3)
    assert tuple(x[0, 0]) == (255, 0, 0)
    assert tuple(x[0, 1]) == (255, 255, 255)
    assert 126 <= x[1, 0, 0] <= 128


def test_la_is_composited_on_white_and_stays_gray(tmp_path):
    la = np.array([[[0, 0], [0, 255]]], dtype=np.uint8)  # transparent black, opaque black
    Image.fromarray(la, "LA").save(tmp_path / "a.png")
    x = load_image(tmp_path / "a.png")
    assert x.shape == (1, 2)
    np.testing.assert_array_equal(x, [[255, 0]])


def test_palette_is_expanded(tmp_path):
    im = Image.new("P", (3, 1))
    im.putpalette([255, 0, 0, 0, 255, 0, 0, 0, 255] + [0] * (253 * 3))
    im.putdata([0, 1, 2])
    im.save(tmp_path / "a.png")
    x = load_image(tmp_path / "a.png")
    np.testing.assert_array_equal(x[0], [[255, 0, 0], [0, 255, 0], [0, 0, 255]])


def test_gray_palette_gives_one_channel(tmp_path):
    im = Image.new("P", (2, 1))
    im.putpalette([v for g in range(256) for v in (g, g, g)])
    im.putdata([10, 200])
    im.save(tmp_path / "a.png")
    np.testing.assert_array_equal(load_image(tmp_path / "a.png"), [[10, 200]])


def test_gif_reads_the_first_frame(tmp_path):
    frames = [Image.new("L", (4, 4), v) for v in (30, 200)]
    frames[0].save(tmp_path / "a.gif", save_all=True, append_images=frames[1:])
    with Image.open(tmp_path / "a.gif") as im:
        assert im.n_frames == 2
    x = load_image(tmp_path / "a.gif")
    assert x.shape == (4, 4) and np.all(x == 30)


def test_16_bit_keeps_its_range_and_scales_to_8_bit_in_colour(tmp_path):
    values = np.array([[0, 257, 65535]], dtype=np.uint16)
    Image.fromarray(values).save(tmp_path / "a.png")
    with Image.open(tmp_path / "a.png") as im:
        assert im.mode in ("I;16", "I")
    np.testing.assert_array_equal(load_image(tmp_path / "a.png"), values)
    Image.fromarray(np.zeros((1, 3, 3), dtype=np.uint8)).save(tmp_path / "b.png")
    both = load_images([tmp_path / "a.png", tmp_path / "b.png"])
    assert both.shape == (2, 1, 3, 3)  # one colour image makes the batch RGB, 8-bit
    np.testing.assert_array_equal(both[0, 0, :, 0], [0, 1, 255])


def test_16_bit_and_8_bit_gray_share_the_16_bit_range(tmp_path):
    Image.fromarray(np.array([[100]], dtype=np.uint8)).save(tmp_path / "a.png")
    Image.fromarray(np.array([[1000]], dtype=np.uint16)).save(tmp_path / "b.png")
    both = load_images([tmp_path / "a.png", tmp_path / "b.png"])
    np.testing.assert_array_equal(both.ravel(), [100 * 257, 1000])


def test_exif_orientation_is_applied(tmp_path):
    stored = np.zeros((10, 20, 3), dtype=np.uint8)  # stored sideways: 10 high, 20 wide
    stored[:, :10] = 255                            # left half white
    im = Image.fromarray(stored)
    exif = im.getexif()
    exif[0x0112] = 6  # "rotate 90° clockwise to view"
    im.save(tmp_path / "a.jpg", exif=exif, quality=95)
    x = load_image(tmp_path / "a.jpg")
    assert x.shape == (20, 10, 3)                   # shown upright: 20 high, 10 wide
    assert x[:10].mean() > 200 and x[10:].mean() < 50  # the white half is now on top


def test_resize_uses_the_documented_filter(tmp_path, rng):
    values = rng.integers(0, 256, (16, 12), dtype=np.uint8)
    Image.fromarray(values).save(tmp_path / "a.png")
    x = load_image(tmp_path / "a.png", size=(8, 6))
    expected = Image.fromarray(values).resize((6, 8), Image.Resampling.BILINEAR)
    np.testing.assert_array_equal(x, np.asarray(expected))


@pytest.mark.parametrize("fmt", ["BMP", "WEBP", "TIFF", "JPEG"])
def test_other_formats(tmp_path, fmt):
    Image.new("RGB", (5, 4), (10, 20, 30)).save(tmp_path / f"a.{fmt.lower()}", format=fmt,
                                                 **({"lossless": True} if fmt == "WEBP" else {}))
    x = load_image(tmp_path / f"a.{fmt.lower()}")
    assert x.shape == (4, 5, 3)
    assert np.abs(x - [10, 20, 30]).max() <= 3


def test_truncated_image_names_the_file(tmp_path):
    Image.new("L", (50, 50), 7).save(tmp_path / "cut.png")
    data = (tmp_path / "cut.png").read_bytes()
    (tmp_path / "cut.png").write_bytes(data[: len(data) // 2])
    with pytest.raises(DataError, match=r"Cannot read image .*cut\.png.*--skip-bad"):
        load_image(tmp_path / "cut.png")


def test_decompression_bomb_is_refused(tmp_path, monkeypatch):
    Image.new("L", (40, 40)).save(tmp_path / "big.png")    # 1,600 pixels
    Image.new("L", (60, 60)).save(tmp_path / "huge.png")   # 3,600 > 2 × limit
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)
    for name in ("big.png", "huge.png"):
        with pytest.raises(DataError, match=rf"{name}: refused as a possible decompression bomb.*= 1,000"):
            load_image(tmp_path / name)


def test_bad_size_argument(tmp_path):
    Image.new("L", (4, 4)).save(tmp_path / "a.png")
    with pytest.raises(DataError, match=r"size must be two positive integers"):
        load_image(tmp_path / "a.png", size=(0, 4))
    assert load_image(tmp_path / "a.png", size="2x3").shape == (2, 3)
