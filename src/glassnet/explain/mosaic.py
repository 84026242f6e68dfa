"""Many small images as one picture: the tiles composed into one RGBA canvas with NumPy, drawn
by one Axes with one ``imshow``, each tile's label an ``ax.text`` above it.

One Axes per tile cost about 35 ms each (ticks, spines, a title), 2.4 s for 64 tiles; one Axes
and one image cost the same for any number of tiles. The colours are applied here, as
``imshow`` would: a colormap through a ``Normalize``, so each pixel is what one imshow per tile
showed.

    signed_rgba(tile)             a weight image: RdBu_r around 0 (RGB: 0.5 gray is 0)
    image_rgba(image, top)        an input image: gray from 0 to top (RGB: divided by top)
    mosaic(tiles, labels, ...)    the Figure: tiles on a grid of at most 8 columns
"""

from __future__ import annotations

import math

import numpy as np
from matplotlib import colormaps, rcParams
from matplotlib.colors import Normalize
from matplotlib.figure import Figure

MIN_TILE_PIXELS = 32  # small tiles are enlarged (each pixel repeated) so the gaps are whole pixels
MARGIN_IN = 0.06  # white around each tile, in inches
LABEL_PAD_IN = 0.048  # from a tile's top to its label's baseline


def colormapped(values, cmap=None, vmin=None, vmax=None) -> np.ndarray:
    """RGBA (…, 4) floats of ``values`` through ``cmap`` (default: rcParams["image.cmap"]) and
    ``Normalize(vmin, vmax)`` (limits left None: the values' min and max, as imshow takes them)."""
    norm = Normalize(vmin, vmax)
    return colormaps[cmap or rcParams["image.cmap"]](norm(np.asarray(values, dtype=np.float64)))


def opaque(rgb) -> np.ndarray:
    """RGB (h, w, 3) in [0, 1] → RGBA with alpha 1."""
    rgb = np.asarray(rgb, dtype=np.float64)
    return np.concatenate([rgb, np.ones(rgb.shape[:2] + (1,))], axis=2)


def signed_rgba(tile) -> np.ndarray:
    """A weight image with its own scale s = max|w|: RdBu_r from -s to +s; 3 channels:
    clip(0.5 + w / 2s, 0, 1); other channel counts: the first channel, default colormap."""
    tile = np.asarray(tile, dtype=np.float64)
    scale = float(np.abs(tile).max()) or 1.0
    if tile.ndim == 3:
        if tile.shape[2] == 3:
            return opaque(np.clip(0.5 + tile / (2 * scale), 0, 1))
        return colormapped(tile[:, :, 0])
    return colormapped(tile, "RdBu_r", -scale, scale)


def image_rgba(image, top: float) -> np.ndarray:
    """An input image: RGB divided by ``top`` (clipped to [0, 1]); otherwise gray from 0 to top."""
    image = np.asarray(image, dtype=np.float64)
    if image.ndim == 3 and image.shape[2] == 3:
        return opaque(np.clip(image / top, 0, 1))
    return colormapped(image.reshape(image.shape[:2]), "gray", 0, top)


def grid(n, max_cols=8):
    """(rows, columns) for n tiles."""
    cols = min(max_cols, max(1, n))
    return math.ceil(n / cols), cols


def mosaic(tiles, labels, label_style, tile_in=1.15, title_in=0.3, top_in=0.4) -> Figure:
    """One Figure, one Axes, one image: the RGBA ``tiles`` on a grid, each in a cell of
    ``tile_in`` inches (plus ``title_in`` above for its label, drawn with ``label_style``),
    ``top_in`` left free above for a suptitle. The figure's size is that of one Axes per tile."""
    rows, cols = grid(len(tiles))
    width = max(6.0, cols * tile_in)
    height = rows * (tile_in + title_in) + top_in
    fig = Figure(figsize=(width, height))

    side = max(max(t.shape[0], t.shape[1]) for t in tiles)
    scale = max(1, math.ceil(MIN_TILE_PIXELS / side))
    image_px = scale * side  # the side of the square each tile is fitted in
    per_inch = image_px / (tile_in - 2 * MARGIN_IN)
    margin, label_px = round(MARGIN_IN * per_inch), round(title_in * per_inch)
    cell_w, cell_h = image_px + 2 * margin, label_px + image_px + 2 * margin
    canvas = np.ones((rows * cell_h, cols * cell_w, 4))

    top_of_tiles = []
    for k, tile in enumerate(tiles):
        r, c = divmod(k, cols)
        big = np.repeat(np.repeat(tile, scale, axis=0), scale, axis=1)
        y = r * cell_h + label_px + margin + (image_px - big.shape[0]) // 2
        x = c * cell_w + margin + (image_px - big.shape[1]) // 2
        canvas[y:y + big.shape[0], x:x + big.shape[1]] = big
        top_of_tiles.append((r * cell_h + label_px + margin, c * cell_w + cell_w / 2))

    left = (width - cols * tile_in) / 2
    bottom = height - top_in - rows * (tile_in + title_in)
    ax = fig.add_axes((left / width, bottom / height, cols * tile_in / width,
                       rows * (tile_in + title_in) / height))
    ax.imshow(canvas, interpolation="nearest")
    ax.set_axis_off()
    pad = LABEL_PAD_IN * per_inch
    for (y, x), label in zip(top_of_tiles, labels):
        ax.text(x - 0.5, y - 0.5 - pad, label, ha="center", va="baseline", **label_style)
    return fig
