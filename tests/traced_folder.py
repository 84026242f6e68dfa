"""A user's image folder with the usual troubles, built from the bundled 8×8 digits.

* ``PER_CLASS`` gray PNGs per class (digits 0..9), the 0..16 values scaled to 0..255;
* ``N_COLOUR`` colour JPEGs among them (the same kind of digit, tinted orange);
* ``MISLABELED``: clear digits saved in the wrong class folder, named so a test can find them;
* ``notes.txt`` at the top: a non-image entry every command reports.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image
from sklearn.datasets import load_digits

PER_CLASS = 40
N_COLOUR = 6
# file (relative to DATA) → the digit it really shows; its folder says otherwise
MISLABELED = {"8/mislabeled-a-0.png": 0, "7/mislabeled-b-1.png": 1, "3/mislabeled-c-6.png": 6}


def digit_pixels(image) -> np.ndarray:
    return np.clip(np.round(np.asarray(image) * 255 / 16), 0, 255).astype(np.uint8)


def make_traced_folder(root: Path) -> Path:
    """Write the folder under ``root`` and return its path (DATA)."""
    images, labels = load_digits(return_X_y=True)
    images = images.reshape(-1, 8, 8)
    data = Path(root) / "digits"
    for digit in range(10):
        (data / str(digit)).mkdir(parents=True)
    rows = {d: np.flatnonzero(labels == d) for d in range(10)}
    colour_left = N_COLOUR
    for digit in range(10):
        for k, row in enumerate(rows[digit][:PER_CLASS]):
            pixels = digit_pixels(images[row])
            if k == PER_CLASS - 1 and colour_left:  # the last of a class: a colour JPEG
                tinted = np.stack([pixels, pixels // 2, pixels // 8], axis=-1)
                Image.fromarray(tinted, "RGB").save(data / str(digit) / f"photo-{k}.jpg", quality=95)
                colour_left -= 1
            else:
                Image.fromarray(pixels, "L").save(data / str(digit) / f"{k:03d}.png")
    for name, digit in MISLABELED.items():
        Image.fromarray(digit_pixels(images[rows[digit][PER_CLASS]]), "L").save(data / name)
    (data / "notes.txt").write_text("where these images came from\n")
    return data
