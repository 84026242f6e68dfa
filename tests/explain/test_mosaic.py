"""glassnet.explain.mosaic: tiles composed into one image, coloured as imshow would colour them."""

from __future__ import annotations

import matplotlib
import numpy as np
from matplotlib.colors import Normalize

from glassnet.explain import mosaic


def test_colour_tiles_are_gray_at_zero_on_their_own_scale():
    tile = np.zeros((2, 3, 3))
    tile[0, 0] = (2.0, -2.0, 1.0)  # s = max|w| = 2
    rgba = mosaic.signed_rgba(tile)
    assert rgba.shape == (2, 3, 4) and np.all(rgba[:, :, 3] == 1.0)
    np.testing.assert_allclose(rgba[0, 0, :3], (1.0, 0.0, 0.75))
    np.testing.assert_allclose(rgba[1, 2, :3], (0.5, 0.5, 0.5))


def test_input_images_are_gray_from_zero_to_top():
    image = np.array([[0.0, 8.0], [16.0, 20.0]])
    expected = matplotlib.colormaps["gray"](Normalize(0, 16)(image))
    np.testing.assert_array_equal(mosaic.image_rgba(image, 16.0), expected)
    np.testing.assert_allclose(mosaic.image_rgba(np.full((1, 1, 3), 32.0), 16.0)[0, 0], 1.0)


def test_one_axes_one_image_and_a_label_above_each_tile():
    tiles = [mosaic.signed_rgba(np.arange(12.0).reshape(3, 4) - 5) for _ in range(10)]
    fig = mosaic.mosaic(tiles, [f"t{j}" for j in range(10)], {"fontsize": 8})
    (ax,) = fig.axes
    assert len(ax.images) == 1 and [t.get_text() for t in ax.texts] == [f"t{j}" for j in range(10)]
    assert tuple(fig.get_size_inches()) == (8 * 1.15, 2 * (1.15 + 0.3) + 0.4)  # as 1 axes per tile
    canvas = np.asarray(ax.images[0].get_array())
    tile_pixels = np.any(canvas[:, :, :3] != 1.0, axis=2)
    k = 8  # a 3×4 tile is enlarged 8× (its longest side to at least 32 pixels)
    assert tile_pixels.sum() == 10 * 3 * 4 * k * k
