"""Small pictures of single inputs, each named by the file it came from.

The report's mistakes gallery and "likely mislabeled" list, and the notebook views'
thumbnails, use these. A thumbnail is the raw row drawn back as its image (gray or RGB,
scaled by the raw maximum) and encoded as an inline PNG by Pillow — no matplotlib, no files:
the pixels are shown as they are, enlarged without smoothing.
"""

from __future__ import annotations

import base64
import io
from html import escape

import numpy as np

THUMB_PX = 64  # shown size of the longer side, in CSS pixels
GALLERY_CSS = """
.gallery { display: grid; grid-template-columns: repeat(auto-fill, minmax(9rem, 1fr));
  gap: .8rem; margin: .6rem 0 1rem; }
.gallery figure { margin: 0; padding: .4rem; border: 1px solid #d0d7de; border-radius: 6px;
  min-width: 0; }
.gallery img { display: block; image-rendering: pixelated; margin: 0 auto .3rem; }
.gallery figcaption { font-size: .85rem; margin: 0; overflow-wrap: anywhere; }
.gallery code, table.sources code { overflow-wrap: anywhere; }
"""


def display_top(network, X) -> float:
    """The raw value drawn white: the preprocessor's raw maximum, else the data's largest."""
    pre = network.preprocessor
    value = getattr(pre, "value_range", None) or getattr(pre, "divisor_", None)
    return float(value) if value else float(np.max(np.abs(X))) or 1.0


def thumbnail_uri(row, image_shape, top: float) -> str:
    """One raw row as a PNG data URI: reshaped to ``image_shape``, 0..``top`` → 0..255."""
    from PIL import Image

    image = np.asarray(row, dtype=np.float64).reshape(image_shape)
    scaled = np.clip(np.rint(image / (top or 1.0) * 255), 0, 255).astype(np.uint8)
    mode = "RGB" if scaled.ndim == 3 and scaled.shape[2] == 3 else "L"
    picture = Image.fromarray(scaled if mode == "RGB" else scaled.reshape(scaled.shape[:2]), mode)
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def thumbnail_img(row, image_shape, top: float, alt: str) -> str:
    """An ``<img>`` of one row, its longer side ``THUMB_PX`` CSS pixels."""
    h, w = image_shape[:2]
    scale = THUMB_PX / max(h, w)
    return (f'<img src="{thumbnail_uri(row, image_shape, top)}" width="{round(w * scale)}" '
            f'height="{round(h * scale)}" alt="{escape(alt)}">')


def mistake_caption(m: dict) -> str:
    """``path`` then "true → predicted, p = 0.97": what the gallery writes under a picture."""
    return (f"<code>{escape(str(m['source']))}</code><br>{escape(str(m['true']))} → "
            f"{escape(str(m['predicted']))}, p = {m['probability']:.2f}")


def mistakes_gallery(mistakes: list[dict], X, image_shape, top: float, limit: int = 24) -> str:
    """The first ``limit`` mistakes (most confident first) as named thumbnails."""
    figures = [f"<figure>{thumbnail_img(X[m['row']], image_shape, top, str(m['source']))}"
               f"<figcaption>{mistake_caption(m)}</figcaption></figure>" for m in mistakes[:limit]]
    return f'<div class="gallery">{"".join(figures)}</div>'


def sources_table(mistakes: list[dict]) -> str:
    """Mistakes as a table of file, label, prediction and p (for lists without pictures)."""
    rows = "".join(f"<tr><td><code>{escape(str(m['source']))}</code></td>"
                   f"<td>{escape(str(m['true']))}</td><td>{escape(str(m['predicted']))}</td>"
                   f"<td>{m['probability']:.3f}</td></tr>" for m in mistakes)
    return ('<div class="table-wrap"><table class="sources"><thead><tr><th>file</th>'
            "<th>labelled</th><th>the model says</th><th>p</th></tr></thead>"
            f"<tbody>{rows}</tbody></table></div>")
