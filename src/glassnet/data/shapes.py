"""Back from vectors to images: undo the input layer's unrolling.

A row x of ``X`` is an image unrolled in C order (channel last), so ``x.reshape(shape)``
is the image again. The same holds for a first-layer weight vector: unit j of the first
``Dense`` layer computes z_j = w_jᵀx + b_j, and w_j (column j of W, shape (n_in,)) has one
weight per pixel — reshaped, it shows which pixels push z_j up (positive) or down.
"""

from __future__ import annotations

import numpy as np

from glassnet.errors import DataError


def to_image(vector, shape) -> np.ndarray:
    """A flat vector (d,) or (1, d) → an image of ``shape`` (h, w) or (h, w, c)."""
    vector = np.asarray(vector)
    shape = tuple(int(v) for v in shape)
    if vector.ndim == 2 and vector.shape[0] == 1:
        vector = vector[0]
    if vector.ndim != 1 or vector.size != int(np.prod(shape)):
        raise DataError(f"to_image: expected a vector of {int(np.prod(shape)):,} values for an "
                        f"image of shape {shape}; got shape {vector.shape}.")
    return vector.reshape(shape)


def weights_as_images(W, shape) -> np.ndarray:
    """First-layer weights W (n_in, n_units) → (n_units, *shape): unit j's w_j as an image."""
    W = np.asarray(W)
    shape = tuple(int(v) for v in shape)
    if W.ndim != 2 or W.shape[0] != int(np.prod(shape)):
        raise DataError(f"weights_as_images: expected W of shape ({int(np.prod(shape)):,}, "
                        f"n_units) for images of shape {shape}; got {W.shape}. Pass the first "
                        f"Dense layer's W.")
    return np.ascontiguousarray(W.T).reshape(W.shape[1], *shape)
