"""Image folders in the ImageFolder convention: one subfolder per class.

    DATA/
      cats/  001.png 002.jpg …      the subfolder name is the class name
      dogs/  001.png …

Rows are in a fixed order — classes sorted, files sorted within a class. Image files are
recognised by suffix (PNG, JPEG, BMP, GIF, WebP, TIFF, any case); other files (``.DS_Store``,
``Thumbs.db``, ``README.txt``) and hidden folders are ignored and counted in a notice.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from glassnet.data.dataset import Dataset, classes_of
from glassnet.data.decode import decode_files
from glassnet.data.images import IMAGE_SUFFIXES, PixelFormat
from glassnet.errors import DataError

LAYOUT = "Expected DATA/<class name>/<image file>, e.g. DATA/cats/001.png"


@dataclass
class Layout:
    """The image files found under a root, their class names, and what was ignored."""

    paths: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)
    loose: list[str] = field(default_factory=list)
    empty: list[str] = field(default_factory=list)


def load_folder(root: str | Path, *, size=None, grayscale: bool = False, color: bool = False,
                skip_bad: bool = False, workers: int | None = None) -> Dataset:
    """Decode every image under ``root``'s class folders into a Dataset.

    Channels follow the majority: mostly gray images with a few colour ones give a gray
    set (the few converted, with a notice), and the reverse a colour set. ``grayscale``
    makes every image gray; ``color`` keeps colour whenever any image has it.
    """
    layout = scan(Path(root))
    decoded = decode_files(layout.paths, layout.sources, size=size, grayscale=grayscale,
                           skip_bad=skip_bad, workers=workers)
    mixed = None
    if decoded.opts.fmt.channels == "RGB" and not (grayscale or color):
        decoded, mixed = _follow_majority(layout, decoded, size, skip_bad, workers)
    keep = np.ones(len(layout.paths), dtype=bool)
    keep[[i for i, _ in decoded.bad]] = False
    y = np.asarray(layout.labels)[keep]
    opts = decoded.opts
    return Dataset(
        X=decoded.X, y=y, classes=classes_of(y, f"Image folder {root}"),
        image_shape=opts.pixel_shape, channels=opts.fmt.channels,
        sources=[s for s, k in zip(layout.sources, keep) if k],
        value_range=opts.fmt.value_range,
        notices=folder_notices(layout, decoded.bad) + ([mixed] if mixed else []),
        skipped=[(layout.paths[i], reason) for i, reason in decoded.bad],
        size=opts.shape if opts.resize else None)


def _follow_majority(layout: Layout, decoded, size, skip_bad, workers):
    """A colour set whose images are mostly gray is decoded again as gray: (decoded, notice).

    An image counts as gray when its three channels are equal everywhere — read off the
    decoded rows, no file opened again. (A colour file holding a gray picture loses nothing
    when made gray, so it is not counted among the converted.)
    """
    rgb = decoded.X.reshape(len(decoded.X), -1, 3)
    n_gray = int((rgb == rgb[:, :, :1]).all(axis=(1, 2)).sum())
    n_colour = len(rgb) - n_gray
    if n_gray == 0:
        return decoded, None
    if n_colour >= n_gray:
        return decoded, (f"Converted {n_gray:,} grayscale {_plural(n_gray, 'image', 'images')} "
                         f"to colour to match the other {n_colour:,}; pass grayscale=True "
                         f"(--grayscale) to make every image gray.")
    if decoded.opts.resize:  # resizing comes after the mode conversion: decode again
        decoded = decode_files(layout.paths, layout.sources, size=size, grayscale=True,
                               skip_bad=skip_bad, workers=workers)
    else:
        decoded = replace(decoded, X=luma(rgb), opts=replace(
            decoded.opts, fmt=PixelFormat("L", 8), grayscale=True))
    return decoded, (f"Converted {n_colour:,} colour {_plural(n_colour, 'image', 'images')} "
                     f"to grayscale to match the other {n_gray:,}; pass color=True (--color) "
                     f"to keep colour.")


def luma(rgb: np.ndarray) -> np.ndarray:
    """(n, pixels, 3) 8-bit RGB values → (n, pixels) gray, exactly as Pillow's ``convert("L")``
    computes it (ITU-R 601-2 in 16-bit fixed point), so a converted row equals the file
    decoded gray — as ``predict`` decodes it."""
    out = np.empty(rgb.shape[:2], dtype=np.float32)
    for start in range(0, len(rgb), 1024):  # in blocks: no int64 copy of the whole set
        block = rgb[start:start + 1024].astype(np.int64)
        weighted = block[..., 0] * 19595 + block[..., 1] * 38470 + block[..., 2] * 7471
        out[start:start + len(block)] = (weighted + 0x8000) >> 16
    return out


def scan(root: Path) -> Layout:
    """Find class folders and their image files; check the layout is one level deep."""
    layout = Layout()
    class_dirs, top_images = _top_level(root, layout)
    if not class_dirs:
        found = f"{len(top_images)} images but no" if top_images else "no"
        raise DataError(f"Image folder {root} has {found} class subfolders. {LAYOUT}. "
                        f"Put each class's images in a subfolder named after the class.")
    layout.loose = top_images
    for entry in class_dirs:
        _scan_class(root, entry, layout)
    n_classes = len(set(layout.labels))
    if n_classes < 2:
        found = f"only one class ({layout.labels[0]!r})" if n_classes else "no images"
        raise DataError(f"Image folder {root} has {found}; a classifier needs at least two "
                        f"classes. {LAYOUT}, with one subfolder per class.")
    return layout


def _top_level(root: Path, layout: Layout) -> tuple[list[os.DirEntry], list[str]]:
    class_dirs, top_images = [], []
    for entry in _sorted_entries(root):
        if entry.is_dir() and not entry.name.startswith("."):
            class_dirs.append(entry)
        elif _is_image(entry):
            top_images.append(entry.name)
        else:
            layout.ignored.append(entry.name + ("/" if entry.is_dir() else ""))
    return class_dirs, top_images


def _scan_class(root: Path, class_dir: os.DirEntry, layout: Layout) -> None:
    n_images = 0
    for entry in _sorted_entries(Path(class_dir.path)):
        name = f"{class_dir.name}/{entry.name}"
        if entry.is_dir() and not entry.name.startswith("."):
            raise _nested_error(root, class_dir, entry)
        if _is_image(entry):
            layout.paths.append(entry.path)
            layout.sources.append(name)
            layout.labels.append(class_dir.name)
            n_images += 1
        else:
            layout.ignored.append(name + ("/" if entry.is_dir() else ""))
    if n_images == 0:
        layout.empty.append(class_dir.name)


def _nested_error(root: Path, class_dir: os.DirEntry, inner: os.DirEntry) -> DataError:
    hint = (f"Move the images of '{class_dir.name}/{inner.name}' up into '{class_dir.name}', "
            f"or make '{inner.name}' a class of its own")
    if not any(_is_image(e) for e in _sorted_entries(Path(class_dir.path))):
        hint = f"If '{class_dir.name}' holds class folders, pass {Path(class_dir.path)} instead"
    return DataError(f"Image folder {root}: '{class_dir.name}/{inner.name}' is a folder inside "
                     f"the class folder '{class_dir.name}', but only one level is read. "
                     f"{LAYOUT}. {hint}.")


def _sorted_entries(folder: Path) -> list[os.DirEntry]:
    try:
        with os.scandir(folder) as entries:
            return sorted(entries, key=lambda e: e.name)
    except OSError as e:
        raise DataError(f"Cannot list folder {folder}: {e.strerror}. Check the path and "
                        f"its permissions.") from None


def _is_image(entry: os.DirEntry) -> bool:
    name = entry.name
    return (not name.startswith(".") and os.path.splitext(name)[1].lower() in IMAGE_SUFFIXES
            and entry.is_file())


def folder_notices(layout: Layout, bad: list[tuple[int, str]]) -> list[str]:
    notices = []
    if layout.ignored:
        notices.append(f"Ignored {len(layout.ignored):,} non-image "
                       f"{_plural(len(layout.ignored), 'entry', 'entries')}: "
                       f"{_examples(layout.ignored)}.")
    if layout.loose:
        notices.append(f"Ignored {len(layout.loose):,} "
                       f"{_plural(len(layout.loose), 'image', 'images')} outside the class "
                       f"folders: {_examples(layout.loose)}.")
    for name in layout.empty:
        notices.append(f"Class folder '{name}' holds no images; the class is left out.")
    if bad:
        shown = [f"{layout.sources[i]} ({reason})" for i, reason in bad]
        notices.append(f"Skipped {len(bad):,} unreadable "
                       f"{_plural(len(bad), 'image', 'images')}: {_examples(shown)}.")
    return notices


def _examples(items: list[str], limit: int = 5) -> str:
    more = len(items) - limit
    return ", ".join(items[:limit]) + (f" and {more:,} more" if more > 0 else "")


def _plural(n: int, one: str, many: str) -> str:
    return one if n == 1 else many
