"""Decode one image file into pixels: the article's "matrix of RGB values".

Every image — a folder at training time, a single file at prediction time — goes through
the same steps, so a model always sees the same numbers for the same file:

1. **open** with Pillow. Its decompression-bomb limit (``Image.MAX_IMAGE_PIXELS``) stays on:
   a file over the limit is refused, never decoded.
2. **orient**: the EXIF orientation tag is applied (a phone photo stored sideways is turned
   upright), so (h, w) is the size a viewer shows.
3. **convert the mode explicitly** to the target channels:
   ``RGBA``/``LA``/``PA`` and palette images with a transparent colour are composited on
   white; palette images (``P``, e.g. GIF — only the first frame is read) are expanded to
   their colours (gray palettes to ``L``); ``RGB`` → ``L`` uses Pillow's ITU-R 601-2 luma;
   16-bit grayscale (``I;16``, ``I``) keeps its 0..65535 values in a 16-bit set and is scaled
   to 0..255 (÷257, rounded) when the set is 8-bit or colour.
4. **resize** to ``size=(h, w)`` if asked: Pillow's bilinear filter (antialiased when
   shrinking), stretching to exactly (h, w) — the aspect ratio is not kept, nothing is cropped
   (the same choice as Keras' ``image_dataset_from_directory``).

The result is a uint8 array (h, w) or (h, w, 3) — channel last — or uint16 (h, w).
"""

from __future__ import annotations

import os
import warnings
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

from glassnet.errors import DataError
from glassnet.limits import open_regular

IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff"})
RESAMPLE = Image.Resampling.BILINEAR
ORIENTATION_TAG = 0x0112
SIXTEEN_BIT_MODES = frozenset({"I", "I;16", "I;16L", "I;16B", "I;16N"})
GRAY_MODES = frozenset({"1", "L", "LA", "La"})
ALPHA_MODES = frozenset({"RGBA", "RGBa", "LA", "La", "PA"})


class BadImage(DataError):
    """An image file that cannot be decoded (corrupt, truncated, unsupported, too large)."""

    def __init__(self, path: str, reason: str):
        super().__init__(path, reason)  # both in args, so the error pickles across processes
        self.path = path
        self.reason = reason

    def __str__(self) -> str:
        return (f"Cannot read image {self.path}: {self.reason}. Fix or delete the file, or pass "
                f"skip_bad=True (--skip-bad) to skip unreadable images.")


class SizeMismatch(Exception):
    """Internal: an image's (h, w) differs from the set's; turned into a DataError by callers."""


class NeedsWiderFormat(Exception):
    """Internal: an image needs colour or 16 bits that the set's format lacks; decode again."""


@dataclass(frozen=True)
class PixelFormat:
    """Channels ("L" or "RGB") and bits per value (8, or 16 for "L" only) of decoded pixels."""

    channels: str = "L"
    depth: int = 8

    @property
    def dtype(self) -> type:
        return np.uint16 if self.depth == 16 else np.uint8

    @property
    def value_range(self) -> float:
        return 65535.0 if self.depth == 16 else 255.0


@dataclass(frozen=True)
class DecodeOptions:
    """How to decode every image of one set.

    ``shape`` is the (h, w) every image must have (after resizing when ``resize``).
    ``widen``: an image needing a wider format raises NeedsWiderFormat (sets); otherwise it
    is converted to ``fmt`` (prediction, where the trained format is fixed).
    """

    fmt: PixelFormat
    shape: tuple[int, int]
    resize: bool = False
    grayscale: bool = False
    widen: bool = True

    @property
    def pixel_shape(self) -> tuple[int, ...]:
        return self.shape + ((3,) if self.fmt.channels == "RGB" else ())


@contextmanager
def opened(path: str | Path):
    """``Image.open`` with Pillow's decompression-bomb limit enforced (its warning is an error
    too); any failure while the block reads the file becomes a BadImage naming it."""
    file = _open_regular(path)
    try:
        with file, warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(file) as im:
                yield im
    except BadImage:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as e:
        raise BadImage(str(path), _bomb_reason(e)) from None
    except FileNotFoundError:
        raise BadImage(str(path), "no such file") from None
    except Exception as e:  # Pillow raises many types for broken files; all mean "bad file"
        raise BadImage(str(path), _short(e).replace(repr(file), repr(str(path)))) from None


def _open_regular(path):
    """The image file, opened only when it is a regular file (a FIFO named x.png would block)."""
    try:
        return open_regular(path, DataError, "image")[0]
    except DataError as e:
        reason = "no such file" if not os.path.lexists(path) else str(e).split("; ", 1)[0]
        raise BadImage(str(path), reason.removeprefix(f"{path} ").rstrip(".")) from None


def open_image(path: str | Path) -> Image.Image:
    """Open, bomb-check, fully decode and orient one image; any failure is a BadImage."""
    with opened(path) as im:
        im.load()
        orientation = im.getexif().get(ORIENTATION_TAG, 1)
        return ImageOps.exif_transpose(im) if orientation != 1 else im


def _bomb_reason(error: Exception) -> str:
    size = _short(error).split(", could be")[0]
    return (f"refused as a possible decompression bomb: {size[:1].lower()}{size[1:]} "
            f"(Pillow's Image.MAX_IMAGE_PIXELS = {Image.MAX_IMAGE_PIXELS:,}, kept on)")


def _short(error: Exception) -> str:
    text = str(error).strip().rstrip(".") or type(error).__name__
    return text.splitlines()[0][:200]


def natural_format(im: Image.Image, path: str | Path = "") -> PixelFormat:
    """The smallest format that holds this image without losing colour or bits."""
    if im.mode in SIXTEEN_BIT_MODES:
        return PixelFormat("L", 16)
    if im.mode in GRAY_MODES:
        return PixelFormat("L", 8)
    if im.mode in ("P", "PA"):
        return PixelFormat("L" if _palette_is_gray(im) else "RGB", 8)
    if im.mode == "F":
        raise BadImage(str(path), "32-bit floating-point images (mode F) are not supported")
    return PixelFormat("RGB", 8)


def _palette_is_gray(im: Image.Image) -> bool:
    rgb = np.asarray(im.getpalette("RGB") or [], dtype=np.uint8).reshape(-1, 3)
    return bool((rgb[:, 0] == rgb[:, 1]).all() and (rgb[:, 1] == rgb[:, 2]).all())


def widen(fmt: PixelFormat, natural: PixelFormat, grayscale: bool) -> PixelFormat:
    """The format that holds both: colour wins unless grayscale is asked; 16 bits only for L."""
    both_gray = fmt.channels == "L" and natural.channels == "L"
    channels = "L" if grayscale or both_gray else "RGB"
    depth = 16 if channels == "L" and 16 in (fmt.depth, natural.depth) else 8
    return PixelFormat(channels, depth)


def read_image(path: str | Path, opts: DecodeOptions) -> np.ndarray:
    """Decode one file to ``opts.pixel_shape`` in ``opts.fmt``'s dtype (steps 1–4 above)."""
    return pixels(open_image(path), opts, path)


def pixels(im: Image.Image, opts: DecodeOptions, path: str | Path = "") -> np.ndarray:
    """Steps 3–4 for an opened image; raises NeedsWiderFormat / SizeMismatch for sets."""
    natural = natural_format(im, path)
    if opts.widen:
        wider = widen(opts.fmt, natural, opts.grayscale)
        if wider != opts.fmt:
            raise NeedsWiderFormat(wider.channels, wider.depth)
    h_w = (im.height, im.width)
    if not opts.resize and h_w != opts.shape:
        raise SizeMismatch(str(path), h_w)
    im = convert_mode(im, opts.fmt, path)
    if h_w != opts.shape:
        im = resize(im, opts.shape)
    return np.asarray(im, dtype=opts.fmt.dtype)


def convert_mode(im: Image.Image, fmt: PixelFormat, path: str | Path = "") -> Image.Image:
    """Step 3: any Pillow mode → ``L``, ``RGB`` or ``I;16`` as ``fmt`` asks."""
    has_alpha = im.mode in ALPHA_MODES or "transparency" in im.info
    if has_alpha and im.mode not in SIXTEEN_BIT_MODES:
        im = _on_white(im)
    if im.mode in SIXTEEN_BIT_MODES:
        values = _as_uint16(im, path)
        if fmt.depth == 16:
            return Image.fromarray(values)
        im = Image.fromarray(((values.astype(np.uint32) + 128) // 257).astype(np.uint8))
    elif fmt.depth == 16:
        values = np.asarray(im.convert("L"), dtype=np.uint16) * np.uint16(257)
        return Image.fromarray(values)
    return im if im.mode == fmt.channels else im.convert(fmt.channels)


def _on_white(im: Image.Image) -> Image.Image:
    """Composite an image with transparency onto an opaque white background (→ RGB)."""
    white = Image.new("RGBA", im.size, (255, 255, 255, 255))
    return Image.alpha_composite(white, im.convert("RGBA")).convert("RGB")


def _as_uint16(im: Image.Image, path: str | Path) -> np.ndarray:
    values = np.asarray(im)
    if values.dtype != np.uint16 and (values.min() < 0 or values.max() > 65535):
        raise BadImage(str(path), f"{im.mode} values {values.min()}..{values.max()} lie "
                                  f"outside the 16-bit range 0..65535")
    return values.astype(np.uint16)


def resize(im: Image.Image, shape: tuple[int, int]) -> Image.Image:
    """Step 4: stretch to (h, w) with the bilinear filter; 16-bit goes through float32."""
    h, w = shape
    if im.mode != "I;16":
        return im.resize((w, h), RESAMPLE)
    as_float = Image.fromarray(np.asarray(im, dtype=np.float32))
    values = np.asarray(as_float.resize((w, h), RESAMPLE))
    return Image.fromarray(np.clip(np.rint(values), 0, 65535).astype(np.uint16))


def probe(path: str | Path, size: tuple[int, int] | None, grayscale: bool) -> DecodeOptions:
    """Decode options for a set, read off its first image (formats widen later as needed)."""
    return options_for(open_image(path), size, grayscale, path)


def options_for(im: Image.Image, size: tuple[int, int] | None, grayscale: bool,
                path: str | Path = "") -> DecodeOptions:
    """The options that decode ``im`` as it is: its own format and size (or ``size``)."""
    natural = natural_format(im, path)
    fmt = widen(natural, natural, grayscale)
    shape = tuple(size) if size is not None else (im.height, im.width)
    return DecodeOptions(fmt, shape, resize=size is not None, grayscale=grayscale)


def image_size(path: str | Path) -> tuple[int, int] | None:
    """(h, w) as shown upright, from the header only; None when the file cannot be read."""
    try:
        with opened(path) as im:
            h_w = (im.height, im.width)
            turned = im.getexif().get(ORIENTATION_TAG, 1) in (5, 6, 7, 8)
    except Exception:  # any unreadable file simply has no size here
        return None
    return h_w[::-1] if turned else h_w


def load_image(path: str | Path, *, size: tuple[int, int] | None = None,
               grayscale: bool | None = None) -> np.ndarray:
    """One image as float32 raw values, shape (h, w) or (h, w, 3); same decoding as folders.

    ``grayscale``: True converts to ``L``; None/False keep the image's own channels
    (gray stays (h, w), colour becomes (h, w, 3)). ``size=(h, w)`` resizes (bilinear).
    Values are raw: 0..255, or 0..65535 for 16-bit grayscale.
    """
    im = open_image(path)
    opts = options_for(im, check_size(size), bool(grayscale), path)
    return pixels(im, replace(opts, widen=False), path).astype(np.float32)


def check_size(size) -> tuple[int, int] | None:
    """``size`` as a (h, w) tuple of positive ints; accepts "28x28" as the CLI spells it."""
    if isinstance(size, str):
        size = size.lower().replace("×", "x").split("x")
    if size is None:
        return None
    try:
        h, w = (int(v) for v in size)
    except (TypeError, ValueError):
        raise DataError(f"size must be (height, width), e.g. (28, 28); got {size!r}.") from None
    if h < 1 or w < 1:
        raise DataError(f"size must be two positive integers (height, width); got {size!r}.")
    return (h, w)
